// QosProgrammer on Open vSwitch: OVSDB (RFC 7047, agent/ovs/ovsdb_client.h) for QoS and Queue rows,
// OpenFlow 1.3 (agent/ovs/openflow_client.h) for the flows that steer migration connections into
// the migration queue and count VM-to-VM traffic.
//
// The source's uplink gets a linux-htb QoS (the one already on the port, or one of the agent's
// own) with a migration queue (min-rate = the reservation, max-rate = the uplink) next to the
// queue every other packet takes (queue 0, its max-rate lowered to the rest while a reservation
// holds and restored after). Every row the agent makes carries external_ids:convoy-owner, every
// value it changes keeps its old value in external_ids, and every flow a cookie of its own, so
// RemoveAll finds them after a crash: OVS never garbage-collects QoS and Queue rows.
//
// On the userspace datapath (datapath_type=netdev, the only one without the openvswitch kernel
// module) OVS does not carry set_queue's priority to the kernel's qdisc, so the agent also puts a
// tc u32 filter on the uplink's HTB qdisc for the same connections (measured: without it every
// packet lands in queue 0). On the kernel datapath the flows alone do it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/ovs/openflow_client.h"
#include "agent/ovs/ovsdb_client.h"
#include "agent/qos_programmer.h"

namespace convoy::agent::ovs {

struct OvsOptions {
  std::string db = "unix:/run/openvswitch/db.sock";
  std::string bridge = "br0";
  std::string openflow;         // default: unix:/run/openvswitch/<bridge>.mgmt
  std::string uplink = "eth0";  // the uplink's port and device name
  double uplink_bps = 0;        // 0: the max-rate of the uplink's QoS (an error when it has none)
  uint16_t migration_port_min = 49152;  // libvirt's migration_port_min..max
  uint16_t migration_port_max = 49215;
  std::string tc = "tc";  // the iproute2 binary, for the netdev datapath's filters
  std::string proc_net_dev = "/proc/net/dev";  // per network namespace, unlike /sys
  int timeout_ms = 5000;
};

// The bytes `device` has sent, from a /proc/net/dev text; NOT_FOUND when it is not listed.
StatusOr<uint64_t> ParseTxBytes(const std::string& proc_net_dev, const std::string& device);

// The (value, mask) pairs whose union is exactly the ports lo..hi (a prefix decomposition).
std::vector<std::pair<uint16_t, uint16_t>> PortRangeMasks(uint16_t lo, uint16_t hi);

class OvsQosProgrammer final : public QosProgrammer {
 public:
  // Cookies of the agent's flows: owner in the top 16 bits, kind in the next 16.
  static constexpr uint64_t kCookieOwner = 0xC0A7ULL << 48;
  static constexpr uint64_t kCookieOwnerMask = 0xFFFFULL << 48;
  static constexpr uint64_t kCookieKindMask = 0xFFFFFFFFULL << 32;
  static constexpr uint64_t kCookieMigration = kCookieOwner | (1ULL << 32);
  static constexpr uint64_t kCookiePair = kCookieOwner | (2ULL << 32);
  static constexpr int kFilterPriority = 7;  // tc "prio" of the agent's filters on the uplink

  // Checks that the database answers and the bridge and uplink exist; FAILED_PRECONDITION names
  // what is missing.
  static StatusOr<std::unique_ptr<OvsQosProgrammer>> Open(OvsOptions options);

  StatusOr<double> UplinkBps() override;
  Status SetUplinkReservation(const UplinkReservation& reservation) override;
  Status SetGuestIngressCap(double cap_bps) override;
  StatusOr<QosCounters> ReadCounters() override;
  Status SetTrafficPairs(const std::vector<std::string>& local_macs,
                         const std::vector<std::string>& peer_macs) override;
  StatusOr<std::vector<PairCounter>> ReadTrafficPairs() override;
  StatusOr<int> RemoveAll() override;

  bool userspace_datapath() const { return userspace_datapath_; }

 private:
  explicit OvsQosProgrammer(OvsOptions options);

  // The uplink reservation's rows, once made.
  struct UplinkRows {
    std::string qos;       // the uplink's QoS row
    bool own_qos = false;  // made by us (deleted on release)
    std::string vm_queue;  // queue 0
    bool own_vm_queue = false;
    std::string migration_queue;
    int64_t migration_queue_id = 0;
  };
  // The guest-cap rows of one port.
  struct CapRows {
    std::string port;
    std::string qos;
    std::string queue;
  };

  Status MakeUplinkRows(double link_bps);  // with mu_ held
  Status ReleaseUplink();                  // with mu_ held
  Status SetMigrationFlows(const std::set<uint32_t>& destinations, int64_t queue_id);
  Status SetFilters(const std::set<uint32_t>& destinations, int64_t queue_id);
  Status DeleteFilters();
  StatusOr<nlohmann::json> Select(const std::string& table, const nlohmann::json& where,
                                  const std::vector<std::string>& columns);

  const OvsOptions options_;
  OvsdbClient db_;
  OpenFlowClient openflow_;
  bool userspace_datapath_ = false;

  std::mutex mu_;
  std::optional<UplinkRows> uplink_;
  double applied_reserved_bps_ = -1;
  std::set<uint32_t> flow_destinations_;    // destinations with a migration flow
  std::set<uint32_t> filter_destinations_;  // and with a tc filter
  std::map<std::string, CapRows> caps_;     // by port name
  double applied_cap_bps_ = 0;
  std::map<std::pair<std::string, std::string>, uint32_t> pairs_;  // (src, dst) -> cookie index
  uint32_t next_pair_index_ = 1;
};

}  // namespace convoy::agent::ovs
