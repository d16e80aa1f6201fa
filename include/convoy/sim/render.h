// The simulator's report for people at a terminal. Pure; never fails.
#pragma once

#include <string>

#include "convoy/v1/simulation.pb.h"

namespace convoy::sim {

// Blocks separated by a blank line, every line without trailing spaces, ending with a newline:
//  1. "Simulated on SimGrid: <title> (seed N, variation +/-P%)".
//  2. One column per strategy, in the report's order, one row per figure: completion_s,
//     mean_migration_s, stddev_migration_s, mean_downtime_ms, max_downtime_ms,
//     mean_exec_transfer_s, max_eviction_s, impact_mb, energy_kwh, peak_power_kw,
//     peak_parallel, peak_per_source, failed, prediction_mape_pct; then the ratios of
//     completion, mean migration and energy against the reference (convoy when simulated,
//     else the first strategy), e.g. "completion vs convoy  1.00x  7.44x" ("n/a" on a zero).
//  3. The eviction time of each evacuated host, one row per host, one column per strategy
//     ("-" where a VM never left it).
//  4. Failed migrations, per strategy: the VM and why (at most 10 per strategy, then a count).
// Numbers have fixed decimals: times 1, ms 1, MB 1, kW 2, kWh 3, % 1.
std::string RenderSimulationTable(const v1::SimulationReport& report, const std::string& title);

}  // namespace convoy::sim
