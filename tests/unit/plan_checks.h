// Independent checks of a plan against its scenario, shared by the planner's table tests and
// its property tests. Each returns a list of violations (empty when the plan is sound); they
// recompute everything from the scenario and the plan's public fields.
#pragma once

#include <string>
#include <vector>

#include "convoy/model/cluster_model.h"
#include "convoy/v1/plan.pb.h"
#include "convoy/v1/request.pb.h"

namespace convoy::testing {

// No NIC direction or aggregate member carries more than its nominal speed at any instant.
std::vector<std::string> CheckBandwidth(const model::ClusterModel& m, const v1::Plan& plan);
// Every pre-copy converges at its planned bandwidth with the request's downtime, and its
// duration is the predictor's (except migrations coordinated with their app by COMMA).
std::vector<std::string> CheckConvergence(const model::ClusterModel& m,
                                          const v1::EvacuationRequest& request,
                                          const v1::Plan& plan);
// Every VM of an evacuated host (and every explicit move) moves exactly once, to a host that is
// not evacuated (and in `to` when given), and every host has room for what it holds at the end.
std::vector<std::string> CheckPlacement(const model::ClusterModel& m,
                                        const v1::EvacuationRequest& request, const v1::Plan& plan);
// Boots end before a migration into the host starts; shutdowns start after the host's last
// migration ends; only offline hosts boot and only evacuated ones shut down; the online-host
// count and the power draw stay within the request's caps at every instant.
std::vector<std::string> CheckPowerAndCaps(const model::ClusterModel& m,
                                           const v1::EvacuationRequest& request,
                                           const v1::Plan& plan);

// All of the above.
std::vector<std::string> CheckPlan(const model::ClusterModel& m,
                                   const v1::EvacuationRequest& request, const v1::Plan& plan);

}  // namespace convoy::testing
