// What actually happened, in the shape of a plan: the same report, table and Gantt chart then
// show measured next to predicted.
#pragma once

#include "convoy/v1/controller.pb.h"

namespace convoy::controller {

// Times are relative to the operation's start. Migrations that ran carry their measured start,
// end, mean rate, data sent and downtime; makespan, mean and standard deviation of durations,
// eviction time per source host and the communication impact (seed 001 eq. 1 over the
// request's apps, on the measured finish times) are computed from them. Actions that did not
// run are left out; the plan is feasible only when the operation succeeded.
v1::Plan MeasuredPlan(const v1::Operation& op);

}  // namespace convoy::controller
