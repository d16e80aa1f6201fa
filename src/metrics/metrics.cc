#include "convoy/metrics/metrics.h"

#include <httplib.h>

#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>

#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace convoy::metrics {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; the same without ':' for label names.
std::string Sanitize(const std::string& name, bool allow_colon) {
  if (name.empty()) return "_";
  std::string out = name;
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool ok = IsAlpha(c) || c == '_' || (allow_colon && c == ':') || (i > 0 && IsDigit(c));
    if (!ok) out[i] = '_';
  }
  return out;
}

Labels SanitizeLabels(const Labels& labels) {
  Labels out;
  for (const auto& [name, value] : labels) out[Sanitize(name, false)] = value;
  return out;
}

void AppendEscaped(std::string* out, const std::string& text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && escape_quote) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

void AppendValue(std::string* out, double value) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[64];
    const auto result = std::to_chars(buf, buf + sizeof(buf), value);  // shortest round trip
    out->append(buf, result.ptr);
  }
}

const char* TypeName(Type type) { return type == Type::kCounter ? "counter" : "gauge"; }

struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
};

StatusOr<ListenAddress> ParseListenAddress(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address '", text, "': ", why, " (expected host:port)"));
  };
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  ListenAddress out;
  out.host = text.substr(0, colon);
  if (!out.host.empty() && out.host.front() == '[') {
    if (out.host.size() < 2 || out.host.back() != ']') return bad("unbalanced brackets");
    out.host = out.host.substr(1, out.host.size() - 2);
  } else if (out.host.find(':') != std::string::npos) {
    return bad("an IPv6 address needs brackets");
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  const std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port_text, &out.port) || out.port > 65535) {
    return bad(absl::StrCat("bad port '", port_text, "'"));
  }
  return out;
}

}  // namespace

void CounterHandle::Add(double amount) {
  if (!(amount > 0)) return;  // negative, zero or NaN
  cell_->value.fetch_add(amount, std::memory_order_relaxed);
}

double CounterHandle::Value() const { return cell_->value.load(std::memory_order_relaxed); }

void GaugeHandle::Set(double value) { cell_->value.store(value, std::memory_order_relaxed); }

void GaugeHandle::Add(double delta) { cell_->value.fetch_add(delta, std::memory_order_relaxed); }

double GaugeHandle::Value() const { return cell_->value.load(std::memory_order_relaxed); }

void Registry::Describe(const std::string& name, Type type, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string clean = Sanitize(name, true);
  auto [it, inserted] = families_.try_emplace(clean);
  Family& family = it->second;
  if (inserted) family.type = type;
  assert(family.type == type && "metric family described with another type than it has");
  if (family.described || family.type != type) return;
  family.described = true;
  family.help = help;
}

std::shared_ptr<internal::Cell> Registry::Series(const std::string& name, const Labels& labels,
                                                 Type type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = families_.try_emplace(Sanitize(name, true));
  Family& family = it->second;
  if (inserted) family.type = type;
  if (family.type != type) {
    assert(false && "counter asked of a gauge family, or the reverse");
    return std::make_shared<internal::Cell>();  // detached
  }
  auto& cell = family.series[SanitizeLabels(labels)];
  if (cell == nullptr) cell = std::make_shared<internal::Cell>();
  return cell;
}

CounterHandle Registry::Counter(const std::string& name, const Labels& labels) {
  return CounterHandle(Series(name, labels, Type::kCounter));
}

GaugeHandle Registry::Gauge(const std::string& name, const Labels& labels) {
  return GaugeHandle(Series(name, labels, Type::kGauge));
}

bool Registry::RemoveSeries(const std::string& name, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(Sanitize(name, true));
  if (it == families_.end()) return false;
  return it->second.series.erase(SanitizeLabels(labels)) > 0;
}

int Registry::RemoveSeriesIf(const std::string& name,
                             const std::function<bool(const Labels&)>& drop) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(Sanitize(name, true));
  if (it == families_.end()) return 0;
  return static_cast<int>(
      std::erase_if(it->second.series, [&](const auto& entry) { return drop(entry.first); }));
}

void Registry::AddCollector(std::function<void()> collect) {
  std::lock_guard<std::mutex> lock(collect_mu_);
  collectors_.push_back(std::move(collect));
}

std::string Registry::RenderText() {
  {
    std::lock_guard<std::mutex> lock(collect_mu_);
    for (const auto& collect : collectors_) collect();
  }
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, family] : families_) {
    if (family.series.empty()) continue;
    if (family.described && !family.help.empty()) {
      absl::StrAppend(&out, "# HELP ", name, " ");
      AppendEscaped(&out, family.help, false);
      out.push_back('\n');
    }
    absl::StrAppend(&out, "# TYPE ", name, " ", TypeName(family.type), "\n");
    for (const auto& [labels, cell] : family.series) {
      out.append(name);
      if (!labels.empty()) {
        out.push_back('{');
        bool first = true;
        for (const auto& [label, value] : labels) {
          if (!first) out.push_back(',');
          first = false;
          absl::StrAppend(&out, label, "=\"");
          AppendEscaped(&out, value, true);
          out.push_back('"');
        }
        out.push_back('}');
      }
      out.push_back(' ');
      AppendValue(&out, cell->value.load(std::memory_order_relaxed));
      out.push_back('\n');
    }
  }
  return out;
}

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen_host_port,
                                                              Registry* registry) {
  CONVOY_ASSIGN_OR_RETURN(const ListenAddress where, ParseListenAddress(listen_host_port));
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->server_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *server->server_;
  // Scrapes are rare and small: two workers are plenty (the default is one per core, at least 8).
  http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  http.set_read_timeout(5);
  http.set_write_timeout(5);
  http.set_keep_alive_timeout(5);
  // httplib's default also sets SO_REUSEPORT, which lets a second process bind the same port and
  // share the scrapes silently: keep SO_REUSEADDR only (quick restarts), so that a taken port is
  // an error.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.Get("/metrics", [registry](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry->RenderText(), kTextContentType);
  });
  int port = where.port;
  if (port == 0) {
    port = http.bind_to_any_port(where.host);
  } else if (!http.bind_to_port(where.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen_host_port,
                                               " for /metrics (address in use, or not one of "
                                               "this host's?)"));
  }
  server->port_ = port;
  const bool v6 = where.host.find(':') != std::string::npos;
  server->address_ =
      v6 ? absl::StrCat("[", where.host, "]:", port) : absl::StrCat(where.host, ":", port);
  auto done = std::make_shared<std::atomic<bool>>(false);
  server->thread_ = std::thread([&http, done] {
    http.listen_after_bind();
    done->store(true);
  });
  // httplib's stop() does nothing until the accept loop runs: wait for it, so that the
  // destructor can always stop it.
  while (!http.is_running() && !done->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (done->load()) {
    server->thread_.join();
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", server->address_, ": the listener stopped"));
  }
  return server;
}

MetricsServer::~MetricsServer() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace convoy::metrics
