#include "agent/agent_metrics.h"

#include <gtest/gtest.h>

#include <mutex>

namespace convoy::agent {
namespace {

v1::MigrationProgress Migration(const std::string& id, const std::string& vm,
                                const std::string& state, double processed_mib) {
  v1::MigrationProgress m;
  m.set_id(id);
  m.set_vm(vm);
  m.set_state(state);
  m.set_data_processed_mib(processed_mib);
  m.set_data_remaining_mib(100 - processed_mib);
  m.set_bandwidth_mibps(12.5);
  m.set_dirty_rate_mibps(3);
  return m;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

class AgentMetricsTest : public ::testing::Test {
 protected:
  void SetMigrations(std::vector<v1::MigrationProgress> migrations) {
    std::lock_guard<std::mutex> lock(mu_);
    migrations_ = std::move(migrations);
  }

  std::mutex mu_;
  std::vector<v1::MigrationProgress> migrations_;
  metrics::Registry registry_;
  AgentMetrics metrics_{&registry_,
                        [this] {
                          std::lock_guard<std::mutex> lock(mu_);
                          return migrations_;
                        },
                        "h1", "0.1.0"};
};

TEST_F(AgentMetricsTest, ExportsMigrationsByStateAndRunningOnesInDetail) {
  SetMigrations({Migration("m-1", "web", "running", 40), Migration("m-2", "db", "completed", 100),
                 Migration("m-3", "cache", "running", 10)});
  std::string text = registry_.RenderText();
  EXPECT_TRUE(Has(text, "convoy_agent_up 1")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_info{name=\"h1\",version=\"0.1.0\"} 1")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migrations{state=\"running\"} 2")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migrations{state=\"completed\"} 1")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migrations{state=\"postcopy\"} 0")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_processed_mib{id=\"m-1\",vm=\"web\"} 40")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_remaining_mib{id=\"m-1\",vm=\"web\"} 60")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_bandwidth_mibps{id=\"m-3\",vm=\"cache\"} 12.5"))
      << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_dirty_rate_mibps{id=\"m-3\",vm=\"cache\"} 3"))
      << text;
  EXPECT_EQ(text.find("id=\"m-2\""), std::string::npos) << "finished: no detail\n" << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_bytes_total 157286400")) << text;  // 150 MiB

  // m-1 ends, m-3 goes on: m-1's series go away, the counter only grows.
  SetMigrations({Migration("m-1", "web", "failed", 45), Migration("m-2", "db", "completed", 100),
                 Migration("m-3", "cache", "postcopy", 30)});
  text = registry_.RenderText();
  EXPECT_EQ(text.find("id=\"m-1\""), std::string::npos) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_processed_mib{id=\"m-3\",vm=\"cache\"} 30"))
      << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migrations{state=\"running\"} 0")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migrations{state=\"failed\"} 1")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_migration_bytes_total 183500800")) << text;  // 175 MiB

  // Records gone (a restart that lost them): the counter does not go back.
  SetMigrations({});
  text = registry_.RenderText();
  EXPECT_TRUE(Has(text, "convoy_agent_migration_bytes_total 183500800")) << text;
  EXPECT_EQ(text.find("convoy_agent_migration_processed_mib"), std::string::npos) << text;
}

TEST_F(AgentMetricsTest, CountsHeartbeats) {
  metrics_.OnHeartbeat(absl::OkStatus());
  metrics_.OnHeartbeat(absl::OkStatus());
  metrics_.OnHeartbeat(absl::UnavailableError("down"));
  const std::string text = registry_.RenderText();
  EXPECT_TRUE(Has(text, "convoy_agent_heartbeats_total{result=\"ok\"} 2")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_heartbeats_total{result=\"error\"} 1")) << text;
  EXPECT_TRUE(Has(text, "convoy_agent_controller_up 0")) << text;
}

}  // namespace
}  // namespace convoy::agent
