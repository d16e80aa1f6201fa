// The all-parallel baseline (seed 000, Table 1 "Parallel"): every destination boots at once,
// every migration starts as soon as its destination is up, and all share the network. Each gets
// its max-min fair share of the moment they all run together, kept for its whole duration (a
// pessimistic figure: in reality the share grows as others finish, which the simulator models).
// It ignores deadline, max_online_hosts and power_budget_w; the plan reports what it violates.
#include <algorithm>
#include <limits>

#include "src/plan/mode_choice.h"
#include "src/plan/schedule.h"

namespace convoy::plan {
namespace {

// Max-min fair rates (progressive filling) of the flows `flows` over `capacity`.
std::vector<double> MaxMinShares(const Problem& p, const std::vector<int>& flows) {
  std::vector<double> residual = p.capacity_mbps;
  std::vector<int> users(residual.size(), 0);
  std::vector<std::vector<int>> on(residual.size());
  for (std::size_t f = 0; f < flows.size(); ++f) {
    for (int r : p.movers[flows[f]].resources) {
      ++users[r];
      on[r].push_back(static_cast<int>(f));
    }
  }
  std::vector<double> rate(flows.size(), -1);
  std::vector<int> active;
  for (std::size_t r = 0; r < users.size(); ++r) {
    if (users[r] > 0) active.push_back(static_cast<int>(r));
  }
  while (true) {
    int best = -1;
    double best_share = std::numeric_limits<double>::infinity();
    for (int r : active) {
      if (users[r] == 0) continue;
      const double share = residual[r] / users[r];
      if (share < best_share) {
        best_share = share;
        best = r;
      }
    }
    if (best < 0) break;
    for (int f : on[best]) {
      if (rate[f] >= 0) continue;
      rate[f] = best_share;
      for (int r : p.movers[flows[f]].resources) {
        residual[r] -= best_share;
        --users[r];
      }
    }
  }
  return rate;
}

}  // namespace

Schedule ScheduleParallel(const Problem& p) {
  const auto& m = *p.model;
  Schedule s;
  s.strategy = "parallel";
  std::vector<double> ready_s(m.hosts().size(), 0);
  for (std::size_t h = 0; h < m.hosts().size(); ++h) {
    if (p.needs_boot[h]) {
      ready_s[h] = m.hosts()[h].boot_s;
      s.power.push_back({static_cast<int>(h), true, 0, ready_s[h]});
    }
  }
  std::vector<int> flows;
  for (std::size_t i = 0; i < p.movers.size(); ++i) {
    if (p.movers[i].dst >= 0 && !p.movers[i].resources.empty()) {
      flows.push_back(static_cast<int>(i));
    }
  }
  const std::vector<double> share = MaxMinShares(p, flows);
  std::vector<double> last_out_s(m.hosts().size(), 0);
  for (std::size_t f = 0; f < flows.size(); ++f) {
    const Mover& mv = p.movers[flows[f]];
    ScheduledMigration sm = PlanMigration(p, flows[f], ready_s[mv.dst], share[f], 0);
    last_out_s[mv.src] = std::max(last_out_s[mv.src], sm.end_s);
    s.migrations.push_back(std::move(sm));
  }
  if (p.power_off) {
    for (int h : p.evacuation_order) {
      if (!m.hosts()[h].online) continue;
      s.power.push_back({h, false, last_out_s[h], last_out_s[h] + m.hosts()[h].shutdown_s});
    }
  }
  return s;
}

}  // namespace convoy::plan
