#include "convoy/predict/predictor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace convoy::predict {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Prediction Impossible() {
  Prediction p;
  p.total_s = kInf;
  p.downtime_ms = kInf;
  return p;
}

// Iterative copy of a dirtying data set: `first_mib` in round 1, then what `dirty_mibps`
// rewrote during the previous round (at most `bound_mib`), until a round's data fits in
// `stop_mib`. Returns the data left for the stop, and adds to elapsed/sent/rounds.
struct Rounds {
  double elapsed_s = 0;
  double sent_mib = 0;
  uint32_t rounds = 0;
  bool converged = false;
};
double IterateUntil(double first_mib, double dirty_mibps, double bound_mib, double bandwidth_mibps,
                    double stop_mib, uint32_t max_rounds, Rounds* r) {
  double pending = first_mib;
  while (true) {
    if (pending <= stop_mib) {
      r->converged = true;
      return pending;
    }
    if (r->rounds >= max_rounds) return pending;
    const double round_s = pending / bandwidth_mibps;
    r->elapsed_s += round_s;
    r->sent_mib += pending;
    ++r->rounds;
    pending = std::min(dirty_mibps * round_s, bound_mib);
  }
}

double DiskBound(const MigrationProfile& vm) {
  return vm.disk_wws_mib > 0 ? std::min(vm.disk_wws_mib, vm.disk_mib) : vm.disk_mib;
}

}  // namespace

Prediction PredictPreCopy(const MigrationProfile& vm, double bandwidth_mibps,
                          const PredictorConfig& config) {
  if (!(bandwidth_mibps > 0)) return Impossible();
  const double downtime_s = config.downtime_ms / 1000.0;
  const double stop_mib = bandwidth_mibps * downtime_s;
  Prediction p;
  Rounds r;
  double disk_left_mib = 0;   // dirty blocks that go along with memory's first round
  double disk_stuck_mib = 0;  // dirty blocks left when the disk never converged: sent stopped
  if (vm.disk_mib > 0) {
    // Phase 1 and 2: the disk once, then its dirty blocks until they are few enough to go along
    // with memory.
    Rounds disk;
    disk_left_mib = IterateUntil(vm.disk_mib, vm.disk_dirty_mibps, DiskBound(vm),
                                 bandwidth_mibps, stop_mib, config.max_rounds, &disk);
    if (!disk.converged) std::swap(disk_left_mib, disk_stuck_mib);
    p.storage_s = disk.elapsed_s;
    r.elapsed_s = disk.elapsed_s;
    r.sent_mib = disk.sent_mib;
  }
  // Phase 3: memory, with the disk still being written.
  Rounds mem;
  const double dirty_mibps = vm.dirty_mibps + (vm.disk_mib > 0 ? vm.disk_dirty_mibps : 0);
  const double bound_mib = vm.wws_mib + (vm.disk_mib > 0 ? DiskBound(vm) : 0);
  const double first_mib = vm.used_mib + disk_left_mib;
  const double left_mib = IterateUntil(first_mib, dirty_mibps, bound_mib, bandwidth_mibps, stop_mib,
                                       config.max_rounds, &mem) +
                          disk_stuck_mib;
  // Phase 4: the stop.
  const double stop_s = left_mib / bandwidth_mibps + config.switchover_ms / 1000.0;
  p.converges = mem.converged && disk_stuck_mib == 0;
  p.rounds = mem.rounds + 1;
  p.sent_mib = r.sent_mib + mem.sent_mib + left_mib;
  p.total_s = r.elapsed_s + mem.elapsed_s + stop_s;
  p.downtime_ms = stop_s * 1000.0;
  p.recovery_s = p.total_s;
  return p;
}

Prediction PredictPostCopy(const MigrationProfile& vm, double bandwidth_mibps,
                           const PredictorConfig& config) {
  if (!(bandwidth_mibps > 0)) return Impossible();
  Prediction p;
  p.converges = true;
  p.rounds = 1;
  // A local disk still needs its pre-copy (post-copy moves memory only).
  if (vm.disk_mib > 0) {
    Rounds disk;
    const double left_mib =
        IterateUntil(vm.disk_mib, vm.disk_dirty_mibps, DiskBound(vm), bandwidth_mibps,
                     bandwidth_mibps * config.downtime_ms / 1000.0, config.max_rounds, &disk);
    p.storage_s = disk.elapsed_s + left_mib / bandwidth_mibps;
    p.sent_mib = disk.sent_mib + left_mib;
  }
  p.downtime_ms = config.switchover_ms;
  p.sent_mib += vm.used_mib;
  p.total_s = p.storage_s + vm.used_mib / bandwidth_mibps + config.switchover_ms / 1000.0;
  p.recovery_s = p.total_s;
  return p;
}

Prediction PredictEnlightened(const MigrationProfile& vm, double bandwidth_mibps,
                              const PredictorConfig& config) {
  MigrationProfile moved = vm;
  moved.used_mib = std::max(vm.used_mib - vm.free_mib, std::min(vm.working_set_mib, vm.used_mib));
  Prediction p = PredictPostCopy(moved, bandwidth_mibps, config);
  if (!(bandwidth_mibps > 0)) return p;
  p.recovery_s = p.storage_s + config.switchover_ms / 1000.0 +
                 std::min(vm.working_set_mib, moved.used_mib) / bandwidth_mibps;
  return p;
}

Prediction PredictStopAndCopy(const MigrationProfile& vm, double bandwidth_mibps,
                              const PredictorConfig& config) {
  if (!(bandwidth_mibps > 0)) return Impossible();
  Prediction p;
  p.converges = true;
  p.rounds = 1;
  p.sent_mib = vm.used_mib + vm.disk_mib;
  p.total_s = p.sent_mib / bandwidth_mibps + config.switchover_ms / 1000.0;
  p.downtime_ms = p.total_s * 1000.0;
  p.recovery_s = p.total_s;
  return p;
}

double MinConvergingBandwidth(const MigrationProfile& vm, const PredictorConfig& config,
                              double max_mibps) {
  if (!PredictPreCopy(vm, max_mibps, config).converges) return kInf;
  // Convergence is monotone in bandwidth: more bandwidth means shorter rounds and less dirt.
  double lo = 0;
  double hi = max_mibps;
  // A lower bound worth starting from: below the dirty rate only the WWS bound or a small
  // first round can save it, so keep lo at 0 and bisect geometrically first.
  while (hi > 1e-6 && PredictPreCopy(vm, hi / 2, config).converges) hi /= 2;
  lo = hi / 2;
  while (hi - lo > hi * 1e-3) {
    const double mid = (lo + hi) / 2;
    if (PredictPreCopy(vm, mid, config).converges) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

}  // namespace convoy::predict
