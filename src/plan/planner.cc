#include "convoy/plan/planner.h"

#include "absl/strings/str_cat.h"
#include "convoy/model/scenario.h"
#include "src/plan/plan_builder.h"
#include "src/plan/problem.h"
#include "src/plan/schedule.h"

namespace convoy::plan {
namespace {

// The convoy strategy: the whole path per migration first; more sharing only if the deadline
// asks for it. Keeps the first plan that is feasible, else the one that ends soonest.
v1::Plan PlanConvoy(const Problem& problem) {
  v1::Plan best;
  bool have = false;
  for (double share : problem.options.min_shares) {
    v1::Plan plan = BuildPlan(problem, ScheduleConvoy(problem, share));
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
  if (strategy.empty() || strategy == "convoy") return PlanConvoy(problem);
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
