#include "src/plan/comma.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"

namespace convoy::plan::comma {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// What stage 2 needs of each VM, derived once.
struct Model {
  int n = 0;
  double bandwidth = 0;
  double stage1_s = 0;
  std::vector<double> work_mib;  // W_i
  std::vector<double> dirty;     // effective max dirty rate (0 for post-copy VMs)
  std::vector<bool> postcopy;
  const CommaApp* app = nullptr;
};

Model Derive(const CommaApp& app) {
  Model m;
  m.app = &app;
  m.n = static_cast<int>(app.vms.size());
  m.bandwidth = app.bandwidth_mibps;
  double bulk = 0;
  for (const auto& vm : app.vms) bulk += vm.bulk_mib;
  m.stage1_s = m.bandwidth > 0 ? bulk / m.bandwidth : kInf;
  for (const auto& vm : app.vms) {
    const bool post = vm.max_dirty_mibps >= m.bandwidth;
    m.postcopy.push_back(post);
    m.dirty.push_back(post ? 0 : vm.max_dirty_mibps);
    m.work_mib.push_back(std::min(vm.max_dirty_mibps * m.stage1_s, vm.dirty_set_bound_mib) +
                         vm.memory_mib);
  }
  return m;
}

// Duration of a group run in start order `order` (section 3.4), or +inf when eq. 3 fails.
double GroupDuration(const Model& m, const std::vector<int>& order) {
  double prefix_dirty = 0;
  double duration = 0;
  for (int vm : order) {
    prefix_dirty += m.dirty[vm];
    const double net = m.bandwidth - prefix_dirty;
    if (net <= 0) return kInf;
    duration += m.work_mib[vm] / net;
  }
  return duration;
}

// A start order of (near) least duration. Exchanging neighbours a, b (with capacity C left
// before them) helps when W_b d_a (C - d_a) < W_a d_b (C - d_b), so the order starts from
// descending W/d and then exchanges neighbours while that shortens the group.
std::vector<int> BestOrder(const Model& m, std::vector<int> members, double* duration) {
  auto key = [&](int vm) { return m.dirty[vm] > 0 ? m.work_mib[vm] / m.dirty[vm] : kInf; };
  std::sort(members.begin(), members.end(),
            [&](int a, int b) { return key(a) > key(b) || (key(a) == key(b) && a < b); });
  double best_d = GroupDuration(m, members);
  for (bool improved = true; improved;) {
    improved = false;
    for (std::size_t i = 0; i + 1 < members.size(); ++i) {
      std::swap(members[i], members[i + 1]);
      const double d = GroupDuration(m, members);
      if (d < best_d - 1e-12) {
        best_d = d;
        improved = true;
      } else {
        std::swap(members[i], members[i + 1]);
      }
    }
  }
  *duration = best_d;
  return members;
}

bool Valid(const Model& m, const std::vector<int>& members) {
  double sum = 0;
  for (int vm : members) sum += m.dirty[vm];
  return sum < m.bandwidth;  // eq. 3 (strict: the dirty iteration must make progress)
}

// Traffic (kb/s) between the VMs in `inside` (a bit per VM) and the others.
double Cut(const Model& m, uint32_t inside) {
  double cut = 0;
  for (int i = 0; i < m.n; ++i) {
    if (!(inside >> i & 1U)) continue;
    for (int j = 0; j < m.n; ++j) {
      if (!(inside >> j & 1U)) cut += m.app->traffic_kbps[i][j];
    }
  }
  return cut;
}

std::vector<int> Members(uint32_t set, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    if (set >> i & 1U) out.push_back(i);
  }
  return out;
}

// Lays out groups (each in its start order) one after another from the end of stage 1.
CommaSchedule Layout(const Model& m, std::vector<std::vector<int>> groups) {
  CommaSchedule s;
  s.stage1_end_s = m.stage1_s;
  s.vms.resize(m.n);
  double t = m.stage1_s;
  for (auto& group : groups) {
    double duration = 0;
    group = BestOrder(m, group, &duration);
    const double end = t + duration;
    double prefix_dirty = 0;
    double start = t;
    for (int vm : group) {
      prefix_dirty += m.dirty[vm];
      s.vms[vm].stage2_start_s = start;
      s.vms[vm].finish_s = end;
      s.vms[vm].postcopy = m.postcopy[vm];
      start += m.work_mib[vm] / (m.bandwidth - prefix_dirty);
    }
    t = end;
  }
  s.groups = std::move(groups);
  s.makespan_s = t;
  s.impact_mb = ImpactMb(*m.app, s.vms);
  for (int i = 0; i < m.n; ++i) {
    if (m.postcopy[i]) {
      s.notes.push_back(absl::StrFormat(
          "%s dirties %.1f MiB/s, more than the %.1f MiB/s available: it cannot converge alone "
          "and moves in post-copy",
          m.app->vms[i].name, m.app->vms[i].max_dirty_mibps, m.bandwidth));
    }
  }
  if (m.n > 1 && s.groups.size() == static_cast<std::size_t>(m.n)) {
    s.notes.push_back("no two VMs fit together under eq. 3: the app moves one VM at a time");
  }
  return s;
}

// Traffic (kb/s) between VM v and the VMs marked in `in`, and the others.
struct Split {
  double to_in = 0;
  double to_out = 0;
};
Split TrafficOf(const Model& m, int v, const std::vector<char>& in) {
  Split s;
  for (int j = 0; j < m.n; ++j) {
    if (j == v) continue;
    (in[j] ? s.to_in : s.to_out) += m.app->traffic_kbps[v][j];
  }
  return s;
}

// Orders `groups` for least impact: exactly, by dynamic programming over subsets of groups, when
// there are at most 16 groups and 32 VMs; else greedily, taking next the group that leaves the
// least traffic across the cut per second it lasts.
std::vector<std::vector<int>> OrderGroups(const Model& m,
                                          const std::vector<std::vector<int>>& groups) {
  const int g = static_cast<int>(groups.size());
  std::vector<double> duration(g);
  for (int i = 0; i < g; ++i) BestOrder(m, groups[i], &duration[i]);
  std::vector<int> order;
  if (g <= 16 && m.n <= 32) {
    std::vector<uint32_t> mask(g, 0);
    for (int i = 0; i < g; ++i) {
      for (int vm : groups[i]) mask[i] |= 1U << vm;
    }
    const uint32_t full = (1U << g) - 1;
    std::vector<double> best(full + 1, kInf);
    std::vector<int> last(full + 1, -1);
    std::vector<uint32_t> vms_of(full + 1, 0);
    best[0] = 0;
    for (uint32_t s = 0; s <= full; ++s) {
      if (best[s] == kInf) continue;
      const double cut = s == 0 ? 0 : Cut(m, vms_of[s]);
      for (int i = 0; i < g; ++i) {
        if (s >> i & 1U) continue;
        const uint32_t next = s | 1U << i;
        const double cost = best[s] + duration[i] * cut;
        if (cost < best[next] - 1e-12) {
          best[next] = cost;
          last[next] = i;
          vms_of[next] = vms_of[s] | mask[i];
        }
      }
    }
    for (uint32_t s = full; s != 0; s &= ~(1U << last[s])) order.push_back(last[s]);
    std::reverse(order.begin(), order.end());
  } else {
    std::vector<char> done(m.n, 0);
    std::vector<bool> used(g, false);
    double cut = 0;
    for (int step = 0; step < g; ++step) {
      int pick = -1;
      double pick_score = kInf;
      double pick_cut = 0;
      for (int i = 0; i < g; ++i) {
        if (used[i]) continue;
        double next_cut = cut;
        for (int vm : groups[i]) {
          const Split t = TrafficOf(m, vm, done);
          next_cut += t.to_out - t.to_in;
        }
        for (int a : groups[i]) {  // pairs inside the group were counted as leaving it
          for (int b : groups[i]) {
            if (a != b) next_cut -= m.app->traffic_kbps[a][b];
          }
        }
        const double score = duration[i] * cut + next_cut * duration[i];
        if (score < pick_score) {
          pick_score = score;
          pick = i;
          pick_cut = next_cut;
        }
      }
      used[pick] = true;
      for (int vm : groups[pick]) done[vm] = 1;
      cut = pick_cut;
      order.push_back(pick);
    }
  }
  std::vector<std::vector<int>> ordered;
  for (int i : order) ordered.push_back(groups[i]);
  return ordered;
}

// The best split of the VM sequence `seq` into consecutive valid groups (dynamic programming
// over prefixes): returns the groups and writes the impact.
std::vector<std::vector<int>> Segment(const Model& m, const std::vector<int>& seq, double* impact) {
  const int n = static_cast<int>(seq.size());
  // cut[i]: traffic between the first i VMs of seq and the rest.
  std::vector<double> cut(n + 1, 0);
  std::vector<char> in(m.n, 0);
  for (int i = 0; i < n; ++i) {
    const Split t = TrafficOf(m, seq[i], in);
    cut[i + 1] = cut[i] + t.to_out - t.to_in;
    in[seq[i]] = 1;
  }
  std::vector<double> best(n + 1, kInf);
  std::vector<int> from(n + 1, -1);
  best[0] = 0;
  for (int j = 0; j < n; ++j) {
    if (best[j] == kInf) continue;
    double dirty = 0;
    std::vector<int> members;
    for (int i = j; i < n; ++i) {
      dirty += m.dirty[seq[i]];
      if (dirty >= m.bandwidth) break;
      members.push_back(seq[i]);
      double duration = kInf;
      BestOrder(m, members, &duration);
      const double cost = best[j] + duration * cut[j] / 8.0 / 1000.0;
      if (cost < best[i + 1] - 1e-12) {
        best[i + 1] = cost;
        from[i + 1] = j;
      }
    }
  }
  std::vector<std::vector<int>> groups;
  for (int i = n; i > 0; i = from[i]) {
    groups.emplace_back(seq.begin() + from[i], seq.begin() + i);
  }
  std::reverse(groups.begin(), groups.end());
  *impact = best[n];
  return groups;
}

}  // namespace

double BestGroupDuration(const CommaApp& app, const std::vector<int>& members) {
  const Model m = Derive(app);
  if (!Valid(m, members)) return kInf;
  double duration = kInf;
  BestOrder(m, members, &duration);
  return duration;
}

double ImpactMb(const CommaApp& app, const std::vector<VmTiming>& vms) {
  double impact = 0;
  const std::size_t n = vms.size();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double kbps = app.traffic_kbps[i][j];
      if (kbps <= 0) continue;
      impact += KbpsSecondsToMb(kbps, std::abs(vms[i].finish_s - vms[j].finish_s));
    }
  }
  return impact;
}

CommaSchedule ScheduleExact(const CommaApp& app) {
  const Model m = Derive(app);
  if (m.n == 0) return {};
  if (m.n > 20) return ScheduleHeuristic(app);
  const uint32_t full = (1U << m.n) - 1;
  // Duration of every valid group, and the cut of every set.
  std::vector<double> duration(full + 1, kInf);
  std::vector<double> cut(full + 1, 0);
  for (uint32_t s = 1; s <= full; ++s) {
    const auto members = Members(s, m.n);
    cut[s] = Cut(m, s);
    if (Valid(m, members)) BestOrder(m, members, &duration[s]);
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
      const double t = time[s] + duration[g];
      if (i < impact[next] - 1e-9 || (i <= impact[next] + 1e-9 && t < time[next] - 1e-9)) {
        impact[next] = i;
        time[next] = t;
        last[next] = g;
      }
    }
  }
  std::vector<std::vector<int>> groups;
  for (uint32_t s = full; s != 0; s &= ~last[s]) groups.push_back(Members(last[s], m.n));
  std::reverse(groups.begin(), groups.end());
  return Layout(m, std::move(groups));
}

CommaSchedule ScheduleHeuristic(const CommaApp& app) {
  const Model m = Derive(app);
  if (m.n == 0) return {};
  struct Pair {
    double kbps;
    int a, b;
  };
  std::vector<Pair> pairs;
  for (int i = 0; i < m.n; ++i) {
    for (int j = i + 1; j < m.n; ++j) {
      if (app.traffic_kbps[i][j] > 0) pairs.push_back({app.traffic_kbps[i][j], i, j});
    }
  }
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Pair& x, const Pair& y) { return x.kbps > y.kbps; });
  std::vector<int> group_of(m.n, -1);
  std::vector<std::vector<int>> groups;
  std::vector<double> group_dirty;
  auto fits = [&](double dirty) { return dirty < m.bandwidth; };
  auto open = [&](std::vector<int> members) {
    double dirty = 0;
    for (int vm : members) dirty += m.dirty[vm];
    for (int vm : members) group_of[vm] = static_cast<int>(groups.size());
    groups.push_back(std::move(members));
    group_dirty.push_back(dirty);
  };
  for (const Pair& p : pairs) {
    const int ga = group_of[p.a];
    const int gb = group_of[p.b];
    if (ga < 0 && gb < 0) {  // case 1
      if (fits(m.dirty[p.a] + m.dirty[p.b])) {
        open({p.a, p.b});
      } else {
        open({p.a});
        open({p.b});
      }
    } else if (ga < 0 || gb < 0) {  // case 2
      const int in = ga < 0 ? gb : ga;
      const int vm = ga < 0 ? p.a : p.b;
      if (fits(group_dirty[in] + m.dirty[vm])) {
        groups[in].push_back(vm);
        group_dirty[in] += m.dirty[vm];
        group_of[vm] = in;
      } else {
        open({vm});
      }
    } else if (ga != gb && fits(group_dirty[ga] + group_dirty[gb])) {  // case 3
      for (int vm : groups[gb]) group_of[vm] = ga;
      groups[ga].insert(groups[ga].end(), groups[gb].begin(), groups[gb].end());
      group_dirty[ga] += group_dirty[gb];
      groups[gb].clear();
      group_dirty[gb] = 0;
    }
  }
  // VMs that talk to nobody join the first group with room (they add no impact anywhere).
  for (int vm = 0; vm < m.n; ++vm) {
    if (group_of[vm] >= 0) continue;
    bool placed = false;
    for (std::size_t g = 0; g < groups.size() && !placed; ++g) {
      if (!groups[g].empty() && fits(group_dirty[g] + m.dirty[vm])) {
        groups[g].push_back(vm);
        group_dirty[g] += m.dirty[vm];
        group_of[vm] = static_cast<int>(g);
        placed = true;
      }
    }
    if (!placed) open({vm});
  }
  std::erase_if(groups, [](const auto& g) { return g.empty(); });
  // The paper's groups, ordered, give a sequence of VMs; the best split of that sequence into
  // consecutive groups is at least as good, and adjacent exchanges in the sequence (small apps
  // only) improve it further.
  std::vector<int> seq;
  for (const auto& group : OrderGroups(m, groups))
    seq.insert(seq.end(), group.begin(), group.end());
  double impact = kInf;
  auto best = Segment(m, seq, &impact);
  if (m.n <= 24) {
    // Moves of one VM to another place in the sequence, while one helps (at most 4 passes).
    for (int pass = 0; pass < 4; ++pass) {
      bool improved = false;
      for (int i = 0; i < m.n; ++i) {
        for (int j = 0; j < m.n; ++j) {
          if (i == j) continue;
          std::vector<int> moved = seq;
          const int vm = moved[i];
          moved.erase(moved.begin() + i);
          moved.insert(moved.begin() + j, vm);
          double candidate = kInf;
          auto split = Segment(m, moved, &candidate);
          if (candidate < impact - 1e-9) {
            impact = candidate;
            best = std::move(split);
            seq = std::move(moved);
            improved = true;
          }
        }
      }
      if (!improved) break;
    }
  }
  return Layout(m, std::move(best));
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
