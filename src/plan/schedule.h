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
  std::string note;
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
};

// The strategies (one file each). Each schedules every placed mover of `problem`.
Schedule ScheduleConvoy(const Problem& problem, double min_share);
Schedule ScheduleSequential(const Problem& problem);
Schedule ScheduleParallel(const Problem& problem);

}  // namespace convoy::plan
