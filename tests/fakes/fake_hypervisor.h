// An in-memory Hypervisor for unit tests of the agent's logic. The test owns the clock of a
// migration: Migrate blocks until the test completes or fails it (or the agent aborts it), and
// the job's figures are whatever the test sets. Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/hypervisor.h"

namespace convoy::testing {

class FakeHypervisor final : public agent::Hypervisor {
 public:
  // Adds a running VM with one tap.
  void AddDomain(const std::string& name, double memory_mib, const std::string& state = "running");
  void SetTapCounters(const std::string& vm, uint64_t rx_bytes, uint64_t tx_bytes);
  void SetDirtyRate(const std::string& vm, double mibps) { dirty_[vm] = mibps; }
  // The next Migrate fails at once with this libvirt-like message.
  void FailNextMigrateWith(const std::string& message);
  // Marks an outgoing migration job of `vm` active, as if another agent run had started it.
  void SetJob(const std::string& vm, const agent::JobStats& stats);
  void EndJob(const std::string& vm, bool vm_left);

  // Control of a migration blocked in Migrate.
  bool WaitForMigrateCall(const std::string& vm, int timeout_ms = 5000);
  void SetProgress(const std::string& vm, uint64_t processed, uint64_t remaining,
                   uint64_t iteration);
  void Complete(const std::string& vm);  // Migrate returns OK, the VM leaves
  void Fail(const std::string& vm, const std::string& message);
  void FireIteration(const std::string& vm, int iteration);

  // What the agent asked for.
  struct Calls {
    agent::MigrateOptions options;
    std::vector<double> speeds_mibps;
    double downtime_ms = 0;
    int postcopy_switches = 0;
    int aborts = 0;
  };
  Calls CallsFor(const std::string& vm);
  bool HasDomain(const std::string& vm);

  // Hypervisor.
  StatusOr<agent::HostFacts> DescribeHost() override;
  StatusOr<std::vector<agent::DomainFacts>> ListDomains() override;
  StatusOr<agent::DomainFacts> GetDomain(const std::string& vm) override;
  Status StartDirtyRateCalc(const std::string& vm, int period_s,
                            agent::DirtyRateMode mode) override;
  StatusOr<agent::DirtyRateSample> GetDirtyRate(const std::string& vm) override;
  Status Migrate(const std::string& vm, const agent::MigrateOptions& options) override;
  StatusOr<agent::JobStats> GetJobStats(const std::string& vm, bool completed) override;
  Status SetMaxSpeed(const std::string& vm, double mibps, bool postcopy) override;
  Status SetMaxDowntime(const std::string& vm, double downtime_ms) override;
  Status StartPostCopy(const std::string& vm) override;
  Status AbortJob(const std::string& vm) override;
  void SetIterationCallback(IterationCallback callback) override;

 private:
  struct Job {
    agent::JobStats stats;
    bool allow_postcopy = false;
    bool in_migrate_call = false;
    bool done = false;
    Status result;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, agent::DomainFacts> domains_;
  std::map<std::string, Job> jobs_;
  std::map<std::string, Calls> calls_;
  std::map<std::string, double> dirty_;
  std::map<std::string, bool> dirty_started_;
  std::string fail_next_;
  IterationCallback callback_;
};

}  // namespace convoy::testing
