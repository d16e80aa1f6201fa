#include "src/plan/staging_choice.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "convoy/common/units.h"

namespace convoy::plan {

double StagingMbps(const Problem& p, int src, const std::vector<int>& via) {
  const auto& m = *p.model;
  double into = 0;
  for (int i : via) {
    std::vector<int> resources;
    if (!m.FlowResources(src, i, &resources).ok()) continue;
    double path = std::numeric_limits<double>::infinity();
    for (int r : resources) {
      if (r != model::ClusterModel::NicOut(src)) path = std::min(path, p.capacity_mbps[r]);
    }
    into += path;
  }
  return std::min(into, p.capacity_mbps[model::ClusterModel::NicOut(src)]);
}

void ChooseStaging(const Problem& p, Schedule* schedule) {
  if (p.urgency_pct < p.options.staging_min_urgency_pct) return;
  const auto& m = *p.model;
  for (auto& sm : schedule->migrations) {
    if (sm.mode != "pre-copy" && sm.mode != "post-copy") continue;
    const Mover& mv = p.movers[sm.mover];
    std::vector<int> via;
    for (int i : m.hosts()[mv.src].stage_via) {
      if (i != mv.dst && !p.evacuated[i] && m.hosts()[i].online) via.push_back(i);
    }
    if (via.empty() || sm.bandwidth_mbps <= 0) continue;
    const double staging_mbps = StagingMbps(p, mv.src, via);
    if (sm.bandwidth_mbps > staging_mbps * p.options.staging_max_direct_share) continue;
    const double mibps = MbpsToMibps(staging_mbps);
    const predict::Prediction staged =
        sm.mode == "pre-copy" ? predict::PredictPreCopy(mv.profile, mibps, p.predictor)
                              : predict::PredictPostCopy(mv.profile, mibps, p.predictor);
    if (!staged.converges) continue;
    const double direct_s = sm.end_s - sm.start_s;
    const double eviction_s = staged.total_s;
    // The destination takes the whole stream at its own rate.
    const double gathered_s =
        std::max(eviction_s, staged.sent_mib / MbpsToMibps(sm.bandwidth_mbps) +
                                 p.predictor.switchover_ms / 1000.0);
    if (eviction_s >= direct_s) continue;
    std::vector<std::string> names;
    for (int i : via) names.push_back(m.hosts()[i].name);
    sm.stage_via = via;
    sm.eviction_s = sm.start_s + eviction_s;
    sm.end_s = sm.start_s + gathered_s;
    sm.prediction.sent_mib = staged.sent_mib;
    sm.prediction.rounds = staged.rounds;
    sm.prediction.downtime_ms = staged.downtime_ms + (gathered_s - eviction_s) * 1000;
    // A pre-copy resumes on the destination once it has gathered everything.
    if (sm.mode == "pre-copy") sm.execution_transfer_s = gathered_s;
    sm.note = absl::StrFormat(
        "staged through %s at %.0f Mb/s (the destination takes %.0f): the source is evicted in "
        "%.1f s instead of %.1f s; the VM pauses %.1f s while the destination catches up%s",
        absl::StrJoin(names, ", "), staging_mbps, sm.bandwidth_mbps, eviction_s, direct_s,
        sm.prediction.downtime_ms / 1000,
        sm.note.empty() ? "" : absl::StrCat(" (direct, it would be ", sm.note, ")"));
  }
}

}  // namespace convoy::plan
