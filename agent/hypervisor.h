// The hypervisor as the agent needs it: a narrow interface over libvirt, so the agent's logic
// (migration bookkeeping, progress, recovery) is testable with an in-memory fake.
// Implementations: LibvirtHypervisor (libvirt_hypervisor.h), FakeHypervisor (tests).
// All methods are thread-safe: the agent calls them from gRPC threads and monitor threads.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::agent {

struct HostFacts {
  std::string hostname;
  std::string host_uuid;
  uint32_t cpus = 0;
  double memory_mib = 0;
  double free_memory_mib = 0;
};

struct TapCounters {
  std::string dev;
  std::string mac;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

struct DomainFacts {
  std::string name;
  std::string uuid;
  std::string state;  // running | paused | shutoff | ...
  uint32_t vcpus = 0;
  double memory_mib = 0;
  double max_memory_mib = 0;
  std::vector<TapCounters> taps;
  bool migrating_out = false;  // an outgoing migration job is active
};

enum class DirtyRateMode { kPageSampling, kDirtyBitmap, kDirtyRing };

struct DirtyRateSample {
  enum class Status { kUnstarted, kMeasuring, kMeasured, kUnsupported } status = Status::kUnstarted;
  double mibps = 0;
  double period_s = 0;
};

struct MigrateOptions {
  std::string dest_libvirt_uri;
  std::string migration_uri;  // e.g. tcp://10.0.0.2 (empty: libvirt's choice)
  // Where the destination QEMU listens (empty: the destination libvirtd's choice). With a port
  // in migration_uri, the destination listens on this address and that port.
  std::string listen_address;
  bool allow_postcopy = false;
  double bandwidth_mibps = 0;  // 0: unlimited
  bool auto_converge = false;
  uint32_t parallel_connections = 0;
  bool persist_destination = false;
  double postcopy_bandwidth_mibps = 0;  // once in post-copy; 0: unlimited
};

// A migration job's figures, as libvirt reports them. Sizes in bytes.
struct JobStats {
  bool active = false;         // a job is running
  bool migration_out = false;  // that job is an outgoing migration
  bool postcopy = false;       // it is in post-copy
  uint64_t elapsed_ms = 0;
  uint64_t data_total = 0, data_processed = 0, data_remaining = 0;
  uint64_t memory_iteration = 0;
  double dirty_rate_pages_per_s = 0;
  uint64_t page_size = 4096;
  double memory_bytes_per_s = 0;
  uint64_t downtime_ms = 0;
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  virtual StatusOr<HostFacts> DescribeHost() = 0;
  virtual StatusOr<std::vector<DomainFacts>> ListDomains() = 0;
  // NOT_FOUND when there is no such domain.
  virtual StatusOr<DomainFacts> GetDomain(const std::string& vm) = 0;

  // Starts the guest's dirty-rate calculation over `period_s` seconds.
  virtual Status StartDirtyRateCalc(const std::string& vm, int period_s, DirtyRateMode mode) = 0;
  virtual StatusOr<DirtyRateSample> GetDirtyRate(const std::string& vm) = 0;

  // Migrates `vm` peer-to-peer and live. BLOCKS until the migration ends: OK when the VM runs
  // on the destination, else the hypervisor's own error text.
  virtual Status Migrate(const std::string& vm, const MigrateOptions& options) = 0;
  // The active job (active = false when none), or the completed one.
  virtual StatusOr<JobStats> GetJobStats(const std::string& vm, bool completed) = 0;
  virtual Status SetMaxSpeed(const std::string& vm, double mibps, bool postcopy) = 0;
  virtual Status SetMaxDowntime(const std::string& vm, double downtime_ms) = 0;
  virtual Status StartPostCopy(const std::string& vm) = 0;
  virtual Status AbortJob(const std::string& vm) = 0;

  // The host path of the unix socket behind the VM's virtio-serial channel `name` (the guest
  // module's is org.convoy.enlight.0). NOT_FOUND for an unknown VM; FAILED_PRECONDITION when the
  // VM has no such channel or no guest process has the port open.
  virtual StatusOr<std::string> ChannelPath(const std::string& vm, const std::string& name) {
    (void)vm;
    (void)name;
    return absl::UnimplementedError("this hypervisor has no guest channels");
  }

  // Called (from any thread) each time a migration of `vm` begins memory pass `iteration`.
  using IterationCallback = std::function<void(const std::string& vm, int iteration)>;
  virtual void SetIterationCallback(IterationCallback callback) = 0;

  // Called (from any thread) when a migration job of `vm` has completed, with its final figures
  // (downtime_ms as the hypervisor measured it). Hypervisors that cannot tell never call it.
  using JobCompletedCallback = std::function<void(const std::string& vm, const JobStats& stats)>;
  virtual void SetJobCompletedCallback(JobCompletedCallback /*callback*/) {}
};

}  // namespace convoy::agent
