// One copy of the datacenter in the SimGrid engine, for one run. Internal to src/sim.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <simgrid/s4u.hpp>

#include "convoy/common/status.h"
#include "convoy/model/cluster_model.h"

namespace convoy::sim {

class Platform {
 public:
  // Creates the copy as a zone under `root`, every name prefixed with `prefix`:
  //  - a host per model host, one core of vcpu_capacity flop/s (a VM of n vCPUs computes at n
  //    flop/s, so the CPU load is vCPUs in use over capacity), two power states for the energy
  //    plugin (0: idle_w to max_w with the load; 1, while booting: boot_w), nothing when off;
  //  - a link per model Resource (a NIC direction, an aggregate member direction) at its speed,
  //    without latency;
  //  - a host standing for everything outside the datacenter, which the VMs' own traffic goes
  //    to and comes from through their host's NIC, and a host the run's actors live on;
  //  - a route for every pair in `pairs` (source, destination), through the resources of
  //    ClusterModel::FlowResources, and from every host to the outside and back.
  // INVALID_ARGUMENT when a pair has no network path.
  static StatusOr<std::unique_ptr<Platform>> Build(const model::ClusterModel& model,
                                                   const std::vector<std::pair<int, int>>& pairs,
                                                   simgrid::s4u::NetZone* root,
                                                   const std::string& prefix);

  simgrid::s4u::Host* host(int h) const { return hosts_[h]; }
  simgrid::s4u::Host* world() const { return world_; }
  simgrid::s4u::Host* control() const { return control_; }
  // The resource ids a flow from src to dst crosses (a pair given to Build).
  const std::vector<int>& Path(int src, int dst) const { return paths_.at({src, dst}); }

 private:
  Platform() = default;

  std::vector<simgrid::s4u::Host*> hosts_;
  simgrid::s4u::Host* world_ = nullptr;
  simgrid::s4u::Host* control_ = nullptr;
  std::map<std::pair<int, int>, std::vector<int>> paths_;
};

}  // namespace convoy::sim
