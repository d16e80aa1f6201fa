// The seed 000 scenarios in examples/: every strategy's plan is sound, and convoy's plan ends
// no later than the sequential one while its migrations last no longer than the parallel ones
// (the two failures of the naive plans that seed 000 measured).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

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

namespace convoy {
namespace {

StatusOr<v1::Plan> PlanFile(const std::string& name, const std::string& strategy,
                            model::ClusterModel* model_out, v1::Scenario* scenario_out) {
  auto scenario = model::LoadScenarioFile(std::string(CONVOY_EXAMPLES_DIR) + "/" + name);
  if (!scenario.ok()) return scenario.status();
  auto m = model::ClusterModel::Build(*scenario);
  if (!m.ok()) return m.status();
  auto plan = plan::MakePlanWithStrategy(*m, scenario->request(), strategy);
  *model_out = *std::move(m);
  *scenario_out = *std::move(scenario);
  return plan;
}

// Seed 001's scenarios: COMMA's plans are sound, its exact search is at least as good as its
// heuristic, and both cut the impact of moving the VMs one after another.
class CommaExamplesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CommaExamplesTest, CommaCutsTheImpactAndStaysSound) {
  std::map<std::string, v1::Plan> plans;
  for (const char* strategy : {"sequential", "comma-exact", "comma-heuristic", "convoy"}) {
    model::ClusterModel m;
    v1::Scenario s;
    auto plan = PlanFile(GetParam(), strategy, &m, &s);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_TRUE(plan->feasible()) << strategy << ": " << absl::StrJoin(plan->reasons(), "\n");
    auto problems = testing::CheckPlan(m, s.request(), *plan);
    EXPECT_TRUE(problems.empty()) << strategy << ":\n" << absl::StrJoin(problems, "\n");
    plans[strategy] = *std::move(plan);
  }
  EXPECT_LE(plans["comma-exact"].impact_mb(), plans["comma-heuristic"].impact_mb() + 1e-6);
  EXPECT_LT(plans["comma-exact"].impact_mb(), plans["sequential"].impact_mb());
  EXPECT_LE(plans["convoy"].impact_mb(), plans["comma-heuristic"].impact_mb() + 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Seed001, CommaExamplesTest,
                         ::testing::Values("comma-rubis-3vm.yaml", "comma-specweb.yaml",
                                           "comma-table2-1.yaml", "comma-table2-4.yaml",
                                           "comma-tier-2.yaml", "comma-tier-5.yaml",
                                           "comma-tier-9.yaml", "comma-tier-12.yaml"),
                         [](const auto& param_info) {
                           std::string name =
                               param_info.param.substr(0, param_info.param.find('.'));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Seed 002's scenarios: the solive strategy empties the host in the paper's best orders.
TEST(SoliveExamplesTest, PaperBestOrders) {
  for (const auto& [file, expected] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"solive-4vm.yaml", {"no", "m", "c", "ni"}},
           {"solive-8vm.yaml", {"no", "no1", "m", "m1", "c", "c1", "ni", "ni1"}}}) {
    model::ClusterModel m;
    v1::Scenario s;
    auto plan = PlanFile(file, "solive", &m, &s);
    ASSERT_TRUE(plan.ok()) << plan.status();
    std::vector<const v1::Migration*> order;
    for (const auto& mig : plan->migrations()) order.push_back(&mig);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto* a, const auto* b) { return a->start_s() < b->start_s(); });
    std::vector<std::string> names;
    for (const auto* mig : order) names.push_back(mig->vm());
    EXPECT_EQ(names, expected) << file;
  }
}

}  // namespace
}  // namespace convoy
