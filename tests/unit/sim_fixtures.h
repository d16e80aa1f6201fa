// Helpers of the simulator's tests: small scenarios, hand-made plans, trace queries.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/sim/simulator.h"

namespace convoy::sim::testing {

// A NIC of this many Gb/s carries exactly 128 MiB/s (with the goodput fraction at 1).
inline constexpr double k128MibpsInGbps = 128.0 * 1048576.0 * 8.0 / 1e9;

inline model::ClusterModel Model(const std::string& yaml) {
  auto s = model::ParseScenario(yaml);
  EXPECT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(model::ValidateScenario(*s).ok()) << model::ValidateScenario(*s);
  auto m = model::ClusterModel::Build(*s);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

inline v1::Migration Migration(const std::string& vm, const std::string& from,
                               const std::string& to, const std::string& mode = "pre-copy",
                               double start_s = 0, double end_s = 1, double mbps = 0) {
  v1::Migration m;
  m.set_vm(vm);
  m.set_from(from);
  m.set_to(to);
  m.set_mode(mode);
  m.set_start_s(start_s);
  m.set_end_s(end_s);
  m.set_bandwidth_mbps(mbps);
  return m;
}

inline v1::PowerAction Power(const std::string& host, const std::string& action, double start_s,
                             double end_s) {
  v1::PowerAction p;
  p.set_host(host);
  p.set_action(action);
  p.set_start_s(start_s);
  p.set_end_s(end_s);
  return p;
}

// Exact figures: no workload variation, the whole link speed as goodput.
inline SimOptions Exact() {
  SimOptions o;
  o.variation_pct = 0;
  o.goodput_fraction = 1.0;
  return o;
}

inline v1::SimulationReport SimulateOrDie(const model::ClusterModel& model,
                                          const std::vector<StrategyRun>& runs,
                                          const SimOptions& options) {
  auto report = Simulate(model, runs, options);
  EXPECT_TRUE(report.ok()) << report.status();
  if (!report.ok()) return {};
  EXPECT_EQ(report->results_size(), static_cast<int>(runs.size()));
  return *std::move(report);
}

inline const v1::Migration* Traced(const v1::SimulatedStrategy& r, const std::string& vm) {
  for (const auto& m : r.trace().migrations()) {
    if (m.vm() == vm) return &m;
  }
  ADD_FAILURE() << "no traced migration of " << vm;
  static const v1::Migration none;
  return &none;
}

// Most intervals open at once among those `select` keeps (an interval ending when another
// starts does not overlap it), computed here from the trace, independently of the report's own
// peak figures.
template <typename Select>
int PeakConcurrent(const std::vector<std::pair<double, double>>& all, Select select) {
  std::vector<std::pair<double, int>> edges;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!select(i)) continue;
    edges.push_back({all[i].first, +1});
    edges.push_back({all[i].second, -1});
  }
  std::sort(edges.begin(), edges.end());
  int open = 0, peak = 0;
  for (const auto& e : edges) {
    open += e.second;
    peak = std::max(peak, open);
  }
  return peak;
}

inline ::testing::AssertionResult RelNear(double expected, double actual, double rel) {
  const double tol = rel * std::max(std::fabs(expected), std::fabs(actual));
  if (std::fabs(expected - actual) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected " << expected << ", got " << actual << " (relative error "
         << std::fabs(expected - actual) / std::fabs(expected) << " > " << rel << ")";
}

}  // namespace convoy::sim::testing
