#include "src/sim/migration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"
#include "src/sim/flow.h"

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Now() { return sg4::Engine::get_clock(); }

class Migrator {
 public:
  Migrator(RunContext* ctx, const MigrationTask& task)
      : ctx_(ctx),
        task_(task),
        vm_(ctx->model().vms()[task.vm]),
        config_(ctx->options().predictor),
        rate_mibps_(task.initial_rate_mibps) {}

  MigrationOutcome Run() {
    out_.start_s = Now();
    if (paced()) {
      const double dirty_mibps = vm_.dirty_mibps + (vm_.disk_mib > 0 ? vm_.disk_dirty_mibps : 0);
      ctx_->pacer().Join(task_.app, task_.vm, task_.group, task_.limit_bytes_per_s,
                         task_.app_bytes_per_s, dirty_mibps * kBytesPerMiB);
    }
    if (task_.mode == "stop-and-copy") {
      StopAndCopy();
    } else if (task_.mode == "pre-copy") {
      PreCopy();
    } else {
      PostCopy();  // post-copy, enlightened (planned as post-copy until guests report priorities)
    }
    out_.end_s = Now();
    if (paced()) ctx_->pacer().Left(task_.app, task_.vm);
    return out_;
  }

 private:
  struct Phase {
    uint32_t rounds = 0;
    uint32_t capped = 0;  // the rounds the cap counts: not those held for a COMMA group
    bool converged = false;
    bool timed_out = false;
  };

  bool paced() const { return !task_.app.empty() && task_.limit_bytes_per_s > 0; }

  double DiskBound() const {
    return vm_.disk_wws_mib > 0 ? std::min(vm_.disk_wws_mib, vm_.disk_mib) : vm_.disk_mib;
  }
  double downtime_s() const { return config_.downtime_ms / 1000.0; }
  double switchover_s() const { return config_.switchover_ms / 1000.0; }

  // Sends `mib` as one flow and sets *elapsed_s to how long it took. False when the deadline
  // passed first (the flow is cancelled; what got through counts as sent).
  bool Send(double mib, double deadline_s, double* elapsed_s) {
    const double t0 = Now();
    *elapsed_s = 0;
    const double bytes = std::floor(mib * kBytesPerMiB);
    if (bytes < 1) return true;  // nothing left to send (SimGrid starts no flow of 0 bytes)
    if (deadline_s <= t0) return false;
    const double limit =
        paced() ? ctx_->pacer().LimitFor(task_.app, task_.vm) : task_.limit_bytes_per_s;
    KernelAction* action = nullptr;
    sg4::CommPtr flow =
        StartFlow(ctx_->platform().host(task_.src), ctx_->platform().host(task_.dst), bytes, limit,
                  paced() ? &action : nullptr);
    if (paced()) ctx_->pacer().Track(task_.app, task_.vm, action);
    const bool first_pass = std::exchange(first_pass_, false);
    bool done = true;
    if (deadline_s == kInf) {
      flow->wait();
    } else {
      try {
        flow->wait_for(deadline_s - t0);
      } catch (const simgrid::TimeoutException&) {
        const double left = flow->get_remaining();
        flow->cancel();
        out_.sent_mib += (bytes - left) / kBytesPerMiB;
        done = false;
      }
    }
    if (paced()) {
      ctx_->pacer().Track(task_.app, task_.vm, nullptr);
      if (first_pass) ctx_->pacer().MovedOn(task_.app, task_.vm);
    }
    *elapsed_s = Now() - t0;
    if (!done) return false;
    out_.sent_mib += mib;
    return true;
  }

  // The iterative copy of a data set that is being written: `first_mib` in round 1, then what
  // `dirty_mibps` rewrote during the previous round (at most `bound_mib`), until what is left
  // can be sent within the downtime limit at the rate the last round achieved. Returns what is
  // left for the stop.
  // `last` is the phase the VM stops after (memory, not a storage pre-copy): the members of a
  // COMMA group stop together there.
  double Iterate(double first_mib, double dirty_mibps, double bound_mib, double deadline_s,
                 bool last, Phase* phase) {
    double pending = first_mib;
    while (true) {
      if (paced()) {
        // Held while other members of its app have their turn; its VM keeps writing.
        const double held_s = ctx_->pacer().WaitTurn(task_.app, task_.vm);
        if (held_s > 0) {
          pending = std::min(pending + dirty_mibps * held_s * ctx_->vm_variation(task_.vm).Next(),
                             bound_mib);
        }
      }
      if (pending <= rate_mibps_ * downtime_s()) {
        // A COMMA member stops with the rest of its group, iterating on (held to its dirty
        // rate) until the group is ready; with nothing to iterate on, it just waits.
        bool stop =
            !paced() || !last || first_pass_ || ctx_->pacer().ReadyToStop(task_.app, task_.vm);
        if (!stop && pending * kBytesPerMiB < 1) {
          ctx_->pacer().WaitReleased(task_.app, task_.vm);
          stop = true;
        }
        if (stop) {
          phase->converged = true;
          return pending;
        }
      }
      if (phase->capped >= config_.max_rounds) return pending;
      double round_s = 0;
      if (!Send(pending, deadline_s, &round_s)) {
        phase->timed_out = true;
        return pending;
      }
      ++phase->rounds;
      // A member held to its dirty rate says nothing of the bandwidth it will stop with, and is
      // held on purpose: its rounds are not counted against the cap.
      const bool holding = paced() && ctx_->pacer().Holding(task_.app, task_.vm);
      if (!holding) ++phase->capped;
      if (round_s > 0 && !holding) rate_mibps_ = pending / round_s;
      pending = std::min(dirty_mibps * round_s * ctx_->vm_variation(task_.vm).Next(), bound_mib);
    }
  }

  void Pause() { ctx_->loads().Pause(task_.vm); }
  // The switch-over, then the VM runs (computes, sends and receives) on the destination.
  void Resume() {
    sg4::this_actor::sleep_for(switchover_s());
    ctx_->loads().Place(task_.vm, task_.dst);
  }

  // The disk (storage pre-copy) before memory; returns what is left of it.
  double CopyDisk(double deadline_s, Phase* disk) {
    if (vm_.disk_mib <= 0) return 0;
    return Iterate(vm_.disk_mib, vm_.disk_dirty_mibps, DiskBound(), deadline_s, false, disk);
  }

  void Abort() {
    out_.timed_out = true;
    out_.converged = false;
    out_.note = absl::StrFormat(
        "aborted: pre-copy still iterating after %.0f s (%u rounds), the VM stays on %s",
        ctx_->options().migration_timeout_s, out_.rounds, ctx_->model().hosts()[task_.src].name);
  }

  void PreCopy() {
    const double timeout_s = ctx_->options().migration_timeout_s;
    const double deadline_s = timeout_s > 0 ? out_.start_s + timeout_s : kInf;
    Phase disk;
    const double disk_left = CopyDisk(deadline_s, &disk);
    if (disk.timed_out) return Abort();
    // Dirty blocks left when the disk never converged go with the VM stopped.
    const double disk_stuck = vm_.disk_mib > 0 && !disk.converged ? disk_left : 0;
    const bool has_disk = vm_.disk_mib > 0;
    Phase mem;
    double left = Iterate(vm_.used_mib + (disk.converged ? disk_left : 0),
                          vm_.dirty_mibps + (has_disk ? vm_.disk_dirty_mibps : 0),
                          vm_.wws_mib + (has_disk ? DiskBound() : 0), deadline_s, true, &mem);
    out_.rounds = mem.rounds;
    if (mem.timed_out) return Abort();
    left += disk_stuck;
    const double stop_s = Now();
    Pause();
    double ignored = 0;
    Send(left, kInf, &ignored);
    Resume();
    out_.downtime_ms = (Now() - stop_s) * 1000.0;
    out_.execution_transfer_s = Now() - out_.start_s;
    out_.rounds = mem.rounds + 1;
    out_.converged = mem.converged && disk_stuck == 0;
    if (!out_.converged) {
      out_.note = absl::StrFormat(
          "did not converge: %u rounds, %.0f MiB sent with the VM stopped (%.0f ms)",
          config_.max_rounds, left, out_.downtime_ms);
    }
  }

  void PostCopy() {
    Phase disk;
    const double disk_left = CopyDisk(kInf, &disk);
    double ignored = 0;
    Send(disk_left, kInf, &ignored);
    Pause();
    Resume();
    out_.downtime_ms = config_.switchover_ms;
    out_.execution_transfer_s = Now() - out_.start_s;
    out_.rounds = 1;
    Send(vm_.used_mib, kInf, &ignored);
  }

  void StopAndCopy() {
    Pause();
    double ignored = 0;
    Send(vm_.used_mib + vm_.disk_mib, kInf, &ignored);
    Resume();
    out_.downtime_ms = (Now() - out_.start_s) * 1000.0;
    out_.execution_transfer_s = Now() - out_.start_s;
    out_.rounds = 1;
  }

  RunContext* ctx_;
  const MigrationTask& task_;
  const model::VmInfo& vm_;
  const predict::PredictorConfig& config_;
  double rate_mibps_;
  bool first_pass_ = true;
  MigrationOutcome out_;
};

}  // namespace

bool IsSimulatedMode(const std::string& mode) {
  return mode == "pre-copy" || mode == "post-copy" || mode == "enlightened" ||
         mode == "stop-and-copy";
}

void RunMigration(RunContext* ctx, const MigrationTask& task) {
  Event done;
  done.action = task.action;
  done.outcome = Migrator(ctx, task).Run();
  ctx->Post(std::move(done));
}

}  // namespace convoy::sim
