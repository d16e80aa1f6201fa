#include "src/sim/host_load.h"

#include <algorithm>

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

// The VMs' computation and traffic never end on their own: longer than any simulation.
constexpr double kEndlessFlops = 1e18;
constexpr double kEndlessBytes = 1e18;

// What an aggregate carries when no VM is there (flop/s or B/s): nothing, to within the
// models' precision.
constexpr double kIdle = 1e-9;

double MbpsToBytesPerS(double mbps) { return mbps * 1e6 / 8.0; }

}  // namespace

HostLoads::HostLoads(const model::ClusterModel& model, const Platform& platform, PowerMeter* meter)
    : model_(model),
      platform_(platform),
      meter_(meter),
      loads_(model.hosts().size()),
      vm_host_(model.vms().size(), -1) {}

void HostLoads::StartHost(int h) {
  Load& l = loads_[h];
  if (l.cpu != nullptr) return;
  // Everything is created before anything else may touch this host (each start is a simcall,
  // which lets other actors run); until then, Place and Pause only count.
  sg4::Host* host = platform_.host(h);
  KernelAction* cpu = nullptr;
  KernelAction* out = nullptr;
  KernelAction* in = nullptr;
  sg4::ExecPtr exec = StartComputation(host, kEndlessFlops, kIdle, &cpu);
  sg4::CommPtr out_flow = StartFlow(host, platform_.world(), kEndlessBytes, kIdle, &out);
  sg4::CommPtr in_flow = StartFlow(platform_.world(), host, kEndlessBytes, kIdle, &in);
  l.cpu = exec;
  l.cpu_action = cpu;
  l.out.flow = out_flow;
  l.out.action = out;
  l.in.flow = in_flow;
  l.in.action = in;
  Update(h);
}

void HostLoads::ReleaseHost(int h) {
  Load& l = loads_[h];
  sg4::ExecPtr cpu = std::move(l.cpu);
  sg4::CommPtr out = std::move(l.out.flow);
  sg4::CommPtr in = std::move(l.in.flow);
  l.cpu = nullptr;
  l.cpu_action = l.out.action = l.in.action = nullptr;
  l.out.flow = l.in.flow = nullptr;
  if (cpu != nullptr) cpu->cancel();
  if (out != nullptr) out->cancel();
  if (in != nullptr) in->cancel();
}

void HostLoads::ReleaseAll() {
  for (std::size_t h = 0; h < loads_.size(); ++h) ReleaseHost(static_cast<int>(h));
}

void HostLoads::Place(int vm, int h) {
  Change(vm, h, +1);
  vm_host_[vm] = h;
  Update(h);
}

void HostLoads::Pause(int vm) {
  const int h = vm_host_[vm];
  if (h < 0) return;
  vm_host_[vm] = -1;
  Change(vm, h, -1);
  Update(h);
}

void HostLoads::Change(int vm, int h, int sign) {
  const auto& info = model_.vms()[vm];
  Load& l = loads_[h];
  l.vcpus += sign * std::max(1, info.vcpus);
  if (info.net_out_mbps > 0) {
    l.out.mbps += sign * info.net_out_mbps;
    l.out.vms += sign;
  }
  if (info.net_in_mbps > 0) {
    l.in.mbps += sign * info.net_in_mbps;
    l.in.vms += sign;
  }
}

void HostLoads::Update(int h) {
  meter_->Touch(h);
  const Load* l = &loads_[h];
  if (l->cpu_action == nullptr) return;  // off, or not started yet: nothing computes or sends
  // Read in the kernel, when the call runs: another actor may have changed the load since.
  InKernel([l] {
    if (l->cpu_action == nullptr) return;
    l->cpu_action->set_bound(std::max(l->vcpus, kIdle));
    for (const Direction* d : {&l->out, &l->in}) {
      SetFlowRateInKernel(d->action, d->vms > 0 ? MbpsToBytesPerS(d->mbps) : kIdle,
                          std::max(d->vms, 1));
    }
  });
}

}  // namespace convoy::sim
