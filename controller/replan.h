// Re-planning the migrations of an operation that have not started, with the figures measured
// since the plan was made (dirty rates, bandwidth): COMMA's adaptation every few seconds (seed
// 001, section 4.4) applied to the groups still waiting. Pure functions: the executor measures,
// calls the planner and persists; these say what may be re-planned and what changes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/action_graph.h"
#include "convoy/common/status.h"
#include "convoy/v1/plan.pb.h"
#include "convoy/v1/request.pb.h"

namespace convoy::controller {

// The ids of the migrations that may be re-planned, in plan order: pending; every dependency
// that is not a migration (the destination's boot) is done; not in a COMMA group (same
// coordinated_app and group) of which a member has left pending.
std::vector<std::string> ReplannableMigrations(const Actions& actions);

// The request that moves exactly the VMs of `ids` to their planned destinations, with
// `original`'s mode, strategy, downtime and urgency; nothing evacuated, nothing powered off, no
// deadline or host caps (the operation's power actions are not re-planned).
v1::EvacuationRequest ReplanRequest(const v1::EvacuationRequest& original, const Actions& actions,
                                    const std::vector<std::string>& ids);

struct ReplanChange {
  std::string id;    // the action, e.g. "migrate:web"
  std::string what;  // e.g. "pre-copy at 800 Mb/s -> post-copy at 400 Mb/s"
};

// Compares `plan` (made for ReplanRequest(..., ids)) with what the actions of `ids` hold. When a
// migration's mode changes, its bandwidth changes by more than `change_fraction` of the old one,
// its COMMA group changes members, or the migrations it waits for change, the planned entries
// and ordering dependencies of all of `ids` are replaced by the new plan's and what changed is
// returned; otherwise nothing changes and the result is empty. Dependencies on actions outside
// `ids` (a boot, a migration already running) are kept. New group numbers are shifted past
// every group in use so that no re-planned migration joins a group that has started.
// FAILED_PRECONDITION, with nothing changed, when the plan is infeasible or does not move every
// VM of `ids` to its planned destination.
StatusOr<std::vector<ReplanChange>> ApplyReplan(const v1::Plan& plan,
                                                const std::vector<std::string>& ids,
                                                double change_fraction, Actions* actions);

}  // namespace convoy::controller
