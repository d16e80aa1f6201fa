// What MigrationManager needs to run a staged migration (StartMigrationRequest.staging): the
// source side of SOLive's scatter-gather through Redis intermediaries. The implementation is
// StagingService (staging_service.h); MigrationManager only sees these two interfaces.
#pragma once

#include <functional>
#include <memory>

#include "agent/hypervisor.h"
#include "convoy/common/status.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

// One running staged migration, on its source.
class StagedSession {
 public:
  virtual ~StagedSession() = default;
  // Points the migration at the relay: the source QEMU streams to it, the destination QEMU
  // listens where the gatherer will feed it.
  virtual void Apply(MigrateOptions* options) const = 0;
  // The job's latest figures: once in post-copy the migration cannot be abandoned (a full
  // intermediary is waited for); nothing left to send is a sign of eviction.
  virtual void OnJobStats(const JobStats& stats) = 0;
  virtual v1::StagingProgress Progress() const = 0;
  // Ends the relay, tells the destination, and deletes whatever of the migration is left on
  // the intermediaries; the clean-up's error (naming the intermediary) if that failed.
  virtual Status Finish(bool succeeded) = 0;
};

class Staging {
 public:
  virtual ~Staging() = default;
  // Whether `request.staging` may run here: INVALID_ARGUMENT naming an intermediary this agent
  // is not configured for, a missing destination agent or migration address, or parallel
  // connections (one stream only).
  virtual Status Check(const v1::StartMigrationRequest& request) const = 0;
  // Connects to the intermediaries, has the destination agent get ready and starts the relay.
  // UNAVAILABLE (naming what) when an intermediary or the destination cannot be reached;
  // the destination's own error when it refuses. `on_failure` is called at most once, from a
  // relay thread, when the staged stream cannot go on: the caller aborts the migration.
  virtual StatusOr<std::unique_ptr<StagedSession>> Open(
      const v1::StartMigrationRequest& request, double started_at_unix_s,
      std::function<void(const Status&)> on_failure) = 0;
  // Deletes what a migration left on its intermediaries (its relay died with a previous run).
  virtual Status Forget(const v1::StartMigrationRequest& request) = 0;
};

}  // namespace convoy::agent
