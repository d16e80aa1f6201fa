// The strategies `convoy simulate` compares, as runs for Simulate.
//
// Planner strategies (convoy, comma-exact, comma-heuristic, solive) are executed as convoyd
// would: the controller's dependency rules, each migration admitted when its planned bandwidth
// fits on its path and capped at it. The baselines are dispatch policies rather than planner
// strategies, because the systems they stand for do not plan: they queue migrations and start
// one whenever a slot frees, at whatever speed the network gives (no bandwidth limit):
//  - sequential: the sequential plan, one action at a time in its order (boot a destination,
//    move the VMs of one host, shut it down, next), as an operator does by hand;
//  - parallel: the parallel plan, everything as soon as its dependencies allow;
//  - nova: one live migration at a time per source host (Nova's
//    max_concurrent_live_migrations = 1), pre-copy unless the request says otherwise;
//  - kubevirt: at most 2 outbound migrations per node and 5 in the cluster
//    (parallelOutboundMigrationsPerNode, parallelMigrationsPerCluster), pre-copy;
//  - proxmox: 4 workers for the whole evacuation (bulk migrate with maxworkers 4), pre-copy.
// nova, kubevirt and proxmox move each VM where the parallel plan puts it and boot the
// destinations first, as an operator would before starting them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/model/cluster_model.h"
#include "convoy/plan/planner.h"
#include "convoy/sim/simulator.h"
#include "convoy/v1/request.pb.h"

namespace convoy::sim {

inline constexpr const char* kSimStrategies =
    "convoy, sequential, parallel, nova, kubevirt, proxmox, comma-exact, comma-heuristic, "
    "solive";

// Every strategy above, in that order: what `convoy simulate` runs when none is named.
std::vector<std::string> AllSimStrategies();

bool IsSimStrategy(std::string_view name);

// The run of `strategy`: its plan (made by the planner from `request`) and its dispatch
// policy. INVALID_ARGUMENT for an unknown strategy; the planner's errors as they are.
StatusOr<StrategyRun> MakeRun(const model::ClusterModel& model,
                              const v1::EvacuationRequest& request, const std::string& strategy,
                              const plan::PlannerOptions& options = {});

// The simulator's options that follow from a request: its downtime limit (300 ms when 0, as
// the planner reads it) with the planner's round cap and switch-over.
SimOptions OptionsFor(const v1::EvacuationRequest& request,
                      const plan::PlannerOptions& options = {});

}  // namespace convoy::sim
