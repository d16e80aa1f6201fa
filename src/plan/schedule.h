// A strategy's output before it becomes a v1::Plan: timed migrations and power actions that
// refer to the Problem by index. Internal to src/plan.
#pragma once

#include <string>
#include <vector>

#include "convoy/predict/predictor.h"
#include "src/plan/problem.h"

namespace convoy::plan {

struct ScheduledMigration {
  int mover = 0;  // index into Problem::movers
  std::string mode;
  int group = 0;
  double start_s = 0;
  double end_s = 0;
  double bandwidth_mbps = 0;
  predict::Prediction prediction;
  double execution_transfer_s = 0;
  std::string note;
  std::string coordinated_app;  // set when COMMA coordinates it with its app
  std::vector<int> stage_via;   // intermediaries when staged (ChooseStaging); empty: direct
  double eviction_s = 0;        // a staged migration's last byte into Redis, plan time
};

struct ScheduledPower {
  int host = 0;
  bool boot = true;  // false: shutdown
  double start_s = 0;
  double end_s = 0;
};

struct Schedule {
  std::string strategy;
  std::vector<ScheduledMigration> migrations;
  std::vector<ScheduledPower> power;
  std::vector<std::string> reasons;  // infeasibility found while scheduling
  std::vector<std::string> notes;    // how rules met (COMMA over SOLive, fallbacks)
};

// How the convoy scheduler treats apps and the order in which a host is emptied.
struct ScheduleSettings {
  double min_share = 1.0;
  // COMMA for the migrations of each app whose VMs talk: not at all, exactly, by the heuristic,
  // or exactly while the app has at most kExactCommaVms moving VMs and by the heuristic beyond.
  enum class Comma { kOff, kExact, kHeuristic, kAuto } comma = Comma::kOff;
  bool solive_order = false;  // empty each host in SOLive's order (else longest first)
  std::string strategy = "convoy";
};
inline constexpr int kExactCommaVms = 12;

// The strategies (one file each). Each schedules every placed mover of `problem`.
Schedule ScheduleConvoy(const Problem& problem, const ScheduleSettings& settings);
Schedule ScheduleSequential(const Problem& problem);
Schedule ScheduleParallel(const Problem& problem);

}  // namespace convoy::plan
