// Turns a strategy's Schedule into the public v1::Plan with its metrics (makespan, mean and
// standard deviation of migration durations, communication impact, eviction times, peak online
// hosts, peak power, energy) and checks it against the request's caps: every violated cap or
// non-converging pre-copy becomes a reason and makes the plan infeasible. Internal to src/plan.
#pragma once

#include "convoy/v1/plan.pb.h"
#include "src/plan/schedule.h"

namespace convoy::plan {

v1::Plan BuildPlan(const Problem& problem, const Schedule& schedule);

}  // namespace convoy::plan
