// Carries out one operation: its actions as a DAG (action_graph.h), through the agents and the
// power driver, adapting every tick. Every state change is written to the store before it is
// acted on, so an executor built from a stored operation (a restarted controller) resumes it:
// migrations already started are found on their agents by their ids and followed, none is
// started twice.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "controller/action_graph.h"
#include "controller/event_bus.h"
#include "controller/inventory.h"
#include "controller/power_driver.h"
#include "convoy/store/state_store.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::controller {

struct ExecutorOptions {
  // How often running migrations' progress is read.
  int poll_ms = 1000;
  // How often the executor adapts (COMMA's 5 s): re-paces coordinated bulk copies, detects
  // bandwidth drops and stalled pre-copies.
  int tick_ms = 5000;
  // Given to the agents: a pre-copy that has not converged after this long is aborted (or
  // switched to post-copy when the plan allows it). 0: never.
  double migration_timeout_s = 0;
  // How long a booted host's agent has to register before the boot counts as failed.
  double boot_wait_s = 300;
  // A migration whose achieved rate stays under this fraction of its limit for two ticks marks
  // its hosts as slower than planned: one migration at a time there.
  double bandwidth_drop_fraction = 0.5;
  // COMMA pacing measures each member's progress over at least this long before re-splitting.
  double pace_window_s = 2.0;
  // A running migration whose source agent does not answer for this long is failed (its
  // outcome unknown) rather than waited for forever.
  double agent_lost_s = 300;
  // A resumed operation waits this long for the agents of its hosts to register again.
  double resume_wait_s = 30;
  // Re-plans the migrations that have not started (replan.h) with fresh figures: given the
  // operation's request narrowed to moving them (ReplanRequest) and the NIC speeds measured
  // under plan (host -> Mb/s), returns a new plan. Empty: the plan is never revised.
  std::function<StatusOr<v1::Plan>(const v1::ControllerPlanRequest& request,
                                   const std::map<std::string, double>& measured_nic_mbps)>
      replan;
  // How often the pending migrations are re-planned, s; the new plan is taken only when a
  // migration's mode, group or order changes, or its bandwidth by more than this fraction.
  double replan_interval_s = 10;
  double replan_change_fraction = 0.1;
  std::function<double()> now_unix_s;
};

class Executor {
 public:
  // `op` is a stored operation (state planned, or running when resumed). The pointers must
  // outlive the executor.
  Executor(v1::Operation op, Inventory* inventory, PowerDriver* power, store::StateStore* store,
           EventBus* events, ExecutorOptions options);
  ~Executor();

  // Runs the operation on its own thread until it ends.
  void Start();
  // Stops pending actions, aborts running pre-copies; post-copies and power actions finish.
  void RequestCancel();
  // Blocks until the operation ended.
  void Join();
  bool Finished() const { return finished_.load(); }
  v1::Operation Snapshot() const;

 private:
  void Run();
  void Loop();
  void WaitForAgents();
  // Each returns false when the state could not be persisted (the operation then fails).
  bool StartAction(const std::string& id);
  bool StartMigration(v1::Action* a);
  void StartPower(v1::Action* a);
  void PollMigration(v1::Action* a);
  void CollectPowerResults();
  void Adapt();
  void Repace(const std::string& group_key, std::vector<v1::Action*> members);
  void Replan();
  void Cancel();
  void Finish();

  v1::Action* Find(const std::string& id);
  // Sets the action's state, persists it, publishes an event. Returns the store's verdict.
  bool SetState(v1::Action* a, const std::string& state, const std::string& message);
  bool Save(const v1::Action& a);
  void Publish(const std::string& kind, const std::string& message, const v1::Action* a);
  void Note(v1::Action* a, const std::string& note);
  double Now() const { return options_.now_unix_s(); }

  Inventory* inventory_;
  PowerDriver* power_;
  store::StateStore* store_;
  EventBus* events_;
  ExecutorOptions options_;

  mutable std::mutex mu_;  // guards op_ (read by Snapshot from other threads)
  v1::Operation op_;
  Capacity capacity_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> finished_{false};
  bool store_failed_ = false;
  std::thread thread_;

  // Power actions run on their own threads; their results come back here.
  std::mutex power_mu_;
  std::map<std::string, Status> power_results_;
  std::vector<std::thread> power_threads_;

  // Adaptation memory: ticks in a row a migration ran slow; hosts already degraded.
  std::map<std::string, int> slow_ticks_;
  std::map<std::string, double> last_remaining_mib_;
  std::map<std::string, int> stalled_ticks_;
  std::map<std::string, double> unreachable_since_;  // action id -> unix s
  // COMMA pacing: per migration, when its remaining data was last sampled and how much of it
  // clears per MiB/s of limit (smoothed).
  struct Pace {
    double at_unix_s = 0;
    double remaining_mib = 0;
    double efficiency = 0;
  };
  std::map<std::string, Pace> pace_;
  double last_tick_unix_s_ = 0;
  // Re-planning: when it last ran, the NIC speeds achieved where they fell under plan, the last
  // error reported (each new one is logged once).
  double last_replan_unix_s_ = 0;
  std::map<std::string, double> measured_nic_mbps_;
  std::string last_replan_error_;
};

}  // namespace convoy::controller
