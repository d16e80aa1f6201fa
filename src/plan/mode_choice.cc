#include "src/plan/mode_choice.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"

namespace convoy::plan {

ModeChoice ChooseMode(const Problem& problem, const Mover& mover, double bandwidth_mbps) {
  const double mibps = MbpsToMibps(bandwidth_mbps);
  ModeChoice choice;
  switch (problem.mode) {
    case ModeRequest::kPostCopy:
      choice.mode = "post-copy";
      choice.prediction = predict::PredictPostCopy(mover.profile, mibps, problem.predictor);
      return choice;
    case ModeRequest::kEnlightened:
      // Until the guest module reports priorities (issue 8), enlightened is planned as the
      // post-copy it is built on.
      choice.mode = "enlightened";
      choice.prediction = predict::PredictPostCopy(mover.profile, mibps, problem.predictor);
      choice.note = "planned as post-copy: no page priorities known for this VM";
      return choice;
    case ModeRequest::kPreCopy:
      choice.mode = "pre-copy";
      choice.prediction = predict::PredictPreCopy(mover.profile, mibps, problem.predictor);
      if (!choice.prediction.converges) {
        choice.note =
            absl::StrFormat("does not converge at %.0f Mb/s: dirties %.1f MiB/s, needs %.0f Mb/s",
                            bandwidth_mbps, mover.profile.dirty_mibps, mover.min_converging_mbps);
      }
      return choice;
    case ModeRequest::kAuto:
      break;
  }
  choice.mode = "pre-copy";
  choice.prediction = predict::PredictPreCopy(mover.profile, mibps, problem.predictor);
  if (choice.prediction.converges) return choice;
  choice.mode = "post-copy";
  choice.prediction = predict::PredictPostCopy(mover.profile, mibps, problem.predictor);
  choice.note = std::isinf(mover.min_converging_mbps)
                    ? std::string("post-copy: pre-copy cannot converge at any bandwidth")
                    : absl::StrFormat(
                          "post-copy: pre-copy needs %.0f Mb/s to converge, %.0f Mb/s "
                          "available",
                          mover.min_converging_mbps, bandwidth_mbps);
  return choice;
}

double RequiredMbps(const Problem& problem, const Mover& mover) {
  if (problem.mode == ModeRequest::kPreCopy ||
      (problem.mode == ModeRequest::kAuto && mover.min_converging_mbps <= mover.path_mbps)) {
    return std::min(mover.min_converging_mbps * problem.options.convergence_margin,
                    mover.path_mbps);
  }
  return 0;
}

}  // namespace convoy::plan
