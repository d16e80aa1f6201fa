// COMMA (seed 001): coordinating the migration of a multi-tier application so that the VMs
// that talk to each other finish close together, minimising the communication impact
//   impact = sum_{i<j} |t_i - t_j| * TM[i,j]                                   (eq. 1)
// Pure and self-contained: an application and a bandwidth in, a schedule out.
//
// The model (COMMA's own, after Pacer):
//  - Stage 1 copies every VM's bulk (its disk image, or its memory when it has no local disk) in
//    parallel, each at a speed proportional to its size (eq. 2), so all finish at
//    T1 = total bulk / bandwidth.
//  - Stage 2 moves what was dirtied meanwhile, W_i = min(max_dirty_i * T1, dirty_set_bound_i)
//    (plus the memory, for a VM whose bulk was its disk), in a "dirty iteration" that makes net
//    progress at (speed - max_dirty_i); a VM that cannot outrun its dirty rate alone goes
//    post-copy (no dirtying: W_i / speed) and is marked so.
//  - Valid groups (eq. 3): the members' maximal dirty rates sum to less than the bandwidth.
//  - Intra-group (section 3.4): members finish together; they start in turn, and while the
//    later ones have not started the bandwidth they will need goes to the earlier ones. With
//    start order 1..k, member k's share of the group's time is W_k / (B - sum_{j<=k} d_j), and
//    the group lasts the sum of those. The start order is chosen to make that sum least.
//  - Inter-group: groups run one after another; since a pair in different groups is apart by
//    the durations of the groups between them, impact = sum over groups g after the first of
//    duration(g) * traffic between the VMs finished before g and the rest.
#pragma once

#include <string>
#include <vector>

namespace convoy::plan::comma {

struct CommaVm {
  std::string name;
  double bulk_mib = 0;             // stage 1: disk image, or memory when there is no local disk
  double memory_mib = 0;           // moved in stage 2 when the bulk was the disk (else 0)
  double max_dirty_mibps = 0;      // disk and memory together
  double dirty_set_bound_mib = 0;  // the most stage 1 can leave dirty (writable working set)
};

struct CommaApp {
  std::vector<CommaVm> vms;
  // traffic_kbps[i][j] = traffic_kbps[j][i]: kb/s between VMs i and j (both directions).
  std::vector<std::vector<double>> traffic_kbps;
  double bandwidth_mibps = 0;  // available to the app's migrations together
  // Eq. 3 with headroom: a group is valid while headroom * (sum of max dirty rates) is below
  // the bandwidth, and a VM goes post-copy when headroom * its max dirty rate reaches it. 1 is
  // the paper's eq. 3; the planner uses its convergence margin, so that no group crawls along
  // with almost nothing left over its dirty rates.
  double headroom = 1;
};

struct VmTiming {
  double stage2_start_s = 0;  // start of its dirty iteration (or post-copy)
  double finish_s = 0;
  bool postcopy = false;  // cannot converge alone: post-copy (or throttling)
};

struct CommaSchedule {
  bool feasible = true;  // false: no schedule converges (parallel baseline only)
  double stage1_end_s = 0;
  std::vector<std::vector<int>> groups;  // in migration order, members in start order
  std::vector<VmTiming> vms;
  double impact_mb = 0;
  double makespan_s = 0;
  std::vector<std::string> notes;  // fallbacks taken (sequential, post-copy), for the plan
};

// Exact: the grouping and order of least impact (ties: the shorter schedule), by dynamic
// programming over subsets, O(3^n). Meant for n <= 16; larger apps take ScheduleHeuristic.
CommaSchedule ScheduleExact(const CommaApp& app);

// The paper's heuristic (section 3.3.2): pairs by descending traffic grow groups under eq. 3;
// the groups are then ordered exactly by dynamic programming over groups when there are at most
// 16, and greedily (least impact added next) beyond. O(n^2 log n) to form the groups.
CommaSchedule ScheduleHeuristic(const CommaApp& app);

// Baselines under the same model: one VM after another, each with the whole bandwidth; and all
// at once, each with an equal share from start to end (infeasible, impact infinite, when a
// share does not outrun its VM's dirty rate: the INF of Table 5).
CommaSchedule ScheduleSequential(const CommaApp& app);
CommaSchedule ScheduleParallel(const CommaApp& app);

// How long `members` take as one group in their best start order; +infinity when they break
// eq. 3. (Exposed for tests and for checking plans.)
double BestGroupDuration(const CommaApp& app, const std::vector<int>& members);

// Eq. 1 over finish times.
double ImpactMb(const CommaApp& app, const std::vector<VmTiming>& vms);

}  // namespace convoy::plan::comma
