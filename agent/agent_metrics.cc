#include "agent/agent_metrics.h"

namespace convoy::agent {
namespace {

constexpr char kUp[] = "convoy_agent_up";
constexpr char kInfo[] = "convoy_agent_info";
constexpr char kMigrations[] = "convoy_agent_migrations";
constexpr char kBytesTotal[] = "convoy_agent_migration_bytes_total";
constexpr char kProcessed[] = "convoy_agent_migration_processed_mib";
constexpr char kRemaining[] = "convoy_agent_migration_remaining_mib";
constexpr char kBandwidth[] = "convoy_agent_migration_bandwidth_mibps";
constexpr char kDirtyRate[] = "convoy_agent_migration_dirty_rate_mibps";
constexpr char kHeartbeats[] = "convoy_agent_heartbeats_total";
constexpr char kControllerUp[] = "convoy_agent_controller_up";

// Every state MigrationProgress.state takes; each is exported, at 0 when no migration is in it.
constexpr const char* kStates[] = {"starting",  "running", "postcopy",
                                   "completed", "failed",  "aborted"};

bool Final(const std::string& state) {
  return state == "completed" || state == "failed" || state == "aborted";
}

constexpr double kBytesPerMib = 1024.0 * 1024.0;

}  // namespace

AgentMetrics::AgentMetrics(metrics::Registry* registry, MigrationLister list_migrations,
                           const std::string& name, const std::string& version)
    : registry_(registry),
      list_migrations_(std::move(list_migrations)),
      bytes_total_(registry->Counter(kBytesTotal)),
      heartbeats_ok_(registry->Counter(kHeartbeats, {{"result", "ok"}})),
      heartbeats_error_(registry->Counter(kHeartbeats, {{"result", "error"}})) {
  using metrics::Type;
  registry->Describe(kUp, Type::kGauge, "1 while the agent runs");
  registry->Describe(kInfo, Type::kGauge, "The agent's host name and version; always 1");
  registry->Describe(kMigrations, Type::kGauge,
                     "Migrations this agent knows of (finished ones included), by state");
  registry->Describe(kBytesTotal, Type::kCounter,
                     "Bytes sent by the migrations this agent knows of");
  registry->Describe(kProcessed, Type::kGauge, "Data a running migration has sent so far, MiB");
  registry->Describe(kRemaining, Type::kGauge, "Data a running migration has left to send, MiB");
  registry->Describe(kBandwidth, Type::kGauge,
                     "Achieved transfer rate of a running migration, MiB/s");
  registry->Describe(kDirtyRate, Type::kGauge,
                     "Rate the guest dirties memory at during its migration, MiB/s (QEMU's)");
  registry->Describe(kHeartbeats, Type::kCounter, "Heartbeats sent to the controller, by outcome");
  registry->Describe(kControllerUp, Type::kGauge,
                     "1 when the controller answered the last heartbeat, else 0");
  registry->Gauge(kUp).Set(1);
  registry->Gauge(kInfo, {{"name", name}, {"version", version}}).Set(1);
  for (const char* state : kStates) registry->Gauge(kMigrations, {{"state", state}}).Set(0);
  registry->AddCollector([this] { Collect(); });
}

void AgentMetrics::Collect() {
  const std::vector<v1::MigrationProgress> migrations = list_migrations_();
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int> by_state;
  for (const char* state : kStates) by_state[state] = 0;
  std::set<metrics::Labels> running;
  for (const auto& m : migrations) {
    ++by_state[m.state()];
    double& seen = processed_mib_seen_[m.id()];
    if (m.data_processed_mib() > seen) {
      bytes_total_.Add((m.data_processed_mib() - seen) * kBytesPerMib);
      seen = m.data_processed_mib();
    }
    if (Final(m.state())) continue;
    metrics::Labels labels = {{"id", m.id()}, {"vm", m.vm()}};
    registry_->Gauge(kProcessed, labels).Set(m.data_processed_mib());
    registry_->Gauge(kRemaining, labels).Set(m.data_remaining_mib());
    registry_->Gauge(kBandwidth, labels).Set(m.bandwidth_mibps());
    registry_->Gauge(kDirtyRate, labels).Set(m.dirty_rate_mibps());
    running.insert(std::move(labels));
  }
  for (const auto& [state, count] : by_state) {
    registry_->Gauge(kMigrations, {{"state", state}}).Set(count);
  }
  for (const auto& labels : running_) {
    if (running.count(labels) > 0) continue;
    for (const char* family : {kProcessed, kRemaining, kBandwidth, kDirtyRate}) {
      registry_->RemoveSeries(family, labels);
    }
  }
  running_ = std::move(running);
}

void AgentMetrics::OnHeartbeat(const Status& status) {
  (status.ok() ? heartbeats_ok_ : heartbeats_error_).Increment();
  registry_->Gauge(kControllerUp).Set(status.ok() ? 1 : 0);
}

}  // namespace convoy::agent
