// The controller's operations: plans made on the live inventory, operations submitted,
// executed, watched and cancelled, and resumed when the controller restarts. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "controller/event_bus.h"
#include "controller/executor.h"
#include "controller/inventory.h"
#include "controller/power_driver.h"
#include "convoy/plan/planner.h"
#include "convoy/store/state_store.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::controller {

class Operations {
 public:
  // Plan measures every VM's dirty rate over `plan_dirty_rate_s` seconds first (0: not).
  // Unless executor_options.replan is set or replan_interval_s is 0, executors re-plan their
  // pending migrations on the live inventory (Replan below).
  Operations(Inventory* inventory, PowerDriver* power, store::StateStore* store,
             ExecutorOptions executor_options, plan::PlannerOptions planner_options = {},
             uint32_t plan_dirty_rate_s = 0);
  ~Operations();

  // Plans on a fresh inventory and keeps the preview for Submit. INVALID_ARGUMENT for an
  // unknown host or VM or a malformed request (naming it); FAILED_PRECONDITION when a host
  // named is down. An infeasible request is a preview whose plan says why.
  StatusOr<v1::PlanPreview> Plan(const v1::ControllerPlanRequest& request);
  // Starts executing. FAILED_PRECONDITION when the plan is infeasible, stale (a VM is no longer
  // where the plan found it), needs a host that is down, or touches a VM that a running
  // operation is moving. NOT_FOUND for an unknown plan id.
  StatusOr<v1::Operation> Submit(const v1::SubmitRequest& request);
  StatusOr<v1::Operation> Get(const std::string& id);
  StatusOr<std::vector<v1::Operation>> List(bool include_finished);
  StatusOr<v1::Operation> Cancel(const std::string& id);
  // Sends the operation's events from the start, then new ones as they happen, with progress
  // of running migrations every interval_ms; returns when the operation has ended and
  // everything was sent, or when `send` returns false (the watcher left).
  Status Watch(const std::string& id, int interval_ms,
               const std::function<bool(const v1::Event&)>& send);
  // Restarts the executors of every operation the store has as unfinished.
  Status Resume();
  // Waits for every executor (tests; shutdown after cancel).
  void JoinAll();

 private:
  bool IsLive(const std::string& id);
  // The request planned on `cluster` (the live inventory, or a copy with revised figures).
  StatusOr<v1::Plan> PlanOn(const v1::Cluster& cluster, const v1::ControllerPlanRequest& request);
  // The executors' re-planning (ExecutorOptions::replan): measures the dirty rates of the VMs
  // the request moves, lowers the NICs measured slower than planned, plans again.
  StatusOr<v1::Plan> Replan(const v1::ControllerPlanRequest& request,
                            const std::map<std::string, double>& measured_nic_mbps);

  Inventory* inventory_;
  PowerDriver* power_;
  store::StateStore* store_;
  ExecutorOptions executor_options_;
  plan::PlannerOptions planner_options_;
  uint32_t plan_dirty_rate_s_;
  EventBus events_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Executor>> executors_;
};

}  // namespace convoy::controller
