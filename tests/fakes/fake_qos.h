// An in-memory QosProgrammer: records what it was asked to hold, serves counters the test sets,
// and fails on demand.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/qos_programmer.h"

namespace convoy::agent {

class FakeQos final : public QosProgrammer {
 public:
  StatusOr<double> UplinkBps() override;
  Status SetUplinkReservation(const UplinkReservation& reservation) override;
  Status SetGuestIngressCap(double cap_bps) override;
  StatusOr<QosCounters> ReadCounters() override;
  Status SetTrafficPairs(const std::vector<std::string>& local_macs,
                         const std::vector<std::string>& peer_macs) override;
  StatusOr<std::vector<PairCounter>> ReadTrafficPairs() override;
  StatusOr<int> RemoveAll() override;

  // Test controls and observations (all under the same lock).
  void set_uplink_bps(double bps);
  void set_counters(QosCounters counters);
  void set_pairs(std::vector<PairCounter> pairs);
  void FailNext(Status status);  // the next Set* call returns `status`
  UplinkReservation uplink() const;
  double guest_cap_bps() const;
  int uplink_calls() const;
  std::vector<std::pair<std::string, std::string>> traffic_pairs() const;
  int leftovers = 0;  // what RemoveAll reports and clears

 private:
  Status TakeFailure();
  mutable std::mutex mu_;
  double uplink_bps_ = 100e6;
  UplinkReservation uplink_;
  double cap_bps_ = 0;
  int uplink_calls_ = 0;
  QosCounters counters_;
  std::vector<PairCounter> pairs_;
  std::vector<std::pair<std::string, std::string>> traffic_pairs_;
  Status next_failure_ = absl::OkStatus();
};

}  // namespace convoy::agent
