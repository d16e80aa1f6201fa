// Planning at scale: an evacuation of 1,000, 10,000 and 30,000 VMs across 5,000 hosts in a
// two-level topology (125 racks of 40 hosts with 10 Gb/s NICs; each rack switch joined to one
// core switch by a 4 x 10 Gb/s aggregate). VMs (2 vCPUs, 4 GiB, random dirty rates and traffic)
// sit 10 to a host on the first N/10 hosts, which are evacuated onto the others.
// Target (issue 2): 30,000 VMs in under 3 s and 2 GiB. Run:
//   build/bin/plan_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "absl/strings/str_cat.h"
#include "convoy/model/cluster_model.h"
#include "convoy/plan/planner.h"
#include "tests/bench/evacuation_scenario.h"

namespace {

constexpr int kHosts = 5000;

void BM_PlanEvacuation(benchmark::State& state) {
  const int vms = static_cast<int>(state.range(0));
  const convoy::v1::Scenario scenario = convoy::bench::MakeEvacuationScenario(vms, kHosts);
  double makespan_s = 0;
  bool feasible = false;
  for (auto _ : state) {
    auto model = convoy::model::ClusterModel::Build(scenario);
    auto plan = convoy::plan::MakePlan(*model, scenario.request());
    if (!plan.ok()) {
      state.SkipWithError(std::string(plan.status().message()).c_str());
      return;
    }
    makespan_s = plan->makespan_s();
    feasible = plan->feasible();
    benchmark::DoNotOptimize(plan->migrations_size());
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["vms"] = vms;
  state.counters["feasible"] = feasible ? 1 : 0;
  state.counters["makespan_s"] = makespan_s;
  state.counters["peak_rss_mib"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
}

BENCHMARK(BM_PlanEvacuation)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(30000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
