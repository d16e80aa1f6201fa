// The agent's bandwidth reservations (seed 002, SOLive section V.A) on its host's virtual switch.
//
// Source side: while migrations leave this host with a reservation policy, the uplink holds one
// reservation for all of them (the migration queue), started at max(available, urgency) and
// adjusted every second by Algorithm 1 from what the uplink and the migration flows carried in
// the last second (agent/reservation_policy.h). The destination agents are told the reservation
// each second as a lease (IncomingNotifier), so a source that dies cannot leave a destination
// reserved for long.
//
// Destination side: while leases of incoming migrations hold, each local VM's incoming traffic is
// capped at the uplink less the leased rates, as far as egress shaping allows.
//
// Everything is released when the last migration ends; Start() first removes what a previous run
// left (the switch never garbage-collects it). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/qos_programmer.h"
#include "agent/reservation_policy.h"
#include "convoy/common/status.h"

namespace convoy::agent {

struct ReservationOptions {
  double threshold_pct = 10;  // Algorithm 1's threshold when a request gives none
  double min_pct = 5;         // a reservation never goes below this share of the uplink
  double max_pct = 95;        // nor above this (the VMs keep the rest)
  int interval_ms = 1000;     // Algorithm 1's period
  double lease_s = 5;         // how long a destination keeps a reservation it was told of
};

struct OutgoingReservation {
  std::string id;                 // the migration's id
  std::string destination_ip;     // IPv4 address its connections go to
  std::string destination_agent;  // host:port of the destination agent ("": not told)
  ReservationPolicy policy = ReservationPolicy::kNone;
  double urgency_pct = 75;
  double threshold_pct = 0;  // 0: the agent's
};

// Tells a destination agent that migration `id` has `bps` reserved for `lease_s` seconds
// (bps 0: released).
using IncomingNotifier = std::function<Status(const std::string& agent, const std::string& id,
                                              double bps, double lease_s)>;

class ReservationManager {
 public:
  using Clock = std::chrono::steady_clock;

  ReservationManager(QosProgrammer* qos, IncomingNotifier notify, ReservationOptions options);
  // Stops the loop and releases every reservation.
  ~ReservationManager();

  // Removes what an earlier run left, then starts the loop. Returns how many rows, flows and
  // filters it removed.
  StatusOr<int> Start();

  // Begins a reservation for an outgoing migration and applies it at once. INVALID_ARGUMENT for a
  // bad urgency or address; FAILED_PRECONDITION (nothing left behind) when the switch refuses.
  Status BeginOutgoing(const OutgoingReservation& reservation);
  // Ends it: the uplink is released (when it was the last) and the destination told, by the
  // loop's thread right away; quick, so callable under another component's lock. Without a
  // started loop (tests) the work is done in the call.
  void EndOutgoing(const std::string& id);

  // Destination side: holds `bps` for incoming migration `id` until `lease_s` passes (renewed by
  // each call); bps 0 ends it.
  Status SetIncoming(const std::string& id, double bps, double lease_s);

  // The uplink reservation now shared by this host's outgoing migrations, bit/s (0: none), and
  // the incoming one held for `id`.
  double OutgoingBps() const;
  double IncomingBps(const std::string& id) const;
  bool HasOutgoing(const std::string& id) const;

  // One period of the loop at time `now` (public for tests, which do not Start the thread).
  void Tick(Clock::time_point now);

 private:
  struct Incoming {
    double bps = 0;
    Clock::time_point expires;
  };
  void Loop();
  void ProcessEnds();  // the work of EndOutgoing
  // With mu_ held: the uplink reservation for the current outgoing set at `pct`.
  Status ApplyOutgoing(double pct);
  Status ApplyIncoming(Clock::time_point now);
  double Pct(double bps) const { return link_bps_ > 0 ? 100.0 * bps / link_bps_ : 0; }

  QosProgrammer* const qos_;
  const IncomingNotifier notify_;
  const ReservationOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;

  double link_bps_ = 0;
  std::optional<QosCounters> last_counters_;
  Clock::time_point last_sample_;
  double available_pct_ = 0;  // of the last period
  double migration_pct_ = 0;
  std::map<std::string, OutgoingReservation> outgoing_;
  std::vector<std::string> ending_;  // EndOutgoing's ids, for the loop
  double reserved_pct_ = -1;         // -1: no uplink reservation in place
  std::map<std::string, Incoming> incoming_;
  bool capped_ = false;
};

}  // namespace convoy::agent
