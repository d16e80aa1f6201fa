// What the guest module's figures (working set, free memory) change in plans: the transfer size
// and the recovery of enlightened post-copy, and when `auto` chooses it.
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/proto_yaml.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"
#include "tests/unit/plan_checks.h"

namespace convoy::plan {
namespace {

// One 1 Gb/s source, one destination; the VM's guest figures and the request are filled in.
constexpr char kTemplate[] = R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: vm, host: s, vcpus: 2, memory_gib: 4, used_mib: 3000, dirty_mibps: 2, wws_mib: 100 GUEST}
request: {evacuate: [s], power_off: false, mode: MODE, urgency_pct: URGENCY}
)";

v1::Migration PlanOne(const std::string& guest, const std::string& mode,
                      const std::string& urgency) {
  const std::string yaml =
      absl::StrReplaceAll(kTemplate, {{"GUEST", guest}, {"MODE", mode}, {"URGENCY", urgency}});
  auto scenario = model::ParseScenario(yaml);
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  Status valid = model::ValidateScenario(*scenario);
  EXPECT_TRUE(valid.ok()) << valid;
  auto m = model::ClusterModel::Build(*scenario);
  EXPECT_TRUE(m.ok()) << m.status();
  auto plan = MakePlanWithStrategy(*m, scenario->request(), "convoy");
  EXPECT_TRUE(plan.ok()) << plan.status();
  auto problems = testing::CheckPlan(*m, scenario->request(), *plan);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  return plan->migrations(0);
}

constexpr char kSmallWorkingSet[] = ", working_set_mib: 600, free_mib: 1000";

TEST(EnlightPlanTest, TheGuestsFiguresShapeEnlightenedPostCopy) {
  const v1::Migration plain = PlanOne("", "post-copy", "75");
  const v1::Migration enlightened = PlanOne(kSmallWorkingSet, "enlightened", "75");
  EXPECT_EQ(enlightened.mode(), "enlightened");
  // Free memory is not sent: 3000 - 1000 MiB against post-copy's 3000.
  EXPECT_NEAR(enlightened.sent_mib(), 2000, 1e-6);
  EXPECT_NEAR(plain.sent_mib(), 3000, 1e-6);
  EXPECT_LT(enlightened.end_s() - enlightened.start_s(), plain.end_s() - plain.start_s());
  // Back at full speed once the 600 MiB working set is there, long before the end.
  EXPECT_NEAR(enlightened.recovery_s() / plain.recovery_s(), 600.0 / 3000, 0.01);
  EXPECT_LT(enlightened.execution_transfer_s(), 1.0);
  EXPECT_NE(enlightened.note().find("working set (600 of 3000 MiB used) arrives first"),
            std::string::npos)
      << enlightened.note();
  EXPECT_NE(enlightened.note().find("1000 MiB free not sent"), std::string::npos);
}

TEST(EnlightPlanTest, WithoutTheModuleEnlightenedIsPlannedAsPostCopy) {
  const v1::Migration m = PlanOne("", "enlightened", "75");
  EXPECT_EQ(m.mode(), "enlightened");
  EXPECT_NEAR(m.sent_mib(), 3000, 1e-6);
  EXPECT_DOUBLE_EQ(m.recovery_s(), m.end_s() - m.start_s());
  EXPECT_NE(m.note().find("no page priorities known"), std::string::npos) << m.note();
}

TEST(EnlightPlanTest, AutoChoosesEnlightenedForUrgentVmsWithASmallWorkingSet) {
  const v1::Migration urgent = PlanOne(kSmallWorkingSet, "auto", "95");
  EXPECT_EQ(urgent.mode(), "enlightened") << urgent.note();
  EXPECT_NE(urgent.note().find("urgency 95% and a working set of 20% of used memory"),
            std::string::npos)
      << urgent.note();
  // Not urgent enough: the usual choice (this VM converges in pre-copy).
  EXPECT_EQ(PlanOne(kSmallWorkingSet, "auto", "75").mode(), "pre-copy");
  // Urgent, but most of its memory is working set: nothing to gain from priorities.
  EXPECT_NE(PlanOne(", working_set_mib: 2500, free_mib: 100", "auto", "95").mode(), "enlightened");
  // Urgent, no module.
  EXPECT_NE(PlanOne("", "auto", "95").mode(), "enlightened");
}

TEST(EnlightPlanTest, GuestFiguresAreValidated) {
  for (const char* bad : {", free_mib: 5000", ", working_set_mib: -1"}) {
    const std::string yaml =
        absl::StrReplaceAll(kTemplate, {{"GUEST", bad}, {"MODE", "auto"}, {"URGENCY", "75"}});
    auto scenario = model::ParseScenario(yaml);
    ASSERT_TRUE(scenario.ok()) << scenario.status();
    Status valid = model::ValidateScenario(*scenario);
    EXPECT_FALSE(valid.ok()) << bad;
    EXPECT_NE(valid.message().find("vms[0]."), std::string::npos) << valid.message();
  }
}

}  // namespace
}  // namespace convoy::plan
