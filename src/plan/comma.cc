#include "src/plan/comma.h"

#include "src/plan/comma_model.h"

namespace convoy::plan::comma {

using namespace internal;  // NOLINT(google-build-using-namespace): this module's own internals

double BestGroupDuration(const CommaApp& app, const std::vector<int>& members) {
  const Model m = Derive(app);
  const int k = static_cast<int>(members.size());
  if (!Valid(m, members.data(), k)) return kInf;
  std::vector<int> order = members;
  return OrderInPlace(m, order.data(), k);
}

double ImpactMb(const CommaApp& app, const std::vector<VmTiming>& vms) {
  double impact = 0;
  const std::size_t n = vms.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double>& row = app.traffic_kbps[i];
    const double finish = vms[i].finish_s;
    for (std::size_t j = i + 1; j < n; ++j) {
      const double kbps = row[j];
      const double mb = KbpsSecondsToMb(kbps, std::abs(finish - vms[j].finish_s));
      impact += kbps > 0 ? mb : 0.0;  // no branch: half the pairs may talk, at random
    }
  }
  return impact;
}

CommaSchedule ScheduleExact(const CommaApp& app) {
  const Model m = Derive(app);
  if (m.n == 0) return {};
  if (m.n > 20) return ScheduleHeuristic(app);
  const Traffic t = MakeTraffic(app, m.n);
  const uint32_t full = (1U << m.n) - 1;
  // Duration of every valid group, and the cut of every set (from the set less its lowest VM).
  std::vector<double> duration(full + 1, kInf);
  std::vector<double> cut(full + 1, 0);
  int members[32];
  for (uint32_t s = 1; s <= full; ++s) {
    const int low = std::countr_zero(s);
    const uint32_t rest = s & (s - 1);
    cut[s] = cut[rest] + t.degree[low] - 2 * t.ToSet(low, rest);
    int k = 0;
    for (uint32_t b = s; b != 0; b &= b - 1) members[k++] = std::countr_zero(b);
    if (Valid(m, members, k)) duration[s] = OrderInPlace(m, members, k);
  }
  // best[S]: least (impact, time) having moved exactly S, group after group.
  std::vector<double> impact(full + 1, kInf);
  std::vector<double> time(full + 1, kInf);
  std::vector<uint32_t> last(full + 1, 0);
  impact[0] = 0;
  time[0] = 0;
  for (uint32_t s = 0; s < full; ++s) {
    if (impact[s] == kInf) continue;
    const uint32_t rest = full & ~s;
    for (uint32_t g = rest; g != 0; g = (g - 1) & rest) {
      if (duration[g] == kInf) continue;
      const uint32_t next = s | g;
      const double i = impact[s] + duration[g] * cut[s];
      const double tm = time[s] + duration[g];
      if (i < impact[next] - 1e-9 || (i <= impact[next] + 1e-9 && tm < time[next] - 1e-9)) {
        impact[next] = i;
        time[next] = tm;
        last[next] = g;
      }
    }
  }
  std::vector<std::vector<int>> groups;
  if (impact[full] == kInf) {  // no valid group at all (no bandwidth): one VM at a time
    for (int i = 0; i < m.n; ++i) groups.push_back({i});
    return Layout(m, std::move(groups));
  }
  for (uint32_t s = full; s != 0; s &= ~last[s]) groups.push_back(Members(last[s], m.n));
  std::reverse(groups.begin(), groups.end());
  return Layout(m, std::move(groups));
}

CommaSchedule ScheduleSequential(const CommaApp& app) {
  const Model m = Derive(app);
  CommaSchedule s;
  s.vms.resize(m.n);
  double t = 0;
  for (int i = 0; i < m.n; ++i) {
    const auto& vm = app.vms[i];
    const double bulk_s = vm.bulk_mib / m.bandwidth;
    const double work =
        std::min(vm.max_dirty_mibps * bulk_s, vm.dirty_set_bound_mib) + vm.memory_mib;
    s.vms[i].stage2_start_s = t + bulk_s;
    s.vms[i].postcopy = m.postcopy[i];
    t += bulk_s + work / (m.bandwidth - m.dirty[i]);
    s.vms[i].finish_s = t;
    s.groups.push_back({i});
  }
  s.makespan_s = t;
  s.impact_mb = ImpactMb(app, s.vms);
  return s;
}

CommaSchedule ScheduleParallel(const CommaApp& app) {
  const Model m = Derive(app);
  CommaSchedule s;
  s.vms.resize(m.n);
  std::vector<int> phase(m.n, 0);  // 0 bulk, 1 dirty iteration, 2 done
  std::vector<double> left(m.n);
  for (int i = 0; i < m.n; ++i) left[i] = app.vms[i].bulk_mib;
  double t = 0;
  int active = m.n;
  s.groups.push_back({});
  for (int i = 0; i < m.n; ++i) s.groups[0].push_back(i);
  while (active > 0) {
    const double share = m.bandwidth / active;
    auto rate = [&](int i) { return phase[i] == 0 ? share : share - m.dirty[i]; };
    double step = kInf;
    for (int i = 0; i < m.n; ++i) {
      if (phase[i] < 2 && rate(i) > 0) step = std::min(step, left[i] / rate(i));
    }
    if (step == kInf) {  // every VM left is stuck below its dirty rate: never converges
      s.feasible = false;
      s.impact_mb = kInf;
      s.makespan_s = kInf;
      s.notes.push_back("all at once, no share outruns the dirty rate of the VMs left");
      return s;
    }
    t += step;
    for (int i = 0; i < m.n; ++i) {
      if (phase[i] == 2 || rate(i) <= 0) continue;
      left[i] -= rate(i) * step;
      if (left[i] > 1e-9) continue;
      if (phase[i] == 0) {
        phase[i] = 1;
        s.vms[i].stage2_start_s = t;
        left[i] = std::min(app.vms[i].max_dirty_mibps * t, app.vms[i].dirty_set_bound_mib) +
                  app.vms[i].memory_mib;
      } else {
        phase[i] = 2;
        s.vms[i].finish_s = t;
        s.vms[i].postcopy = m.postcopy[i];
        --active;
      }
    }
  }
  s.makespan_s = t;
  s.impact_mb = ImpactMb(app, s.vms);
  return s;
}

}  // namespace convoy::plan::comma
