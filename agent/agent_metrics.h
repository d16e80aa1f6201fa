// The agent's Prometheus metrics, brought up to date from the MigrationManager at every scrape:
//
//   convoy_agent_up                                  1 while the agent runs
//   convoy_agent_info{name,version}                  1
//   convoy_agent_migrations{state}                   migrations the agent knows of, by state
//   convoy_agent_migration_bytes_total               bytes moved by those migrations (counter)
//   convoy_agent_migration_processed_mib{id,vm}      per running migration: data sent so far,
//   convoy_agent_migration_remaining_mib{id,vm}        data left, achieved rate and the guest's
//   convoy_agent_migration_bandwidth_mibps{id,vm}      dirty rate; removed when it ends
//   convoy_agent_migration_dirty_rate_mibps{id,vm}
//   convoy_agent_heartbeats_total{result="ok|error"} heartbeats sent to the controller
//   convoy_agent_controller_up                       1 when the last heartbeat was answered
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/metrics/metrics.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

class AgentMetrics {
 public:
  using MigrationLister = std::function<std::vector<v1::MigrationProgress>()>;

  // Describes the families in `registry`, sets the constant ones, and adds Collect as the
  // registry's collector. `list_migrations` returns every migration, finished ones included
  // (MigrationManager::List(true)). This object (and what `list_migrations` uses) must outlive
  // the registry's last RenderText.
  AgentMetrics(metrics::Registry* registry, MigrationLister list_migrations,
               const std::string& name, const std::string& version);

  // Reads the migrations and updates the migration metrics. Thread-safe.
  void Collect();

  // Counts a heartbeat to the controller and its outcome (ControllerLink's on_heartbeat).
  void OnHeartbeat(const Status& status);

 private:
  metrics::Registry* const registry_;
  const MigrationLister list_migrations_;
  metrics::CounterHandle bytes_total_;
  metrics::CounterHandle heartbeats_ok_;
  metrics::CounterHandle heartbeats_error_;

  std::mutex mu_;
  std::map<std::string, double> processed_mib_seen_;  // per migration id, for bytes_total_
  std::set<metrics::Labels> running_;                 // {id, vm} series currently exported
};

}  // namespace convoy::agent
