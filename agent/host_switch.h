// The agent's host switch as the rest of the agent sees it: gives migrations the bandwidth
// reservation they ask for (as the MigrationManager's listener), holds the destination side of
// reservations for source agents, and adds the switch's view to host reports (VM-to-VM traffic
// from per-pair flow counters, what reservations are possible and held).
//
// Without a switch (no Open vSwitch configured or reachable) reports say why, and a migration or
// a destination reservation that asks for one is refused with that reason. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "agent/migration_manager.h"
#include "agent/qos_programmer.h"
#include "agent/reservation_manager.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

class HostSwitch final : public MigrationListener {
 public:
  // The most (local VM, peer) pairs counted at once, one OpenFlow flow each.
  static constexpr size_t kMaxTrafficPairs = 16384;

  // `qos` and `reservations` may be null together (no switch); `unavailable` then says why.
  HostSwitch(QosProgrammer* qos, ReservationManager* reservations, std::string detail,
             bool userspace_datapath = false);

  // MigrationListener.
  Status OnMigrationStart(const v1::StartMigrationRequest& request) override;
  void OnMigrationEnd(const std::string& id) override;
  void Annotate(v1::MigrationProgress* progress) override;

  // The destination side of a source's reservation.
  Status ReserveIncoming(const v1::IncomingReservation& reservation);

  // Adds `traffic` (from the VMs in `report` to each other and to request.peer_macs(), over the
  // time since the previous call; nothing on the first) and `qos` to `report`. A switch error
  // goes into qos.detail; the report is still made.
  void FillReport(const v1::DescribeRequest& request, v1::HostReport* report);

 private:
  struct PairSample {
    uint64_t bytes = 0;
    double duration_s = 0;
  };

  QosProgrammer* const qos_;
  ReservationManager* const reservations_;
  const std::string detail_;
  const bool userspace_datapath_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, PairSample> last_pairs_;
};

// The IPv4 address a migration to `destination` connects to: its migration_address, else the
// host of its libvirt URI, resolved. INVALID_ARGUMENT when neither gives one.
StatusOr<std::string> MigrationDestinationIpv4(const v1::Destination& destination);

}  // namespace convoy::agent
