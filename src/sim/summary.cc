#include "src/sim/summary.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "convoy/common/units.h"

namespace convoy::sim {
namespace {

// Most intervals open at once; an interval ending at t does not overlap one starting at t.
template <typename Key>
std::map<Key, int> PeakOverlap(const std::vector<std::pair<Key, std::pair<double, double>>>& iv) {
  std::map<Key, std::vector<std::pair<double, int>>> edges;
  for (const auto& [key, span] : iv) {
    edges[key].push_back({span.first, +1});
    edges[key].push_back({span.second, -1});
  }
  std::map<Key, int> peak;
  for (auto& [key, list] : edges) {
    std::sort(list.begin(), list.end());  // at equal times, -1 before +1
    int open = 0;
    for (const auto& [t, delta] : list) {
      open += delta;
      peak[key] = std::max(peak[key], open);
    }
  }
  return peak;
}

int PeakOnline(const model::ClusterModel& model, const v1::Plan& trace) {
  int online = 0;
  for (const auto& h : model.hosts()) online += h.online ? 1 : 0;
  // A host counts from the start of its boot to the end of its shutdown.
  std::vector<std::pair<double, int>> edges;
  for (const auto& p : trace.power()) {
    if (p.action() == "boot") edges.push_back({p.start_s(), +1});
    if (p.action() == "shutdown") edges.push_back({p.end_s(), -1});
  }
  std::sort(edges.begin(), edges.end());
  int peak = online;
  for (const auto& [t, delta] : edges) {
    online += delta;
    peak = std::max(peak, online);
  }
  return peak;
}

}  // namespace

bool Moved(const v1::Migration& m) { return !absl::StartsWith(m.note(), "aborted"); }

v1::SimulatedStrategy Summarise(const model::ClusterModel& model, const v1::Plan& planned,
                                v1::Plan trace, const RunMeasures& measures) {
  v1::SimulatedStrategy out;
  std::sort(trace.mutable_migrations()->begin(), trace.mutable_migrations()->end(),
            [](const auto& a, const auto& b) {
              return a.start_s() != b.start_s() ? a.start_s() < b.start_s() : a.vm() < b.vm();
            });
  std::sort(trace.mutable_power()->begin(), trace.mutable_power()->end(),
            [](const auto& a, const auto& b) {
              return a.start_s() != b.start_s() ? a.start_s() < b.start_s() : a.host() < b.host();
            });
  std::unordered_map<std::string, double> predicted_s;
  for (const auto& m : planned.migrations()) predicted_s[m.vm()] = m.end_s() - m.start_s();

  double sum = 0, sum_sq = 0, down_sum = 0, exec_sum = 0, sent = 0, ape_sum = 0;
  int moved = 0, ape_n = 0;
  std::unordered_map<std::string, double> finish_s;
  std::vector<std::pair<int, std::pair<double, double>>> all, by_source;
  for (const auto& m : trace.migrations()) {
    const double d = m.end_s() - m.start_s();
    sum += d;
    sum_sq += d * d;
    sent += m.sent_mib();
    all.push_back({0, {m.start_s(), m.end_s()}});
    if (auto src = model.FindHost(m.from())) by_source.push_back({*src, {m.start_s(), m.end_s()}});
    if (!Moved(m)) continue;
    ++moved;
    down_sum += m.downtime_ms();
    exec_sum += m.execution_transfer_s();
    out.set_max_downtime_ms(std::max(out.max_downtime_ms(), m.downtime_ms()));
    finish_s[m.vm()] = m.end_s();
    auto p = predicted_s.find(m.vm());
    if (p != predicted_s.end() && d > 0) {
      ape_sum += std::abs(p->second - d) / d;
      ++ape_n;
    }
  }
  const double n = static_cast<double>(trace.migrations_size());
  if (n > 0) {
    const double mean = sum / n;
    out.set_mean_migration_s(mean);
    out.set_stddev_migration_s(std::sqrt(std::max(0.0, sum_sq / n - mean * mean)));
  }
  if (moved > 0) {
    out.set_mean_downtime_ms(down_sum / moved);
    out.set_mean_execution_transfer_s(exec_sum / moved);
  }
  if (ape_n > 0) out.set_prediction_mape(100.0 * ape_sum / ape_n);
  out.set_total_sent_mib(sent);
  out.set_peak_parallel_migrations(static_cast<uint32_t>(PeakOverlap(all)[0]));
  int per_source = 0;
  for (const auto& [src, peak] : PeakOverlap(by_source)) per_source = std::max(per_source, peak);
  out.set_peak_parallel_per_source(static_cast<uint32_t>(per_source));

  // Seed 001 eq. 1 over pairs of VMs that both moved.
  double impact = 0;
  for (const auto& t : model.traffic()) {
    auto a = finish_s.find(model.vms()[t.vm_a].name);
    auto b = finish_s.find(model.vms()[t.vm_b].name);
    if (a == finish_s.end() || b == finish_s.end()) continue;
    impact += KbpsSecondsToMb(t.kbps, std::abs(a->second - b->second));
  }
  out.set_impact_mb(impact);

  // Eviction: when the last VM left each evacuated host, if they all did.
  std::map<std::string, double> eviction;
  for (const auto& [host, unused] : planned.eviction_s()) eviction[host] = 0;
  std::map<std::string, bool> stuck;
  for (const auto& m : trace.migrations()) {
    auto it = eviction.find(m.from());
    if (it == eviction.end()) continue;
    if (!Moved(m)) stuck[m.from()] = true;
    it->second = std::max(it->second, m.end_s());
  }
  for (const auto& [vm, why] : measures.failures) {
    out.add_failed(vm);
    (*out.mutable_failure_reasons())[vm] = why;
    // A VM that did not converge still moved; one that never ran or was aborted did not.
    if (finish_s.count(vm) > 0) continue;
    if (auto id = model.FindVm(vm)) stuck[model.hosts()[model.vms()[*id].host].name] = true;
  }
  for (const auto& [host, t] : eviction) {
    if (stuck.count(host) == 0 || !stuck[host]) (*out.mutable_eviction_s())[host] = t;
  }

  out.set_completion_s(measures.completion_s);
  out.set_energy_kwh(measures.energy_j / 3.6e6);
  out.set_peak_power_kw(measures.peak_power_w / 1000.0);

  trace.set_feasible(measures.failures.empty());
  trace.set_makespan_s(out.completion_s());
  trace.set_mean_migration_s(out.mean_migration_s());
  trace.set_stddev_migration_s(out.stddev_migration_s());
  trace.set_impact_mb(out.impact_mb());
  *trace.mutable_eviction_s() = out.eviction_s();
  trace.set_peak_online_hosts(static_cast<uint32_t>(PeakOnline(model, trace)));
  trace.set_peak_power_w(measures.peak_power_w);
  trace.set_energy_kwh(out.energy_kwh());
  trace.set_total_sent_mib(sent);
  for (const auto& [vm, why] : measures.failures) trace.add_reasons(vm + ": " + why);
  *out.mutable_trace() = std::move(trace);
  return out;
}

}  // namespace convoy::sim
