// Internal to src/plan: the COMMA model shared by the exact search (comma.cc) and the heuristic
// (comma_heuristic.cc): what stage 2 needs of each VM, the traffic matrix in the forms the
// searches use, group durations and start orders (section 3.4), and the layout of groups one
// after another. See comma.h for the model itself.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"
#include "src/plan/comma.h"

namespace convoy::plan::comma::internal {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kDenseMax = 32;        // apps this small also keep the traffic as a flat matrix
constexpr int kLocalSearchMax = 24;  // apps this small get the insertion local search
constexpr double kMbPerKbpsSecond = 1 / 8.0 / 1000.0;

// What stage 2 needs of each VM, derived once.
struct Model {
  int n = 0;
  double bandwidth = 0;
  double headroom = 1;  // eq. 3 with headroom (CommaApp::headroom)
  double stage1_s = 0;
  std::vector<double> work_mib;  // W_i
  std::vector<double> dirty;     // effective max dirty rate (0 for post-copy VMs)
  std::vector<double> key;       // W_i / d_i (+inf when d_i = 0): the initial start order
  std::vector<bool> postcopy;
  const CommaApp* app = nullptr;

  // Eq. 3: members whose (effective) max dirty rates sum to `dirty_sum` may form a group.
  bool Fits(double dirty_sum) const { return headroom * dirty_sum < bandwidth; }
};

inline Model Derive(const CommaApp& app) {
  Model m;
  m.app = &app;
  m.n = static_cast<int>(app.vms.size());
  m.bandwidth = app.bandwidth_mibps;
  m.headroom = app.headroom > 0 ? app.headroom : 1;
  double bulk = 0;
  for (const auto& vm : app.vms) bulk += vm.bulk_mib;
  m.stage1_s = m.bandwidth > 0 ? bulk / m.bandwidth : kInf;
  for (const auto& vm : app.vms) {
    const bool post = !m.Fits(vm.max_dirty_mibps);
    m.postcopy.push_back(post);
    m.dirty.push_back(post ? 0 : vm.max_dirty_mibps);
    m.work_mib.push_back(std::min(vm.max_dirty_mibps * m.stage1_s, vm.dirty_set_bound_mib) +
                         vm.memory_mib);
    m.key.push_back(m.dirty.back() > 0 ? m.work_mib.back() / m.dirty.back() : kInf);
  }
  return m;
}

// The traffic matrix in the forms the searches need: its rows, a flat copy (small apps, for sums
// over bit sets) and each VM's total.
struct Traffic {
  int n = 0;
  const std::vector<std::vector<double>>* rows = nullptr;  // the app's traffic_kbps
  std::vector<double> dense;                               // n * n when n <= kDenseMax
  std::vector<double> degree;                              // traffic between v and all the others

  const double* Row(int v) const { return (*rows)[v].data(); }

  // Traffic between v and the VMs in `set` (dense form only).
  double ToSet(int v, uint32_t set) const {
    const double* row = &dense[static_cast<std::size_t>(v) * static_cast<std::size_t>(n)];
    double sum = 0;
    for (uint32_t b = set; b != 0; b &= b - 1) sum += row[std::countr_zero(b)];
    return sum;
  }
};

inline Traffic MakeTraffic(const CommaApp& app, int n) {
  Traffic t;
  t.n = n;
  t.rows = &app.traffic_kbps;
  t.degree.assign(n, 0);
  if (n <= kDenseMax) t.dense.assign(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), 0);
  for (int i = 0; i < n; ++i) {
    const double* row = t.Row(i);
    double degree = 0;
    for (int j = 0; j < n; ++j) degree += row[j];
    t.degree[i] = degree - row[i];
    if (!t.dense.empty()) {
      std::copy(row, row + n, t.dense.begin() + static_cast<std::ptrdiff_t>(i) * n);
      t.dense[static_cast<std::size_t>(i * n + i)] = 0;
    }
  }
  return t;
}

// Duration of a group run in start order `order` (section 3.4), or +inf when eq. 3 fails.
inline double GroupDuration(const Model& m, const int* order, int k) {
  double prefix_dirty = 0;
  double duration = 0;
  for (int i = 0; i < k; ++i) {
    const int vm = order[i];
    prefix_dirty += m.dirty[vm];
    const double net = m.bandwidth - prefix_dirty;
    if (net <= 0) return kInf;
    duration += m.work_mib[vm] / net;
  }
  return duration;
}

// The initial start order: descending W/d, ties by VM.
inline bool StartsBefore(const Model& m, int a, int b) {
  return m.key[a] > m.key[b] || (m.key[a] == m.key[b] && a < b);
}

// Exchanging neighbours a, b (with capacity C left before them) only changes their own two
// terms: W_a / (C - d_a) + W_b / (C - d_a - d_b) against W_b / (C - d_b) + W_a / (C - d_a - d_b).
// Exchanges neighbours while one shortens the group; returns the duration.
inline double ImproveOrder(const Model& m, int* order, int k) {
  for (bool improved = true; improved;) {
    improved = false;
    double capacity = m.bandwidth;  // left before position i
    for (int i = 0; i + 1 < k; ++i) {
      const int a = order[i];
      const int b = order[i + 1];
      const double after = capacity - m.dirty[a] - m.dirty[b];
      if (after > 0) {
        const double now = m.work_mib[a] / (capacity - m.dirty[a]) + m.work_mib[b] / after;
        const double swapped = m.work_mib[b] / (capacity - m.dirty[b]) + m.work_mib[a] / after;
        if (swapped < now - 1e-12) {
          order[i] = b;
          order[i + 1] = a;
          improved = true;
        }
      }
      capacity -= m.dirty[order[i]];
    }
  }
  return GroupDuration(m, order, k);
}

// A start order of (near) least duration, in place: descending W/d, then neighbour exchanges.
inline double OrderInPlace(const Model& m, int* order, int k) {
  std::sort(order, order + k, [&](int a, int b) { return StartsBefore(m, a, b); });
  return ImproveOrder(m, order, k);
}

inline double BestDuration(const Model& m, const std::vector<int>& members,
                           std::vector<int>* scratch) {
  scratch->assign(members.begin(), members.end());
  return OrderInPlace(m, scratch->data(), static_cast<int>(scratch->size()));
}

inline bool Valid(const Model& m, const int* members, int k) {
  double sum = 0;
  for (int i = 0; i < k; ++i) sum += m.dirty[members[i]];
  return m.Fits(sum);  // eq. 3 (strict: the dirty iteration must make progress)
}

inline std::vector<int> Members(uint32_t set, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    if (set >> i & 1U) out.push_back(i);
  }
  return out;
}

// Lays out groups (each in its start order) one after another from the end of stage 1.
inline CommaSchedule Layout(const Model& m, std::vector<std::vector<int>> groups) {
  CommaSchedule s;
  s.stage1_end_s = m.stage1_s;
  s.vms.resize(m.n);
  double t = m.stage1_s;
  for (auto& group : groups) {
    const double duration = OrderInPlace(m, group.data(), static_cast<int>(group.size()));
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
    if (m.postcopy[i] && m.headroom == 1) {
      s.notes.push_back(absl::StrFormat(
          "%s dirties %.1f MiB/s, more than the %.1f MiB/s available: it cannot converge alone "
          "and moves in post-copy",
          m.app->vms[i].name, m.app->vms[i].max_dirty_mibps, m.bandwidth));
    } else if (m.postcopy[i]) {
      s.notes.push_back(absl::StrFormat(
          "%s dirties %.1f MiB/s, too much for the %.1f MiB/s available with headroom %.2f: it "
          "cannot converge alone and moves in post-copy",
          m.app->vms[i].name, m.app->vms[i].max_dirty_mibps, m.bandwidth, m.headroom));
    }
  }
  if (m.n > 1 && s.groups.size() == static_cast<std::size_t>(m.n)) {
    s.notes.push_back("no two VMs fit together under eq. 3: the app moves one VM at a time");
  }
  return s;
}

}  // namespace convoy::plan::comma::internal
