// Network flows and computations whose rate the simulator changes. Internal to src/sim.
//
// SimGrid 3.32 applies a Comm's set_rate only to mailbox communications (a host-to-host Comm
// ignores it) and fixes an Exec's bound and any activity's share of its resources at start.
// The simulator needs all three: a migration's speed limit, the VMs' own traffic (one flow per
// host and direction, as many shares as VMs, at most their total rate) and the VMs' CPU load
// (one computation per host), both changing as VMs come and go. So it keeps the kernel action
// behind each such activity and changes its bound and sharing penalty in a simcall, the way
// SimGrid's own plugins change bounds.
#pragma once

#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/s4u.hpp>

#include <functional>

namespace convoy::sim {

using KernelAction = simgrid::kernel::resource::Action;

// Must be called once, after the platform is sealed and before any activity starts: finds the
// network and CPU models and remembers the bandwidth factor flows are scaled by.
void InitKernelAccess(double bandwidth_factor);

// Starts a flow of `bytes` (at least 1) from `src` to `dst` along their route, at no more than
// `limit_bytes_per_s` (<= 0: no limit). Sets *action to its kernel action when asked. Call from
// an actor; the flow belongs to no actor (it lives until it ends or is cancelled).
simgrid::s4u::CommPtr StartFlow(simgrid::s4u::Host* src, simgrid::s4u::Host* dst, double bytes,
                                double limit_bytes_per_s, KernelAction** action = nullptr);

// Every function here makes a simcall, and a simcall lets the other actors run before it
// returns: state shared between actors must be consistent before the call.

// A flow's new limit (B/s) and share: `shares` times what one plain flow gets.
// (Activities are never suspended: SimGrid 3.32's lazy update dies on a suspended action in its
// modified set. An idle aggregate is given a negligible limit instead.)
void SetFlowRate(KernelAction* action, double limit_bytes_per_s, double shares);
// The same, from kernel code (inside InKernel).
void SetFlowRateInKernel(KernelAction* action, double limit_bytes_per_s, double shares);

// Starts a computation of `flops` on `host` at no more than `bound` flop/s and sets *action to
// its kernel action. It belongs to the calling actor: SimGrid cancels it when that actor ends.
simgrid::s4u::ExecPtr StartComputation(simgrid::s4u::Host* host, double flops, double bound,
                                       KernelAction** action);

// A computation's new bound, flop/s.
void SetComputationBound(KernelAction* action, double bound);

// Runs `code` in the kernel (maestro): it reads the state it needs when it runs.
void InKernel(const std::function<void()>& code);

}  // namespace convoy::sim
