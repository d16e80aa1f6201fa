// The sequential baseline: one action at a time, source host after source host, as an operator
// does it by hand (seed 000, Table 1 "Sequential"): boot the destination if it is off, migrate
// each VM with the whole path to itself, shut the emptied source down, go on to the next.
#include <map>

#include "src/plan/mode_choice.h"
#include "src/plan/schedule.h"

namespace convoy::plan {

Schedule ScheduleSequential(const Problem& p) {
  const auto& m = *p.model;
  Schedule s;
  s.strategy = "sequential";
  std::vector<bool> booted(m.hosts().size(), false);
  // Sources in request order, then those of explicit moves, each once.
  std::vector<int> sources = p.evacuation_order;
  std::vector<bool> listed(m.hosts().size(), false);
  for (int h : sources) listed[h] = true;
  for (const auto& mv : p.movers) {
    if (!listed[mv.src]) {
      listed[mv.src] = true;
      sources.push_back(mv.src);
    }
  }
  double t = 0;
  int group = 0;
  for (int src : sources) {
    for (std::size_t i = 0; i < p.movers.size(); ++i) {
      const Mover& mv = p.movers[i];
      if (mv.src != src || mv.dst < 0 || mv.resources.empty()) continue;
      if (p.needs_boot[mv.dst] && !booted[mv.dst]) {
        booted[mv.dst] = true;
        s.power.push_back({mv.dst, true, t, t + m.hosts()[mv.dst].boot_s});
        t += m.hosts()[mv.dst].boot_s;
      }
      ScheduledMigration sm = PlanMigration(p, static_cast<int>(i), t, mv.path_mbps, group++);
      t = sm.end_s;
      s.migrations.push_back(std::move(sm));
    }
    if (p.power_off && p.evacuated[src] && m.hosts()[src].online) {
      s.power.push_back({src, false, t, t + m.hosts()[src].shutdown_s});
      t += m.hosts()[src].shutdown_s;
    }
  }
  return s;
}

}  // namespace convoy::plan
