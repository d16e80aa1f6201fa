// Network flows with a rate limit. Internal to src/sim.
//
// SimGrid 3.32 applies a Comm's set_rate only to mailbox communications: a host-to-host
// Comm (sendto) ignores it. A migration's speed limit and a VM's own traffic rate are both
// host-to-host flows, so after starting one StartFlow bounds its network action in the kernel
// (inside a simcall, as SimGrid itself changes bounds). The flow then gets
// min(limit, its max-min fair share).
#pragma once

#include <simgrid/s4u.hpp>

namespace convoy::sim {

// Must be called once, after the platform is sealed and before any flow starts: finds the
// network model and remembers the bandwidth factor flows are scaled by.
void InitFlows(double bandwidth_factor);

// Starts a flow of `bytes` (> 0) from `src` to `dst` along their route, at no more than
// `limit_bytes_per_s` (<= 0: no limit). Call from an actor.
simgrid::s4u::CommPtr StartFlow(simgrid::s4u::Host* src, simgrid::s4u::Host* dst, double bytes,
                                double limit_bytes_per_s);

}  // namespace convoy::sim
