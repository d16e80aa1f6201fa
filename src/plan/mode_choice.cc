#include "src/plan/mode_choice.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"

namespace convoy::plan {

namespace {

double PostCopyTransfer(const predict::Prediction& p, const predict::PredictorConfig& config) {
  return p.storage_s + config.switchover_ms / 1000.0;
}

// `auto` picks enlightened post-copy for a VM whose guest module reports a working set of at
// most this share of its used memory, when the request is at least this urgent.
constexpr double kEnlightenedMaxWorkingSetShare = 0.5;
constexpr double kEnlightenedMinUrgencyPct = 90;

void PlanEnlightened(const Mover& mover, double mibps, double bandwidth_mbps,
                     const predict::PredictorConfig& config, ModeChoice* choice) {
  const auto& vm = mover.profile;
  choice->mode = "enlightened";
  choice->prediction = predict::PredictEnlightened(vm, mibps, config);
  choice->execution_transfer_s = PostCopyTransfer(choice->prediction, config);
  choice->note = absl::StrFormat(
      "enlightened: the working set (%.0f of %.0f MiB used) arrives first, back at full speed "
      "in %.1f s instead of %.1f s; %.0f MiB free not sent; execution moves in %.2f s at %.0f "
      "Mb/s",
      vm.working_set_mib, vm.used_mib, choice->prediction.recovery_s,
      predict::PredictPostCopy(vm, mibps, config).recovery_s, vm.free_mib,
      choice->execution_transfer_s, bandwidth_mbps);
}

}  // namespace

ModeChoice ChooseMode(const Problem& problem, const Mover& mover, double bandwidth_mbps) {
  const double mibps = MbpsToMibps(bandwidth_mbps);
  const auto& config = problem.predictor;
  ModeChoice choice;
  const predict::Prediction post = predict::PredictPostCopy(mover.profile, mibps, config);
  switch (problem.mode) {
    case ModeRequest::kPostCopy:
      choice.mode = "post-copy";
      choice.prediction = post;
      choice.execution_transfer_s = PostCopyTransfer(post, config);
      return choice;
    case ModeRequest::kEnlightened:
      if (mover.enlightened) {
        PlanEnlightened(mover, mibps, bandwidth_mbps, config, &choice);
        return choice;
      }
      // Without the guest module the agent runs it as the post-copy it is built on.
      choice.mode = "enlightened";
      choice.prediction = post;
      choice.execution_transfer_s = PostCopyTransfer(post, config);
      choice.note = "planned as post-copy: no page priorities known for this VM (no guest module)";
      return choice;
    case ModeRequest::kPreCopy:
      choice.mode = "pre-copy";
      choice.prediction = predict::PredictPreCopy(mover.profile, mibps, config);
      choice.execution_transfer_s = choice.prediction.total_s;
      if (!choice.prediction.converges) {
        choice.note =
            absl::StrFormat("does not converge at %.0f Mb/s: dirties %.1f MiB/s, needs %.0f Mb/s",
                            bandwidth_mbps, mover.profile.dirty_mibps, mover.min_converging_mbps);
      }
      return choice;
    case ModeRequest::kAuto:
      break;
  }
  if (mover.enlightened && problem.urgency_pct >= kEnlightenedMinUrgencyPct &&
      mover.profile.working_set_mib <= kEnlightenedMaxWorkingSetShare * mover.profile.used_mib) {
    PlanEnlightened(mover, mibps, bandwidth_mbps, config, &choice);
    choice.note = absl::StrFormat(
        "urgency %.0f%% and a working set of %.0f%% of used memory: %s", problem.urgency_pct,
        100 * mover.profile.working_set_mib / std::max(mover.profile.used_mib, 1e-9), choice.note);
    return choice;
  }
  const predict::Prediction pre = predict::PredictPreCopy(mover.profile, mibps, config);
  const double allowed = 1 + (100 - problem.urgency_pct) / 25;
  if (pre.converges && pre.total_s <= post.total_s * allowed) {
    choice.mode = "pre-copy";
    choice.prediction = pre;
    choice.execution_transfer_s = pre.total_s;
    choice.note = absl::StrFormat(
        "pre-copy: converges in %d rounds, %.1f s against post-copy's %.1f s (allowed %.1fx at "
        "urgency %.0f%%), pause %.0f ms",
        pre.rounds, pre.total_s, post.total_s, allowed, problem.urgency_pct, pre.downtime_ms);
    return choice;
  }
  choice.mode = "post-copy";
  choice.prediction = post;
  choice.execution_transfer_s = PostCopyTransfer(post, config);
  if (!pre.converges) {
    choice.note = std::isinf(mover.min_converging_mbps)
                      ? std::string("post-copy: pre-copy cannot converge at any bandwidth")
                      : absl::StrFormat(
                            "post-copy: pre-copy needs %.0f Mb/s to converge, %.0f "
                            "Mb/s available",
                            mover.min_converging_mbps, bandwidth_mbps);
  } else {
    choice.note = absl::StrFormat(
        "post-copy: pre-copy would take %.1f s, more than %.1fx post-copy's %.1f s at urgency "
        "%.0f%%; execution moves in %.2f s",
        pre.total_s, allowed, post.total_s, problem.urgency_pct, choice.execution_transfer_s);
  }
  return choice;
}

ScheduledMigration PlanMigration(const Problem& problem, int mover, double start_s,
                                 double bandwidth_mbps, int group) {
  ModeChoice choice = ChooseMode(problem, problem.movers[mover], bandwidth_mbps);
  ScheduledMigration sm;
  sm.mover = mover;
  sm.mode = std::move(choice.mode);
  sm.group = group;
  sm.start_s = start_s;
  sm.end_s = start_s + choice.prediction.total_s;
  sm.bandwidth_mbps = bandwidth_mbps;
  sm.prediction = choice.prediction;
  sm.execution_transfer_s = choice.execution_transfer_s;
  sm.note = std::move(choice.note);
  return sm;
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
