#include "tests/fakes/fake_qos.h"

namespace convoy::agent {

Status FakeQos::TakeFailure() {
  Status s = next_failure_;
  next_failure_ = absl::OkStatus();
  return s;
}

StatusOr<double> FakeQos::UplinkBps() {
  std::lock_guard<std::mutex> lock(mu_);
  return uplink_bps_;
}

Status FakeQos::SetUplinkReservation(const UplinkReservation& reservation) {
  std::lock_guard<std::mutex> lock(mu_);
  ++uplink_calls_;
  CONVOY_RETURN_IF_ERROR(TakeFailure());
  uplink_ = reservation;
  if (uplink_.reserved_bps <= 0) uplink_ = {};
  return absl::OkStatus();
}

Status FakeQos::SetGuestIngressCap(double cap_bps) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(TakeFailure());
  cap_bps_ = cap_bps;
  return absl::OkStatus();
}

StatusOr<QosCounters> FakeQos::ReadCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

Status FakeQos::SetTrafficPairs(const std::vector<std::string>& local_macs,
                                const std::vector<std::string>& peer_macs) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(TakeFailure());
  traffic_pairs_.clear();
  for (const auto& l : local_macs) {
    for (const auto& p : peer_macs) {
      if (l != p) traffic_pairs_.emplace_back(l, p);
    }
  }
  return absl::OkStatus();
}

StatusOr<std::vector<PairCounter>> FakeQos::ReadTrafficPairs() {
  std::lock_guard<std::mutex> lock(mu_);
  return pairs_;
}

StatusOr<int> FakeQos::RemoveAll() {
  std::lock_guard<std::mutex> lock(mu_);
  const int n = leftovers;
  leftovers = 0;
  uplink_ = {};
  cap_bps_ = 0;
  return n;
}

void FakeQos::set_uplink_bps(double bps) {
  std::lock_guard<std::mutex> lock(mu_);
  uplink_bps_ = bps;
}
void FakeQos::set_counters(QosCounters counters) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_ = counters;
}
void FakeQos::set_pairs(std::vector<PairCounter> pairs) {
  std::lock_guard<std::mutex> lock(mu_);
  pairs_ = std::move(pairs);
}
void FakeQos::FailNext(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  next_failure_ = std::move(status);
}
UplinkReservation FakeQos::uplink() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uplink_;
}
double FakeQos::guest_cap_bps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cap_bps_;
}
int FakeQos::uplink_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uplink_calls_;
}
std::vector<std::pair<std::string, std::string>> FakeQos::traffic_pairs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return traffic_pairs_;
}

}  // namespace convoy::agent
