// The agent's migrations: starts them through the Hypervisor, follows them (job statistics every
// poll interval, plus the migration-iteration event), applies their mode rules (switch to
// post-copy, abort on timeout), lets callers change speed, switch or abort, streams progress,
// and keeps a record of each on disk so that a restarted agent finds the migrations that were
// running and reports them. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/enlightenment.h"
#include "agent/hypervisor.h"
#include "agent/staging.h"
#include "convoy/common/status.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

// Told of every migration that starts and ends (the bandwidth reservation listens).
class MigrationListener {
 public:
  virtual ~MigrationListener() = default;
  // Before libvirt is asked, and for each migration adopted at start-up. An error refuses the
  // start (its message goes to the caller) and must leave nothing behind.
  virtual Status OnMigrationStart(const v1::StartMigrationRequest& request) = 0;
  // Once the migration has a final state (also when libvirt refused to start it). Called with
  // the manager's lock held: must be quick and must not call the manager.
  virtual void OnMigrationEnd(const std::string& id) = 0;
  // Sets the fields of a running migration's progress the listener owns (reserved_mbps). Called
  // with the manager's lock held, as OnMigrationEnd.
  virtual void Annotate(v1::MigrationProgress* progress) = 0;
};

struct MigrationManagerOptions {
  std::string state_dir;                   // records go to <state_dir>/migrations/; empty: not kept
  int poll_interval_ms = 250;              // how often job statistics are read
  int start_timeout_ms = 15000;            // how long Start waits for libvirt to begin the job
  std::string destination_host_allowlist;  // reserved for the security issue; empty: any
  MigrationListener* listener = nullptr;   // not owned; may be null
  Staging* staging = nullptr;  // staged migrations through Redis (null: refused); outlives this
  // How long a completed migration waits for the hypervisor's job-completed figures (its
  // downtime) before it is reported; 0: not at all.
  int completed_event_wait_ms = 0;
};

class MigrationManager {
 public:
  MigrationManager(Hypervisor* hypervisor, MigrationManagerOptions options);
  // Joins every thread; migrations in libvirt go on (a new manager adopts them).
  ~MigrationManager();

  // Where enlightened migrations get the guest's side from (agent/enlightenment.h); without it
  // they run as plain post-copy and say so. Set before the first Start.
  void SetEnlightenmentReader(EnlightenmentReader* reader) { enlightenment_ = reader; }

  // Reads the records a previous run left and the hypervisor's active jobs, and adopts every
  // migration still running (adopted = true) or settles those that ended meanwhile.
  Status Recover();

  // Starts a migration; returns once libvirt has begun it (or has refused it: the error is
  // libvirt's text). NOT_FOUND for an unknown VM; FAILED_PRECONDITION for a VM that is not
  // running or already migrating; INVALID_ARGUMENT for a bad mode or missing destination.
  StatusOr<v1::MigrationProgress> Start(const v1::StartMigrationRequest& request);

  StatusOr<v1::MigrationProgress> Get(const std::string& id) const;
  std::vector<v1::MigrationProgress> List(bool include_finished) const;

  // Calls `on_progress` with the current progress, then on every change and at least every
  // `interval_ms` while the migration runs, until it ends (the last call has a final state) or
  // `on_progress` returns false (the watcher went away). NOT_FOUND for an unknown id.
  Status Watch(const std::string& id, int interval_ms,
               const std::function<bool(const v1::MigrationProgress&)>& on_progress);

  StatusOr<v1::MigrationProgress> SetSpeed(const std::string& id, double mibps);
  StatusOr<v1::MigrationProgress> SwitchToPostCopy(const std::string& id);
  // FAILED_PRECONDITION once in post-copy or when already finished.
  StatusOr<v1::MigrationProgress> Abort(const std::string& id);

 private:
  struct Migration {
    v1::StartMigrationRequest request;
    v1::MigrationProgress progress;
    uint64_t version = 0;   // bumped on every change
    bool job_seen = false;  // libvirt's job has been active at least once
    bool adopted = false;   // found running at start-up: no Migrate call of ours to wait for
    bool switch_requested = false;
    bool abort_requested = false;
    std::string abort_reason;
    std::string fail_reason;                // why the staging relay gave up
    std::shared_ptr<StagedSession> staged;  // staged migrations, once the relay runs
    bool completed_event = false;           // libvirt's job-completed figures arrived
    // Enlightened: the armed guest's channel, held until the VM runs on the destination.
    std::unique_ptr<EnlightenmentReader::Session> enlightened;
    std::thread runner;   // the blocking Migrate call
    std::thread monitor;  // polling job statistics
  };

  void Run(const std::shared_ptr<Migration>& m);
  void Monitor(const std::shared_ptr<Migration>& m);
  // Decides how an adopted migration ended once its job is gone.
  void Settle(const std::shared_ptr<Migration>& m);
  void Finish(Migration& m, const std::string& state, const std::string& error);
  void Changed(Migration& m);  // with mu_ held: bump version, persist, notify
  void Persist(const Migration& m);
  void OnIteration(const std::string& vm, int iteration);
  void OnJobCompleted(const std::string& vm, const JobStats& stats);
  // The staging relay cannot go on: the migration is aborted and fails with `status`.
  void OnStageFailure(const std::shared_ptr<Migration>& m, const Status& status);
  // A staged migration's relay, started (OK) or the reason it could not be (with mu_ free).
  Status OpenStaging(const std::shared_ptr<Migration>& m, MigrateOptions* options);
  StatusOr<std::shared_ptr<Migration>> Find(const std::string& id) const;  // with mu_ held
  // Find, and FAILED_PRECONDITION when the migration has ended; with mu_ held.
  StatusOr<std::shared_ptr<Migration>> FindActive(const std::string& id) const;
  void Adopt(v1::StartMigrationRequest request, v1::MigrationProgress progress);
  static bool Final(const std::string& state);
  // m.progress, with a running migration's relay figures and reservation as they are now (not
  // as of the last poll of a libvirt that may be slow to answer); mu_ held.
  v1::MigrationProgress Current(const Migration& m) const;

  Hypervisor* const hypervisor_;
  const MigrationManagerOptions options_;
  EnlightenmentReader* enlightenment_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Migration>> migrations_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
};

}  // namespace convoy::agent
