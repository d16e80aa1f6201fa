// convoyd's Prometheus metrics: computed at each scrape from the inventory and the operations,
// so they never drift from what the API reports.
#pragma once

#include "controller/inventory.h"
#include "controller/operations.h"
#include "convoy/metrics/metrics.h"

namespace convoy::controller {

// Registers the families and a collector on `registry`:
//   convoy_agent_up{host}                        1 up, 0 down or off
//   convoy_agent_heartbeat_age_seconds{host}     since the agent last called
//   convoy_agent_heartbeats_total{result}        (counted by the service: CountHeartbeat)
//   convoy_operations{state}                     operations by state (the last 200)
//   convoy_operation_duration_seconds{operation} finished operations, finish - start
//   convoy_migrations{state}                     migrate actions by state
//   convoy_migrated_mib                          data sent by all migrations so far, MiB
//   convoy_migration_bandwidth_mibps{operation,vm}  achieved rate of each running migration
//   convoy_migration_remaining_mib{operation,vm}    what each running migration has left
//   convoy_prediction_error_ratio{operation,vm}  measured / predicted - 1 of finished migrations
// The pointers must outlive the registry's collector.
void RegisterControllerMetrics(metrics::Registry* registry, Inventory* inventory,
                               Operations* operations);

void CountHeartbeat(metrics::Registry* registry, bool ok);

}  // namespace convoy::controller
