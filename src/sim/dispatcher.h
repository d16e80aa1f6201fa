// One run: its plan as the controller's action DAG (controller/action_graph), executed on the
// run's copy of the platform. Internal to src/sim.
//
// The dispatcher is the run's main actor. It puts every VM's load on its host, then, until every
// action has ended: asks ReadyActions which pending actions the controller would start now
// (dependencies done, planned bandwidth within the host NICs when the policy admits by
// bandwidth), takes them in the plan's order under the policy's caps (Admission), starts each
// as an actor (a boot, a shutdown, a migration), and waits for the events they post.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controller/action_graph.h"
#include "convoy/sim/simulator.h"
#include "src/sim/admission.h"
#include "src/sim/run_context.h"
#include "src/sim/summary.h"

namespace convoy::sim {

class Dispatcher {
 public:
  // `run` and `ctx` outlive the dispatcher.
  Dispatcher(RunContext* ctx, const StrategyRun& run);

  // The body of the run's main actor.
  void Main();
  // What happened; call after Main returned.
  v1::SimulatedStrategy Result() const;

 private:
  enum class Kind { kBoot, kMigrate, kShutdown };
  struct Info {
    Kind kind = Kind::kMigrate;
    int host = -1;  // booted or shut down; a migration's source
    int to = -1;    // a migration's destination
    int vm = -1;
    double planned_start_s = 0;
    double started_s = 0;
    int deps_left = 0;
    std::string group;  // "app#group" of a coordinated migration, else empty
    std::vector<int> dependents;
    AdmissionItem item;
  };

  void Setup();
  void StartReady();
  // Starts those of `pending` (dependencies done, in the plan's order) that the controller's
  // rules and the policy's caps admit now.
  void Admit(const std::vector<int>& pending);
  // `pending` with what ReadyActions must also see to judge them: the running migrations, every
  // member of their COMMA groups and those members' dependencies.
  std::vector<v1::Action*> Candidates(const std::vector<int>& pending);
  void Start(int i);
  void StartPower(int i);
  void StartMigration(int i);
  void Handle(const Event& e);
  void Finished(int i, const std::string& state);
  void SkipUnreachable();

  RunContext* ctx_;
  const StrategyRun& run_;
  controller::Actions actions_;
  std::vector<Info> info_;
  std::vector<char> in_view_;  // scratch of Candidates, all 0 between calls
  std::unordered_map<std::string, int> index_;
  std::map<std::string, std::vector<int>> groups_;
  std::set<std::pair<double, int>> pool_;  // pending, dependencies done: (planned start, index)
  std::set<int> running_;
  controller::Capacity capacity_;
  Admission admission_;
  v1::Plan trace_;
  RunMeasures measures_;
};

}  // namespace convoy::sim
