// How a migration is carried out at a given bandwidth: the request's mode, or for `auto`
// pre-copy when it converges and post-copy when it does not. Internal to src/plan.
#pragma once

#include <string>

#include "convoy/predict/predictor.h"
#include "src/plan/problem.h"

namespace convoy::plan {

struct ModeChoice {
  std::string mode;  // pre-copy | post-copy | enlightened
  predict::Prediction prediction;
  std::string note;  // why, when the mode is not the one asked for or the VM will not converge
};

ModeChoice ChooseMode(const Problem& problem, const Mover& mover, double bandwidth_mbps);

// The least bandwidth, Mb/s, with which `mover` may start: for a pre-copy, its converging
// bandwidth times the margin; for post-copy, any.
double RequiredMbps(const Problem& problem, const Mover& mover);

}  // namespace convoy::plan
