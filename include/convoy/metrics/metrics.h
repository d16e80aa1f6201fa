// Prometheus metrics: a registry of counters and gauges, rendered in the text exposition format
// 0.0.4, and a small HTTP server that serves it on GET /metrics.
//
//   metrics::Registry registry;
//   registry.Describe("convoy_migration_bandwidth_mibps", metrics::Type::kGauge,
//                     "Achieved transfer rate of a running migration, MiB/s");
//   registry.Gauge("convoy_migration_bandwidth_mibps", {{"vm", "web"}}).Set(3.2);
//   registry.Counter("convoy_heartbeats_total", {{"result", "ok"}}).Add(1);
//   auto server = metrics::MetricsServer::Start("0.0.0.0:7702", &registry);
//
// A series is a family name plus a label set; asking for the same name and labels again gives a
// handle to the same series. Everything here is thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "convoy/common/status.h"

namespace httplib {
class Server;
}

namespace convoy::metrics {

// Label name -> value. Ordered, so that a label set has one canonical form.
using Labels = std::map<std::string, std::string>;

enum class Type { kCounter, kGauge };

namespace internal {
struct Cell {
  std::atomic<double> value{0};
};
}  // namespace internal

// A monotonically increasing value (events, bytes). Cheap to copy; copies share the series.
class CounterHandle {
 public:
  // Adds `amount`; a negative or NaN amount is ignored: a counter never goes down.
  void Add(double amount);
  void Increment() { Add(1); }
  double Value() const;

 private:
  friend class Registry;
  explicit CounterHandle(std::shared_ptr<internal::Cell> cell) : cell_(std::move(cell)) {}
  std::shared_ptr<internal::Cell> cell_;
};

// A value that goes up and down (a level, a rate, a count of things now). Cheap to copy.
class GaugeHandle {
 public:
  void Set(double value);
  void Add(double delta);
  double Value() const;

 private:
  friend class Registry;
  explicit GaugeHandle(std::shared_ptr<internal::Cell> cell) : cell_(std::move(cell)) {}
  std::shared_ptr<internal::Cell> cell_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Gives the family `name` its TYPE and HELP lines. Optional (an undescribed family is rendered
  // with the TYPE of its series and no HELP); the first description of a family is kept, later
  // ones are ignored. Describing a family as the other type than it has is a programming error
  // (asserted).
  void Describe(const std::string& name, Type type, const std::string& help);

  // The series `name`{labels}, created at 0 when new. Metric and label names must be valid
  // Prometheus names ([a-zA-Z_:][a-zA-Z0-9_:]*, labels without ':'); invalid characters are
  // replaced with '_'. Asking for a counter of a gauge family (or the reverse) is a programming
  // error (asserted; in release builds the handle is detached: updates go nowhere).
  CounterHandle Counter(const std::string& name, const Labels& labels = {});
  GaugeHandle Gauge(const std::string& name, const Labels& labels = {});

  // Forgets the series `name`{labels} (a migration that ended, a VM that left); handles to it
  // stay usable but are no longer rendered. Returns whether it existed. A family without series
  // is not rendered (its description is kept).
  bool RemoveSeries(const std::string& name, const Labels& labels);
  // Forgets every series of `name` whose labels `drop` returns true for; returns how many.
  int RemoveSeriesIf(const std::string& name, const std::function<bool(const Labels&)>& drop);

  // Adds a function RenderText calls before it renders, to bring gauges up to date (e.g. read
  // the state of migrations). Collectors run one at a time, in the order they were added, and
  // may call Counter, Gauge and RemoveSeries (not RenderText). What they use must outlive every
  // later RenderText.
  void AddCollector(std::function<void()> collect);

  // Runs the collectors, then renders every family (sorted by name; series sorted by labels) in
  // the text exposition format 0.0.4: "# HELP", "# TYPE", then one `name{l="v",...} value` line
  // per series. Label values escape \, " and newline; HELP escapes \ and newline.
  std::string RenderText();

 private:
  struct Family {
    Type type = Type::kGauge;
    std::string help;
    bool described = false;
    std::map<Labels, std::shared_ptr<internal::Cell>> series;
  };
  std::shared_ptr<internal::Cell> Series(const std::string& name, const Labels& labels, Type type);

  std::mutex collect_mu_;  // serialises collectors; taken before mu_, never after
  std::vector<std::function<void()>> collectors_;  // guarded by collect_mu_
  std::mutex mu_;
  std::map<std::string, Family> families_;
};

// The content type of RenderText's output.
inline constexpr char kTextContentType[] = "text/plain; version=0.0.4";

// Serves GET /metrics (registry->RenderText()) over HTTP/1.1 on its own threads.
class MetricsServer {
 public:
  // Listens on `listen_host_port` ("host:port", "[v6]:port"; an empty host is every address;
  // port 0 picks a free port). INVALID_ARGUMENT for a malformed address; UNAVAILABLE naming the
  // address when it cannot be bound. `registry` must outlive the server.
  static StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen_host_port,
                                                        Registry* registry);
  // Stops serving and joins its threads.
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port bound (the one picked when asked for port 0).
  int port() const { return port_; }
  // host:port as bound, e.g. "127.0.0.1:41234".
  std::string address() const { return address_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string address_;
};

}  // namespace convoy::metrics
