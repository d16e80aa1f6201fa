#include "src/plan/solive_order.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "absl/strings/str_format.h"

// Where each rule comes from (quotes from seed 002).
//
// Classes and their order, post-copy (IV-C): "The algorithm first migrates VMs whose outgoing
// bandwidth is higher than the incoming bandwidth in ascending order of N/(outgoing-incoming)
// ... Next, the algorithm migrates VMs that have about the same incoming and outgoing network
// usage, which does not affect the available bandwidth. Finally, the VMs whose incoming bandwidth
// is higher than the outgoing bandwidth are migrated in descending order of N/(incoming-outgoing)."
//
// Pre-copy (IV-D): "The algorithm is similar to the post-copy migration scheduling algorithm
// except that pre-copy considers the unique page dirty rate, while post-copy does not." Outgoing-
// heavy VMs go "in ascending order of N/(outgoing-incoming), with VMs having low unique page dirty
// rate migrated first"; incoming-heavy ones "in descending order of N/(incoming-outgoing) with VMs
// having high unique page dirty rate migrated first". The paper gives no formula joining S to the
// ratio. Its own worked example fixes which one leads: for the 8 VMs it picks order 19
// (.../NI/NI1) "because ... NI has higher N/(incoming-outgoing) then NI1", although NI1 dirties
// faster (Table I: 1502 against 1118 pages/s), and order 19 has the lowest pre-copy TMT (597 s).
// So the ratio is the primary key and S only orders VMs whose ratios are equal. (Folding S into N
// through equation (2), N / (1 - S/B), would give the same directions but needs the migration
// bandwidth B, which this function does not take.)
//
// Balanced class: the paper does not say how to order it. Post-copy: "the order of C and M does not
// affect the TMT" (Fig. 3), since by equation (1) each takes N/B at the same B. Pre-copy: the best
// orders put the memory-intensive VM first, NO/M/C/NI in Fig. 2 ("the network bandwidth affects
// the TMT of the memory-intensive VM most") and order 19 (M/M1/C/C1, 597 s) ahead of order 26
// (M1/M/C/C1, 614 s) in Fig. 4(b). Descending S gives exactly M/C and M/M1/C/C1 there (S = 21062,
// 4165, 3146, 1825 pages/s), so pre-copy uses it; post-copy uses the same key, free to choose, so
// that it too gives the orders the paper says its algorithm picks (NO/M/C/NI; order 19 of "19 or
// 26"). Equal S then goes by descending N, after IV-C's "VMs with higher non-zero pages should be
// migrated when the available bandwidth is higher".

namespace convoy::plan {
namespace {

enum class Klass { kOutgoingHeavy = 0, kBalanced = 1, kIncomingHeavy = 2 };

struct Entry {
  Klass klass = Klass::kBalanced;
  double net_mbps = 0;  // |out - in|
  double ratio = 0;     // N / |out - in|; 0 for balanced VMs
  double n_mib = 0;
  double s_mibps = 0;
  int id = 0;
};

// NaN and negatives to 0, +infinity to the largest finite double, so that no key is NaN (which
// would break std::stable_sort's strict weak ordering) and out - in stays finite.
double Clean(double x) {
  if (std::isnan(x) || x < 0) return 0;
  return std::min(x, std::numeric_limits<double>::max());
}

// True when `a` goes before `b`. Equal entries (every key and id) keep their input order through
// std::stable_sort.
bool Before(const Entry& a, const Entry& b, SoliveMode mode) {
  if (a.klass != b.klass) return a.klass < b.klass;
  const bool pre_copy = mode == SoliveMode::kPreCopy;
  switch (a.klass) {
    case Klass::kOutgoingHeavy:
      if (a.ratio != b.ratio) return a.ratio < b.ratio;
      if (pre_copy && a.s_mibps != b.s_mibps) return a.s_mibps < b.s_mibps;
      break;
    case Klass::kBalanced:
      if (a.s_mibps != b.s_mibps) return a.s_mibps > b.s_mibps;
      if (a.n_mib != b.n_mib) return a.n_mib > b.n_mib;
      break;
    case Klass::kIncomingHeavy:
      if (a.ratio != b.ratio) return a.ratio > b.ratio;
      if (pre_copy && a.s_mibps != b.s_mibps) return a.s_mibps > b.s_mibps;
      break;
  }
  return a.id < b.id;
}

std::string Why(const Entry& e, SoliveMode mode, double balanced_mbps) {
  const bool pre_copy = mode == SoliveMode::kPreCopy;
  switch (e.klass) {
    case Klass::kOutgoingHeavy:
      return absl::StrFormat(
          "outgoing-heavy (out-in %.1f Mb/s): ascending N/(out-in) = %.1f MiB / %.1f Mb/s = %.4g "
          "MiB per Mb/s%s",
          e.net_mbps, e.n_mib, e.net_mbps, e.ratio,
          pre_copy ? absl::StrFormat(", then ascending unique dirty rate %.2f MiB/s", e.s_mibps)
                   : "");
    case Klass::kBalanced:
      return absl::StrFormat(
          "balanced (|out-in| %.1f <= %.1f Mb/s): descending unique dirty rate %.2f MiB/s, then "
          "descending N %.1f MiB",
          e.net_mbps, balanced_mbps, e.s_mibps, e.n_mib);
    case Klass::kIncomingHeavy:
      return absl::StrFormat(
          "incoming-heavy (in-out %.1f Mb/s): descending N/(in-out) = %.1f MiB / %.1f Mb/s = %.4g "
          "MiB per Mb/s%s",
          e.net_mbps, e.n_mib, e.net_mbps, e.ratio,
          pre_copy ? absl::StrFormat(", then descending unique dirty rate %.2f MiB/s", e.s_mibps)
                   : "");
  }
  return "";
}

}  // namespace

SoliveOrder OrderForEviction(const std::vector<SoliveVm>& vms, SoliveMode mode,
                             double balanced_mbps) {
  const double threshold = Clean(balanced_mbps);
  std::vector<Entry> entries;
  entries.reserve(vms.size());
  for (const SoliveVm& vm : vms) {
    Entry e;
    e.id = vm.id;
    e.n_mib = Clean(vm.non_zero_mib);
    e.s_mibps = Clean(vm.unique_dirty_mibps);
    const double diff = Clean(vm.out_mbps) - Clean(vm.in_mbps);  // finite: both in [0, max]
    e.net_mbps = std::fabs(diff);
    if (e.net_mbps <= threshold) {
      e.klass = Klass::kBalanced;  // includes out == in, whatever the threshold
    } else {
      // net_mbps > threshold >= 0, so the division is defined (it may overflow to +inf, which
      // still compares).
      e.klass = diff > 0 ? Klass::kOutgoingHeavy : Klass::kIncomingHeavy;
      e.ratio = e.n_mib / e.net_mbps;
    }
    entries.push_back(e);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [mode](const Entry& a, const Entry& b) { return Before(a, b, mode); });
  SoliveOrder order;
  order.ids.reserve(entries.size());
  order.why.reserve(entries.size());
  for (const Entry& e : entries) {
    order.ids.push_back(e.id);
    order.why.push_back(Why(e, mode, threshold));
  }
  return order;
}

}  // namespace convoy::plan
