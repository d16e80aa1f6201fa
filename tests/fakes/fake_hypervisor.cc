#include "tests/fakes/fake_hypervisor.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace convoy::testing {

using agent::DomainFacts;
using agent::JobStats;

void FakeHypervisor::AddDomain(const std::string& name, double memory_mib,
                               const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  DomainFacts d;
  d.name = name;
  d.uuid = absl::StrCat("uuid-", name);
  d.state = state;
  d.vcpus = 1;
  d.memory_mib = d.max_memory_mib = memory_mib;
  d.taps.push_back({absl::StrCat("vnet-", name), "52:54:00:00:00:01", 0, 0});
  domains_[name] = d;
}

void FakeHypervisor::SetTapCounters(const std::string& vm, uint64_t rx, uint64_t tx) {
  std::lock_guard<std::mutex> lock(mu_);
  domains_[vm].taps[0].rx_bytes = rx;
  domains_[vm].taps[0].tx_bytes = tx;
}

void FakeHypervisor::FailNextMigrateWith(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = message;
}

void FakeHypervisor::SetJob(const std::string& vm, const JobStats& stats) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_[vm].stats = stats;
  domains_[vm].migrating_out = stats.active && stats.migration_out;
}

void FakeHypervisor::EndJob(const std::string& vm, bool vm_left) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_.erase(vm);
  if (vm_left) {
    domains_.erase(vm);
  } else {
    domains_[vm].migrating_out = false;
  }
}

bool FakeHypervisor::WaitForMigrateCall(const std::string& vm, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return jobs_.contains(vm) && jobs_[vm].in_migrate_call; });
}

void FakeHypervisor::SetProgress(const std::string& vm, uint64_t processed, uint64_t remaining,
                                 uint64_t iteration) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& s = jobs_[vm].stats;
  s.data_processed = processed;
  s.data_remaining = remaining;
  s.memory_iteration = iteration;
}

void FakeHypervisor::Complete(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_[vm].done = true;
  jobs_[vm].result = absl::OkStatus();
  cv_.notify_all();
}

void FakeHypervisor::Fail(const std::string& vm, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  jobs_[vm].done = true;
  jobs_[vm].result = absl::AbortedError(message);
  cv_.notify_all();
}

void FakeHypervisor::FireIteration(const std::string& vm, int iteration) {
  IterationCallback callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_[vm].stats.memory_iteration = static_cast<uint64_t>(iteration);
    callback = callback_;
  }
  if (callback) callback(vm, iteration);
}

FakeHypervisor::Calls FakeHypervisor::CallsFor(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_[vm];
}

bool FakeHypervisor::HasDomain(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  return domains_.contains(vm);
}

StatusOr<agent::HostFacts> FakeHypervisor::DescribeHost() {
  agent::HostFacts h;
  h.hostname = "fake";
  h.host_uuid = "00000000-0000-0000-0000-000000000001";
  h.cpus = 8;
  h.memory_mib = 16384;
  h.free_memory_mib = 8192;
  return h;
}

StatusOr<std::vector<DomainFacts>> FakeHypervisor::ListDomains() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DomainFacts> out;
  for (const auto& [name, d] : domains_) out.push_back(d);
  return out;
}

StatusOr<DomainFacts> FakeHypervisor::GetDomain(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(vm);
  if (it == domains_.end()) return absl::NotFoundError(absl::StrCat("no VM named '", vm, "'"));
  return it->second;
}

Status FakeHypervisor::StartDirtyRateCalc(const std::string& vm, int, agent::DirtyRateMode) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!domains_.contains(vm)) return absl::NotFoundError(vm);
  dirty_started_[vm] = true;
  return absl::OkStatus();
}

StatusOr<agent::DirtyRateSample> FakeHypervisor::GetDirtyRate(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  agent::DirtyRateSample s;
  if (dirty_started_[vm]) {
    s.status = agent::DirtyRateSample::Status::kMeasured;
    s.mibps = dirty_[vm];
    s.period_s = 1;
  }
  return s;
}

Status FakeHypervisor::Migrate(const std::string& vm, const agent::MigrateOptions& options) {
  std::unique_lock<std::mutex> lock(mu_);
  calls_[vm].options = options;
  if (!fail_next_.empty()) {
    std::string message = std::move(fail_next_);
    fail_next_.clear();
    return absl::AbortedError(message);
  }
  Job& job = jobs_[vm];
  job = Job{};
  job.allow_postcopy = options.allow_postcopy;
  job.in_migrate_call = true;
  job.stats.active = true;
  job.stats.migration_out = true;
  job.stats.data_total = static_cast<uint64_t>(domains_[vm].memory_mib * 1048576);
  job.stats.data_remaining = job.stats.data_total;
  job.stats.memory_iteration = 1;
  domains_[vm].migrating_out = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return jobs_[vm].done; });
  Status result = jobs_[vm].result;
  jobs_.erase(vm);
  if (result.ok()) {
    domains_.erase(vm);
  } else {
    domains_[vm].migrating_out = false;
  }
  return result;
}

StatusOr<JobStats> FakeHypervisor::GetJobStats(const std::string& vm, bool) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!domains_.contains(vm)) return absl::NotFoundError(vm);
  auto it = jobs_.find(vm);
  if (it == jobs_.end()) return JobStats{};
  return it->second.stats;
}

Status FakeHypervisor::SetMaxSpeed(const std::string& vm, double mibps, bool) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_[vm].speeds_mibps.push_back(mibps);
  return absl::OkStatus();
}

Status FakeHypervisor::SetMaxDowntime(const std::string& vm, double downtime_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_[vm].downtime_ms = downtime_ms;
  return absl::OkStatus();
}

Status FakeHypervisor::StartPostCopy(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(vm);
  if (it == jobs_.end() || !it->second.allow_postcopy) {
    return absl::FailedPreconditionError("post-copy migration is not enabled");
  }
  ++calls_[vm].postcopy_switches;
  it->second.stats.postcopy = true;
  return absl::OkStatus();
}

Status FakeHypervisor::AbortJob(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(vm);
  if (it == jobs_.end()) return absl::FailedPreconditionError("no job is active on the domain");
  if (it->second.stats.postcopy) {
    return absl::FailedPreconditionError("cannot abort migration in post-copy mode");
  }
  ++calls_[vm].aborts;
  it->second.done = true;
  it->second.result =
      absl::AbortedError("operation aborted: migration out job: canceled by client");
  cv_.notify_all();
  return absl::OkStatus();
}

void FakeHypervisor::SetIterationCallback(IterationCallback callback) {
  std::lock_guard<std::mutex> lock(mu_);
  callback_ = std::move(callback);
}

}  // namespace convoy::testing
