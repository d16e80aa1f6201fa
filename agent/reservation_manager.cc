#include "agent/reservation_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace convoy::agent {
namespace {

struct Notice {
  std::string agent;
  std::string id;
  double bps;
  double lease_s;
};

}  // namespace

ReservationManager::ReservationManager(QosProgrammer* qos, IncomingNotifier notify,
                                       ReservationOptions options)
    : qos_(qos), notify_(std::move(notify)), options_(options) {}

ReservationManager::~ReservationManager() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (reserved_pct_ >= 0) (void)qos_->SetUplinkReservation({});
  if (capped_) (void)qos_->SetGuestIngressCap(0);
}

StatusOr<int> ReservationManager::Start() {
  CONVOY_ASSIGN_OR_RETURN(const int removed, qos_->RemoveAll());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto bps = qos_->UplinkBps(); bps.ok()) link_bps_ = *bps;
  }
  thread_ = std::thread([this] { Loop(); });
  return removed;
}

void ReservationManager::Loop() {
  const auto interval = std::chrono::milliseconds(options_.interval_ms);
  auto next_tick = Clock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_until(lock, next_tick, [&] { return stopping_ || !ending_.empty(); });
    if (stopping_) break;
    if (!ending_.empty()) {
      lock.unlock();
      ProcessEnds();
      lock.lock();
      continue;
    }
    if (Clock::now() < next_tick) continue;
    lock.unlock();
    Tick(Clock::now());
    lock.lock();
    next_tick = Clock::now() + interval;
  }
}

Status ReservationManager::ApplyOutgoing(double pct) {
  UplinkReservation r;
  r.reserved_bps = link_bps_ * pct / 100.0;
  for (const auto& [id, o] : outgoing_) {
    if (std::find(r.destinations.begin(), r.destinations.end(), o.destination_ip) ==
        r.destinations.end()) {
      r.destinations.push_back(o.destination_ip);
    }
  }
  CONVOY_RETURN_IF_ERROR(qos_->SetUplinkReservation(r));
  reserved_pct_ = pct;
  return absl::OkStatus();
}

Status ReservationManager::BeginOutgoing(const OutgoingReservation& reservation) {
  if (reservation.policy == ReservationPolicy::kNone) {
    return absl::InvalidArgumentError("BeginOutgoing: no reservation policy");
  }
  if (!(reservation.urgency_pct > 0 && reservation.urgency_pct <= 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("reservation urgency_pct ", reservation.urgency_pct, " is not in (0, 100]"));
  }
  if (reservation.threshold_pct < 0 || reservation.threshold_pct >= 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reservation threshold_pct ", reservation.threshold_pct, " is not in [0, 100)"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (link_bps_ <= 0) {
    CONVOY_ASSIGN_OR_RETURN(link_bps_, qos_->UplinkBps());
  }
  const bool first = outgoing_.empty();
  outgoing_[reservation.id] = reservation;
  double pct = reserved_pct_;
  if (first || pct < 0) {
    pct = InitialReservationPct(reservation.policy, available_pct_, reservation.urgency_pct);
  } else if (reservation.policy == ReservationPolicy::kFixed) {
    pct = std::max(pct, reservation.urgency_pct);
  }
  pct = std::clamp(pct, options_.min_pct, options_.max_pct);
  Status applied = ApplyOutgoing(pct);
  if (!applied.ok()) {
    outgoing_.erase(reservation.id);
    if (outgoing_.empty()) {
      (void)qos_->SetUplinkReservation({});
      reserved_pct_ = -1;
    }
    return absl::FailedPreconditionError(absl::StrCat("cannot reserve bandwidth for migration ",
                                                      reservation.id, ": ", applied.message()));
  }
  spdlog::info("reservation for {}: {:.0f}% of {:.0f} Mb/s ({} policy, urgency {:.0f}%)",
               reservation.id, pct, link_bps_ / 1e6, ReservationPolicyName(reservation.policy),
               reservation.urgency_pct);
  return absl::OkStatus();
}

void ReservationManager::EndOutgoing(const std::string& id) {
  bool loop_running = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (outgoing_.count(id) == 0) return;
    ending_.push_back(id);
    loop_running = thread_.joinable() && !stopping_;
  }
  if (loop_running) {
    wake_.notify_all();
  } else {
    ProcessEnds();
  }
}

void ReservationManager::ProcessEnds() {
  std::vector<Notice> notices;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& id : ending_) {
      auto it = outgoing_.find(id);
      if (it == outgoing_.end()) continue;
      if (!it->second.destination_agent.empty()) {
        notices.push_back(Notice{it->second.destination_agent, id, 0, 0});
      }
      outgoing_.erase(it);
      Status applied =
          outgoing_.empty() ? qos_->SetUplinkReservation({}) : ApplyOutgoing(reserved_pct_);
      if (outgoing_.empty() && applied.ok()) reserved_pct_ = -1;
      if (!applied.ok()) {
        spdlog::warn("releasing the reservation of {}: {} (retried every second)", id,
                     std::string(applied.message()));
      } else {
        spdlog::info("reservation for {} released{}", id,
                     outgoing_.empty() ? "" : " (others still hold the uplink's)");
      }
    }
    ending_.clear();
  }
  for (const auto& n : notices) {
    if (!notify_) break;
    if (Status told = notify_(n.agent, n.id, 0, 0); !told.ok()) {
      spdlog::warn("telling {} that {} ended: {} (its lease runs out by itself)", n.agent, n.id,
                   std::string(told.message()));
    }
  }
}

Status ReservationManager::SetIncoming(const std::string& id, double bps, double lease_s) {
  if (bps < 0 || lease_s < 0 || lease_s > 60) {
    return absl::InvalidArgumentError(absl::StrCat("incoming reservation of ", id, ": rate ", bps,
                                                   " bit/s for ", lease_s,
                                                   " s (rate >= 0, lease in [0, 60] s)"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  if (bps == 0) {
    incoming_.erase(id);
  } else {
    incoming_[id] = {bps, now + std::chrono::milliseconds(static_cast<int64_t>(lease_s * 1000))};
  }
  return ApplyIncoming(now);
}

Status ReservationManager::ApplyIncoming(Clock::time_point now) {
  double held_bps = 0;
  for (auto it = incoming_.begin(); it != incoming_.end();) {
    if (it->second.expires <= now) {
      spdlog::info("incoming reservation of {} expired", it->first);
      it = incoming_.erase(it);
    } else {
      held_bps += it->second.bps;
      ++it;
    }
  }
  if (incoming_.empty()) {
    if (!capped_) return absl::OkStatus();
    CONVOY_RETURN_IF_ERROR(qos_->SetGuestIngressCap(0));
    capped_ = false;
    return absl::OkStatus();
  }
  if (link_bps_ <= 0) {
    CONVOY_ASSIGN_OR_RETURN(link_bps_, qos_->UplinkBps());
  }
  const double floor_bps = link_bps_ * (100.0 - options_.max_pct) / 100.0;
  CONVOY_RETURN_IF_ERROR(qos_->SetGuestIngressCap(std::max(floor_bps, link_bps_ - held_bps)));
  capped_ = true;
  return absl::OkStatus();
}

void ReservationManager::Tick(Clock::time_point now) {
  std::vector<Notice> notices;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (link_bps_ <= 0) {
      if (auto bps = qos_->UplinkBps(); bps.ok()) link_bps_ = *bps;
    }
    if (auto counters = qos_->ReadCounters(); counters.ok()) {
      const double dt = std::chrono::duration<double>(now - last_sample_).count();
      if (last_counters_ && dt > 0 && link_bps_ > 0) {
        const auto delta = [](uint64_t now_bytes, uint64_t then_bytes) {
          return now_bytes >= then_bytes ? static_cast<double>(now_bytes - then_bytes) : 0.0;
        };
        const double uplink_bps =
            delta(counters->uplink_tx_bytes, last_counters_->uplink_tx_bytes) * 8 / dt;
        const double migration_bps =
            delta(counters->migration_tx_bytes, last_counters_->migration_tx_bytes) * 8 / dt;
        available_pct_ = std::clamp(100.0 - Pct(uplink_bps), 0.0, 100.0);
        migration_pct_ = std::clamp(Pct(migration_bps), 0.0, 100.0);
      }
      last_counters_ = *counters;
      last_sample_ = now;
    } else {
      spdlog::debug("reservation counters: {}", std::string(counters.status().message()));
    }

    if (!outgoing_.empty()) {
      ReservationPolicy policy = ReservationPolicy::kAdaptive;
      double urgency = 0, threshold = options_.threshold_pct;
      for (const auto& [id, o] : outgoing_) {
        if (o.policy == ReservationPolicy::kFixed) policy = ReservationPolicy::kFixed;
        urgency = std::max(urgency, o.urgency_pct);
        if (o.threshold_pct > 0) threshold = o.threshold_pct;
      }
      const double before = reserved_pct_;
      // Until the migration's connections carry data (libvirt's setup takes a while), there is
      // nothing to adjust from: the first reservation holds.
      const bool moving = migration_pct_ >= 0.5;
      const double pct =
          reserved_pct_ < 0 ? std::clamp(InitialReservationPct(policy, available_pct_, urgency),
                                         options_.min_pct, options_.max_pct)
          : moving ? NextReservationPct(policy, reserved_pct_, {available_pct_, migration_pct_},
                                        urgency, threshold, options_.min_pct, options_.max_pct)
                   : reserved_pct_;
      if (Status applied = ApplyOutgoing(pct); !applied.ok()) {
        spdlog::warn("reservation: {}", std::string(applied.message()));
      } else if (std::abs(pct - before) >= 1) {
        spdlog::info("reservation {:.0f}% -> {:.0f}% (available {:.0f}%, migration {:.0f}%)",
                     before, pct, available_pct_, migration_pct_);
      }
      for (const auto& [id, o] : outgoing_) {
        if (!o.destination_agent.empty()) {
          notices.push_back(
              {o.destination_agent, id, link_bps_ * reserved_pct_ / 100.0, options_.lease_s});
        }
      }
    } else if (reserved_pct_ >= 0) {
      if (qos_->SetUplinkReservation({}).ok()) reserved_pct_ = -1;
    }
    if (Status held = ApplyIncoming(now); !held.ok()) {
      spdlog::warn("incoming reservation: {}", std::string(held.message()));
    }
  }
  for (const auto& n : notices) {
    if (!notify_) break;
    if (Status told = notify_(n.agent, n.id, n.bps, n.lease_s); !told.ok()) {
      spdlog::debug("telling {} of the reservation of {}: {}", n.agent, n.id,
                    std::string(told.message()));
    }
  }
}

double ReservationManager::OutgoingBps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_pct_ < 0 ? 0 : link_bps_ * reserved_pct_ / 100.0;
}

double ReservationManager::IncomingBps(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = incoming_.find(id);
  return it == incoming_.end() ? 0 : it->second.bps;
}

bool ReservationManager::HasOutgoing(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return outgoing_.count(id) != 0;
}

}  // namespace convoy::agent
