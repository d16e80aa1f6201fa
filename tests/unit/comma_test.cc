// COMMA (seed 001): the scheduling model, the exact search against brute force, the heuristic
// against the exact optimum, and the paper's worked example.
#include "src/plan/comma.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "absl/strings/str_format.h"

namespace convoy::plan::comma {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

CommaApp App(int n, double bandwidth) {
  CommaApp app;
  app.bandwidth_mibps = bandwidth;
  app.vms.resize(n);
  app.traffic_kbps.assign(n, std::vector<double>(n, 0));
  for (int i = 0; i < n; ++i) app.vms[i].name = absl::StrFormat("vm%d", i + 1);
  return app;
}

void Link(CommaApp* app, int a, int b, double kbps) {
  app->traffic_kbps[a][b] = app->traffic_kbps[b][a] = kbps;
}

// Seed 001 Table 4: image 8 GB, memory 1 GB; web/app dirty set 100 MB at 2 MB/s, database 1 GB
// at 15 MB/s.
void Table4(CommaVm* vm, bool database) {
  vm->bulk_mib = 8192;
  vm->memory_mib = 1024;
  vm->max_dirty_mibps = database ? 15 : 2;
  vm->dirty_set_bound_mib = database ? 1024 : 100;
}

CommaApp RandomApp(std::mt19937* rng, int n) {
  CommaApp app = App(n, 32);                            // 256 Mb/s
  std::uniform_real_distribution<double> rate(0, 800);  // 0-100 KB/s, in kb/s
  for (int i = 0; i < n; ++i) Table4(&app.vms[i], (*rng)() % 4 == 0);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if ((*rng)() % 2 == 0) Link(&app, i, j, rate(*rng));
    }
  }
  return app;
}

void ExpectEquation3(const CommaApp& app, const CommaSchedule& s) {
  std::vector<bool> seen(app.vms.size(), false);
  for (const auto& group : s.groups) {
    double dirty = 0;
    for (int vm : group) {
      EXPECT_FALSE(seen[vm]) << "vm in two groups";
      seen[vm] = true;
      if (!s.vms[vm].postcopy) dirty += app.vms[vm].max_dirty_mibps;
    }
    EXPECT_LT(dirty, app.bandwidth_mibps) << "a group breaks eq. 3";
    for (int vm : group) {  // members finish together
      EXPECT_NEAR(s.vms[vm].finish_s, s.vms[group[0]].finish_s, 1e-6);
      EXPECT_GE(s.vms[vm].stage2_start_s, s.stage1_end_s - 1e-9);
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
}

// Least impact over every ordered partition into valid groups, computed independently:
// impact = sum over groups g after the first of duration(g) * traffic(finished before g, rest).
double BruteForce(const CommaApp& app) {
  const int n = static_cast<int>(app.vms.size());
  double best = kInf;
  std::function<void(uint32_t, double)> go = [&](uint32_t done, double impact) {
    if (done == (1U << n) - 1) {
      best = std::min(best, impact);
      return;
    }
    double cut = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        if ((done >> i & 1U) && !(done >> j & 1U)) cut += app.traffic_kbps[i][j];
      }
    }
    const uint32_t rest = ((1U << n) - 1) & ~done;
    for (uint32_t g = rest; g != 0; g = (g - 1) & rest) {
      std::vector<int> members;
      for (int i = 0; i < n; ++i) {
        if (g >> i & 1U) members.push_back(i);
      }
      const double d = BestGroupDuration(app, members);
      if (d == kInf) continue;
      go(done | g, impact + d * cut / 8.0 / 1000.0);
    }
  };
  go(0, 0);
  return best;
}

TEST(CommaTest, ImpactIsEquationOne) {
  CommaApp app = App(3, 32);
  Link(&app, 0, 1, 800);
  Link(&app, 1, 2, 80);
  std::vector<VmTiming> t(3);
  t[0].finish_s = 100;
  t[1].finish_s = 110;
  t[2].finish_s = 130;
  // 800 kb/s for 10 s = 1 MB; 80 kb/s for 20 s = 0.2 MB; no traffic between 0 and 2.
  EXPECT_NEAR(ImpactMb(app, t), 1.2, 1e-12);
}

TEST(CommaTest, StageOnePacesBulkCopiesToFinishTogether) {
  CommaApp app = App(2, 32);
  app.vms[0].bulk_mib = 8192;
  app.vms[1].bulk_mib = 16384;
  auto s = ScheduleExact(app);
  // Eq. 2: speeds 32/3 and 64/3 MiB/s, both done at 24576 / 32 s.
  EXPECT_DOUBLE_EQ(s.stage1_end_s, 768);
}

TEST(CommaTest, IntraGroupStaggersStartsSoMembersFinishTogether) {
  CommaApp app = App(3, 32);
  for (auto& vm : app.vms) Table4(&vm, false);
  Table4(&app.vms[2], true);
  Link(&app, 0, 1, 100);
  Link(&app, 1, 2, 100);
  auto s = ScheduleExact(app);
  ASSERT_EQ(s.groups.size(), 1u);  // 2 + 2 + 15 < 32: one valid group, impact 0
  EXPECT_DOUBLE_EQ(s.impact_mb, 0);
  ExpectEquation3(app, s);
  std::vector<double> starts;
  for (const auto& vm : s.vms) starts.push_back(vm.stage2_start_s);
  std::sort(starts.begin(), starts.end());
  EXPECT_LT(starts.front(), starts.back()) << "members start their dirty iteration in turn";
  // The group lasts sum_k W_k / (B - sum_{j<=k} d_j) in its start order.
  const std::vector<int>& order = s.groups[0];
  double prefix = 0, duration = 0;
  for (int vm : order) {
    prefix += app.vms[vm].max_dirty_mibps;
    const double work =
        std::min(app.vms[vm].max_dirty_mibps * s.stage1_end_s, app.vms[vm].dirty_set_bound_mib) +
        app.vms[vm].memory_mib;
    duration += work / (32 - prefix);
  }
  EXPECT_NEAR(s.makespan_s - s.stage1_end_s, duration, 1e-6);
}

TEST(CommaTest, Figure4TwoGroupsOfTwo) {
  // Four VMs; any two fit together under eq. 3 but no three do; vm1-vm2 and vm3-vm4 talk the
  // most. The least impact moves {vm1, vm2} and {vm3, vm4} as two groups.
  CommaApp app = App(4, 32);
  for (auto& vm : app.vms) {
    vm.bulk_mib = 4096;
    vm.max_dirty_mibps = 12;
    vm.dirty_set_bound_mib = 200;
  }
  Link(&app, 0, 1, 800);
  Link(&app, 2, 3, 800);
  Link(&app, 1, 2, 10);
  for (auto* schedule : {+[](const CommaApp& a) { return ScheduleExact(a); },
                         +[](const CommaApp& a) { return ScheduleHeuristic(a); }}) {
    auto s = schedule(app);
    ASSERT_EQ(s.groups.size(), 2u);
    auto g0 = s.groups[0], g1 = s.groups[1];
    std::sort(g0.begin(), g0.end());
    std::sort(g1.begin(), g1.end());
    EXPECT_TRUE((g0 == std::vector<int>{0, 1} && g1 == std::vector<int>{2, 3}) ||
                (g0 == std::vector<int>{2, 3} && g1 == std::vector<int>{0, 1}));
    ExpectEquation3(app, s);
    // Only vm2-vm3 crosses groups: impact = duration of the second group * 10 kb/s.
    const double second = s.makespan_s - s.vms[s.groups[0][0]].finish_s;
    EXPECT_NEAR(s.impact_mb, second * 10 / 8.0 / 1000.0, 1e-9);
  }
}

TEST(CommaTest, DegradesToSequentialAndMarksVmsThatCannotConverge) {
  CommaApp app = App(3, 32);
  for (auto& vm : app.vms) {
    vm.bulk_mib = 1024;
    vm.max_dirty_mibps = 20;  // no two fit: 40 > 32
    vm.dirty_set_bound_mib = 100;
  }
  app.vms[2].max_dirty_mibps = 50;  // above the bandwidth: post-copy
  Link(&app, 0, 1, 100);
  Link(&app, 1, 2, 100);
  auto s = ScheduleExact(app);
  EXPECT_TRUE(s.vms[2].postcopy);
  EXPECT_FALSE(s.vms[0].postcopy);
  bool said_postcopy = false, said_sequential = false;
  for (const auto& note : s.notes) {
    said_postcopy |= note.find("post-copy") != std::string::npos;
    said_sequential |= note.find("one VM at a time") != std::string::npos;
  }
  EXPECT_TRUE(said_postcopy);
  // vm3 (post-copy) adds nothing to eq. 3, so it can share a group: not fully sequential.
  EXPECT_FALSE(said_sequential && s.groups.size() < 3);
  ExpectEquation3(app, s);
}

TEST(CommaTest, ExactEqualsBruteForceOnSmallApps) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 2 + trial % 5;
    CommaApp app = RandomApp(&rng, n);
    auto exact = ScheduleExact(app);
    ExpectEquation3(app, exact);
    EXPECT_NEAR(exact.impact_mb, BruteForce(app), 1e-6 * (1 + exact.impact_mb)) << "n=" << n;
    EXPECT_NEAR(exact.impact_mb, ImpactMb(app, exact.vms), 1e-9);
  }
}

TEST(CommaTest, HeuristicIsCloseToTheOptimum) {
  // 200 seeded random apps of 4 to 10 VMs (Table 4 VMs, 256 Mb/s, 0-100 KB/s links).
  std::mt19937 rng(2014);
  std::vector<double> excess;  // heuristic / exact - 1, where exact > 0
  int both_zero = 0;
  for (int trial = 0; trial < 200; ++trial) {
    CommaApp app = RandomApp(&rng, 4 + trial % 7);
    auto exact = ScheduleExact(app);
    auto heuristic = ScheduleHeuristic(app);
    ExpectEquation3(app, heuristic);
    EXPECT_LE(exact.impact_mb, heuristic.impact_mb + 1e-6);
    if (exact.impact_mb < 1e-9) {
      if (heuristic.impact_mb < 1e-9) ++both_zero;
      excess.push_back(heuristic.impact_mb < 1e-9 ? 0 : 1);
    } else {
      excess.push_back(heuristic.impact_mb / exact.impact_mb - 1);
    }
  }
  std::sort(excess.begin(), excess.end());
  const double mean =
      std::accumulate(excess.begin(), excess.end(), 0.0) / static_cast<double>(excess.size());
  std::printf(
      "heuristic impact over exact, 200 apps of 4-10 VMs: mean +%.2f%%, median +%.2f%%, "
      "p90 +%.2f%%, max +%.2f%%; both zero in %d\n",
      100 * mean, 100 * excess[excess.size() / 2], 100 * excess[excess.size() * 9 / 10],
      100 * excess.back(), both_zero);
  EXPECT_LE(mean, 0.05);
}

TEST(CommaTest, BaselinesUnderTheSameModel) {
  std::mt19937 rng(5);
  CommaApp app = RandomApp(&rng, 5);
  auto sequential = ScheduleSequential(app);
  auto exact = ScheduleExact(app);
  EXPECT_GT(sequential.impact_mb, exact.impact_mb);
  // Six databases at 15 MB/s each cannot all run at once on 32 MB/s: parallel never converges.
  CommaApp heavy = App(6, 32);
  for (auto& vm : heavy.vms) Table4(&vm, true);
  Link(&heavy, 0, 1, 100);
  auto parallel = ScheduleParallel(heavy);
  EXPECT_FALSE(parallel.feasible);
  EXPECT_EQ(parallel.impact_mb, kInf);
  EXPECT_TRUE(ScheduleExact(heavy).impact_mb < kInf);
}

}  // namespace
}  // namespace convoy::plan::comma
