#include "src/sim/flow.h"

#include <simgrid/kernel/resource/Model.hpp>
#include <simgrid/simix.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace convoy::sim {
namespace {

namespace sg4 = simgrid::s4u;
using simgrid::kernel::resource::Model;

// The engine's models and the bandwidth factor: set once per process (the simulation runs in a
// process of its own).
Model* network_model = nullptr;
Model* cpu_model = nullptr;
double factor = 1.0;

// The kernel action of an activity that just started: the last one the model started, or
// close to it.
KernelAction* ActionOf(Model* model, const sg4::Activity& activity) {
  KernelAction* found = simgrid::kernel::actor::simcall_answered([model, &activity] {
    auto* started = model->get_started_action_set();
    for (auto it = started->rbegin(); it != started->rend(); ++it) {
      if (it->get_activity() == activity.get_impl()) return &*it;
    }
    return static_cast<KernelAction*>(nullptr);
  });
  if (found == nullptr) {
    // Not expected with SimGrid 3.32; stop rather than simulate something else silently.
    std::cerr << "convoy simulate: internal error: no kernel action in " << model->get_name()
              << "\n";
    std::abort();
  }
  return found;
}

}  // namespace

void InitKernelAccess(double bandwidth_factor) {
  factor = bandwidth_factor;
  for (Model* m : sg4::Engine::get_instance()->get_all_models()) {
    if (m->get_name().rfind("Network", 0) == 0) network_model = m;
    if (m->get_name() == "Cpu_Cas01") cpu_model = m;
  }
  if (network_model == nullptr || cpu_model == nullptr) {
    std::cerr << "convoy simulate: internal error: SimGrid's network or CPU model not found\n";
    std::abort();
  }
}

sg4::CommPtr StartFlow(sg4::Host* src, sg4::Host* dst, double bytes, double limit_bytes_per_s,
                       KernelAction** action) {
  sg4::CommPtr comm = sg4::Comm::sendto_init();
  comm->set_payload_size(static_cast<uint64_t>(bytes));
  comm->set_source(src);
  comm->set_destination(dst);  // both ends known: the flow starts here
  if (limit_bytes_per_s <= 0 && action == nullptr) return comm;
  KernelAction* a = ActionOf(network_model, *comm);
  if (limit_bytes_per_s > 0) {
    simgrid::kernel::actor::simcall_answered(
        [a, limit_bytes_per_s] { a->set_bound(limit_bytes_per_s / factor); });
  }
  if (action != nullptr) *action = a;
  return comm;
}

void SetFlowRateInKernel(KernelAction* action, double limit_bytes_per_s, double shares) {
  // The action's variable is what the flow takes from its links; the flow progresses at that
  // times the bandwidth factor, so the limit on the variable is the wanted rate over the factor.
  // A smaller sharing penalty is a larger share; links have no latency, so every flow's
  // variable starts with a penalty of 1.
  action->set_bound(limit_bytes_per_s / factor);
  action->set_sharing_penalty(1.0 / shares);
}

void SetFlowRate(KernelAction* action, double limit_bytes_per_s, double shares) {
  simgrid::kernel::actor::simcall_answered([action, limit_bytes_per_s, shares] {
    SetFlowRateInKernel(action, limit_bytes_per_s, shares);
  });
}

void InKernel(const std::function<void()>& code) {
  simgrid::kernel::actor::simcall_answered([&code] { code(); });
}

sg4::ExecPtr StartComputation(sg4::Host* host, double flops, double bound, KernelAction** action) {
  sg4::ExecPtr exec = sg4::Exec::init();
  exec->set_flops_amount(flops);
  exec->set_host(host);
  exec->set_bound(bound);
  exec->start();
  *action = ActionOf(cpu_model, *exec);
  return exec;
}

void SetComputationBound(KernelAction* action, double bound) {
  simgrid::kernel::actor::simcall_answered([action, bound] { action->set_bound(bound); });
}

}  // namespace convoy::sim
