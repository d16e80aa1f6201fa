// Seed 002, Figures 2 and 3: the four VMs of Table I (NO, M, C, NI) leave one host in each of
// the 24 orders, one after another, in pre-copy and in post-copy; the order the solive strategy
// picks must be within 5% of the best simulated order. All 24 orders are simulated side by side
// in one engine run. Prints one line per order ("order NO/M/C/NI total_s 53.2") that
// scripts/results turns into the figures of docs/results.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "convoy/model/scenario.h"
#include "convoy/sim/strategies.h"
#include "sim_fixtures.h"

namespace convoy::sim {
namespace {

// The solive plan's migrations, one after another in `order` (each for its planned duration),
// executed as the paper ran them: QEMU without a speed limit, one at a time.
StrategyRun InOrder(const v1::Plan& solive, const std::vector<std::string>& order) {
  StrategyRun run;
  run.strategy = absl::StrJoin(order, "/");
  run.plan = solive;
  run.plan.clear_migrations();
  double t = 0;
  for (const auto& vm : order) {
    for (const auto& m : solive.migrations()) {
      if (m.vm() != vm) continue;
      v1::Migration next = m;
      next.set_start_s(t);
      t += m.end_s() - m.start_s();
      next.set_end_s(t);
      *run.plan.add_migrations() = next;
    }
  }
  return run;
}

void ExpectSolivePicksANearBestOrder(const std::string& file, const std::string& mode) {
  auto scenario = model::LoadScenarioFile(std::string(CONVOY_EXAMPLES_DIR) + "/" + file);
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  auto model = model::ClusterModel::Build(*scenario);
  ASSERT_TRUE(model.ok()) << model.status();
  auto solive = MakeRun(*model, scenario->request(), "solive");
  ASSERT_TRUE(solive.ok()) << solive.status();
  std::vector<v1::Migration> planned(solive->plan.migrations().begin(),
                                     solive->plan.migrations().end());
  std::sort(planned.begin(), planned.end(),
            [](const auto& a, const auto& b) { return a.start_s() < b.start_s(); });
  std::vector<std::string> picked;
  for (const auto& m : planned) picked.push_back(m.vm());
  ASSERT_EQ(picked.size(), 4u);

  std::vector<std::string> order = picked;
  std::sort(order.begin(), order.end());
  std::vector<StrategyRun> runs;
  do {
    runs.push_back(InOrder(solive->plan, order));
  } while (std::next_permutation(order.begin(), order.end()));
  ASSERT_EQ(runs.size(), 24u);
  SimOptions options = OptionsFor(scenario->request());
  options.variation_pct = 0;  // the orders differ by their order alone
  auto report = testing::SimulateOrDie(*model, runs, options);

  double best_s = 0, picked_s = 0;
  std::string best;
  const std::string picked_name = absl::StrJoin(picked, "/");
  for (const auto& r : report.results()) {
    // A bad order may leave M unable to converge (the paper's long pre-copy orders): reported.
    std::printf("%s order %s total_s %.2f failed %d\n", mode.c_str(),
                absl::AsciiStrToUpper(r.strategy()).c_str(), r.completion_s(), r.failed_size());
    if (best.empty() || r.completion_s() < best_s) {
      best_s = r.completion_s();
      best = r.strategy();
    }
    if (r.strategy() == picked_name) picked_s = r.completion_s();
  }
  std::printf("%s solive picks %s: %.2f s, best %s: %.2f s\n", mode.c_str(),
              absl::AsciiStrToUpper(picked_name).c_str(), picked_s,
              absl::AsciiStrToUpper(best).c_str(), best_s);
  EXPECT_LE(picked_s, 1.05 * best_s) << "solive picked " << picked_name << ", best " << best;
  // The order matters (SOLive: up to 2.5x): the worst is much longer than the best.
  double worst_s = 0;
  for (const auto& r : report.results()) worst_s = std::max(worst_s, r.completion_s());
  EXPECT_GT(worst_s, 1.3 * best_s);
}

TEST(SimOrdersTest, SolivePicksANearBestPostCopyOrder) {
  ExpectSolivePicksANearBestOrder("solive-4vm.yaml", "post-copy");
}

TEST(SimOrdersTest, SolivePicksANearBestPreCopyOrder) {
  ExpectSolivePicksANearBestOrder("solive-4vm-precopy.yaml", "pre-copy");
}

}  // namespace
}  // namespace convoy::sim
