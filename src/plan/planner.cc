#include "convoy/plan/planner.h"

#include "absl/strings/str_cat.h"
#include "convoy/model/scenario.h"
#include "src/plan/plan_builder.h"
#include "src/plan/problem.h"
#include "src/plan/schedule.h"

namespace convoy::plan {
namespace {

// The list-scheduling strategies: the whole path per migration first; more sharing only if the
// deadline asks for it. Keeps the first plan that is feasible, else the one that ends soonest.
v1::Plan PlanListScheduled(const Problem& problem, ScheduleSettings settings) {
  v1::Plan best;
  bool have = false;
  for (double share : problem.options.min_shares) {
    settings.min_share = share;
    v1::Plan plan = BuildPlan(problem, ScheduleConvoy(problem, settings));
    if (plan.feasible()) return plan;
    if (!have || plan.makespan_s() < best.makespan_s()) {
      best = std::move(plan);
      have = true;
    }
    if (problem.deadline_s <= 0 || best.makespan_s() <= problem.deadline_s) break;
  }
  return best;
}

}  // namespace

StatusOr<v1::Plan> MakePlanWithStrategy(const model::ClusterModel& model,
                                        const v1::EvacuationRequest& request,
                                        const std::string& strategy,
                                        const PlannerOptions& options) {
  CONVOY_ASSIGN_OR_RETURN(Problem problem, BuildProblem(model, request, options));
  ScheduleSettings settings;
  settings.strategy = strategy.empty() ? "convoy" : strategy;
  if (settings.strategy == "convoy") {
    // COMMA for apps whose VMs talk (exact while small), SOLive's order for the rest.
    settings.comma = ScheduleSettings::Comma::kAuto;
    settings.solive_order = true;
    return PlanListScheduled(problem, settings);
  }
  if (strategy == "comma-exact" || strategy == "comma-heuristic") {
    settings.comma = strategy == "comma-exact" ? ScheduleSettings::Comma::kExact
                                               : ScheduleSettings::Comma::kHeuristic;
    return PlanListScheduled(problem, settings);
  }
  if (strategy == "solive") {
    settings.solive_order = true;
    return PlanListScheduled(problem, settings);
  }
  if (strategy == "sequential") return BuildPlan(problem, ScheduleSequential(problem));
  if (strategy == "parallel") return BuildPlan(problem, ScheduleParallel(problem));
  return absl::InvalidArgumentError(absl::StrCat("request.strategy: unknown strategy '", strategy,
                                                 "' (one of ", model::kStrategies, ")"));
}

StatusOr<v1::Plan> MakePlan(const model::ClusterModel& model, const v1::EvacuationRequest& request,
                            const PlannerOptions& options) {
  return MakePlanWithStrategy(model, request, request.strategy(), options);
}

}  // namespace convoy::plan
