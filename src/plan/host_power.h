// Power and online-host accounting over a plan's timeline. Internal to src/plan.
//
// Model: an online host draws idle_w + (max_w - idle_w) * utilisation, where utilisation is its
// vCPUs in use over its vCPU capacity, taken at the higher of before and after the plan (so the
// figure holds throughout); a booting host draws the higher of boot_w and that (the boot peak of
// seed 000); a host shutting down draws idle_w; an offline host draws nothing. A host counts as
// online from the start of its boot to the end of its shutdown. With this model, what a host
// will draw later is never more than it draws now, so a cap checked when an action starts holds
// for the rest of the plan.
#pragma once

#include <vector>

#include "src/plan/schedule.h"

namespace convoy::plan {

class HostPower {
 public:
  explicit HostPower(const Problem& problem);
  double SteadyW(int host) const { return steady_w_[host]; }
  double BootW(int host) const;
  double ShutdownW(int host) const;

 private:
  const Problem& problem_;
  std::vector<double> steady_w_;
};

struct PowerSummary {
  int peak_online_hosts = 0;
  double peak_power_w = 0;
  double energy_kwh = 0;  // every host, from 0 to the end of the plan
};

PowerSummary SummarisePower(const Problem& problem, const std::vector<ScheduledPower>& power,
                            double end_s);

}  // namespace convoy::plan
