// The plan as a DAG of actions, and which actions may start now. Pure functions: no I/O, no
// clock; the executor calls them and carries out what they say.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "convoy/v1/controller.pb.h"
#include "convoy/v1/plan.pb.h"

namespace convoy::controller {

// Action states. Terminal: done, failed, cancelled, skipped.
inline constexpr char kPending[] = "pending";
inline constexpr char kRunning[] = "running";
inline constexpr char kPostCopy[] = "postcopy";
inline constexpr char kDone[] = "done";
inline constexpr char kFailed[] = "failed";
inline constexpr char kCancelled[] = "cancelled";
inline constexpr char kSkipped[] = "skipped";

using Actions = google::protobuf::RepeatedPtrField<v1::Action>;

bool IsTerminal(const std::string& state);
bool IsActive(const std::string& state);  // running or postcopy

// One action per boot, migration and shutdown of the plan, ids "boot:HOST", "migrate:VM",
// "shutdown:HOST", all pending. Dependencies:
// - a migration waits for the boot of its destination, and for every migration that the plan
//   lets finish before it starts on a host they share (the plan ordered them for bandwidth);
// - a shutdown waits for every migration out of its host.
// Start times are not dependencies: the executor starts an action when these are done and its
// bandwidth is free, whatever the clock says.
Actions BuildActions(const v1::Plan& plan);

struct Capacity {
  // Usable bandwidth per host NIC, Mb/s (absent: unlimited).
  std::map<std::string, double> host_mbps;
  // Hosts whose measured bandwidth dropped: at most one migration at a time touches them.
  std::set<std::string> sequential_hosts;
};

// The pending actions that may start now, in plan order:
// - every dependency is done (a failed, cancelled or skipped dependency never becomes done: see
//   ActionsToSkip);
// - a migration's planned bandwidth fits on both hosts next to the running migrations (a host
//   with nothing running always admits one, so a plan wider than a NIC cannot deadlock);
// - migrations of one COMMA group of one app (same coordinated_app and group) start together,
//   only when all of them may.
std::vector<std::string> ReadyActions(const Actions& actions,
                                      const Capacity& capacity);

// Pending actions that can never run because a dependency failed, was cancelled or skipped,
// with the reason; transitively closed.
std::map<std::string, std::string> ActionsToSkip(const Actions& actions);

}  // namespace convoy::controller
