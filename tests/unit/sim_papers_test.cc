// The papers' experiments on the examples, with the outcomes issue 6 asks of the simulation:
//  - seed 000 Table 1: parallel ends much sooner than sequential and its migrations last much
//    longer; convoy ends within 10% of parallel and its migrations last at most 1.5x
//    sequential's;
//  - seed 001 Table 5: where parallel cannot converge, COMMA converges with a small impact;
//  - seed 002 Figures 2 and 3: the four VMs of Table I (NO, M, C, NI) leave one host in each of
//    the 24 orders, one after another, in pre-copy and in post-copy (all 24 side by side in one
//    engine run); the order the solive strategy picks is within 5% of the best. Prints one line
//    per order ("post-copy order NO/M/C/NI total_s 53.2 failed 0") that
//    tests/bench/sim_results.py turns into the figures of docs/results.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "convoy/model/scenario.h"
#include "convoy/sim/strategies.h"
#include "sim_fixtures.h"

namespace convoy::sim {
namespace {

struct Example {
  model::ClusterModel model;
  v1::EvacuationRequest request;
};

Example Load(const std::string& file) {
  auto scenario = model::LoadScenarioFile(std::string(CONVOY_EXAMPLES_DIR) + "/" + file);
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  auto model = model::ClusterModel::Build(*scenario);
  EXPECT_TRUE(model.ok()) << model.status();
  return {*std::move(model), scenario->request()};
}

std::map<std::string, v1::SimulatedStrategy> SimulateExample(
    const Example& e, const std::vector<std::string>& strategies) {
  std::vector<StrategyRun> runs;
  for (const auto& s : strategies) {
    auto run = MakeRun(e.model, e.request, s);
    EXPECT_TRUE(run.ok()) << run.status();
    runs.push_back(*std::move(run));
  }
  SimOptions options = OptionsFor(e.request);  // the default seed and variation
  auto report = testing::SimulateOrDie(e.model, runs, options);
  std::map<std::string, v1::SimulatedStrategy> out;
  for (const auto& r : report.results()) out[r.strategy()] = r;
  return out;
}

void ExpectTable1Pattern(const std::string& file) {
  auto r = SimulateExample(Load(file), {"sequential", "parallel", "convoy"});
  const auto &seq = r["sequential"], &par = r["parallel"], &con = r["convoy"];
  EXPECT_LT(par.completion_s(), seq.completion_s() / 3) << file;
  EXPECT_GT(par.mean_migration_s(), 10 * seq.mean_migration_s()) << file;
  double power_s = 0;  // sequential: mostly waiting for boots and shutdowns
  for (const auto& p : seq.trace().power()) power_s += p.end_s() - p.start_s();
  EXPECT_GT(power_s, 0.6 * seq.completion_s()) << file;
  EXPECT_LE(con.completion_s(), 1.10 * par.completion_s()) << file;
  EXPECT_LE(con.mean_migration_s(), 1.50 * seq.mean_migration_s()) << file;
  EXPECT_TRUE(con.failed().empty()) << file;
}

TEST(SimPapersTest, Seed000Table1BladeCenterMaintenance) {
  ExpectTable1Pattern("blade-center-maintenance.yaml");
}

TEST(SimPapersTest, Seed000Table1ServerUpgrade) { ExpectTable1Pattern("server-upgrade.yaml"); }

TEST(SimPapersTest, Seed001Table5CommaFinishesTogetherWhereParallelCannotConverge) {
  // 2 VMs: one valid group; its members stop together.
  auto two = SimulateExample(Load("comma-tier-2.yaml"), {"sequential", "comma-exact"});
  EXPECT_TRUE(two["comma-exact"].failed().empty());
  EXPECT_LT(two["comma-exact"].impact_mb(), 0.05 * two["sequential"].impact_mb());
  double first = 1e300, last = 0;
  for (const auto& m : two["comma-exact"].trace().migrations()) {
    first = std::min(first, m.end_s());
    last = std::max(last, m.end_s());
  }
  EXPECT_LT(last - first, 5.0);
  // 6 VMs: parallel no longer converges; COMMA does, with a small part of sequential's impact.
  auto six = SimulateExample(Load("comma-tier-6.yaml"),
                             {"sequential", "parallel", "comma-exact", "comma-heuristic"});
  EXPECT_FALSE(six["parallel"].failed().empty());
  for (const char* s : {"comma-exact", "comma-heuristic"}) {
    EXPECT_TRUE(six[s].failed().empty()) << s;
    EXPECT_LT(six[s].impact_mb(), 0.1 * six["sequential"].impact_mb()) << s;
  }
}

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
  const Example e = Load(file);
  auto solive = MakeRun(e.model, e.request, "solive");
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
  SimOptions options = OptionsFor(e.request);
  options.variation_pct = 0;  // the orders differ by their order alone
  auto report = testing::SimulateOrDie(e.model, runs, options);

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

TEST(SimPapersTest, Seed002Fig3SolivePicksANearBestPostCopyOrder) {
  ExpectSolivePicksANearBestOrder("solive-4vm.yaml", "post-copy");
}

TEST(SimPapersTest, Seed002Fig2SolivePicksANearBestPreCopyOrder) {
  ExpectSolivePicksANearBestOrder("solive-4vm-precopy.yaml", "pre-copy");
}

}  // namespace
}  // namespace convoy::sim
