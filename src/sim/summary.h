// The figures of one simulated run, from its trace. Pure; internal to src/sim.
#pragma once

#include <map>
#include <string>

#include "convoy/model/cluster_model.h"
#include "convoy/v1/plan.pb.h"
#include "convoy/v1/simulation.pb.h"

namespace convoy::sim {

// What the engine measured besides the trace.
struct RunMeasures {
  double completion_s = 0;
  double energy_j = 0;
  double peak_power_w = 0;
  // VMs that failed (did not converge, timed out, never ran), with why.
  std::map<std::string, std::string> failures;
};

// `trace` holds what happened in the shape of a plan: each migration that ran (start_s, end_s,
// downtime_ms, sent_mib, rounds, converges, execution_transfer_s) and each power action with its
// simulated times; a migration with a note starting "aborted" did not move its VM. `planned`
// is the plan that was executed: its eviction_s keys are the evacuated hosts and its
// migrations' durations the predictions the MAPE is taken against. Fills the trace's own
// totals too (makespan, mean, impact, eviction, power, energy, online hosts).
v1::SimulatedStrategy Summarise(const model::ClusterModel& model, const v1::Plan& planned,
                                v1::Plan trace, const RunMeasures& measures);

// Whether a traced migration moved its VM (it was not aborted).
bool Moved(const v1::Migration& m);

}  // namespace convoy::sim
