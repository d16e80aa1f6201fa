// COMMA scheduling time (seed 001 Fig. 8): the exact search and the heuristic against the number
// of VMs, on apps of Table 4 VMs (1 in 4 a database) at 256 Mb/s, half the pairs talking.
// Targets (issue 5): heuristic 9 VMs < 100 us (paper: 274 us), exact 12 VMs < 1 s (paper's brute
// force: 32 s for 9), heuristic 1,000 VMs < 50 ms. 24 VMs is the largest app the heuristic still
// refines with its insertion local search. Run: build/bin/comma_bench; the Fig. 8 plot (2-12 VMs,
// both searches): scripts/plot-comma-bench build docs/comma-planning-time.svg
#include <benchmark/benchmark.h>

#include <random>

#include "src/plan/comma.h"

namespace {

using convoy::plan::comma::CommaApp;

CommaApp MakeApp(int n) {
  std::mt19937 rng(static_cast<unsigned>(n));
  std::uniform_real_distribution<double> rate(0, 800);
  CommaApp app;
  app.bandwidth_mibps = 32;
  app.vms.resize(n);
  app.traffic_kbps.assign(n, std::vector<double>(n, 0));
  for (int i = 0; i < n; ++i) {
    const bool database = rng() % 4 == 0;
    app.vms[i].bulk_mib = 8192;
    app.vms[i].memory_mib = 1024;
    app.vms[i].max_dirty_mibps = database ? 15 : 2;
    app.vms[i].dirty_set_bound_mib = database ? 1024 : 100;
  }
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (rng() % 2 == 0) app.traffic_kbps[i][j] = app.traffic_kbps[j][i] = rate(rng);
    }
  }
  return app;
}

void BM_CommaExact(benchmark::State& state) {
  const CommaApp app = MakeApp(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(convoy::plan::comma::ScheduleExact(app));
}
BENCHMARK(BM_CommaExact)->DenseRange(2, 12)->Unit(benchmark::kMicrosecond);

void BM_CommaHeuristic(benchmark::State& state) {
  const CommaApp app = MakeApp(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(convoy::plan::comma::ScheduleHeuristic(app));
}
BENCHMARK(BM_CommaHeuristic)
    ->DenseRange(2, 12)
    ->Arg(24)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
