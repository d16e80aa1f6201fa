#include "agent/host_switch.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace convoy::agent {

StatusOr<std::string> MigrationDestinationIpv4(const v1::Destination& destination) {
  std::string host = destination.migration_address();
  if (host.empty()) {
    // qemu+tcp://HOST[:PORT]/system
    const std::string& uri = destination.libvirt_uri();
    const auto start = uri.find("://");
    if (start != std::string::npos) {
      const auto end = uri.find_first_of(":/", start + 3);
      host = uri.substr(start + 3, end == std::string::npos ? std::string::npos : end - start - 3);
    }
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        "destination: a reservation needs the destination's migration_address");
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("destination '", host, "' has no IPv4 address to reserve bandwidth toward"));
  }
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, text, sizeof(text));
  freeaddrinfo(found);
  return std::string(text);
}

HostSwitch::HostSwitch(QosProgrammer* qos, ReservationManager* reservations, std::string detail,
                       bool userspace_datapath)
    : qos_(qos),
      reservations_(reservations),
      detail_(std::move(detail)),
      userspace_datapath_(userspace_datapath) {}

Status HostSwitch::OnMigrationStart(const v1::StartMigrationRequest& request) {
  CONVOY_ASSIGN_OR_RETURN(const ReservationPolicy policy,
                          ParseReservationPolicy(request.reservation().policy()));
  if (policy == ReservationPolicy::kNone) return absl::OkStatus();
  if (reservations_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("reservation: this host cannot reserve bandwidth (", detail_, ")"));
  }
  CONVOY_ASSIGN_OR_RETURN(const std::string ip, MigrationDestinationIpv4(request.destination()));
  OutgoingReservation r;
  r.id = request.id();
  r.destination_ip = ip;
  r.destination_agent = request.destination().agent_address();
  r.policy = policy;
  r.urgency_pct =
      request.reservation().urgency_pct() > 0 ? request.reservation().urgency_pct() : 75;
  r.threshold_pct = request.reservation().threshold_pct();
  return reservations_->BeginOutgoing(r);
}

void HostSwitch::OnMigrationEnd(const std::string& id) {
  if (reservations_ != nullptr) reservations_->EndOutgoing(id);
}

void HostSwitch::Annotate(v1::MigrationProgress* progress) {
  if (reservations_ == nullptr || !reservations_->HasOutgoing(progress->id())) return;
  progress->set_reserved_mbps(reservations_->OutgoingBps() / 1e6);
}

Status HostSwitch::ReserveIncoming(const v1::IncomingReservation& reservation) {
  if (reservations_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("this host cannot reserve bandwidth (", detail_, ")"));
  }
  if (reservation.id().empty()) return absl::InvalidArgumentError("id: required");
  return reservations_->SetIncoming(reservation.id(), reservation.rate_mbps() * 1e6,
                                    reservation.lease_s());
}

void HostSwitch::FillReport(const v1::DescribeRequest& request, v1::HostReport* report) {
  v1::QosReport* q = report->mutable_qos();
  q->set_available(qos_ != nullptr);
  q->set_detail(detail_);
  q->set_userspace_datapath(userspace_datapath_);
  if (qos_ == nullptr) return;
  if (auto bps = qos_->UplinkBps(); bps.ok()) q->set_uplink_mbps(*bps / 1e6);
  if (reservations_ != nullptr) q->set_reserved_out_mbps(reservations_->OutgoingBps() / 1e6);

  std::map<std::string, std::string> vm_by_mac;
  std::vector<std::string> local;
  for (const auto& vm : report->vms()) {
    for (const auto& tap : vm.taps()) {
      if (tap.mac().empty()) continue;
      const std::string mac = absl::AsciiStrToLower(tap.mac());
      vm_by_mac[mac] = vm.name();
      local.push_back(mac);
    }
  }
  std::set<std::string> peer_set(local.begin(), local.end());
  for (const auto& p : request.peer_macs()) peer_set.insert(absl::AsciiStrToLower(p));
  std::vector<std::string> peers(peer_set.begin(), peer_set.end());
  // One flow per pair: a bound on what the switch is asked to keep.
  if (!local.empty() && local.size() * peers.size() > kMaxTrafficPairs) {
    peers.resize(kMaxTrafficPairs / local.size());
    q->set_detail(absl::StrCat(detail_, "; traffic measured toward ", peers.size(), " of ",
                               peer_set.size(), " peers (at most ", kMaxTrafficPairs, " pairs)"));
  }

  std::lock_guard<std::mutex> lock(mu_);
  if (Status set = qos_->SetTrafficPairs(local, peers); !set.ok()) {
    q->set_detail(absl::StrCat(detail_, "; traffic flows: ", set.message()));
    return;
  }
  auto counters = qos_->ReadTrafficPairs();
  if (!counters.ok()) {
    q->set_detail(absl::StrCat(detail_, "; traffic counters: ", counters.status().message()));
    return;
  }
  std::map<std::pair<std::string, std::string>, PairSample> now;
  for (const auto& c : *counters) {
    const auto key = std::make_pair(c.src_mac, c.dst_mac);
    now[key] = {c.bytes, c.duration_s};
    auto before = last_pairs_.find(key);
    // A flow made since the previous call has no window to measure over yet.
    if (before == last_pairs_.end() || c.duration_s <= before->second.duration_s ||
        c.bytes < before->second.bytes) {
      continue;
    }
    const double window_s = c.duration_s - before->second.duration_s;
    v1::TrafficFlow* f = report->add_traffic();
    f->set_src_vm(vm_by_mac.count(c.src_mac) ? vm_by_mac[c.src_mac] : "");
    f->set_src_mac(c.src_mac);
    f->set_dst_mac(c.dst_mac);
    f->set_mbps(static_cast<double>(c.bytes - before->second.bytes) * 8 / window_s / 1e6);
    f->set_window_s(window_s);
  }
  last_pairs_ = std::move(now);
}

}  // namespace convoy::agent
