// The planner: a cluster and a request in, a plan out. Pure: it never touches the network.
//
// Strategies:
//  - convoy (seed 000): destinations that fit, paired so that flows through a link aggregate
//    land on different members; each migration gets the bandwidth of its whole path and runs in
//    parallel only with migrations that do not share a saturated NIC or link member, and only
//    with a bandwidth at which it converges; destination hosts boot early and in parallel, source
//    hosts shut down as soon as they are empty; deadline, max_online_hosts and power_budget_w
//    hold over the whole timeline.
//  - sequential: one action at a time, host after host (boot, migrate each VM, shut down), as an
//    operator does by hand. A baseline.
//  - parallel: every boot at once, then every migration at once sharing the links (max-min fair,
//    the shares of the moment they all start), a baseline that ignores every cap.
//  - convoy also plans every app whose moving VMs talk to each other as one COMMA block (seed
//    001: exact search up to 12 VMs, heuristic beyond) and empties the other hosts in SOLive's
//    order (seed 002); comma-exact and comma-heuristic use one COMMA search for every app;
//    solive uses SOLive's order and no COMMA.
#pragma once

#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/model/cluster_model.h"
#include "convoy/predict/predictor.h"
#include "convoy/v1/plan.pb.h"
#include "convoy/v1/request.pb.h"

namespace convoy::plan {

struct PlannerOptions {
  // max_rounds and switchover_ms are used as they are; downtime_ms comes from the request
  // (default 300 ms) unless the request leaves it at 0.
  predict::PredictorConfig predictor;
  // Share of a link's nominal speed that a TCP migration stream achieves.
  double goodput_fraction = 0.94;
  // A pre-copy is started only with at least this multiple of its minimum converging bandwidth,
  // to absorb error in the measured dirty rate.
  double convergence_margin = 1.2;
  // The convoy strategy first plans each migration with the whole bandwidth of its path (share
  // 1); when that misses the deadline it retries with these smaller shares, allowing more
  // migrations in parallel on one path, and keeps the first plan that meets the deadline.
  std::vector<double> min_shares = {1.0, 0.5, 1.0 / 3.0, 0.25};
  // How many candidate destinations placement compares for each source host or VM.
  int placement_candidates = 64;
  // SOLive's scatter-gather: a migration is staged through its source's intermediaries
  // (Host.stage_via) only when the request's urgency_pct is at least this (eviction matters
  // more than the VM's pause) and its direct rate is at most staging_max_direct_share of the
  // rate the source can push into the intermediaries (below that, staging evicts sooner than
  // the direct migration ends on the testbed: docs/results.md, Fig. 8).
  double staging_min_urgency_pct = 90;
  double staging_max_direct_share = 0.7;
};

// Plans `request` on `model` with the strategy the request names (convoy when empty).
// INVALID_ARGUMENT when the request names an unknown host, VM, mode or strategy; a request that
// is well-formed but cannot be satisfied gives a plan with feasible = false and the reasons.
StatusOr<v1::Plan> MakePlan(const model::ClusterModel& model, const v1::EvacuationRequest& request,
                            const PlannerOptions& options = {});

// The same with `strategy` instead of the request's own.
StatusOr<v1::Plan> MakePlanWithStrategy(const model::ClusterModel& model,
                                        const v1::EvacuationRequest& request,
                                        const std::string& strategy,
                                        const PlannerOptions& options = {});

}  // namespace convoy::plan
