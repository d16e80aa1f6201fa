// The planning problem after the request is resolved and destinations are placed: which VMs
// move, from where to where, through which network resources, and at what usable capacity.
// Internal to src/plan.
#pragma once

#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/model/cluster_model.h"
#include "convoy/plan/planner.h"
#include "convoy/predict/predictor.h"
#include "convoy/v1/request.pb.h"

namespace convoy::plan {

enum class ModeRequest { kAuto, kPreCopy, kPostCopy, kEnlightened };

// One VM to move.
struct Mover {
  int vm = 0;
  int src = 0;
  int dst = -1;  // -1 until placed
  bool fixed_destination = false;
  std::vector<int> resources;  // ClusterModel resource ids along the path
  double path_mbps = 0;        // the smallest usable capacity along the path
  predict::MigrationProfile profile;
  bool enlightened = false;        // its guest module reports a working set and free memory
  double min_converging_mbps = 0;  // +inf when pre-copy cannot converge at any speed
};

struct Problem {
  const model::ClusterModel* model = nullptr;
  PlannerOptions options;
  predict::PredictorConfig predictor;  // with the request's downtime
  ModeRequest mode = ModeRequest::kAuto;
  std::vector<Mover> movers;
  std::vector<bool> evacuated;        // per host
  std::vector<bool> needs_boot;       // per host: offline now and receiving VMs
  std::vector<int> evacuation_order;  // evacuated hosts, in request order
  std::vector<double> capacity_mbps;  // per resource, usable by migrations
  bool power_off = true;
  double deadline_s = 0;
  int max_online_hosts = 0;
  double power_budget_w = 0;
  double urgency_pct = 75;
  // Reasons the request cannot be satisfied, found before scheduling (no room, no path, ...).
  std::vector<std::string> reasons;
};

// Resolves the request against the model (INVALID_ARGUMENT on unknown names), places every VM
// that moves, and computes paths and capacities. Placement failures become Problem::reasons.
StatusOr<Problem> BuildProblem(const model::ClusterModel& model,
                               const v1::EvacuationRequest& request, const PlannerOptions& options);

// Chooses a destination for every mover whose dst is -1 (see placement.cc). Adds a reason for
// each VM that fits nowhere. Sets problem->needs_boot.
void PlaceMovers(Problem* problem, const std::vector<int>& candidates);

}  // namespace convoy::plan
