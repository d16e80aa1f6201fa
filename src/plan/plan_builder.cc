#include "src/plan/plan_builder.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"
#include "src/plan/host_power.h"
#include "src/plan/staging_choice.h"

namespace convoy::plan {
namespace {

void AddMetrics(const Problem& p, const Schedule& s, v1::Plan* plan) {
  const auto& m = *p.model;
  double end_s = 0;
  double sum = 0, sum_sq = 0, sent = 0;
  std::vector<double> finish_s(m.vms().size(), -1);
  for (const auto& sm : s.migrations) {
    const double d = sm.end_s - sm.start_s;
    sum += d;
    sum_sq += d * d;
    sent += sm.prediction.sent_mib;
    end_s = std::max(end_s, sm.end_s);
    finish_s[p.movers[sm.mover].vm] = sm.end_s;
  }
  for (const auto& a : s.power) end_s = std::max(end_s, a.end_s);
  const double n = static_cast<double>(s.migrations.size());
  plan->set_makespan_s(end_s);
  if (n > 0) {
    const double mean = sum / n;
    plan->set_mean_migration_s(mean);
    plan->set_stddev_migration_s(std::sqrt(std::max(0.0, sum_sq / n - mean * mean)));
  }
  plan->set_total_sent_mib(sent);
  // Seed 001 eq. 1, over pairs of VMs that both move.
  double impact = 0;
  for (const auto& t : m.traffic()) {
    if (finish_s[t.vm_a] < 0 || finish_s[t.vm_b] < 0) continue;
    impact += KbpsSecondsToMb(t.kbps, std::abs(finish_s[t.vm_a] - finish_s[t.vm_b]));
  }
  plan->set_impact_mb(impact);
  auto& eviction = *plan->mutable_eviction_s();
  for (int h : p.evacuation_order) eviction[m.hosts()[h].name] = 0;
  for (const auto& sm : s.migrations) {
    const int src = p.movers[sm.mover].src;
    if (!p.evacuated[src]) continue;
    double& e = eviction[m.hosts()[src].name];
    e = std::max(e, sm.stage_via.empty() ? sm.end_s : sm.eviction_s);
  }
  PowerSummary power = SummarisePower(p, s.power, end_s);
  plan->set_peak_online_hosts(static_cast<uint32_t>(power.peak_online_hosts));
  plan->set_peak_power_w(power.peak_power_w);
  plan->set_energy_kwh(power.energy_kwh);
}

void CheckCaps(const Problem& p, const Schedule& s, v1::Plan* plan) {
  const auto& m = *p.model;
  for (const auto& sm : s.migrations) {
    if (!sm.prediction.converges) {
      plan->add_reasons(absl::StrFormat("VM %s: %s", m.vms()[p.movers[sm.mover].vm].name,
                                        sm.note.empty() ? "does not converge" : sm.note));
    }
  }
  if (p.deadline_s > 0 && plan->makespan_s() > p.deadline_s + 1e-6) {
    plan->add_reasons(
        absl::StrFormat("deadline_s: the plan takes %.1f s, beyond the deadline of "
                        "%.1f s",
                        plan->makespan_s(), p.deadline_s));
  }
  if (p.max_online_hosts > 0 && static_cast<int>(plan->peak_online_hosts()) > p.max_online_hosts) {
    plan->add_reasons(
        absl::StrFormat("max_online_hosts: %d hosts online at once, above the cap "
                        "of %d",
                        plan->peak_online_hosts(), p.max_online_hosts));
  }
  if (p.power_budget_w > 0 && plan->peak_power_w() > p.power_budget_w + 1e-6) {
    plan->add_reasons(
        absl::StrFormat("power_budget_w: the hosts draw %.0f W at peak, above the "
                        "budget of %.0f W",
                        plan->peak_power_w(), p.power_budget_w));
  }
}

}  // namespace

v1::Plan BuildPlan(const Problem& p, const Schedule& schedule) {
  const auto& m = *p.model;
  Schedule s = schedule;
  ChooseStaging(p, &s);
  v1::Plan plan;
  plan.set_strategy(s.strategy);
  std::vector<const ScheduledMigration*> migrations;
  for (const auto& sm : s.migrations) migrations.push_back(&sm);
  std::stable_sort(migrations.begin(), migrations.end(),
                   [](const auto* a, const auto* b) { return a->start_s < b->start_s; });
  for (const ScheduledMigration* sm : migrations) {
    const Mover& mv = p.movers[sm->mover];
    auto* out = plan.add_migrations();
    out->set_vm(m.vms()[mv.vm].name);
    out->set_from(m.hosts()[mv.src].name);
    out->set_to(m.hosts()[mv.dst].name);
    out->set_mode(sm->mode);
    out->set_group(static_cast<uint32_t>(sm->group));
    out->set_start_s(sm->start_s);
    out->set_end_s(sm->end_s);
    out->set_bandwidth_mbps(sm->bandwidth_mbps);
    out->set_converges(sm->prediction.converges);
    out->set_downtime_ms(sm->prediction.downtime_ms);
    out->set_sent_mib(sm->prediction.sent_mib);
    out->set_rounds(sm->prediction.rounds);
    out->set_note(sm->note);
    out->set_execution_transfer_s(sm->execution_transfer_s);
    out->set_recovery_s(sm->prediction.recovery_s);
    out->set_coordinated_app(sm->coordinated_app);
    for (int i : sm->stage_via) out->add_stage_via(m.hosts()[i].name);
    if (!sm->stage_via.empty()) out->set_eviction_s(sm->eviction_s);
  }
  for (const auto& note : s.notes) plan.add_notes(note);
  std::vector<ScheduledPower> power = s.power;
  std::stable_sort(power.begin(), power.end(),
                   [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
  for (const auto& a : power) {
    auto* out = plan.add_power();
    out->set_host(m.hosts()[a.host].name);
    out->set_action(a.boot ? "boot" : "shutdown");
    out->set_start_s(a.start_s);
    out->set_end_s(a.end_s);
  }
  AddMetrics(p, s, &plan);
  for (const auto& r : p.reasons) plan.add_reasons(r);
  for (const auto& r : s.reasons) plan.add_reasons(r);
  CheckCaps(p, s, &plan);
  plan.set_feasible(plan.reasons_size() == 0);
  return plan;
}

}  // namespace convoy::plan
