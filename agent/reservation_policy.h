// SOLive's bandwidth reservation (seed 002, section V.A, Algorithm 1), as pure arithmetic on
// shares of the uplink in percent. The agent's ReservationManager measures and applies; this
// decides.
#pragma once

#include <string>

#include "convoy/common/status.h"

namespace convoy::agent {

enum class ReservationPolicy {
  kNone,      // no reservation
  kAdaptive,  // Algorithm 1: start at max(available, urgency), then adjust every second
  kFixed,     // hold the urgency share for the whole migration (the paper's Fig. 7 comparison)
};

// "none" | "adaptive" | "fixed" ("" is none); INVALID_ARGUMENT otherwise.
StatusOr<ReservationPolicy> ParseReservationPolicy(const std::string& text);
const char* ReservationPolicyName(ReservationPolicy policy);

struct ReservationShares {
  double available_pct = 0;  // 100 * (1 - uplink's outgoing use / its capacity)
  double migration_pct = 0;  // 100 * migration traffic / capacity
};

// The first reservation (Algorithm 1, line 4): max(available, urgency) for kAdaptive, urgency
// for kFixed, 0 for kNone.
double InitialReservationPct(ReservationPolicy policy, double available_pct, double urgency_pct);

// One adjustment (Algorithm 1, lines 9-14): grow into free bandwidth above `threshold_pct`;
// jump to `urgency_pct` when the reservation is saturated (less than 1% unused) and urgency is
// above it; shrink to what the migration uses when more than `threshold_pct` is unused. kFixed
// and kNone keep `reserved_pct`. The result is within [min_pct, max_pct].
// One departure from the paper's pseudo-code: the reservation grows into free bandwidth only
// while the migration uses what it holds (less than `threshold_pct` unused). Otherwise the free
// bandwidth is mostly the migration's own unused reservation, and growing would only take more
// from the VMs (measured on the testbed: a reservation that had not carried a byte yet went from
// 55% to 95% in its first second).
double NextReservationPct(ReservationPolicy policy, double reserved_pct,
                          const ReservationShares& now, double urgency_pct, double threshold_pct,
                          double min_pct, double max_pct);

}  // namespace convoy::agent
