// The strategies `convoy simulate` compares: each baseline's parallelism cap, checked on the
// simulated trace (not on the report's own peak figures), and the convoy plan's bandwidth
// admission on every resource of each path.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "convoy/model/scenario.h"
#include "convoy/sim/strategies.h"
#include "sim_fixtures.h"

namespace convoy::sim {
namespace {

using testing::PeakConcurrent;

// Seed 000's Table 3 at full scale: 3 servers with 4 VMs each behind a 3 x 1 Gb/s aggregate,
// emptied onto 3 servers of another switch.
constexpr char kThreeByFour[] = R"(
hosts:
  - {name: a1, switch: sa, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 5, shutdown_s: 3,
     power: {idle_w: 100, max_w: 200}}
  - {name: a2, switch: sa, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 5, shutdown_s: 3,
     power: {idle_w: 100, max_w: 200}}
  - {name: a3, switch: sa, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 5, shutdown_s: 3,
     power: {idle_w: 100, max_w: 200}}
  - {name: b1, switch: sb, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 5, online: false,
     power: {idle_w: 100, max_w: 200}}
  - {name: b2, switch: sb, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 5, online: false,
     power: {idle_w: 100, max_w: 200}}
  - {name: b3, switch: sb, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 5, online: false,
     power: {idle_w: 100, max_w: 200}}
links:
  - {a: sa, b: sb, gbps: 3, members: 3}
vms:
  - {name: v01, host: a1, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v02, host: a1, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v03, host: a1, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v04, host: a1, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v05, host: a2, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v06, host: a2, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v07, host: a2, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v08, host: a2, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v09, host: a3, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v10, host: a3, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v11, host: a3, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
  - {name: v12, host: a3, vcpus: 2, memory_gib: 2, used_mib: 400, dirty_mibps: 10, wws_mib: 32}
request: {evacuate: [a1, a2, a3], to: [b1, b2, b3], mode: pre-copy}
)";

struct Fixture {
  model::ClusterModel model;
  v1::EvacuationRequest request;
};

Fixture Load(const char* yaml) {
  auto s = model::ParseScenario(yaml);
  EXPECT_TRUE(s.ok()) << s.status();
  return {testing::Model(yaml), s->request()};
}

// Every strategy simulated side by side in one run, by name.
std::map<std::string, v1::SimulatedStrategy> SimulateAll(const Fixture& f,
                                                         std::vector<StrategyRun>* runs = nullptr) {
  std::vector<StrategyRun> all;
  for (const auto& s : AllSimStrategies()) {
    auto run = MakeRun(f.model, f.request, s);
    EXPECT_TRUE(run.ok()) << s << ": " << run.status();
    all.push_back(*std::move(run));
  }
  SimOptions options = OptionsFor(f.request);
  options.variation_pct = 10;
  auto report = testing::SimulateOrDie(f.model, all, options);
  std::map<std::string, v1::SimulatedStrategy> by_name;
  for (const auto& r : report.results()) by_name[r.strategy()] = r;
  if (runs != nullptr) *runs = std::move(all);
  return by_name;
}

std::vector<std::pair<double, double>> Spans(const v1::SimulatedStrategy& r) {
  std::vector<std::pair<double, double>> spans;
  for (const auto& m : r.trace().migrations()) spans.push_back({m.start_s(), m.end_s()});
  return spans;
}

int PeakPerSource(const v1::SimulatedStrategy& r) {
  const auto spans = Spans(r);
  int peak = 0;
  for (const char* host : {"a1", "a2", "a3"}) {
    peak = std::max(peak, PeakConcurrent(spans, [&](std::size_t i) {
                      return r.trace().migrations(static_cast<int>(i)).from() == host;
                    }));
  }
  return peak;
}

int PeakTotal(const v1::SimulatedStrategy& r) {
  return PeakConcurrent(Spans(r), [](std::size_t) { return true; });
}

TEST(SimBaselinesTest, EveryStrategyMovesEveryVm) {
  const Fixture f = Load(kThreeByFour);
  for (const auto& [name, r] : SimulateAll(f)) {
    EXPECT_EQ(r.trace().migrations_size(), 12) << name;
    EXPECT_GT(r.completion_s(), 0) << name;
    EXPECT_GT(r.energy_kwh(), 0) << name;
    EXPECT_EQ(r.eviction_s_size(), 3) << name;
  }
}

TEST(SimBaselinesTest, NovaRunsOneMigrationPerSourceHost) {
  const auto r = SimulateAll(Load(kThreeByFour)).at("nova");
  EXPECT_EQ(PeakPerSource(r), 1);
  EXPECT_EQ(PeakTotal(r), 3);  // the cap, reached: one out of each of the 3 hosts at once
  EXPECT_EQ(r.peak_parallel_per_source(), 1u);
}

TEST(SimBaselinesTest, KubevirtRunsTwoPerNodeAndFiveInTheCluster) {
  const auto r = SimulateAll(Load(kThreeByFour)).at("kubevirt");
  EXPECT_EQ(PeakPerSource(r), 2);
  EXPECT_EQ(PeakTotal(r), 5);  // 3 nodes x 2 would be 6: the cluster cap binds
}

TEST(SimBaselinesTest, ProxmoxRunsFourWorkers) {
  const auto r = SimulateAll(Load(kThreeByFour)).at("proxmox");
  EXPECT_EQ(PeakTotal(r), 4);
}

TEST(SimBaselinesTest, SequentialRunsOneActionAtATime) {
  const auto r = SimulateAll(Load(kThreeByFour)).at("sequential");
  std::vector<std::pair<double, double>> spans = Spans(r);
  for (const auto& p : r.trace().power()) spans.push_back({p.start_s(), p.end_s()});
  EXPECT_EQ(spans.size(), 12u + 6u);  // 12 migrations, 3 boots, 3 shutdowns
  EXPECT_EQ(PeakConcurrent(spans, [](std::size_t) { return true; }), 1);
}

TEST(SimBaselinesTest, ParallelStartsEverythingAtOnce) {
  const auto r = SimulateAll(Load(kThreeByFour)).at("parallel");
  EXPECT_EQ(PeakTotal(r), 12);
}

TEST(SimBaselinesTest, ConvoyNeverPutsMoreOnAResourceThanItsPlanAllows) {
  // The controller's rule over the whole path: at any instant the running migrations' planned
  // bandwidths fit every NIC direction and aggregate member they cross (or one runs alone).
  const Fixture f = Load(kThreeByFour);
  std::vector<StrategyRun> runs;
  const auto results = SimulateAll(f, &runs);
  for (const char* strategy : {"convoy", "solive"}) {
    const auto& r = results.at(strategy);
    const StrategyRun* run = nullptr;
    for (const auto& x : runs) {
      if (x.strategy == strategy) run = &x;
    }
    ASSERT_NE(run, nullptr);
    std::map<std::string, double> planned_mbps;
    for (const auto& m : run->plan.migrations()) planned_mbps[m.vm()] = m.bandwidth_mbps();
    std::map<int, std::vector<std::pair<std::pair<double, double>, double>>> on;
    for (const auto& m : r.trace().migrations()) {
      std::vector<int> path;
      ASSERT_TRUE(
          f.model.FlowResources(*f.model.FindHost(m.from()), *f.model.FindHost(m.to()), &path)
              .ok());
      for (int res : path) on[res].push_back({{m.start_s(), m.end_s()}, planned_mbps[m.vm()]});
    }
    for (const auto& [res, spans] : on) {
      for (const auto& [span, mbps] : spans) {
        // Everything running on `res` just after this migration started.
        const double t = span.first + 1e-6;
        double load = 0;
        int flows = 0;
        for (const auto& [other, other_mbps] : spans) {
          if (other.first <= t && t < other.second) {
            load += other_mbps;
            ++flows;
          }
        }
        EXPECT_TRUE(flows == 1 || load <= f.model.resources()[res].capacity_mbps * 1.02)
            << strategy << " " << f.model.resources()[res].label << " at " << t << ": " << flows
            << " flows, " << load << " Mb/s";
      }
    }
    EXPECT_TRUE(r.failed().empty()) << strategy;
    EXPECT_LT(r.prediction_mape(), 10.0) << strategy;
  }
}

TEST(SimBaselinesTest, UnknownStrategiesAreNamed) {
  const Fixture f = Load(kThreeByFour);
  auto run = MakeRun(f.model, f.request, "magic");
  EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(run.status().message().find("unknown strategy 'magic'"), std::string::npos);
  EXPECT_TRUE(IsSimStrategy("kubevirt"));
  EXPECT_FALSE(IsSimStrategy("magic"));
}

}  // namespace
}  // namespace convoy::sim
