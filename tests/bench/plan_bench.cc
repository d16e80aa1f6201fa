// Planning at scale: an evacuation of 1,000, 10,000 and 30,000 VMs across 5,000 hosts in a
// two-level topology (125 racks of 40 hosts with 10 Gb/s NICs; each rack switch joined to one
// core switch by a 4 x 10 Gb/s aggregate). VMs (2 vCPUs, 4 GiB, random dirty rates and traffic)
// sit 10 to a host on the first N/10 hosts, which are evacuated onto the others.
// Target (issue 2): 30,000 VMs in under 3 s and 2 GiB. Run:
//   build/bin/plan_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "convoy/model/cluster_model.h"
#include "convoy/plan/planner.h"

namespace {

constexpr int kHosts = 5000;
constexpr int kHostsPerRack = 40;

convoy::v1::Scenario MakeScenario(int vms) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> dirty(0, 60), used(512, 4096), traffic(0, 300);
  convoy::v1::Scenario s;
  for (int h = 0; h < kHosts; ++h) {
    auto* host = s.add_hosts();
    host->set_name(absl::StrCat("h", h));
    host->set_switch_(absl::StrCat("rack", h / kHostsPerRack));
    host->set_nic_gbps(10);
    host->set_cpus(64);
    host->set_memory_gib(512);
    host->set_boot_s(120);
    host->set_shutdown_s(30);
    host->mutable_power()->set_idle_w(150);
    host->mutable_power()->set_max_w(400);
  }
  for (int r = 0; r < kHosts / kHostsPerRack; ++r) {
    auto* link = s.add_links();
    link->set_a(absl::StrCat("rack", r));
    link->set_b("core");
    link->set_gbps(40);
    link->set_members(4);
  }
  for (int v = 0; v < vms; ++v) {
    auto* vm = s.add_vms();
    vm->set_name(absl::StrCat("vm", v));
    vm->set_host(absl::StrCat("h", v / 10));
    vm->set_vcpus(2);
    vm->set_memory_gib(4);
    vm->set_used_mib(used(rng));
    vm->set_dirty_mibps(dirty(rng));
    vm->set_wws_mib(256);
    vm->set_net_out_mbps(traffic(rng));
    vm->set_net_in_mbps(traffic(rng));
  }
  for (int h = 0; h < (vms + 9) / 10; ++h) s.mutable_request()->add_evacuate(absl::StrCat("h", h));
  return s;
}

void BM_PlanEvacuation(benchmark::State& state) {
  const int vms = static_cast<int>(state.range(0));
  const convoy::v1::Scenario scenario = MakeScenario(vms);
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
