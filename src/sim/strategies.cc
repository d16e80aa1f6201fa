#include "convoy/sim/strategies.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace convoy::sim {
namespace {

struct Baseline {
  const char* name;
  const char* plan;  // the planner strategy whose plan it executes
  DispatchPolicy policy;
};

DispatchPolicy Controller() {
  DispatchPolicy p;
  p.name = "controller: dependencies, planned bandwidth admitted on the path and capped";
  p.admit_by_bandwidth = true;
  p.cap_at_planned = true;
  return p;
}

std::vector<Baseline> Baselines(const v1::EvacuationRequest& request) {
  // The queueing systems migrate in pre-copy unless told otherwise (Nova's
  // live_migration_permit_post_copy, KubeVirt's allowPostCopy and Proxmox default to off).
  const std::string queue_mode =
      request.mode() == "post-copy" || request.mode() == "enlightened" ? "post-copy" : "pre-copy";
  std::vector<Baseline> out;
  DispatchPolicy seq;
  seq.name = "one action at a time, in the plan's order, no bandwidth limit";
  seq.max_actions = 1;
  out.push_back({"sequential", "sequential", seq});
  DispatchPolicy par;
  par.name = "everything once its dependencies are done, no bandwidth limit";
  out.push_back({"parallel", "parallel", par});
  DispatchPolicy nova;
  nova.name = "1 migration at a time per source host (Nova), no bandwidth limit";
  nova.max_per_source = 1;
  nova.mode = queue_mode;
  out.push_back({"nova", "parallel", nova});
  DispatchPolicy kubevirt;
  kubevirt.name = "2 outbound per node, 5 in the cluster (KubeVirt), no bandwidth limit";
  kubevirt.max_per_source = 2;
  kubevirt.max_migrations = 5;
  kubevirt.mode = queue_mode;
  out.push_back({"kubevirt", "parallel", kubevirt});
  DispatchPolicy proxmox;
  proxmox.name = "4 workers (Proxmox bulk migrate), no bandwidth limit";
  proxmox.max_migrations = 4;
  proxmox.mode = queue_mode;
  out.push_back({"proxmox", "parallel", proxmox});
  return out;
}

constexpr const char* kPlannerStrategies[] = {"convoy", "comma-exact", "comma-heuristic", "solive"};

}  // namespace

std::vector<std::string> AllSimStrategies() {
  return {"convoy",  "sequential",  "parallel",        "nova",  "kubevirt",
          "proxmox", "comma-exact", "comma-heuristic", "solive"};
}

bool IsSimStrategy(std::string_view name) {
  const auto all = AllSimStrategies();
  return std::find(all.begin(), all.end(), name) != all.end();
}

StatusOr<StrategyRun> MakeRun(const model::ClusterModel& model,
                              const v1::EvacuationRequest& request, const std::string& strategy,
                              const plan::PlannerOptions& options) {
  StrategyRun run;
  run.strategy = strategy;
  std::string plan_strategy;
  for (const char* s : kPlannerStrategies) {
    if (strategy == s) {
      plan_strategy = s;
      run.policy = Controller();
    }
  }
  for (const auto& b : Baselines(request)) {
    if (strategy == b.name) {
      plan_strategy = b.plan;
      run.policy = b.policy;
    }
  }
  if (plan_strategy.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown strategy '", strategy, "' (one of ", kSimStrategies, ")"));
  }
  CONVOY_ASSIGN_OR_RETURN(run.plan,
                          plan::MakePlanWithStrategy(model, request, plan_strategy, options));
  return run;
}

SimOptions OptionsFor(const v1::EvacuationRequest& request, const plan::PlannerOptions& options) {
  SimOptions o;
  o.goodput_fraction = options.goodput_fraction;
  o.predictor = options.predictor;
  o.predictor.downtime_ms = request.downtime_ms() > 0 ? request.downtime_ms() : 300.0;
  return o;
}

}  // namespace convoy::sim
