// Simulating at scale: the evacuation of 10,000 VMs from 1,000 hosts, planned and executed on
// SimGrid, one strategy at a time. The datacenter: 2,000 hosts in 50 racks of 40 (10 Gb/s NICs,
// 64 CPUs, 512 GiB), each rack switch joined to one core switch by a 4 x 10 Gb/s aggregate; the
// first 1,000 hosts hold 10 VMs each (2 vCPUs, 4 GiB, random used memory, dirty rate and
// traffic, seeded) and are evacuated onto the other 1,000. Target (issue 6): under 60 s of wall
// time per simulation. Prints a table (sim_cpu_s and sim_rss_mib are the simulation process's
// CPU time and, over the runs so far, its largest resident set). Run:
//   build/bin/sim_bench [--vms N] [--hosts H] [STRATEGY...]   (default: 10000 2000 convoy)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convoy/model/cluster_model.h"
#include "convoy/sim/simulator.h"
#include "convoy/sim/strategies.h"
#include "tests/bench/evacuation_scenario.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  int vms = 10000, hosts = 2000;
  std::vector<std::string> strategies;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--vms" && i + 1 < argc) {
      vms = std::atoi(argv[++i]);
    } else if (a == "--hosts" && i + 1 < argc) {
      hosts = std::atoi(argv[++i]);
    } else {
      strategies.push_back(a);
    }
  }
  if (strategies.empty()) strategies = {"convoy"};
  if (vms <= 0 || hosts * convoy::bench::kVmsPerHost < 2 * vms) {
    std::fprintf(stderr, "sim_bench: need --vms > 0 and --hosts >= 2 * vms / %d\n",
                 convoy::bench::kVmsPerHost);
    return 2;
  }
  const convoy::v1::Scenario scenario = convoy::bench::MakeEvacuationScenario(vms, hosts);
  auto model = convoy::model::ClusterModel::Build(scenario);
  if (!model.ok()) {
    std::fprintf(stderr, "sim_bench: %s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  std::printf("%-10s %6s %6s %7s %11s %12s %13s %11s %7s %14s\n", "strategy", "vms", "hosts",
              "plan_s", "simulate_s", "sim_cpu_s", "completion_s", "mean_mig_s", "failed",
              "sim_rss_mib");
  double cpu_before_s = 0;
  for (const auto& strategy : strategies) {
    auto t0 = std::chrono::steady_clock::now();
    auto run = convoy::sim::MakeRun(*model, scenario.request(), strategy);
    if (!run.ok()) {
      std::fprintf(stderr, "sim_bench: %s\n", std::string(run.status().message()).c_str());
      return 1;
    }
    const double plan_s = Seconds(t0);
    t0 = std::chrono::steady_clock::now();
    auto report =
        convoy::sim::Simulate(*model, {*run}, convoy::sim::OptionsFor(scenario.request()));
    const double simulate_s = Seconds(t0);
    if (!report.ok()) {
      std::fprintf(stderr, "sim_bench: %s\n", std::string(report.status().message()).c_str());
      return 1;
    }
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);  // the simulation runs in a child process
    const double cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    const auto& r = report->results(0);
    std::printf("%-10s %6d %6d %7.2f %11.2f %12.2f %13.1f %11.1f %7d %14.0f\n", strategy.c_str(),
                vms, hosts, plan_s, simulate_s, cpu_s - cpu_before_s, r.completion_s(),
                r.mean_migration_s(), r.failed_size(),
                static_cast<double>(usage.ru_maxrss) / 1024.0);
    cpu_before_s = cpu_s;
    std::fflush(stdout);
  }
  return 0;
}
