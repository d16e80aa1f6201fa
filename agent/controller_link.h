// The agent's side of registration: a thread that calls Controller.Heartbeat
// (proto/convoy/v1/controller.proto) with this host's AgentHello every interval. The first call
// registers the host, later ones keep it up. A controller that is down is not an error: the link
// logs it once at warning, keeps trying every interval, and logs at info when the controller
// answers again. The reply's interval_ms, when set, replaces the configured interval.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::agent {

// "host:port" split at the last colon. The host keeps an IPv6 address's brackets ("[::1]").
struct HostPort {
  std::string host;
  int port = 0;
};
// INVALID_ARGUMENT naming `address` when there is no port, the port is not a number in 0..65535,
// or an IPv6 host has no brackets.
StatusOr<HostPort> ParseHostPort(const std::string& address);

// Whether `host` (as ParseHostPort returns it) is a wildcard nobody can connect to: empty,
// 0.0.0.0, [::].
bool IsWildcardHost(const std::string& host);

// This build's version, as the hello and the metrics report it.
std::string AgentVersion();

// What the agent tells the controller about itself, from its flags.
struct AgentIdentity {
  std::string name;
  std::string listen;             // --listen: the gRPC API
  std::string advertise;          // --advertise: how the controller reaches it; empty: listen
  std::string probe_listen;       // the bandwidth probe's listen address
  std::string peer_libvirt_uri;   // how other hosts' libvirtd reach this one's; may be empty
  std::string migration_address;  // empty: the host part of the advertised address
  std::string switch_name = "default";
  double nic_gbps = 1;
  double power_idle_w = 0;
  double power_max_w = 0;
  double boot_s = 0;
  double shutdown_s = 0;
  // vCPUs per physical CPU the planner may place here.
  double cpu_overcommit = 1;
  // Memory kept for the hypervisor itself, MiB.
  double reserved_mib = 0;
  // The Redis intermediaries this agent may stage migrations through (--stage-redis).
  std::vector<std::string> stage_redis;
};

// The hello for `identity`: address = advertise (or listen); probe_address = the probe's listen
// address, with the advertised host when the probe listens on a wildcard; migration_address
// defaulted as above; host = switch, NIC, power, boot and shutdown figures (cpus and memory stay
// 0: the controller reads them from Describe); agent_version = this build's. INVALID_ARGUMENT
// for a malformed address, or an advertised wildcard host (nobody could connect to it).
StatusOr<v1::AgentHello> BuildHello(const AgentIdentity& identity);

// Sends one heartbeat and waits at most `timeout_ms` for the controller's reply.
using HeartbeatSender =
    std::function<StatusOr<v1::HeartbeatReply>(const v1::AgentHello& hello, int timeout_ms)>;

// A HeartbeatSender over gRPC to the controller at `address` (host:port). The channel tries to
// reconnect at least every `reconnect_ms` while the controller is away (gRPC's own backoff
// would grow to two minutes).
HeartbeatSender GrpcHeartbeatSender(const std::string& address, int reconnect_ms);

struct ControllerLinkOptions {
  std::string controller;  // the controller's address, for the logs
  int interval_ms = 2000;  // between heartbeats, until a reply says otherwise
  // Called after every heartbeat with its outcome (metrics); on the link's thread.
  std::function<void(const Status&)> on_heartbeat;
};

class ControllerLink {
 public:
  // Intervals (the configured one and the controller's) are kept within these bounds.
  static constexpr int kMinIntervalMs = 10;
  static constexpr int kMaxIntervalMs = 600000;

  ControllerLink(v1::AgentHello hello, HeartbeatSender send, ControllerLinkOptions options);
  // Stop()s.
  ~ControllerLink();
  ControllerLink(const ControllerLink&) = delete;
  ControllerLink& operator=(const ControllerLink&) = delete;

  // Starts the thread: a heartbeat at once, then one every interval. Call once.
  void Start();
  // Wakes the thread and joins it (after the heartbeat in flight, if any, ends: at most its
  // timeout, 1 to 5 s). Idempotent.
  void Stop();

  // Sends one heartbeat on the caller's thread and applies its outcome (interval, logs,
  // on_heartbeat); returns the time until the next one, ms. The thread calls it in a loop; tests
  // may call it directly instead of Start.
  int HeartbeatOnce();

  // The interval in use, ms.
  int interval_ms() const { return interval_ms_.load(); }
  // Whether the last heartbeat was answered.
  bool registered() const { return registered_.load(); }

 private:
  void Run();

  const v1::AgentHello hello_;
  const HeartbeatSender send_;
  const ControllerLinkOptions options_;
  std::atomic<int> interval_ms_;
  std::atomic<bool> registered_{false};
  // The code of the failure last logged at warning; OK when none since the last answer. Only the
  // thread calling HeartbeatOnce touches it.
  absl::StatusCode logged_failure_ = absl::StatusCode::kOk;
  bool ever_answered_ = false;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace convoy::agent
