#include "agent/reservation_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace convoy::agent {

StatusOr<ReservationPolicy> ParseReservationPolicy(const std::string& text) {
  if (text.empty() || text == "none") return ReservationPolicy::kNone;
  if (text == "adaptive") return ReservationPolicy::kAdaptive;
  if (text == "fixed") return ReservationPolicy::kFixed;
  return absl::InvalidArgumentError(
      absl::StrCat("reservation policy '", text, "': expected none, adaptive or fixed"));
}

const char* ReservationPolicyName(ReservationPolicy policy) {
  switch (policy) {
    case ReservationPolicy::kAdaptive:
      return "adaptive";
    case ReservationPolicy::kFixed:
      return "fixed";
    case ReservationPolicy::kNone:
      break;
  }
  return "none";
}

double InitialReservationPct(ReservationPolicy policy, double available_pct, double urgency_pct) {
  switch (policy) {
    case ReservationPolicy::kAdaptive:
      return std::max(available_pct, urgency_pct);
    case ReservationPolicy::kFixed:
      return urgency_pct;
    case ReservationPolicy::kNone:
      break;
  }
  return 0;
}

double NextReservationPct(ReservationPolicy policy, double reserved_pct,
                          const ReservationShares& now, double urgency_pct, double threshold_pct,
                          double min_pct, double max_pct) {
  double next = reserved_pct;
  if (policy == ReservationPolicy::kAdaptive) {
    const double unused = reserved_pct - now.migration_pct;
    if (now.available_pct > threshold_pct && unused < threshold_pct) {
      next = reserved_pct + now.available_pct;
    } else if (unused < 1.0 && urgency_pct > reserved_pct) {
      next = urgency_pct;
    } else if (unused > threshold_pct) {
      next = now.migration_pct;
    }
  }
  return std::clamp(next, min_pct, max_pct);
}

}  // namespace convoy::agent
