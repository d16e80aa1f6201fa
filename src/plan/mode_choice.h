// How a migration is carried out at a given bandwidth: the request's mode, or for `auto`
// pre-copy unless it does not converge or takes too long against post-copy, where "too long"
// shrinks as the request's urgency grows: pre-copy is kept while its total time is at most
// (1 + (100 - urgency_pct) / 25) times post-copy's (2x at the default urgency of 75; at 100,
// post-copy as soon as it is faster). `auto` chooses enlightened post-copy when the VM's guest
// module reports a working set of at most half its used memory and the urgency is at least 90%;
// `enlightened` without a guest module is planned as post-copy. Internal to src/plan.
#pragma once

#include <string>

#include "convoy/predict/predictor.h"
#include "src/plan/problem.h"
#include "src/plan/schedule.h"

namespace convoy::plan {

struct ModeChoice {
  std::string mode;  // pre-copy | post-copy | enlightened
  predict::Prediction prediction;
  double execution_transfer_s = 0;  // until the VM runs on the destination
  std::string note;  // why this mode (always, in auto mode), or why it will not converge
};

ModeChoice ChooseMode(const Problem& problem, const Mover& mover, double bandwidth_mbps);

// Mover `mover` starting at `start_s` with `bandwidth_mbps`, in the mode ChooseMode picks.
ScheduledMigration PlanMigration(const Problem& problem, int mover, double start_s,
                                 double bandwidth_mbps, int group);

// The least bandwidth, Mb/s, with which `mover` may start: for a pre-copy, its converging
// bandwidth times the margin; for post-copy, any.
double RequiredMbps(const Problem& problem, const Mover& mover);

}  // namespace convoy::plan
