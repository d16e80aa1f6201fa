#include "controller/replan.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace convoy::controller {
namespace {

std::string GroupKeyOf(const v1::Migration& m) {
  return m.coordinated_app().empty() ? "" : absl::StrCat(m.coordinated_app(), "#", m.group());
}

// For each VM, the other VMs of its COMMA group, sorted and joined ("" when alone).
std::map<std::string, std::string> GroupMates(const std::vector<const v1::Migration*>& migrations) {
  std::map<std::string, std::vector<std::string>> members;
  for (const auto* m : migrations) {
    const std::string key = GroupKeyOf(*m);
    if (!key.empty()) members[key].push_back(m->vm());
  }
  std::map<std::string, std::string> mates;
  for (const auto* m : migrations) {
    const std::string key = GroupKeyOf(*m);
    if (key.empty()) {
      mates[m->vm()] = "";
      continue;
    }
    std::vector<std::string> others = members[key];
    std::sort(others.begin(), others.end());
    mates[m->vm()] = absl::StrJoin(others, ",");
  }
  return mates;
}

std::string Describe(const v1::Migration& m) {
  return absl::StrFormat("%s at %.0f Mb/s", m.mode(), m.bandwidth_mbps());
}

}  // namespace

std::vector<std::string> ReplannableMigrations(const Actions& actions) {
  std::map<std::string, const v1::Action*> by_id;
  std::set<std::string> started_groups;
  for (const auto& a : actions) {
    by_id[a.id()] = &a;
    const std::string key = a.kind() == "migrate" ? GroupKeyOf(a.planned()) : "";
    if (!key.empty() && a.state() != kPending) started_groups.insert(key);
  }
  // A group is re-planned whole or not at all: one member whose destination is not up holds
  // the others back.
  std::set<std::string> held_groups = started_groups;
  std::vector<const v1::Action*> candidates;
  for (const auto& a : actions) {
    if (a.kind() != "migrate" || a.state() != kPending) continue;
    const bool destination_ready =
        std::all_of(a.depends_on().begin(), a.depends_on().end(), [&](const std::string& dep) {
          auto it = by_id.find(dep);
          return it == by_id.end() || it->second->kind() == "migrate" ||
                 it->second->state() == kDone;
        });
    if (destination_ready) {
      candidates.push_back(&a);
    } else {
      held_groups.insert(GroupKeyOf(a.planned()));
    }
  }
  std::vector<std::string> ids;
  for (const auto* a : candidates) {
    const std::string key = GroupKeyOf(a->planned());
    if (key.empty() || held_groups.count(key) == 0) ids.push_back(a->id());
  }
  return ids;
}

v1::EvacuationRequest ReplanRequest(const v1::EvacuationRequest& original, const Actions& actions,
                                    const std::vector<std::string>& ids) {
  v1::EvacuationRequest r;
  r.set_mode(original.mode());
  r.set_strategy(original.strategy());
  r.set_downtime_ms(original.downtime_ms());
  r.set_urgency_pct(original.urgency_pct());
  r.set_reservation(original.reservation());
  r.set_power_off(false);
  const std::set<std::string> wanted(ids.begin(), ids.end());
  for (const auto& a : actions) {
    if (wanted.count(a.id()) == 0) continue;
    auto* move = r.add_moves();
    move->set_vm(a.vm());
    move->set_to(a.to());
  }
  return r;
}

StatusOr<std::vector<ReplanChange>> ApplyReplan(const v1::Plan& plan,
                                                const std::vector<std::string>& ids,
                                                double change_fraction, Actions* actions) {
  if (!plan.feasible()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the new plan is infeasible: ", absl::StrJoin(plan.reasons(), "; ")));
  }
  const std::set<std::string> wanted(ids.begin(), ids.end());
  std::map<std::string, const v1::Migration*> fresh_by_vm;
  for (const auto& m : plan.migrations()) fresh_by_vm[m.vm()] = &m;
  // The new plan's ordering among the re-planned migrations.
  std::map<std::string, std::set<std::string>> fresh_deps;
  for (const auto& a : BuildActions(plan)) {
    for (const auto& dep : a.depends_on()) {
      if (wanted.count(dep) > 0) fresh_deps[a.id()].insert(dep);
    }
  }

  std::vector<v1::Action*> targets;
  std::vector<const v1::Migration*> old_plans, new_plans;
  uint32_t groups_in_use = 0;
  for (auto& a : *actions) {
    if (a.kind() == "migrate") groups_in_use = std::max(groups_in_use, a.planned().group() + 1);
    if (wanted.count(a.id()) == 0) continue;
    auto it = fresh_by_vm.find(a.vm());
    if (it == fresh_by_vm.end() || it->second->to() != a.to()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the new plan does not move ", a.vm(), " to ", a.to()));
    }
    targets.push_back(&a);
    old_plans.push_back(&a.planned());
    new_plans.push_back(it->second);
  }
  const auto old_mates = GroupMates(old_plans);
  const auto new_mates = GroupMates(new_plans);

  std::vector<ReplanChange> changes;
  std::vector<std::vector<std::string>> deps_after(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    const v1::Action& a = *targets[i];
    const v1::Migration& before = *old_plans[i];
    const v1::Migration& after = *new_plans[i];
    std::set<std::string> old_order, new_order = fresh_deps[a.id()];
    for (const auto& dep : a.depends_on()) {
      if (wanted.count(dep) > 0) {
        old_order.insert(dep);
      } else {
        deps_after[i].push_back(dep);
      }
    }
    deps_after[i].insert(deps_after[i].end(), new_order.begin(), new_order.end());

    std::vector<std::string> what;
    const bool bandwidth_moved = std::abs(after.bandwidth_mbps() - before.bandwidth_mbps()) >
                                 change_fraction * before.bandwidth_mbps();
    if (after.mode() != before.mode() || bandwidth_moved) {
      what.push_back(absl::StrCat(Describe(before), " -> ", Describe(after)));
    }
    if (old_mates.at(a.vm()) != new_mates.at(a.vm())) {
      const std::string& mates = new_mates.at(a.vm());
      what.push_back(mates.empty() ? std::string("now on its own")
                                   : absl::StrCat("now moves together with ", mates));
    }
    if (old_order != new_order) {
      what.push_back(new_order.empty()
                         ? std::string("waits for no other pending migration")
                         : absl::StrCat("now waits for ", absl::StrJoin(new_order, ", ")));
    }
    if (!what.empty()) changes.push_back({a.id(), absl::StrJoin(what, "; ")});
  }
  if (changes.empty()) return changes;

  for (size_t i = 0; i < targets.size(); ++i) {
    v1::Action& a = *targets[i];
    v1::Migration planned = *new_plans[i];
    planned.set_group(planned.group() + groups_in_use);
    *a.mutable_planned() = planned;
    a.set_predicted_s(planned.end_s() - planned.start_s());
    a.clear_depends_on();
    for (const auto& dep : deps_after[i]) a.add_depends_on(dep);
  }
  return changes;
}

}  // namespace convoy::controller
