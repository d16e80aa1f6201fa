#include "controller/action_graph.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace convoy::controller {
namespace {

constexpr double kEpsS = 1e-6;
constexpr double kFitSlack = 1.02;  // planned shares are computed to the Mb/s; allow rounding

}  // namespace

bool IsTerminal(const std::string& state) {
  return state == kDone || state == kFailed || state == kCancelled || state == kSkipped;
}

bool IsActive(const std::string& state) { return state == kRunning || state == kPostCopy; }

Actions BuildActions(const v1::Plan& plan) {
  Actions actions;
  std::set<std::string> booted;
  for (const auto& p : plan.power()) {
    if (p.action() != "boot") continue;
    v1::Action a;
    a.set_id("boot:" + p.host());
    a.set_kind("boot");
    a.set_host(p.host());
    a.set_state(kPending);
    a.set_predicted_s(p.end_s() - p.start_s());
    *actions.Add() = std::move(a);
    booted.insert(p.host());
  }
  // Migrations by host, to find the ones each must wait for.
  std::unordered_map<std::string, std::vector<const v1::Migration*>> by_host;
  for (const auto& m : plan.migrations()) {
    by_host[m.from()].push_back(&m);
    if (m.to() != m.from()) by_host[m.to()].push_back(&m);
  }
  for (const auto& m : plan.migrations()) {
    v1::Action a;
    a.set_id("migrate:" + m.vm());
    a.set_kind("migrate");
    a.set_vm(m.vm());
    a.set_host(m.from());
    a.set_to(m.to());
    a.set_state(kPending);
    *a.mutable_planned() = m;
    a.set_predicted_s(m.end_s() - m.start_s());
    std::set<std::string> deps;
    if (booted.count(m.to()) > 0) deps.insert("boot:" + m.to());
    for (const std::string& host : {m.from(), m.to()}) {
      for (const v1::Migration* other : by_host[host]) {
        if (other == &m) continue;
        if (other->end_s() <= m.start_s() + kEpsS && other->start_s() < m.start_s()) {
          deps.insert("migrate:" + other->vm());
        }
      }
    }
    for (const auto& d : deps) a.add_depends_on(d);
    *actions.Add() = std::move(a);
  }
  for (const auto& p : plan.power()) {
    if (p.action() != "shutdown") continue;
    v1::Action a;
    a.set_id("shutdown:" + p.host());
    a.set_kind("shutdown");
    a.set_host(p.host());
    a.set_state(kPending);
    a.set_predicted_s(p.end_s() - p.start_s());
    for (const auto& m : plan.migrations()) {
      if (m.from() == p.host()) a.add_depends_on("migrate:" + m.vm());
    }
    *actions.Add() = std::move(a);
  }
  return actions;
}

std::vector<std::string> ReadyActions(const Actions& actions,
                                      const Capacity& capacity) {
  std::unordered_map<std::string, const v1::Action*> by_id;
  for (const auto& a : actions) by_id[a.id()] = &a;
  std::map<std::string, double> load_mbps;
  std::map<std::string, int> running;
  for (const auto& a : actions) {
    if (a.kind() != "migrate" || !IsActive(a.state())) continue;
    for (const std::string& h : {a.host(), a.to()}) {
      load_mbps[h] += a.planned().bandwidth_mbps();
      ++running[h];
    }
  }
  auto deps_done = [&](const v1::Action& a) {
    for (const auto& d : a.depends_on()) {
      auto it = by_id.find(d);
      if (it != by_id.end() && it->second->state() != kDone) return false;
    }
    return true;
  };
  auto fits = [&](const v1::Action& a) {
    for (const std::string& h : {a.host(), a.to()}) {
      if (running[h] == 0) continue;
      if (capacity.sequential_hosts.count(h) > 0) return false;
      auto cap = capacity.host_mbps.find(h);
      if (cap == capacity.host_mbps.end()) continue;
      if (load_mbps[h] + a.planned().bandwidth_mbps() > cap->second * kFitSlack) return false;
    }
    return true;
  };
  auto admit = [&](const v1::Action& a) {
    for (const std::string& h : {a.host(), a.to()}) {
      load_mbps[h] += a.planned().bandwidth_mbps();
      ++running[h];
    }
  };

  std::vector<std::string> ready;
  std::set<std::string> groups_seen;
  for (const auto& a : actions) {
    if (a.state() != kPending || !deps_done(a)) continue;
    if (a.kind() != "migrate") {
      ready.push_back(a.id());
      continue;
    }
    const std::string& app = a.planned().coordinated_app();
    if (app.empty()) {
      if (fits(a)) {
        admit(a);
        ready.push_back(a.id());
      }
      continue;
    }
    const std::string group_key = absl::StrCat(app, "#", a.planned().group());
    if (!groups_seen.insert(group_key).second) continue;
    // The whole group, or nothing. Its members share their app's bandwidth, so they are
    // checked as one: the group's total on each host against what the host has free.
    std::vector<const v1::Action*> members;
    bool all_ready = true;
    for (const auto& b : actions) {
      if (b.kind() != "migrate" || b.planned().coordinated_app() != app ||
          b.planned().group() != a.planned().group()) {
        continue;
      }
      if (b.state() != kPending) continue;  // already started (restart): start the rest
      all_ready &= deps_done(b);
      members.push_back(&b);
    }
    if (!all_ready) continue;
    std::map<std::string, double> group_mbps;
    for (const auto* b : members) {
      group_mbps[b->host()] += b->planned().bandwidth_mbps();
      if (b->to() != b->host()) group_mbps[b->to()] += b->planned().bandwidth_mbps();
    }
    bool group_fits = true;
    for (const auto& [h, mbps] : group_mbps) {
      if (running[h] == 0) continue;
      if (capacity.sequential_hosts.count(h) > 0) group_fits = false;
      auto cap = capacity.host_mbps.find(h);
      if (cap != capacity.host_mbps.end() && load_mbps[h] + mbps > cap->second * kFitSlack) {
        group_fits = false;
      }
    }
    if (!group_fits) continue;
    for (const auto* b : members) {
      admit(*b);
      ready.push_back(b->id());
    }
  }
  return ready;
}

std::map<std::string, std::string> ActionsToSkip(const Actions& actions) {
  std::unordered_map<std::string, std::string> state;
  for (const auto& a : actions) state[a.id()] = a.state();
  std::map<std::string, std::string> skip;
  bool changed = true;
  while (changed) {
    changed = false;
    for (const auto& a : actions) {
      if (state[a.id()] != kPending) continue;
      for (const auto& d : a.depends_on()) {
        auto it = state.find(d);
        if (it == state.end()) continue;
        if (it->second == kFailed || it->second == kCancelled || it->second == kSkipped) {
          skip[a.id()] = absl::StrCat(d, " ", it->second);
          state[a.id()] = kSkipped;
          changed = true;
          break;
        }
      }
    }
  }
  return skip;
}

}  // namespace convoy::controller
