// What the actors of one run share: the platform, where each VM runs and what it loads, and
// the queue of events for the run's dispatcher. Internal to src/sim.
//
// All of a run's actors live in one SimGrid engine, which runs one actor at a time: the state
// here needs no locking beyond the SimGrid mutex that goes with the condition variable.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "convoy/model/cluster_model.h"
#include "convoy/sim/simulator.h"
#include "src/sim/app_pacer.h"
#include "src/sim/host_load.h"
#include "src/sim/platform.h"
#include "src/sim/power_meter.h"
#include "src/sim/variation.h"

namespace convoy::sim {

// What a migration did.
struct MigrationOutcome {
  double start_s = 0;
  double end_s = 0;
  double execution_transfer_s = 0;  // from the start until the VM ran on the destination
  double downtime_ms = 0;
  double sent_mib = 0;
  uint32_t rounds = 0;  // memory rounds including the stop (1 for post-copy)
  bool converged = true;
  bool timed_out = false;  // aborted: the VM stayed on its source
  std::string note;
};

// A message to the run's dispatcher.
struct Event {
  enum Kind { kActionDone, kLoadVm };
  Kind kind = kActionDone;
  int action = -1;           // kActionDone: index of the action
  MigrationOutcome outcome;  // kActionDone of a migration
  int vm = -1;               // kLoadVm: put this VM's CPU load on `host`
  int host = -1;
};

class RunContext {
 public:
  RunContext(const model::ClusterModel& model, const SimOptions& options,
             std::unique_ptr<Platform> platform);

  const model::ClusterModel& model() const { return model_; }
  const SimOptions& options() const { return options_; }
  const Platform& platform() const { return *platform_; }
  PowerMeter& meter() { return meter_; }
  Variation& vm_variation(int vm) { return vm_variation_[vm]; }
  Variation& host_variation(int host) { return host_variation_[host]; }

  // Where each VM runs and what it loads.
  HostLoads& loads() { return loads_; }
  // The speed limits and turns of COMMA's coordinated migrations.
  AppPacer& pacer() { return pacer_; }

  // The dispatcher's queue: actors post, the dispatcher takes everything posted so far.
  void Post(Event event);
  std::vector<Event> WaitEvents();

 private:
  const model::ClusterModel& model_;
  const SimOptions& options_;
  std::unique_ptr<Platform> platform_;
  PowerMeter meter_;
  std::vector<Variation> vm_variation_;
  std::vector<Variation> host_variation_;
  HostLoads loads_;
  AppPacer pacer_;
  std::deque<Event> events_;
  simgrid::s4u::MutexPtr mutex_;
  simgrid::s4u::ConditionVariablePtr wake_;
};

}  // namespace convoy::sim
