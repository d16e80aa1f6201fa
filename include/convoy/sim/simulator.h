// The simulator: executes plans on a SimGrid model of the datacenter and reports what happened.
//
// The platform (one copy per run, all runs side by side in one SimGrid engine): every host with
// its NIC as two links (out and in, nic speed each), every member of every link aggregate as one
// link per direction, and for each pair of hosts a migration goes between, the route through
// the members the layer-2 XOR hash of the cluster model picks (ClusterModel::FlowResources).
// Flows share links the way SimGrid's flow-level model (LV08, max-min fair) shares them, with
// the bandwidth factor set to the planner's goodput so that an idle link gives a flow what the
// planner expects. Every VM loads its host's CPU (vCPUs over the host's vCPU capacity) and, with
// its own traffic, its host's NIC (net_out to and net_in from a host outside the datacenter):
// a migration competes with the traffic of the VMs on its source and destination. Hosts draw
// power through SimGrid's energy plugin: idle_w + (max_w - idle_w) x CPU load when on, boot_w
// while booting, nothing when off.
//
// A run executes its plan with the controller's dependency rules (controller/action_graph: a
// migration waits for the boot of its destination and for the migrations the plan finished
// before it on a host they share; a shutdown waits for every migration out of its host), never
// at a wall-clock time, under the caps of its DispatchPolicy. Migrations follow the predictor's
// model (include/convoy/predict/predictor.h) round by round, but each round's bandwidth is what
// SimGrid gives its flow over time, and the stop threshold is the bandwidth the previous round
// achieved times the downtime limit, as QEMU does:
//  - pre-copy: storage pre-copy when the VM has a local disk, then memory rounds (round 1 the
//    used memory, each later round what was dirtied during the previous one, at most the WWS)
//    until what is left fits the downtime limit (then the VM stops, the rest is sent, the VM
//    resumes on the destination), or the round cap is reached (the rest is sent with the VM
//    stopped: "did not converge"), or the migration timeout passes (aborted, the VM stays on its
//    source: "timed out");
//  - post-copy and enlightened: storage pre-copy, the switch-over (the VM runs on the destination
//    from then on), then its memory;
//  - stop-and-copy: the VM stops while memory and disk are sent.
// Each round's dirty rate and each boot and shutdown time vary within +/- variation_pct of the
// scenario's figure, drawn from `seed` with one stream per VM and per host, so a given seed gives
// the same report whatever order actions run in.
//
// SimGrid keeps global state (one engine per process, plugins registered for good), so Simulate
// forks: the child builds the engine, runs every plan and sends the report back through a pipe;
// the caller's process never holds SimGrid state and may call Simulate again. Call it from a
// process with no other threads running (the child of a multithreaded process may deadlock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/model/cluster_model.h"
#include "convoy/predict/predictor.h"
#include "convoy/v1/plan.pb.h"
#include "convoy/v1/simulation.pb.h"

namespace convoy::sim {

// How a run starts the actions of its plan, on top of the controller's dependency rules.
struct DispatchPolicy {
  // Said in the report (SimulatedStrategy.dispatch), e.g. "controller" or "1 per source host".
  std::string name;
  // Caps on what runs at once (0: no cap): actions of every kind; migrations in the cluster;
  // migrations out of one source host.
  int max_actions = 0;
  int max_migrations = 0;
  int max_per_source = 0;
  // A migration starts only when its planned bandwidth fits next to the running migrations' on
  // every resource of its path (NIC directions, aggregate members); a resource with nothing
  // running always admits one. The controller checks the host NICs only (ReadyActions); this is
  // the same rule over the whole path, which is what the plan's timeline assumes.
  bool admit_by_bandwidth = false;
  // Each migration runs at no more than its planned bandwidth, as the controller sets QEMU's
  // maximum speed; otherwise as fast as the network lets it (QEMU without a limit).
  bool cap_at_planned = false;
  // Every migration in this mode instead of the plan's ("" keeps the plan's).
  std::string mode;
};

// One strategy to simulate: a plan and the rules it is executed with.
struct StrategyRun {
  std::string strategy;  // its name in the report
  v1::Plan plan;
  DispatchPolicy policy;
};

struct SimOptions {
  uint64_t seed = 1;
  double variation_pct = 10;
  // Share of a link's speed a flow achieves (SimGrid's bandwidth factor); the planner's default.
  double goodput_fraction = 0.94;
  // The longest acceptable stop of a pre-copy, its round cap and the switch-over time. Give
  // the request's downtime (the planner uses 300 ms when the request says 0).
  predict::PredictorConfig predictor;
  // A pre-copy still iterating after this long is aborted (the VM stays on its source), as
  // convoy-agent does with its timeout_s. 0: never.
  double migration_timeout_s = 0;
};

// Simulates every run (side by side, each on its own copy of the platform) and reports them in
// the order given. INVALID_ARGUMENT when a plan names a host or VM the model lacks, a mode the
// simulator does not know, or a pair of hosts with no network path between them, or when an
// option is out of range; INTERNAL when the simulation process fails.
StatusOr<v1::SimulationReport> Simulate(const model::ClusterModel& model,
                                        const std::vector<StrategyRun>& runs,
                                        const SimOptions& options);

}  // namespace convoy::sim
