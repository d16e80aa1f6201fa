// Which migrations are staged through Redis intermediaries (SOLive's scatter-gather, seed 002
// V.B): for an urgent request (urgency_pct >= PlannerOptions::staging_min_urgency_pct), a
// migration whose source has intermediaries (Host.stage_via: online, neither evacuated nor the
// migration's ends) and whose direct rate (what the destination side takes) is at most
// staging_max_direct_share of the rate the source can push into them. A staged migration's
// stream is predicted at that rate (pre-copy rounds shorten); the source is evicted when it has
// sent the stream, the destination gathers it at the direct rate, and the VM's pause lasts from
// the source's switch-over until the destination has caught up. Internal to src/plan.
#pragma once

#include "src/plan/problem.h"
#include "src/plan/schedule.h"

namespace convoy::plan {

// Marks the migrations of `schedule` that are staged (stage_via, eviction_s), with their
// prediction (sent, rounds, pause), end and note updated.
void ChooseStaging(const Problem& problem, Schedule* schedule);

// The rate, Mb/s, at which host `src` can push into `via` together: its NIC out, and each
// intermediary's path from it (its NIC in, the links between), usable capacities.
double StagingMbps(const Problem& problem, int src, const std::vector<int>& via);

}  // namespace convoy::plan
