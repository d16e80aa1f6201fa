#include "src/plan/host_power.h"

#include <algorithm>
#include <map>

namespace convoy::plan {

HostPower::HostPower(const Problem& problem) : problem_(problem) {
  const auto& m = *problem.model;
  std::vector<double> before(m.hosts().size(), 0);
  std::vector<double> after(m.hosts().size(), 0);
  for (const auto& vm : m.vms()) {
    before[vm.host] += vm.vcpus;
    after[vm.host] += vm.vcpus;
  }
  for (const auto& mover : problem.movers) {
    if (mover.dst < 0) continue;
    const int vcpus = m.vms()[mover.vm].vcpus;
    after[mover.src] -= vcpus;
    after[mover.dst] += vcpus;
  }
  steady_w_.resize(m.hosts().size());
  for (std::size_t h = 0; h < m.hosts().size(); ++h) {
    const auto& host = m.hosts()[h];
    const double used = std::max(before[h], after[h]);
    const double util = host.vcpu_capacity > 0 ? std::min(1.0, used / host.vcpu_capacity) : 0;
    steady_w_[h] = host.idle_w + (host.max_w - host.idle_w) * util;
  }
}

double HostPower::BootW(int host) const {
  return std::max(problem_.model->hosts()[host].boot_w, steady_w_[host]);
}

double HostPower::ShutdownW(int host) const {
  return std::min(problem_.model->hosts()[host].idle_w, steady_w_[host]);
}

PowerSummary SummarisePower(const Problem& problem, const std::vector<ScheduledPower>& power,
                            double end_s) {
  const auto& hosts = problem.model->hosts();
  HostPower model(problem);
  // Deltas of power (W) and online count at each instant.
  std::map<double, std::pair<double, int>> deltas;
  std::vector<std::vector<const ScheduledPower*>> actions(hosts.size());
  for (const auto& a : power) actions[a.host].push_back(&a);
  for (std::size_t h = 0; h < hosts.size(); ++h) {
    const int host = static_cast<int>(h);
    bool online = hosts[h].online;
    double draw = online ? model.SteadyW(host) : 0;
    deltas[0].first += draw;
    deltas[0].second += online ? 1 : 0;
    auto& list = actions[h];
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->start_s < b->start_s; });
    for (const ScheduledPower* a : list) {
      const double during = a->boot ? model.BootW(host) : model.ShutdownW(host);
      const double after = a->boot ? model.SteadyW(host) : 0;
      deltas[a->start_s].first += during - draw;
      deltas[a->end_s].first += after - during;
      if (a->boot && !online) deltas[a->start_s].second += 1;
      if (!a->boot && online) deltas[a->end_s].second -= 1;
      online = a->boot;
      draw = after;
    }
  }
  PowerSummary summary;
  double watts = 0;
  int online = 0;
  double last_t = 0;
  double joules = 0;
  for (const auto& [t, delta] : deltas) {
    const double until = std::min(t, end_s);
    if (until > last_t) joules += watts * (until - last_t);
    last_t = std::max(last_t, until);
    watts += delta.first;
    online += delta.second;
    summary.peak_power_w = std::max(summary.peak_power_w, watts);
    summary.peak_online_hosts = std::max(summary.peak_online_hosts, online);
  }
  if (end_s > last_t) joules += watts * (end_s - last_t);
  summary.energy_kwh = joules / 3.6e6;
  return summary;
}

}  // namespace convoy::plan
