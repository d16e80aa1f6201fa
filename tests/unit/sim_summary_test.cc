// The simulator's pure parts: the figures taken from a trace (Summarise), the dispatch caps
// (Admission), the workload variation and the table renderer. No SimGrid here.
#include <gtest/gtest.h>

#include <set>

#include "convoy/sim/render.h"
#include "sim_fixtures.h"
#include "src/sim/admission.h"
#include "src/sim/summary.h"
#include "src/sim/variation.h"

namespace convoy::sim {
namespace {

using testing::Migration;

constexpr char kThreeVms[] = R"(
hosts:
  - {name: a, switch: s, nic_gbps: 1, cpus: 8, memory_gib: 64}
  - {name: b, switch: s, nic_gbps: 1, cpus: 8, memory_gib: 64}
vms:
  - {name: web, host: a, vcpus: 2, memory_gib: 4, app: shop}
  - {name: app, host: a, vcpus: 2, memory_gib: 4, app: shop}
  - {name: db, host: a, vcpus: 2, memory_gib: 4, app: shop}
apps:
  - name: shop
    traffic:
      - {a: web, b: app, kbps: 8000}
      - {a: app, b: db, kbps: 4000}
)";

v1::Migration Done(const std::string& vm, double start_s, double end_s) {
  v1::Migration m = Migration(vm, "a", "b", "pre-copy", start_s, end_s);
  m.set_converges(true);
  m.set_downtime_ms(30);
  m.set_sent_mib(100);
  return m;
}

TEST(SimSummaryTest, FiguresComeFromTheTrace) {
  auto model = testing::Model(kThreeVms);
  v1::Plan planned;
  *planned.add_migrations() = Migration("web", "a", "b", "pre-copy", 0, 10);  // predicted 10 s
  *planned.add_migrations() = Migration("app", "a", "b", "pre-copy", 0, 10);
  *planned.add_migrations() = Migration("db", "a", "b", "pre-copy", 0, 10);
  (*planned.mutable_eviction_s())["a"] = 10;
  v1::Plan trace;
  *trace.add_migrations() = Done("web", 0, 10);  // 10 s: exact
  *trace.add_migrations() = Done("app", 0, 20);  // 20 s: 50% off
  *trace.add_migrations() = Done("db", 10, 30);  // 20 s: 50% off
  RunMeasures measures;
  measures.completion_s = 35;
  measures.energy_j = 7.2e6;
  measures.peak_power_w = 1500;
  const auto r = Summarise(model, planned, trace, measures);
  EXPECT_DOUBLE_EQ(r.completion_s(), 35);
  EXPECT_NEAR(r.mean_migration_s(), 50.0 / 3, 1e-9);
  // Durations 10, 20, 20: mean 16.67, variance (44.44 + 11.11 + 11.11) / 3 = 22.22.
  EXPECT_NEAR(r.stddev_migration_s(), std::sqrt(200.0 / 9), 1e-9);
  EXPECT_NEAR(r.prediction_mape(), 100.0 * (0 + 0.5 + 0.5) / 3, 1e-9);
  // Eq. 1: |10 - 20| x 8000 kb/s + |20 - 30| x 4000 kb/s = 80,000 + 40,000 kb = 15 MB.
  EXPECT_NEAR(r.impact_mb(), 15.0, 1e-9);
  EXPECT_DOUBLE_EQ(r.eviction_s().at("a"), 30);
  EXPECT_DOUBLE_EQ(r.energy_kwh(), 2.0);
  EXPECT_DOUBLE_EQ(r.peak_power_kw(), 1.5);
  EXPECT_EQ(r.peak_parallel_migrations(), 2u);  // app with web, then app with db
  EXPECT_EQ(r.peak_parallel_per_source(), 2u);
  EXPECT_DOUBLE_EQ(r.total_sent_mib(), 300);
  EXPECT_DOUBLE_EQ(r.mean_downtime_ms(), 30);
  EXPECT_TRUE(r.trace().feasible());
  EXPECT_DOUBLE_EQ(r.trace().makespan_s(), 35);
}

TEST(SimSummaryTest, AHostAVmNeverLeftHasNoEvictionTime) {
  auto model = testing::Model(kThreeVms);
  v1::Plan planned;
  (*planned.mutable_eviction_s())["a"] = 10;
  v1::Plan trace;
  *trace.add_migrations() = Done("web", 0, 10);
  v1::Migration aborted = Done("app", 0, 5);
  aborted.set_note("aborted: pre-copy still iterating after 5 s (3 rounds), the VM stays on a");
  *trace.add_migrations() = aborted;
  RunMeasures measures;
  measures.failures["app"] = aborted.note();
  measures.failures["db"] = "not run: migrate:app failed";
  const auto r = Summarise(model, planned, trace, measures);
  EXPECT_EQ(r.eviction_s().count("a"), 0u);
  EXPECT_EQ(std::set<std::string>(r.failed().begin(), r.failed().end()),
            (std::set<std::string>{"app", "db"}));
  EXPECT_DOUBLE_EQ(r.impact_mb(), 0);  // only web moved
  EXPECT_FALSE(r.trace().feasible());
  EXPECT_EQ(r.trace().reasons_size(), 2);
  EXPECT_FALSE(Moved(aborted));
}

AdmissionItem Item(int src, double mbps, const std::vector<int>* path) {
  AdmissionItem i;
  i.migration = true;
  i.src = src;
  i.mbps = mbps;
  i.path = path;
  return i;
}

TEST(SimAdmissionTest, CapsCountWhatRuns) {
  auto model = testing::Model(kThreeVms);
  DispatchPolicy policy;
  policy.max_per_source = 1;
  policy.max_migrations = 2;
  Admission a(policy, model);
  const std::vector<int> path;
  EXPECT_TRUE(a.Fits({Item(0, 0, &path)}));
  EXPECT_FALSE(a.Fits({Item(0, 0, &path), Item(0, 0, &path)}));  // 2 out of host 0
  a.Start({Item(0, 0, &path)});
  EXPECT_FALSE(a.Fits({Item(0, 0, &path)}));
  EXPECT_TRUE(a.Fits({Item(1, 0, &path)}));
  a.Start({Item(1, 0, &path)});
  EXPECT_FALSE(a.Fits({Item(2, 0, &path)}));  // the cluster cap
  AdmissionItem power;
  EXPECT_TRUE(a.Fits({power}));  // boots and shutdowns are not migrations
  a.Finish(Item(0, 0, &path));
  EXPECT_TRUE(a.Fits({Item(0, 0, &path)}));
  EXPECT_EQ(a.running_migrations(), 1);
}

TEST(SimAdmissionTest, PlannedBandwidthMustFitEveryResourceOfThePath) {
  auto model = testing::Model(kThreeVms);  // 1 Gb/s NICs: 1000 Mb/s per direction
  DispatchPolicy policy;
  policy.admit_by_bandwidth = true;
  Admission a(policy, model);
  std::vector<int> path;
  ASSERT_TRUE(model.FlowResources(0, 1, &path).ok());
  a.Start({Item(0, 600, &path)});
  EXPECT_TRUE(a.Fits({Item(0, 400, &path)}));
  EXPECT_FALSE(a.Fits({Item(0, 500, &path)}));
  a.Finish(Item(0, 600, &path));
  EXPECT_TRUE(a.Fits({Item(0, 5000, &path)}));  // nothing runs there: one always fits
}

TEST(SimVariationTest, OneStreamPerKeyWithinTheSpread) {
  Variation a(1, "vm:web", 10), again(1, "vm:web", 10), other(1, "vm:db", 10);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a.Next();
    EXPECT_GE(x, 0.9);
    EXPECT_LE(x, 1.1);
    EXPECT_EQ(x, again.Next());
    differs |= x != other.Next();
  }
  EXPECT_TRUE(differs);
  Variation none(1, "vm:web", 0);
  EXPECT_EQ(none.Next(), 1.0);
}

TEST(SimRenderTest, TheTableHasAColumnPerStrategyAndRatiosAgainstConvoy) {
  v1::SimulationReport report;
  report.set_seed(3);
  report.set_variation_pct(10);
  auto* seq = report.add_results();
  seq->set_strategy("sequential");
  seq->set_completion_s(300);
  seq->set_mean_migration_s(10);
  (*seq->mutable_eviction_s())["a1"] = 250;
  auto* convoy = report.add_results();
  convoy->set_strategy("convoy");
  convoy->set_completion_s(100);
  convoy->set_mean_migration_s(10);
  convoy->add_failed("web");
  (*convoy->mutable_failure_reasons())["web"] = "did not converge";
  const std::string t = RenderSimulationTable(report, "x.yaml");
  EXPECT_NE(t.find("Simulated on SimGrid: x.yaml (seed 3, variation +/-10%)"), std::string::npos);
  EXPECT_NE(t.find("completion vs convoy           3.00x   1.00x"), std::string::npos) << t;
  EXPECT_NE(t.find("  a1         250.0       -"), std::string::npos) << t;
  EXPECT_NE(t.find("convoy: web: did not converge"), std::string::npos);
  EXPECT_EQ(t.find(" \n"), std::string::npos);  // no trailing spaces
}

}  // namespace
}  // namespace convoy::sim
