#include "controller/controller_metrics.h"

#include <chrono>
#include <map>

#include "controller/action_graph.h"

namespace convoy::controller {
namespace {

constexpr size_t kOperationsShown = 200;

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Describe(metrics::Registry* r) {
  using metrics::Type;
  r->Describe("convoy_agent_up", Type::kGauge, "1 when the host's agent heartbeats, 0 otherwise");
  r->Describe("convoy_agent_heartbeat_age_seconds", Type::kGauge,
              "Time since the host's agent last called");
  r->Describe("convoy_agent_heartbeats_total", Type::kCounter, "Agent heartbeats received");
  r->Describe("convoy_operations", Type::kGauge, "Operations by state (the most recent 200)");
  r->Describe("convoy_operation_duration_seconds", Type::kGauge,
              "Duration of finished operations");
  r->Describe("convoy_migrations", Type::kGauge, "Migrations by state");
  r->Describe("convoy_migrated_mib", Type::kGauge, "Data sent by all migrations so far, MiB");
  r->Describe("convoy_migration_bandwidth_mibps", Type::kGauge,
              "Achieved transfer rate of each running migration, MiB/s");
  r->Describe("convoy_migration_remaining_mib", Type::kGauge,
              "Data a running migration still has to send, MiB");
  r->Describe("convoy_prediction_error_ratio", Type::kGauge,
              "Measured over predicted duration minus 1, per finished migration");
}

}  // namespace

void CountHeartbeat(metrics::Registry* registry, bool ok) {
  registry->Counter("convoy_agent_heartbeats_total", {{"result", ok ? "ok" : "error"}}).Add(1);
}

void RegisterControllerMetrics(metrics::Registry* registry, Inventory* inventory,
                               Operations* operations) {
  Describe(registry);
  registry->AddCollector([registry, inventory, operations] {
    const double now = NowUnixS();
    const v1::InventoryResponse snapshot = inventory->Snapshot();
    for (const auto& a : snapshot.agents()) {
      registry->Gauge("convoy_agent_up", {{"host", a.name()}}).Set(a.health() == "up" ? 1 : 0);
      registry->Gauge("convoy_agent_heartbeat_age_seconds", {{"host", a.name()}})
          .Set(now - a.last_heartbeat_unix_s());
    }
    auto listed = operations->List(true);
    if (!listed.ok()) return;
    // Running series are rebuilt each time: migrations that ended drop out.
    registry->RemoveSeriesIf("convoy_migration_bandwidth_mibps", [](const auto&) { return true; });
    registry->RemoveSeriesIf("convoy_migration_remaining_mib", [](const auto&) { return true; });
    std::map<std::string, int> op_states, migration_states;
    for (const char* s : {"running", "succeeded", "failed", "cancelled"}) op_states[s] = 0;
    for (const char* s : {kPending, kRunning, kPostCopy, kDone, kFailed, kCancelled, kSkipped}) {
      migration_states[s] = 0;
    }
    double sent_mib = 0;
    size_t shown = 0;
    for (const auto& op : *listed) {
      if (++shown > kOperationsShown) break;
      ++op_states[op.state()];
      if (op.finished_unix_s() > 0 && op.started_unix_s() > 0) {
        registry->Gauge("convoy_operation_duration_seconds", {{"operation", op.id()}})
            .Set(op.finished_unix_s() - op.started_unix_s());
      }
      for (const auto& a : op.actions()) {
        if (a.kind() != "migrate") continue;
        ++migration_states[a.state()];
        sent_mib += a.progress().data_processed_mib();
        const metrics::Labels labels = {{"operation", op.id()}, {"vm", a.vm()}};
        if (IsActive(a.state())) {
          registry->Gauge("convoy_migration_bandwidth_mibps", labels)
              .Set(a.progress().bandwidth_mibps());
          registry->Gauge("convoy_migration_remaining_mib", labels)
              .Set(a.progress().data_remaining_mib());
        }
        if (a.state() == kDone && a.predicted_s() > 0) {
          registry->Gauge("convoy_prediction_error_ratio", labels)
              .Set(a.measured_s() / a.predicted_s() - 1);
        }
      }
    }
    for (const auto& [state, n] : op_states) {
      registry->Gauge("convoy_operations", {{"state", state}}).Set(n);
    }
    for (const auto& [state, n] : migration_states) {
      registry->Gauge("convoy_migrations", {{"state", state}}).Set(n);
    }
    registry->Gauge("convoy_migrated_mib").Set(sent_mib);
  });
}

}  // namespace convoy::controller
