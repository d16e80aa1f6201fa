// The planner's choice of staging (SOLive's scatter-gather): only for an urgent request, only
// when the destination takes much less than the source can push into its intermediaries, and
// then with the eviction and the VM's pause both in the plan.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"

namespace convoy::plan {
namespace {

// s1 (1 Gb/s) is evacuated to d1, whose NIC takes a quarter of that; r1 and r2 are s1's
// intermediaries. @URGENCY@, @DEST@ and @VIA@ vary per test.
constexpr char kScenario[] = R"(
hosts:
  - {name: s1, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16, stage_via: [@VIA@]}
  - {name: d1, switch: A, nic_gbps: @DEST@, cpus: 8, memory_gib: 16}
  - {name: r1, switch: A, nic_gbps: 1, cpus: 2, memory_gib: 8}
  - {name: r2, switch: A, nic_gbps: 1, cpus: 2, memory_gib: 8}
vms:
  - {name: v1, host: s1, vcpus: 1, memory_gib: 2, used_mib: 1500, dirty_mibps: 2, wws_mib: 64}
request:
  evacuate: [@EVACUATE@]
  to: [d1]
  urgency_pct: @URGENCY@
)";

struct Planned {
  v1::Plan plan;
  Status status;
};

Planned PlanWith(const std::string& urgency, const std::string& dest_gbps, const std::string& via,
                 const std::string& evacuate = "s1") {
  const std::string yaml = absl::StrReplaceAll(
      kScenario,
      {{"@URGENCY@", urgency}, {"@DEST@", dest_gbps}, {"@VIA@", via}, {"@EVACUATE@", evacuate}});
  auto scenario = model::ParseScenario(yaml);
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  Planned out;
  out.status = model::ValidateScenario(*scenario);
  if (!out.status.ok()) return out;
  auto m = model::ClusterModel::Build(*scenario);
  EXPECT_TRUE(m.ok()) << m.status();
  auto plan = MakePlan(*m, scenario->request());
  EXPECT_TRUE(plan.ok()) << plan.status();
  out.plan = *plan;
  return out;
}

TEST(StagingPlanTest, UrgentEvictionToASlowDestinationIsStaged) {
  const auto direct = PlanWith("95", "0.25", "").plan;
  const auto staged = PlanWith("95", "0.25", "r1, r2").plan;
  ASSERT_TRUE(staged.feasible());
  ASSERT_EQ(staged.migrations_size(), 1);
  const auto& m = staged.migrations(0);
  ASSERT_EQ(m.stage_via_size(), 2);
  EXPECT_EQ(m.stage_via(0), "r1");
  // Evicted at about the source's rate, ended at about the destination's.
  const auto& d = direct.migrations(0);
  EXPECT_LT(m.eviction_s() - m.start_s(), 0.4 * (d.end_s() - d.start_s()));
  EXPECT_GT(m.end_s(), m.eviction_s());
  EXPECT_NEAR(staged.eviction_s().at("s1"), m.eviction_s(), 1e-9);
  EXPECT_LT(staged.eviction_s().at("s1"), direct.eviction_s().at("s1"));
  // The price: the VM waits for the destination.
  EXPECT_GT(m.downtime_ms(), 1000 * (m.end_s() - m.eviction_s()) * 0.9);
  EXPECT_GT(m.downtime_ms(), 10 * d.downtime_ms());
  EXPECT_NE(m.note().find("staged through r1, r2"), std::string::npos) << m.note();
  EXPECT_NE(m.note().find("pauses"), std::string::npos) << m.note();
}

TEST(StagingPlanTest, NotWithoutUrgency) {
  const auto plan = PlanWith("75", "0.25", "r1, r2").plan;
  ASSERT_EQ(plan.migrations_size(), 1);
  EXPECT_EQ(plan.migrations(0).stage_via_size(), 0);
  EXPECT_EQ(plan.migrations(0).eviction_s(), 0);
}

TEST(StagingPlanTest, NotWhenTheDestinationKeepsUp) {
  // At 0.8 Gb/s the destination takes 80% of what the source sends: staging would not pay.
  const auto plan = PlanWith("95", "0.8", "r1, r2").plan;
  EXPECT_EQ(plan.migrations(0).stage_via_size(), 0);
}

TEST(StagingPlanTest, NotThroughAHostThatIsBeingEvacuatedToo) {
  const auto plan = PlanWith("95", "0.25", "r1", "s1, r1").plan;
  EXPECT_EQ(plan.migrations(0).stage_via_size(), 0);
}

TEST(StagingPlanTest, OneSlowIntermediaryIsNotEnough) {
  // r1 alone at 0.3 Gb/s takes hardly more than the destination: no staging.
  auto yaml = PlanWith("95", "0.25", "r1");
  EXPECT_EQ(yaml.plan.migrations(0).stage_via_size(), 1) << "r1 at 1 Gb/s suffices";
  const std::string slow = absl::StrReplaceAll(
      kScenario, {{"@URGENCY@", "95"},
                  {"@DEST@", "0.25"},
                  {"@VIA@", "r1"},
                  {"@EVACUATE@", "s1"},
                  {"{name: r1, switch: A, nic_gbps: 1", "{name: r1, switch: A, nic_gbps: 0.3"}});
  auto scenario = model::ParseScenario(slow);
  ASSERT_TRUE(scenario.ok());
  auto m = model::ClusterModel::Build(*scenario);
  ASSERT_TRUE(m.ok());
  auto plan = MakePlan(*m, scenario->request());
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->migrations(0).stage_via_size(), 0);
}

TEST(StagingPlanTest, UnknownIntermediaryIsAnError) {
  const auto planned = PlanWith("95", "0.25", "r9");
  EXPECT_EQ(planned.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(planned.status.message().find("hosts[0].stage_via[0]: unknown host 'r9'"),
            std::string::npos)
      << planned.status;
  const auto self = PlanWith("95", "0.25", "s1");
  EXPECT_NE(self.status.message().find("cannot stage through itself"), std::string::npos);
}

}  // namespace
}  // namespace convoy::plan
