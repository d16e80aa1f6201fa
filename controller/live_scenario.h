// The planner's input made from the live inventory: the same Scenario a user writes by hand.
#pragma once

#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/v1/controller.pb.h"
#include "convoy/v1/request.pb.h"

namespace convoy::controller {

// Checks the hosts and VMs the request names against the inventory: INVALID_ARGUMENT for an
// unknown host or VM (listing the known ones), FAILED_PRECONDITION for a host whose agent is
// down, with how long ago it was last heard from.
Status CheckRequestAgainstInventory(const v1::InventoryResponse& inventory,
                                    const v1::EvacuationRequest& request, double now_unix_s);

// The cluster, the request's apps attached to their VMs (each VM a traffic entry names gets the
// app's name) and the request. INVALID_ARGUMENT when an app names a VM the inventory does not
// have.
StatusOr<v1::Scenario> LiveScenario(const v1::Cluster& cluster,
                                    const v1::ControllerPlanRequest& request);

// Gives each traffic entry of the request's apps the rate measured between its two VMs, where
// the hosts' switches measured that pair (measured values win; operator-given ones stay where
// nothing was measured). Returns a note for each rate it changed, for the plan.
std::vector<std::string> TakeMeasuredTraffic(
    const google::protobuf::RepeatedPtrField<v1::Traffic>& measured,
    v1::ControllerPlanRequest* request);

}  // namespace convoy::controller
