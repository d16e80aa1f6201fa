#include "src/sim/flow.h"

#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/simix.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace convoy::sim {
namespace {

namespace sg4 = simgrid::s4u;
using simgrid::kernel::resource::Model;

Model* network_model = nullptr;
double factor = 1.0;

}  // namespace

void InitFlows(double bandwidth_factor) {
  factor = bandwidth_factor;
  network_model = nullptr;
  for (Model* m : sg4::Engine::get_instance()->get_all_models()) {
    if (m->get_name().rfind("Network", 0) == 0) network_model = m;
  }
}

sg4::CommPtr StartFlow(sg4::Host* src, sg4::Host* dst, double bytes, double limit_bytes_per_s) {
  sg4::CommPtr comm = sg4::Comm::sendto_init();
  comm->set_payload_size(static_cast<uint64_t>(bytes));
  comm->set_source(src);
  comm->set_destination(dst);  // both ends known: the flow starts here
  if (limit_bytes_per_s <= 0 || network_model == nullptr) return comm;
  // The action's variable is what a flow takes from its links; it progresses at that times the
  // bandwidth factor, so the limit on the variable is the wanted rate over the factor.
  const double bound = limit_bytes_per_s / factor;
  const bool found = simgrid::kernel::actor::simcall_answered([&comm, bound] {
    auto* started = network_model->get_started_action_set();
    // The action was created just now: it is the last one started, or close to it.
    for (auto it = started->rbegin(); it != started->rend(); ++it) {
      if (it->get_activity() == comm->get_impl()) {
        it->set_bound(bound);
        return true;
      }
    }
    return false;
  });
  if (!found) {
    // Not expected with SimGrid 3.32; say so rather than simulate an unlimited flow silently.
    std::cerr << "convoy simulate: internal error: no network action for a flow from "
              << src->get_name() << " to " << dst->get_name() << "\n";
    std::abort();
  }
  return comm;
}

}  // namespace convoy::sim
