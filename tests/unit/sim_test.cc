// The simulator on scenarios whose outcome is known in closed form. Links carry exactly 128 MiB/s
// (goodput 1, k128MibpsInGbps NICs) and nothing varies, so every figure is arithmetic written in
// the comments; SimGrid's solver is exact to far better than the 1e-4 allowed.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "convoy/common/units.h"
#include "convoy/predict/predictor.h"
#include "convoy/sim/simulator.h"
#include "google/protobuf/util/message_differencer.h"
#include "sim_fixtures.h"

namespace convoy::sim {
namespace {

using testing::Exact;
using testing::Migration;
using testing::Model;
using testing::Power;
using testing::RelNear;
using testing::SimulateOrDie;
using testing::Traced;

constexpr double kRel = 1e-4;

// Two hosts on one switch; `vms` are YAML lines of VMs on host a.
model::ClusterModel TwoHosts(const std::string& vms) {
  return Model(absl::StrReplaceAll(R"(
hosts:
  - {name: a, switch: s, nic_gbps: G, cpus: 8, memory_gib: 64, power: {idle_w: 100, max_w: 200}}
  - {name: b, switch: s, nic_gbps: G, cpus: 8, memory_gib: 64, power: {idle_w: 100, max_w: 200}}
vms:
)" + vms,
                                   {{"G", absl::StrCat(testing::k128MibpsInGbps)}}));
}

StrategyRun OneRun(std::vector<v1::Migration> migrations, DispatchPolicy policy = {}) {
  sim::StrategyRun run;
  run.strategy = "test";
  for (auto& m : migrations) *run.plan.add_migrations() = std::move(m);
  run.policy = std::move(policy);
  return run;
}

TEST(SimulatorTest, OneMigrationOnAnIdleLinkTakesNOverBPlusTheStop) {
  // N = 1024 MiB at B = 128 MiB/s: 8 s, nothing dirtied, then the stop sends nothing and the
  // switch-over takes 20 ms: 8.02 s, 2 rounds (the copy and the stop), 20 ms of downtime.
  auto model = TwoHosts("  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024}\n");
  auto report = SimulateOrDie(model, {OneRun({Migration("v", "a", "b")})}, Exact());
  const auto& r = report.results(0);
  EXPECT_TRUE(RelNear(8.02, r.completion_s(), kRel));
  const v1::Migration* m = Traced(r, "v");
  EXPECT_TRUE(RelNear(8.02, m->end_s() - m->start_s(), kRel));
  EXPECT_TRUE(RelNear(20.0, m->downtime_ms(), kRel));
  EXPECT_EQ(m->rounds(), 2u);
  EXPECT_TRUE(m->converges());
  EXPECT_TRUE(RelNear(1024.0, m->sent_mib(), kRel));
  EXPECT_TRUE(r.failed().empty());
}

TEST(SimulatorTest, PreCopyRoundsShrinkByTheDirtyRateOverTheBandwidth) {
  // S = 32 MiB/s, B = 128 MiB/s, N = 1024 MiB, downtime 300 ms (stop below 38.4 MiB):
  // rounds of 1024, 256, 64 MiB (8 + 2 + 0.5 s), then 16 MiB left: the stop sends it in
  // 0.125 s + 20 ms. Total 10.645 s, 4 rounds, 145 ms of downtime: the predictor's figures.
  auto model = TwoHosts(
      "  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, dirty_mibps: 32}\n");
  auto report = SimulateOrDie(model, {OneRun({Migration("v", "a", "b")})}, Exact());
  const v1::Migration* m = Traced(report.results(0), "v");
  EXPECT_TRUE(RelNear(10.645, m->end_s() - m->start_s(), kRel));
  EXPECT_EQ(m->rounds(), 4u);
  EXPECT_TRUE(RelNear(145.0, m->downtime_ms(), kRel));
  predict::MigrationProfile p;
  p.used_mib = 1024;
  p.dirty_mibps = 32;
  p.wws_mib = 1024;
  const auto predicted = predict::PredictPreCopy(p, 128, Exact().predictor);
  EXPECT_TRUE(RelNear(predicted.total_s, m->end_s() - m->start_s(), kRel));
  EXPECT_EQ(predicted.rounds, m->rounds());
  EXPECT_TRUE(RelNear(0.0, report.results(0).prediction_mape(), 1.0));  // plan said 1 s: far
}

TEST(SimulatorTest, TwoEqualFlowsOnOneLinkTakeTwiceAsLong) {
  // Both share a's NIC: 64 MiB/s each, 1024 MiB in 16 s, then the switch-over.
  auto model = TwoHosts(
      "  - {name: v1, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024}\n"
      "  - {name: v2, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024}\n");
  auto report = SimulateOrDie(model,
                              {OneRun({Migration("v1", "a", "b"), Migration("v2", "a", "b")}),
                               OneRun({Migration("v1", "a", "b")})},
                              Exact());
  const auto& both = report.results(0);
  const auto& alone = report.results(1);
  for (const char* vm : {"v1", "v2"}) {
    const v1::Migration* m = Traced(both, vm);
    EXPECT_TRUE(RelNear(16.02, m->end_s() - m->start_s(), kRel)) << vm;
  }
  EXPECT_EQ(both.peak_parallel_migrations(), 2u);
  // The second run, side by side in the same engine, is untouched by the first.
  EXPECT_TRUE(RelNear(8.02, alone.completion_s(), kRel));
}

TEST(SimulatorTest, ASpeedLimitHoldsAMigrationToItsPlannedBandwidth) {
  // Planned at 64 MiB/s and capped there, as the controller sets QEMU's speed: 16.02 s on an
  // idle 128 MiB/s link. Uncapped, the same plan takes 8.02 s.
  auto model = TwoHosts("  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024}\n");
  DispatchPolicy capped;
  capped.cap_at_planned = true;
  const double mbps = MibpsToMbps(64);
  auto report = SimulateOrDie(model,
                              {OneRun({Migration("v", "a", "b", "pre-copy", 0, 16, mbps)}, capped),
                               OneRun({Migration("v", "a", "b", "pre-copy", 0, 16, mbps)})},
                              Exact());
  EXPECT_TRUE(RelNear(16.02, report.results(0).completion_s(), kRel));
  EXPECT_TRUE(RelNear(8.02, report.results(1).completion_s(), kRel));
  EXPECT_TRUE(RelNear(MibpsToMbps(64), Traced(report.results(0), "v")->bandwidth_mbps(), 1e-2));
}

TEST(SimulatorTest, TheVmsOwnTrafficTakesItsShareOfTheNic) {
  // v moves while w1..w3 stay on a sending 40 MiB/s each (120 MiB/s in all). TCP gives the 3
  // connections 3 shares and the migration 1: 32 MiB/s for the migration, 96 for the traffic
  // (under its 120): 1024 / 32 = 32 s + 20 ms. With one VM sending 32 MiB/s, the migration gets
  // the other 96: 1024 / 96 + 0.02 s.
  const std::string out = absl::StrCat(MibpsToMbps(40));
  auto model = TwoHosts(
      absl::StrCat("  - {name: v, host: a, vcpus: 1, memory_gib: 4, used_mib: 1024}\n",
                   "  - {name: w1, host: a, vcpus: 1, memory_gib: 1, net_out_mbps: ", out, "}\n",
                   "  - {name: w2, host: a, vcpus: 1, memory_gib: 1, net_out_mbps: ", out, "}\n",
                   "  - {name: w3, host: a, vcpus: 1, memory_gib: 1, net_out_mbps: ", out, "}\n"));
  auto report = SimulateOrDie(model, {OneRun({Migration("v", "a", "b")})}, Exact());
  EXPECT_TRUE(RelNear(32.02, report.results(0).completion_s(), kRel));

  auto one = TwoHosts(absl::StrCat(
      "  - {name: v, host: a, vcpus: 1, memory_gib: 4, used_mib: 1024}\n",
      "  - {name: w, host: a, vcpus: 1, memory_gib: 1, net_out_mbps: ", MibpsToMbps(32), "}\n"));
  auto single = SimulateOrDie(one, {OneRun({Migration("v", "a", "b")})}, Exact());
  EXPECT_TRUE(RelNear(1024.0 / 96 + 0.02, single.results(0).completion_s(), kRel));
}

TEST(SimulatorTest, PostCopyRunsOnTheDestinationAtOnceAndSendsMemoryAfter) {
  // Whatever the dirty rate: the switch-over (20 ms), then 1024 MiB at 128 MiB/s.
  auto model = TwoHosts(
      "  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, dirty_mibps: 500}\n");
  auto report = SimulateOrDie(model, {OneRun({Migration("v", "a", "b", "post-copy")})}, Exact());
  const v1::Migration* m = Traced(report.results(0), "v");
  EXPECT_TRUE(RelNear(8.02, m->end_s() - m->start_s(), kRel));
  EXPECT_TRUE(RelNear(20.0, m->downtime_ms(), kRel));
  EXPECT_TRUE(RelNear(0.02, m->execution_transfer_s(), kRel));
  EXPECT_TRUE(m->converges());
}

TEST(SimulatorTest, StopAndCopyPausesTheVmForTheWholeTransfer) {
  auto model = TwoHosts("  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024}\n");
  auto report =
      SimulateOrDie(model, {OneRun({Migration("v", "a", "b", "stop-and-copy")})}, Exact());
  const v1::Migration* m = Traced(report.results(0), "v");
  EXPECT_TRUE(RelNear(8020.0, m->downtime_ms(), kRel));
}

TEST(SimulatorTest, StoragePreCopySendsTheDiskFirst) {
  // 2048 MiB of disk that nobody writes, then 1024 MiB of memory: 16 + 8 + 0.02 s.
  auto model =
      TwoHosts("  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, disk_gib: 2}\n");
  auto report = SimulateOrDie(model, {OneRun({Migration("v", "a", "b")})}, Exact());
  EXPECT_TRUE(RelNear(24.02, report.results(0).completion_s(), kRel));
}

TEST(SimulatorTest, APreCopyThatCannotCatchUpHitsTheRoundCapAndIsReported) {
  // S = 256 MiB/s > B with a 512 MiB working set: round 1 of 8 s, then 29 rounds of the whole
  // WWS at 4 s each (116 s), then 512 MiB sent with the VM stopped (4 s + 20 ms): 128.02 s.
  auto model = TwoHosts(
      "  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, dirty_mibps: 256, "
      "wws_mib: 512}\n");
  sim::StrategyRun run = OneRun({Migration("v", "a", "b")});
  (*run.plan.mutable_eviction_s())["a"] = 0;  // a is evacuated
  auto report = SimulateOrDie(model, {run}, Exact());
  const auto& r = report.results(0);
  const v1::Migration* m = Traced(r, "v");
  EXPECT_TRUE(RelNear(128.02, m->end_s() - m->start_s(), kRel));
  EXPECT_TRUE(RelNear(4020.0, m->downtime_ms(), kRel));
  EXPECT_FALSE(m->converges());
  ASSERT_EQ(r.failed_size(), 1);
  EXPECT_EQ(r.failed(0), "v");
  EXPECT_NE(r.failure_reasons().at("v").find("did not converge"), std::string::npos);
  // It still moved: a is empty when the stop ends.
  EXPECT_TRUE(RelNear(128.02, r.eviction_s().at("a"), kRel));
}

TEST(SimulatorTest, ATimedOutPreCopyIsAbortedAndItsHostIsNotShutDown) {
  auto model = TwoHosts(
      "  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, dirty_mibps: 256, "
      "wws_mib: 512}\n");
  sim::StrategyRun run = OneRun({Migration("v", "a", "b")});
  *run.plan.add_power() = Power("a", "shutdown", 130, 160);
  (*run.plan.mutable_eviction_s())["a"] = 130;
  SimOptions options = Exact();
  options.migration_timeout_s = 20;
  auto report = SimulateOrDie(model, {run}, options);
  const auto& r = report.results(0);
  EXPECT_TRUE(RelNear(20.0, r.completion_s(), kRel));
  ASSERT_EQ(r.failed_size(), 1);
  EXPECT_NE(r.failure_reasons().at("v").find("aborted"), std::string::npos);
  EXPECT_EQ(r.eviction_s().count("a"), 0u);  // v never left
  EXPECT_EQ(r.trace().power_size(), 0);      // the shutdown waited on it: skipped
  EXPECT_FALSE(r.trace().feasible());
}

TEST(SimulatorTest, EnergyAndPeakPowerComeFromTheEnergyPlugin) {
  // a is on with a VM using 4 of its 8 vCPUs: 100 + 0.5 x (200 - 100) = 150 W. b boots in
  // 10 s drawing boot_w = 150 W. Over the 10 s: 3000 J; the peak is 300 W.
  auto model = Model(R"(
hosts:
  - {name: a, switch: s, nic_gbps: 1, cpus: 8, memory_gib: 64, power: {idle_w: 100, max_w: 200}}
  - {name: b, switch: s, nic_gbps: 1, cpus: 8, memory_gib: 64, boot_s: 10, online: false,
     power: {idle_w: 100, max_w: 200, boot_w: 150}}
vms:
  - {name: v, host: a, vcpus: 4, memory_gib: 4}
)");
  sim::StrategyRun run;
  run.strategy = "boot";
  *run.plan.add_power() = Power("b", "boot", 0, 10);
  auto report = SimulateOrDie(model, {run}, Exact());
  const auto& r = report.results(0);
  EXPECT_TRUE(RelNear(10.0, r.completion_s(), kRel));
  EXPECT_TRUE(RelNear(3000.0 / 3.6e6, r.energy_kwh(), 1e-3));
  EXPECT_TRUE(RelNear(0.300, r.peak_power_kw(), 1e-3));
  ASSERT_EQ(r.trace().power_size(), 1);
  EXPECT_EQ(r.trace().peak_online_hosts(), 2u);
}

TEST(SimulatorTest, AFlowIsHashedOntoOneMemberOfALinkAggregate) {
  // Two flows cross a 2 x 128 MiB/s aggregate. Member = (hash(src) XOR hash(dst)) mod 2:
  // a1(0)->b1(2) is member 0; a2(1)->b2(3) is member 0 too (1 XOR 3 = 2): they share it and
  // take 16.02 s. With b2's hash at 2, a2->b2 is member 1 (1 XOR 2 = 3): 8.02 s each.
  const std::string g = absl::StrCat(testing::k128MibpsInGbps);
  auto scenario = [&](int b2_hash) {
    return Model(absl::StrReplaceAll(R"(
hosts:
  - {name: a1, switch: sa, nic_gbps: G, cpus: 8, memory_gib: 64, hash_id: 0}
  - {name: a2, switch: sa, nic_gbps: G, cpus: 8, memory_gib: 64, hash_id: 1}
  - {name: b1, switch: sb, nic_gbps: G, cpus: 8, memory_gib: 64, hash_id: 2}
  - {name: b2, switch: sb, nic_gbps: G, cpus: 8, memory_gib: 64, hash_id: H}
links:
  - {a: sa, b: sb, gbps: G2, members: 2}
vms:
  - {name: v1, host: a1, vcpus: 2, memory_gib: 4, used_mib: 1024}
  - {name: v2, host: a2, vcpus: 2, memory_gib: 4, used_mib: 1024}
)",
                                     {{"G2", absl::StrCat(2 * testing::k128MibpsInGbps)},
                                      {"G", g},
                                      {"H", absl::StrCat(b2_hash)}}));
  };
  const sim::StrategyRun run = OneRun({Migration("v1", "a1", "b1"), Migration("v2", "a2", "b2")});
  auto same = SimulateOrDie(scenario(3), {run}, Exact());
  auto apart = SimulateOrDie(scenario(2), {run}, Exact());
  EXPECT_TRUE(RelNear(16.02, same.results(0).completion_s(), kRel));
  EXPECT_TRUE(RelNear(8.02, apart.results(0).completion_s(), kRel));
}

TEST(SimulatorTest, TheSameSeedGivesTheSameReportAndAnotherSeedAnotherOne) {
  auto model = TwoHosts(
      "  - {name: v1, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, dirty_mibps: 40, "
      "wws_mib: 1024}\n"
      "  - {name: v2, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024, dirty_mibps: 20}\n");
  const sim::StrategyRun run = OneRun({Migration("v1", "a", "b"), Migration("v2", "a", "b")});
  SimOptions options = Exact();
  options.variation_pct = 20;
  options.seed = 7;
  auto first = SimulateOrDie(model, {run}, options);
  auto again = SimulateOrDie(model, {run}, options);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first, again));
  options.seed = 8;
  auto other = SimulateOrDie(model, {run}, options);
  EXPECT_NE(first.results(0).completion_s(), other.results(0).completion_s());
}

TEST(SimulatorTest, BadInputIsRefusedWithTheReason) {
  auto model = TwoHosts("  - {name: v, host: a, vcpus: 2, memory_gib: 4, used_mib: 1024}\n");
  auto unknown = Simulate(model, {OneRun({Migration("nope", "a", "b")})}, Exact());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
  auto elsewhere = Simulate(model, {OneRun({Migration("v", "b", "a")})}, Exact());
  EXPECT_NE(elsewhere.status().message().find("runs on a, not on b"), std::string::npos);
  auto mode = Simulate(model, {OneRun({Migration("v", "a", "b", "teleport")})}, Exact());
  EXPECT_NE(mode.status().message().find("unknown mode 'teleport'"), std::string::npos);
  SimOptions bad = Exact();
  bad.variation_pct = 100;
  EXPECT_EQ(Simulate(model, {}, bad).status().code(), absl::StatusCode::kInvalidArgument);

  auto apart = Model(R"(
hosts:
  - {name: a, switch: s1, nic_gbps: 1, cpus: 8, memory_gib: 64}
  - {name: b, switch: s2, nic_gbps: 1, cpus: 8, memory_gib: 64}
vms:
  - {name: v, host: a, vcpus: 2, memory_gib: 4}
)");
  auto no_path = Simulate(apart, {OneRun({Migration("v", "a", "b")})}, Exact());
  EXPECT_EQ(no_path.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(no_path.status().message().find("no network path from a to b"), std::string::npos);
}

}  // namespace
}  // namespace convoy::sim
