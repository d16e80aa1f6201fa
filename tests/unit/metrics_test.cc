#include "convoy/metrics/metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace convoy::metrics {
namespace {

TEST(RegistryTest, RendersTheTextFormatSortedAndDescribed) {
  Registry registry;
  registry.Describe("convoy_migration_bandwidth_mibps", Type::kGauge,
                    "Achieved transfer rate, MiB/s");
  registry.Gauge("convoy_migration_bandwidth_mibps", {{"vm", "web"}}).Set(3.2);
  registry.Gauge("convoy_migration_bandwidth_mibps", {{"vm", "db"}, {"id", "m-1"}}).Set(100);
  registry.Counter("convoy_heartbeats_total", {{"result", "ok"}}).Add(5);
  registry.Gauge("convoy_up").Set(1);

  EXPECT_EQ(registry.RenderText(),
            "# TYPE convoy_heartbeats_total counter\n"
            "convoy_heartbeats_total{result=\"ok\"} 5\n"
            "# HELP convoy_migration_bandwidth_mibps Achieved transfer rate, MiB/s\n"
            "# TYPE convoy_migration_bandwidth_mibps gauge\n"
            "convoy_migration_bandwidth_mibps{id=\"m-1\",vm=\"db\"} 100\n"
            "convoy_migration_bandwidth_mibps{vm=\"web\"} 3.2\n"
            "# TYPE convoy_up gauge\n"
            "convoy_up 1\n");
}

TEST(RegistryTest, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.Describe("m", Type::kGauge, "a \\ and a\nnewline, \"quotes\" kept");
  registry.Gauge("m", {{"vm", "a\"b\\c\nd"}}).Set(-0.5);
  EXPECT_EQ(registry.RenderText(),
            "# HELP m a \\\\ and a\\nnewline, \"quotes\" kept\n"
            "# TYPE m gauge\n"
            "m{vm=\"a\\\"b\\\\c\\nd\"} -0.5\n");
}

TEST(RegistryTest, SpecialValuesAndInvalidNames) {
  Registry registry;
  registry.Gauge("nan").Set(std::nan(""));
  registry.Gauge("inf").Set(std::numeric_limits<double>::infinity());
  registry.Gauge("ninf").Set(-std::numeric_limits<double>::infinity());
  registry.Gauge("bad-name.x", {{"la-bel", "v"}}).Set(1e21);
  const std::string text = registry.RenderText();
  EXPECT_NE(text.find("nan NaN\n"), std::string::npos) << text;
  EXPECT_NE(text.find("inf +Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ninf -Inf\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bad_name_x{la_bel=\"v\"} 1e+21\n"), std::string::npos) << text;
}

TEST(RegistryTest, CountersOnlyGoUp) {
  Registry registry;
  CounterHandle c = registry.Counter("events_total");
  c.Add(2);
  c.Add(-5);
  c.Add(std::nan(""));
  c.Increment();
  EXPECT_EQ(c.Value(), 3);
  EXPECT_EQ(registry.Counter("events_total").Value(), 3);  // the same series
  GaugeHandle g = registry.Gauge("level");
  g.Set(4);
  g.Add(-6);
  EXPECT_EQ(g.Value(), -2);
}

TEST(RegistryTest, RemovedSeriesAreNoLongerRendered) {
  Registry registry;
  registry.Describe("bw", Type::kGauge, "help");
  GaugeHandle web = registry.Gauge("bw", {{"vm", "web"}});
  web.Set(1);
  registry.Gauge("bw", {{"vm", "db"}}).Set(2);
  EXPECT_TRUE(registry.RemoveSeries("bw", {{"vm", "web"}}));
  EXPECT_FALSE(registry.RemoveSeries("bw", {{"vm", "web"}}));
  EXPECT_FALSE(registry.RemoveSeries("nothing", {}));
  web.Set(7);  // still usable, goes nowhere
  EXPECT_EQ(registry.RenderText(), "# HELP bw help\n# TYPE bw gauge\nbw{vm=\"db\"} 2\n");
  EXPECT_EQ(registry.RemoveSeriesIf("bw", [](const Labels&) { return true; }), 1);
  EXPECT_EQ(registry.RenderText(), "");  // a family without series is not rendered
  registry.Gauge("bw", {{"vm", "web"}}).Set(3);
  EXPECT_EQ(registry.RenderText(), "# HELP bw help\n# TYPE bw gauge\nbw{vm=\"web\"} 3\n");
}

TEST(RegistryTest, CollectorsRunBeforeRendering) {
  Registry registry;
  int scrapes = 0;
  registry.AddCollector([&] { registry.Gauge("scrapes").Set(++scrapes); });
  EXPECT_EQ(registry.RenderText(), "# TYPE scrapes gauge\nscrapes 1\n");
  EXPECT_EQ(registry.RenderText(), "# TYPE scrapes gauge\nscrapes 2\n");
}

TEST(RegistryTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  constexpr int kThreads = 8;
  constexpr int kIncrements = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIncrements; ++i) {
        registry.Counter("hits_total", {{"result", i % 2 == 0 ? "ok" : "error"}}).Increment();
        registry.Gauge("level", {{"thread", std::to_string(t)}}).Add(1);
        registry.Gauge("shared").Add(1);
        if (i % 100 == 0) {
          registry.RemoveSeries("transient", {{"t", std::to_string(t)}});
          registry.Gauge("transient", {{"t", std::to_string(t)}}).Set(i);
          (void)registry.RenderText();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registry.Counter("hits_total", {{"result", "ok"}}).Value(), kThreads * kIncrements / 2);
  EXPECT_EQ(registry.Counter("hits_total", {{"result", "error"}}).Value(),
            kThreads * kIncrements / 2);
  EXPECT_EQ(registry.Gauge("shared").Value(), kThreads * kIncrements);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(registry.Gauge("level", {{"thread", std::to_string(t)}}).Value(), kIncrements);
  }
}

TEST(MetricsServerTest, ServesMetricsOverHttpOnAPickedPort) {
  Registry registry;
  registry.Describe("convoy_agent_up", Type::kGauge, "1 while the agent runs");
  registry.Gauge("convoy_agent_up").Set(1);
  auto server = MetricsServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), "127.0.0.1:" + std::to_string((*server)->port()));

  httplib::Client client("127.0.0.1", (*server)->port());
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_EQ(response->body,
            "# HELP convoy_agent_up 1 while the agent runs\n"
            "# TYPE convoy_agent_up gauge\n"
            "convoy_agent_up 1\n");

  registry.Gauge("convoy_agent_up").Set(0);  // every scrape renders afresh
  response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_NE(response->body.find("convoy_agent_up 0\n"), std::string::npos);

  response = client.Get("/other");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST(MetricsServerTest, BindingFailureNamesTheAddress) {
  Registry registry;
  auto first = MetricsServer::Start("127.0.0.1:0", &registry);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = MetricsServer::Start(taken, &registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(taken), absl::string_view::npos) << second.status();
}

TEST(MetricsServerTest, MalformedAddressesAreRefused) {
  Registry registry;
  for (const char* bad : {"nocolon", "127.0.0.1:http", "127.0.0.1:70000", "::1:80", "[::1:80"}) {
    auto server = MetricsServer::Start(bad, &registry);
    ASSERT_FALSE(server.ok()) << bad;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(server.status().message().find(bad), absl::string_view::npos) << server.status();
  }
}

TEST(MetricsServerTest, StartsAndStopsRepeatedly) {
  Registry registry;
  for (int i = 0; i < 20; ++i) {
    auto server = MetricsServer::Start(":0", &registry);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ((*server)->address().rfind("0.0.0.0:", 0), 0u);
  }
}

}  // namespace
}  // namespace convoy::metrics
