// The speed limits and turns of the migrations COMMA coordinates, app by app, after the
// controller's executor (Executor::Repace) and the plan's stages (seed 001 section 3). Internal
// to src/sim.
//
// The app's bandwidth is the sum of its migrations' planned bandwidths. Stage 1, while some
// member of the app is in its first pass (the bulk copy): each member in its first pass sends
// at the bandwidth the plan gave it (eq. 2: in proportion to its size, so that the bulk copies
// end together) and a member whose first pass is over holds (its VM keeps writing, up to its
// working set). Stage 2, the valid groups one after the other in the plan's order: the members
// of the lowest group still running share the app's bandwidth, the later groups hold. Members of
// a group stop together (section 3.4): one whose dirty iteration has converged keeps iterating
// at its dirty rate (so what it has left stays as small) and its spare goes to the members still
// catching up; once all are ready the group is released, each stops at the end of its round and
// the group's bandwidth is split evenly for the stops. The executor re-paces every 5 s and splits
// stage 2 evenly; here a change applies at once, to the flows in flight too.
#pragma once

#include <map>
#include <string>

#include <simgrid/s4u.hpp>

#include "src/sim/flow.h"

namespace convoy::sim {

class AppPacer {
 public:
  // Member `vm` of app `app`, in its valid group `group`, starts; it was planned at
  // `planned_bytes_per_s`, the whole app at `app_bytes_per_s`.
  void Join(const std::string& app, int vm, int group, double planned_bytes_per_s,
            double app_bytes_per_s, double dirty_bytes_per_s);
  // Blocks until the member may send its next round; returns how long it held, s.
  double WaitTurn(const std::string& app, int vm);
  // The limit for the member's next flow, B/s.
  double LimitFor(const std::string& app, int vm) const;
  // The member's flow in flight (nullptr: none), re-paced while it runs. Holds a reference on
  // the kernel action until the next call, so it is never used once freed.
  void Track(const std::string& app, int vm, KernelAction* flow);
  // The member finished its first pass / its migration.
  void MovedOn(const std::string& app, int vm);
  void Left(const std::string& app, int vm);
  // The member's dirty iteration has converged. True when it may stop now (its whole group is
  // ready); false: it goes on iterating, at its dirty rate, until then.
  bool ReadyToStop(const std::string& app, int vm);
  // Blocks a converged member with nothing left to send until its group is released.
  void WaitReleased(const std::string& app, int vm);
  // Whether the member is holding, converged, for the rest of its group.
  bool Holding(const std::string& app, int vm) const;

 private:
  struct Member {
    int group = 0;
    double planned_bytes_per_s = 0;
    double dirty_bytes_per_s = 0;
    KernelAction* flow = nullptr;
    bool first_pass = true;
    bool ready = false;
  };
  struct App {
    double bytes_per_s = 0;
    int released = -1;  // the group whose members all converged: they stop
    std::map<int, Member> running;
    simgrid::s4u::MutexPtr mutex;
    simgrid::s4u::ConditionVariablePtr turn;
  };
  static bool InStage1(const App& a);
  static int CurrentGroup(const App& a);
  static bool MaySend(const App& a, const Member& m);
  static double Share(const App& a, const Member& m);
  void Changed(const std::string& app);

  std::map<std::string, App> apps_;
};

}  // namespace convoy::sim
