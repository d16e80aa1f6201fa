// What the agent asks of the host's virtual switch to reserve bandwidth for migrations (seed 002,
// SOLive section V) and to measure the VMs' traffic to each other. The real implementation is
// Open vSwitch (agent/ovs/ovs_qos_programmer.h); tests/fakes has an in-memory one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::agent {

// The state the source's uplink should be in.
struct UplinkReservation {
  // Egress bandwidth guaranteed to migration connections, bit/s; the VMs' own traffic is held
  // to the rest of the uplink. 0: no reservation (the uplink as it was before).
  double reserved_bps = 0;
  // IPv4 addresses of the hosts migrations go to: connections to their migration ports are
  // the ones given the reservation.
  std::vector<std::string> destinations;
};

struct QosCounters {
  uint64_t uplink_tx_bytes = 0;     // everything the uplink sent
  uint64_t migration_tx_bytes = 0;  // of it, what matched the migration flows (may restart at 0
                                    // when the set of destinations changes)
};

// Bytes seen from one local VM's MAC to another MAC, since the flow counting them was made.
struct PairCounter {
  std::string src_mac;
  std::string dst_mac;
  uint64_t bytes = 0;
  double duration_s = 0;
};

class QosProgrammer {
 public:
  virtual ~QosProgrammer() = default;

  // The uplink's egress capacity, bit/s: what reservations are shares of.
  virtual StatusOr<double> UplinkBps() = 0;
  // Makes the uplink's reservation exactly `reservation` (idempotent; called every second).
  // FAILED_PRECONDITION when the uplink's existing QoS cannot carry one (names what to change).
  virtual Status SetUplinkReservation(const UplinkReservation& reservation) = 0;
  // Holds what the switch forwards to each local VM to `cap_bps` (0: no cap), so that an incoming
  // migration keeps the rest of the host's downlink: the destination side of a reservation, as
  // far as egress shaping allows (this kernel has no ingress policing).
  virtual Status SetGuestIngressCap(double cap_bps) = 0;
  virtual StatusOr<QosCounters> ReadCounters() = 0;

  // Counts traffic from each of `local_macs` to each of `peer_macs` (replacing the previous set).
  virtual Status SetTrafficPairs(const std::vector<std::string>& local_macs,
                                 const std::vector<std::string>& peer_macs) = 0;
  virtual StatusOr<std::vector<PairCounter>> ReadTrafficPairs() = 0;

  // Removes every QoS row, queue, flow and filter this agent (or an earlier run of it) made, and
  // restores what it changed. Returns how many it removed.
  virtual StatusOr<int> RemoveAll() = 0;
};

}  // namespace convoy::agent
