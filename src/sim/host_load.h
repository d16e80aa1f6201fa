// The load a host's VMs put on it, changed in place as VMs come and go. Internal to src/sim.
//
// Per host, one computation carries the vCPUs of the VMs it runs (their sum in flop/s, the host
// computing vcpu_capacity flop/s, so the energy plugin sees vCPUs in use over capacity) and one
// flow each way carries their own traffic (to and from the host standing for the outside,
// through the host's NIC): as many shares as VMs, at most the sum of their rates. TCP gives N
// connections N shares of a link, so a migration next to the traffic of 4 VMs gets a fifth of a
// saturated NIC; one aggregate per host, not one per VM, keeps SimGrid's lists short (each flow
// that ends is looked up in a list of every flow in flight).
#pragma once

#include <vector>

#include <simgrid/s4u.hpp>

#include "convoy/model/cluster_model.h"
#include "src/sim/flow.h"
#include "src/sim/platform.h"
#include "src/sim/power_meter.h"

namespace convoy::sim {

class HostLoads {
 public:
  HostLoads(const model::ClusterModel& model, const Platform& platform, PowerMeter* meter);

  // Starts host h's computation (idle until a VM arrives). It belongs to the calling actor,
  // which must live until the run ends: the dispatcher calls this for every host that is on,
  // at the start and after each boot.
  void StartHost(int h);
  // Cancels host h's computation and flows (before it turns off).
  void ReleaseHost(int h);
  // VM `vm` runs on host h from now on (its host was started) / is paused (runs nowhere).
  // Any actor.
  void Place(int vm, int h);
  void Pause(int vm);
  // Where `vm` runs (-1: paused, between two hosts).
  int host_of(int vm) const { return vm_host_[vm]; }
  void ReleaseAll();

 private:
  struct Direction {
    simgrid::s4u::CommPtr flow;
    KernelAction* action = nullptr;
    double mbps = 0;
    int vms = 0;
  };
  struct Load {
    simgrid::s4u::ExecPtr cpu;
    KernelAction* cpu_action = nullptr;
    double vcpus = 0;
    Direction out, in;
  };

  void Change(int vm, int h, int sign);
  void Update(int h);

  const model::ClusterModel& model_;
  const Platform& platform_;
  PowerMeter* meter_;
  std::vector<Load> loads_;
  std::vector<int> vm_host_;
};

}  // namespace convoy::sim
