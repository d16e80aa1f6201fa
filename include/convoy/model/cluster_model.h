// The cluster as the planner sees it: hosts, VMs and the network, indexed by dense integer ids,
// with defaults applied and units normalised (MiB, Mb/s, W, s). Built once from a validated
// scenario; immutable afterwards and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/v1/request.pb.h"

namespace convoy::model {

struct HostInfo {
  std::string name;
  int switch_id = 0;
  double nic_mbps = 0;       // full duplex: this much each way
  double vcpu_capacity = 0;  // cpus * cpu_overcommit
  double memory_mib = 0;     // memory_gib minus reserved_mib
  double idle_w = 0, max_w = 0, boot_w = 0;
  double boot_s = 0, shutdown_s = 0;
  bool online = true;
  uint32_t hash_id = 0;
  std::vector<int> stage_via;  // hosts whose Redis this host may stage migrations through
};

struct VmInfo {
  std::string name;
  int host = 0;
  int vcpus = 0;
  double memory_mib = 0;
  double used_mib = 0;
  double dirty_mibps = 0;
  double wws_mib = 0;
  double net_out_mbps = 0, net_in_mbps = 0;
  double disk_mib = 0;
  double disk_dirty_mibps = 0;
  double disk_wws_mib = 0;  // defaults to all of the disk
  // From the guest module, when it reports (enlightened): working set and free memory, MiB.
  bool enlightened = false;
  double working_set_mib = 0;
  double free_mib = 0;
  int app = -1;  // index into apps(), -1 when the VM belongs to no app
};

struct LinkInfo {
  int switch_a = 0, switch_b = 0;
  int members = 1;
  double member_mbps = 0;  // each member, each way
};

struct TrafficInfo {
  int vm_a = 0, vm_b = 0;
  double kbps = 0;
};

// A unit of network capacity that flows share: a NIC in one direction, or one member of a link
// aggregate in one direction.
struct Resource {
  std::string label;  // e.g. "a1 out", "bc-a<->bc-b#2 a->b"
  double capacity_mbps = 0;
};

class ClusterModel {
 public:
  // Builds the model from a scenario that passed ValidateScenario. Fails (INVALID_ARGUMENT)
  // only on what validation cannot see alone, such as two switches with no path between them
  // being asked for later (reported by FlowResources instead).
  static StatusOr<ClusterModel> Build(const v1::Scenario& scenario);

  const std::vector<HostInfo>& hosts() const { return hosts_; }
  const std::vector<VmInfo>& vms() const { return vms_; }
  const std::vector<LinkInfo>& links() const { return links_; }
  const std::vector<std::string>& switches() const { return switches_; }
  const std::vector<std::string>& apps() const { return apps_; }
  const std::vector<TrafficInfo>& traffic() const { return traffic_; }
  const std::vector<Resource>& resources() const { return resources_; }

  std::optional<int> FindHost(std::string_view name) const;
  std::optional<int> FindVm(std::string_view name) const;

  // Ids of the resources a flow from host `src` to host `dst` crosses, in order: src NIC out,
  // one member of every link on the switch path (the member chosen by the aggregate's hash),
  // dst NIC in. NOT_FOUND when the two hosts' switches are not connected.
  Status FlowResources(int src, int dst, std::vector<int>* out) const;

  // The member of link `link` that a flow between hosts `src` and `dst` is hashed onto:
  // (hash_id(src) XOR hash_id(dst)) mod members, the layer-2 policy of seed 000's switches.
  int MemberFor(int link, int src, int dst) const;

  // Resource ids of host h's NIC, outgoing and incoming.
  static int NicOut(int host) { return 2 * host; }
  static int NicIn(int host) { return 2 * host + 1; }

 private:
  struct Hop {
    int link;
    int dir;  // 0: a -> b, 1: b -> a
  };
  // Hops of the shortest path (in hops) between two switches; nullptr when none.
  const std::vector<Hop>* SwitchPath(int from, int to) const;

  std::vector<HostInfo> hosts_;
  std::vector<VmInfo> vms_;
  std::vector<LinkInfo> links_;
  std::vector<std::string> switches_;
  std::vector<std::string> apps_;
  std::vector<TrafficInfo> traffic_;
  std::vector<Resource> resources_;
  std::vector<int> link_resource_base_;
  std::unordered_map<std::string, int> host_index_;
  std::unordered_map<std::string, int> vm_index_;
  // paths_[from * switches + to]; computed at Build for every pair of switches that some host
  // could send between (all pairs: topologies have far fewer switches than hosts).
  std::vector<std::vector<Hop>> paths_;
  std::vector<bool> reachable_;
};

}  // namespace convoy::model
