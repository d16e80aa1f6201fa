// The seed 000 scenarios in examples/: every strategy's plan is sound, and convoy's plan ends
// no later than the sequential one while its migrations last no longer than the parallel ones
// (the two failures of the naive plans that seed 000 measured).
#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/plan/planner.h"
#include "tests/unit/plan_checks.h"

namespace convoy {
namespace {

class ExamplesTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ExamplesTest, ConvoyBeatsBothBaselinesAndIsSound) {
  const std::string path = std::string(CONVOY_EXAMPLES_DIR) + "/" + GetParam();
  auto scenario = model::LoadScenarioFile(path);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto m = model::ClusterModel::Build(*scenario);
  ASSERT_TRUE(m.ok()) << m.status();
  auto convoy = plan::MakePlanWithStrategy(*m, scenario->request(), "convoy");
  auto sequential = plan::MakePlanWithStrategy(*m, scenario->request(), "sequential");
  auto parallel = plan::MakePlanWithStrategy(*m, scenario->request(), "parallel");
  ASSERT_TRUE(convoy.ok() && sequential.ok() && parallel.ok());
  EXPECT_TRUE(convoy->feasible()) << absl::StrJoin(convoy->reasons(), "\n");
  auto problems = testing::CheckPlan(*m, scenario->request(), *convoy);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  EXPECT_LE(convoy->makespan_s(), sequential->makespan_s() + 1e-6);
  EXPECT_LE(convoy->mean_migration_s(), parallel->mean_migration_s() + 1e-6);
  EXPECT_EQ(convoy->migrations_size(), scenario->vms_size());
}

INSTANTIATE_TEST_SUITE_P(Seed000, ExamplesTest,
                         ::testing::Values("blade-center-maintenance.yaml", "server-upgrade.yaml",
                                           "interlink-6.yaml", "workload-3.yaml"));

// The minimal example moves a three-tier app: COMMA trades some migration time for VMs that
// finish together, so its plan must be sound and cut the communication impact.
TEST(ExamplesTest, MinimalAppFinishesCloserTogether) {
  auto scenario = model::LoadScenarioFile(std::string(CONVOY_EXAMPLES_DIR) + "/minimal.yaml");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto m = model::ClusterModel::Build(*scenario);
  ASSERT_TRUE(m.ok());
  auto convoy = plan::MakePlanWithStrategy(*m, scenario->request(), "convoy");
  auto sequential = plan::MakePlanWithStrategy(*m, scenario->request(), "sequential");
  ASSERT_TRUE(convoy.ok() && sequential.ok());
  EXPECT_TRUE(convoy->feasible()) << absl::StrJoin(convoy->reasons(), "\n");
  auto problems = testing::CheckPlan(*m, scenario->request(), *convoy);
  EXPECT_TRUE(problems.empty()) << absl::StrJoin(problems, "\n");
  EXPECT_LT(convoy->impact_mb(), sequential->impact_mb());
}

}  // namespace
}  // namespace convoy
