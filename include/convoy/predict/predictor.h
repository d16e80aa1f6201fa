// Predicts one live migration at a given bandwidth: how long it takes, how long the VM pauses,
// how much it sends, and whether pre-copy converges. Pure functions; no I/O.
//
// Pre-copy (the round model of seed 000 / SOLive eq. 2): round 1 sends the used memory; each
// later round sends what was dirtied during the previous round, at the unique dirty rate and at
// most the writable working set; when what remains can be sent within the downtime limit the VM
// stops and the rest goes (the downtime). Without a WWS bound the total is SOLive's
// sum_{i=1..n} N/B * (S/B)^(i-1). It does not converge when the round cap is reached first;
// then, as QEMU eventually does, the rest is sent with the VM stopped and the downtime is long.
//
// Storage pre-copy (seed 001, phases 1-3, when disk_mib > 0): the disk is copied once, dirty
// blocks are re-sent in rounds like memory, then memory pre-copy runs while the disk keeps being
// written (its dirty rate adds to memory's), then the stop.
//
// Post-copy (SOLive eq. 1): N/B + downtime, where the downtime is the switch-over only.
// Enlightened post-copy (seed 003): post-copy of the memory the guest uses (its free pages are
// not sent), with the working set first: the VM is back at full speed once that has arrived.
// Stop-and-copy: the VM is stopped while everything is sent.
#pragma once

#include <cstdint>

namespace convoy::predict {

// What the predictor needs to know of a VM. Sizes in MiB, rates in MiB/s.
struct MigrationProfile {
  double used_mib = 0;     // memory to send in the first round (non-zero pages)
  double dirty_mibps = 0;  // unique page dirty rate
  double wws_mib = 0;      // writable working set; bounds a round's dirty data
  double disk_mib = 0;     // local disk to copy (0: shared storage)
  double disk_dirty_mibps = 0;
  double disk_wws_mib = 0;    // bounds a disk round's dirty data; 0: all of the disk
  double working_set_mib = 0;  // from the guest module: moved first by enlightened post-copy
  double free_mib = 0;         // from the guest module: never moved by enlightened post-copy
};

struct PredictorConfig {
  double downtime_ms = 300;   // the longest acceptable stop of a pre-copy
  uint32_t max_rounds = 30;   // pre-copy gives up converging after this many rounds
  double switchover_ms = 20;  // device state and the resume, added to every downtime
};

struct Prediction {
  bool converges = false;
  double total_s = 0;      // from start to the VM running on the destination, all sent
  double downtime_ms = 0;  // how long the VM is paused
  double sent_mib = 0;     // all data sent
  uint32_t rounds = 0;     // pre-copy memory rounds including the final stop (1 for post-copy)
  double storage_s = 0;    // time spent on the disk before memory starts (0 without disk)
  // Until the VM runs as fast as before on the destination, s: pre-copy's total; post-copy's
  // too (pages arrive in address order); enlightened, until the working set has arrived.
  double recovery_s = 0;
};

// All functions take bandwidth_mibps > 0; a non-positive bandwidth gives converges = false and
// an infinite total_s.
Prediction PredictPreCopy(const MigrationProfile& vm, double bandwidth_mibps,
                          const PredictorConfig& config);
Prediction PredictPostCopy(const MigrationProfile& vm, double bandwidth_mibps,
                           const PredictorConfig& config);
Prediction PredictEnlightened(const MigrationProfile& vm, double bandwidth_mibps,
                              const PredictorConfig& config);
Prediction PredictStopAndCopy(const MigrationProfile& vm, double bandwidth_mibps,
                              const PredictorConfig& config);

// The smallest bandwidth, MiB/s, at which PredictPreCopy converges, to within 0.1%; +infinity
// when it does not converge even at `max_mibps`.
double MinConvergingBandwidth(const MigrationProfile& vm, const PredictorConfig& config,
                              double max_mibps = 1e6);

}  // namespace convoy::predict
