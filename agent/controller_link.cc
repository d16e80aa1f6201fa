#include "agent/controller_link.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "convoy/api/planning_service.h"
#include "convoy/v1/controller.grpc.pb.h"

#ifndef CONVOY_VERSION
#define CONVOY_VERSION "unknown"
#endif

namespace convoy::agent {
namespace {

// A heartbeat's own deadline: long enough for a first connection, short enough that Stop and
// the next heartbeat do not wait long.
int RpcTimeoutMs(int interval_ms) { return std::clamp(interval_ms, 1000, 5000); }

}  // namespace

std::string AgentVersion() { return CONVOY_VERSION; }

StatusOr<HostPort> ParseHostPort(const std::string& address) {
  const auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("address '", address, "': ", why, " (expected host:port)"));
  };
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  HostPort out;
  out.host = address.substr(0, colon);
  if (!out.host.empty() && out.host.front() == '[') {
    if (out.host.size() < 2 || out.host.back() != ']') return bad("unbalanced brackets");
  } else if (out.host.find(':') != std::string::npos) {
    return bad("an IPv6 address needs brackets");
  }
  const std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port, &out.port) || out.port > 65535) {
    return bad(absl::StrCat("bad port '", port, "'"));
  }
  return out;
}

bool IsWildcardHost(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "[::]" || host == "[::0]";
}

StatusOr<v1::AgentHello> BuildHello(const AgentIdentity& identity) {
  const std::string& advertise = identity.advertise.empty() ? identity.listen : identity.advertise;
  CONVOY_ASSIGN_OR_RETURN(const HostPort api, ParseHostPort(advertise));
  if (IsWildcardHost(api.host)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the agent would advertise '", advertise,
                     "', which the controller cannot connect to: give --advertise HOST:PORT"));
  }
  CONVOY_ASSIGN_OR_RETURN(const HostPort probe, ParseHostPort(identity.probe_listen));
  v1::AgentHello hello;
  hello.set_name(identity.name);
  hello.set_address(advertise);
  hello.set_probe_address(IsWildcardHost(probe.host) ? absl::StrCat(api.host, ":", probe.port)
                                                     : identity.probe_listen);
  hello.set_libvirt_uri(identity.peer_libvirt_uri);
  hello.set_migration_address(identity.migration_address.empty() ? api.host
                                                                 : identity.migration_address);
  hello.set_agent_version(AgentVersion());
  for (const auto& redis : identity.stage_redis) hello.add_stage_redis(redis);
  v1::Host* host = hello.mutable_host();
  host->set_name(identity.name);
  host->set_switch_(identity.switch_name);
  host->set_nic_gbps(identity.nic_gbps);
  host->mutable_power()->set_idle_w(identity.power_idle_w);
  host->mutable_power()->set_max_w(identity.power_max_w);
  host->set_boot_s(identity.boot_s);
  host->set_cpu_overcommit(identity.cpu_overcommit);
  host->set_reserved_mib(identity.reserved_mib);
  host->set_shutdown_s(identity.shutdown_s);
  return hello;
}

HeartbeatSender GrpcHeartbeatSender(const std::string& address, int reconnect_ms) {
  grpc::ChannelArguments args;
  const int backoff_ms = std::max(reconnect_ms, 100);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, backoff_ms);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, backoff_ms);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, backoff_ms);
  std::shared_ptr<v1::Controller::Stub> stub = v1::Controller::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  return [stub](const v1::AgentHello& hello, int timeout_ms) -> StatusOr<v1::HeartbeatReply> {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
    v1::HeartbeatReply reply;
    const grpc::Status status = stub->Heartbeat(&context, hello, &reply);
    if (!status.ok()) return api::FromGrpcStatus(status);
    return reply;
  };
}

ControllerLink::ControllerLink(v1::AgentHello hello, HeartbeatSender send,
                               ControllerLinkOptions options)
    : hello_(std::move(hello)),
      send_(std::move(send)),
      options_(std::move(options)),
      interval_ms_(std::clamp(options_.interval_ms, kMinIntervalMs, kMaxIntervalMs)) {}

ControllerLink::~ControllerLink() { Stop(); }

void ControllerLink::Start() {
  thread_ = std::thread([this] { Run(); });
}

void ControllerLink::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ControllerLink::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const int wait_ms = HeartbeatOnce();
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; });
  }
}

int ControllerLink::HeartbeatOnce() {
  const int interval = interval_ms_.load();
  StatusOr<v1::HeartbeatReply> reply = send_(hello_, RpcTimeoutMs(interval));
  const Status status = reply.ok() ? absl::OkStatus() : reply.status();
  if (options_.on_heartbeat) options_.on_heartbeat(status);

  if (!reply.ok()) {
    // Once per kind of failure until the controller answers again; the rest at debug level.
    const bool log_warning = status.code() != logged_failure_;
    const std::string message = std::string(status.message());
    if (log_warning) {
      spdlog::warn(
          "controller {}: heartbeat of {} failed ({}: {}); retrying every {} ms, quietly until "
          "it answers",
          options_.controller, hello_.name(), absl::StatusCodeToString(status.code()), message,
          interval);
      logged_failure_ = status.code();
    } else {
      spdlog::debug("controller {}: heartbeat failed again: {}", options_.controller, message);
    }
    registered_.store(false);
    return interval;
  }

  const int next =
      reply->interval_ms() > 0
          ? std::clamp(static_cast<int>(std::min<uint32_t>(reply->interval_ms(), kMaxIntervalMs)),
                       kMinIntervalMs, kMaxIntervalMs)
          : std::clamp(options_.interval_ms, kMinIntervalMs, kMaxIntervalMs);
  if (!registered_.load()) {
    spdlog::info("controller {}: {}registered {} at {} (heartbeat every {} ms)",
                 options_.controller, ever_answered_ ? "answers again; " : "", hello_.name(),
                 hello_.address(), next);
  } else if (next != interval) {
    spdlog::info("controller {}: heartbeat every {} ms from now on", options_.controller, next);
  }
  ever_answered_ = true;
  logged_failure_ = absl::StatusCode::kOk;
  interval_ms_.store(next);
  registered_.store(true);
  return next;
}

}  // namespace convoy::agent
