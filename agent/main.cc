// convoy-agent: one per hypervisor host. Serves the Agent gRPC API to the controller (and to
// tests) and carries out migrations through libvirt; registers with the controller and
// heartbeats to it; serves Prometheus metrics.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/agent_metrics.h"
#include "agent/agent_security.h"
#include "agent/agent_service.h"
#include "agent/bandwidth_probe.h"
#include "agent/controller_failover.h"
#include "agent/controller_link.h"
#include "agent/host_switch.h"
#include "agent/libvirt_hypervisor.h"
#include "agent/ovs/ovs_qos_programmer.h"
#include "agent/reservation_manager.h"
#include "convoy/api/planning_service.h"
#include "agent/redis_stager.h"
#include "agent/stage_server.h"
#include "agent/staging_service.h"
#include "convoy/common/daemon_flags.h"
#include "convoy/metrics/metrics.h"

namespace {

// `address` with its port moved by `offset` (the probe and metrics defaults).
convoy::StatusOr<std::string> PortPlus(const std::string& address, int offset) {
  CONVOY_ASSIGN_OR_RETURN(const convoy::agent::HostPort where,
                          convoy::agent::ParseHostPort(address));
  return where.host + ":" + std::to_string(where.port + offset);
}

// Tells destination agents of this host's reservations (their ReserveIncoming), one channel per
// agent, each call bounded to a second.
class IncomingNotifierClient {
 public:
  // `credentials`: this agent's, as a client of other agents.
  explicit IncomingNotifierClient(std::shared_ptr<grpc::ChannelCredentials> credentials)
      : credentials_(std::move(credentials)) {}

  convoy::Status Notify(const std::string& agent, const std::string& id, double bps,
                        double lease_s) {
    convoy::v1::Agent::Stub* stub = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& slot = stubs_[agent];
      if (slot == nullptr) {
        slot = convoy::v1::Agent::NewStub(grpc::CreateChannel(agent, credentials_));
      }
      stub = slot.get();
    }
    convoy::v1::IncomingReservation request, reply;
    request.set_id(id);
    request.set_rate_mbps(bps / 1e6);
    request.set_lease_s(lease_s);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    return convoy::api::FromGrpcStatus(stub->ReserveIncoming(&context, request, &reply));
  }

 private:
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<convoy::v1::Agent::Stub>> stubs_;
};

// "49152-49215" to its two ends.
bool ParsePortRange(const std::string& text, uint16_t* lo, uint16_t* hi) {
  unsigned a = 0, b = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%u-%u%c", &a, &b, &tail) != 2 || a == 0 || a > b || b > 65535) {
    return false;
  }
  *lo = static_cast<uint16_t>(a);
  *hi = static_cast<uint16_t>(b);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convoy-agent: carries out Convoy's migrations on this hypervisor host"};
  app.option_defaults()->always_capture_default();
  std::string listen = "127.0.0.1:7700";
  std::string libvirt_uri = "qemu:///system";
  std::string state_dir = "/var/lib/convoy-agent";
  std::string probe_listen;
  std::string metrics_listen;
  std::string controller;
  int poll_interval_ms = 250;
  int heartbeat_interval_ms = 2000;
  std::string ovs_db = "auto";
  convoy::agent::ovs::OvsOptions ovs;
  std::string migration_ports = "49152-49215";
  double uplink_mbps = 0;
  convoy::agent::ReservationOptions reservation;
  std::string stage_listen;
  int stage_chunk_kib = 252;
  int stage_window = 8;
  convoy::agent::AgentIdentity identity;
  convoy::AddConfigFile(app);
  app.add_option("--name", identity.name, "This host's name, as the controller knows it")
      ->required();
  app.add_option("--listen", listen, "Address of the gRPC API (host:port)");
  app.add_option("--libvirt-uri", libvirt_uri, "libvirt connection URI");
  app.add_option("--state-dir", state_dir, "Where migration records are kept");
  app.add_option("--probe-listen", probe_listen,
                 "Address of the bandwidth probe (default: the API's host, its port + 1)");
  app.add_option("--poll-interval-ms", poll_interval_ms, "How often job statistics are read")
      ->check(CLI::Range(20, 10000));
  app.add_option("--metrics-listen", metrics_listen,
                 "Address of the Prometheus /metrics endpoint (default: the API's host, its port "
                 "+ 2; \"off\": none)");
  app.add_option("--controller", controller,
                 "The controller (convoyd) to register and heartbeat with, host:port, or its "
                 "replicas host:port,host:port,... (the agent follows the leader; default: none)");
  app.add_option("--heartbeat-interval-ms", heartbeat_interval_ms,
                 "Interval between heartbeats, until the controller says otherwise")
      ->check(CLI::Range(convoy::agent::ControllerLink::kMinIntervalMs,
                         convoy::agent::ControllerLink::kMaxIntervalMs));
  app.add_option("--advertise", identity.advertise,
                 "Address the controller reaches the gRPC API at (default: --listen)");
  app.add_option("--peer-libvirt-uri", identity.peer_libvirt_uri,
                 "How other hosts' libvirtd reach this host's, e.g. qemu+tcp://10.77.0.11/system");
  app.add_option("--migration-address", identity.migration_address,
                 "Where migration data streams to this host go (default: the advertised host)");
  app.add_option("--switch", identity.switch_name, "The switch this host's NIC is attached to");
  app.add_option("--nic-gbps", identity.nic_gbps, "NIC speed, Gb/s full duplex")
      ->check(CLI::PositiveNumber);
  app.add_option("--power-idle-w", identity.power_idle_w, "Power drawn idle, W (0: unknown)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--power-max-w", identity.power_max_w, "Power drawn at full load, W (0: unknown)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--cpu-overcommit", identity.cpu_overcommit,
                 "vCPUs per physical CPU that may be placed on this host")
      ->check(CLI::Range(0.1, 64.0));
  app.add_option("--reserved-mib", identity.reserved_mib,
                 "Memory kept for the hypervisor itself, MiB (not available to VMs)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--boot-s", identity.boot_s, "Time to boot this host, s")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--shutdown-s", identity.shutdown_s, "Time to shut this host down, s")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ovs-db", ovs_db,
                 "This host's Open vSwitch database, for bandwidth reservation and traffic "
                 "measurement: unix:PATH or tcp:HOST:PORT; \"auto\": "
                 "unix:/run/openvswitch/db.sock when it exists; \"off\": none");
  app.add_option("--ovs-bridge", ovs.bridge,
                 "The Open vSwitch bridge the VMs and the uplink are on");
  app.add_option("--ovs-openflow", ovs.openflow,
                 "The bridge's OpenFlow socket (default: unix:/run/openvswitch/BRIDGE.mgmt)");
  app.add_option("--ovs-uplink", ovs.uplink, "The bridge's port (and device) toward the network");
  app.add_option("--uplink-mbps", uplink_mbps,
                 "The uplink's capacity, Mb/s (default: its QoS max-rate, else --nic-gbps)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--migration-ports", migration_ports,
                 "The destination port range of migration connections (libvirt's "
                 "migration_port_min-migration_port_max)");
  app.add_option("--reservation-threshold-pct", reservation.threshold_pct,
                 "Algorithm 1's threshold: free bandwidth above it grows a reservation, unused "
                 "reservation above it shrinks one, percent")
      ->check(CLI::Range(1.0, 50.0));
  app.add_option("--reservation-max-pct", reservation.max_pct,
                 "The most of the uplink a reservation takes, percent (the VMs keep the rest)")
      ->check(CLI::Range(10.0, 99.0));
  app.add_option("--stage-redis", identity.stage_redis,
                 "Redis servers (host:port, comma-separated or repeated) this agent may stage "
                 "migrations through, as the source or the destination; none: no staging")
      ->delimiter(',');
  app.add_option("--stage-listen", stage_listen,
                 "Address of the stage link other agents' relays connect to (default: the API's "
                 "host, its port + 3)");
  app.add_option("--stage-chunk-kib", stage_chunk_kib,
                 "Size of the chunks a staged stream is stored in, KiB (252 = 63 pages, under "
                 "jemalloc's 256 KiB size class)")
      ->check(CLI::Range(4, 16384));
  app.add_option("--stage-window", stage_window,
                 "Writes outstanding per intermediary (Redis pipeline depth)")
      ->check(CLI::Range(1, 256));
  convoy::agent::AgentSecurityFlags security_flags;
  convoy::agent::AddAgentSecurityFlags(app, &security_flags);
  if (auto exit_code = convoy::ParseDaemonFlags(app, argc, argv, "convoy-agent")) {
    return *exit_code;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  auto security = convoy::agent::ResolveAgentSecurity(security_flags, identity.name);
  if (!security.ok()) {
    spdlog::error("{}", std::string(security.status().message()));
    return 2;
  }

  // Every address is checked before anything starts: a mistake is a usage error (exit 2).
  if (auto api = convoy::agent::ParseHostPort(listen); !api.ok()) {
    spdlog::error("--listen: {}", std::string(api.status().message()));
    return 2;
  }
  if (probe_listen.empty()) probe_listen = *PortPlus(listen, 1);
  if (metrics_listen.empty()) metrics_listen = *PortPlus(listen, 2);
  if (stage_listen.empty()) stage_listen = *PortPlus(listen, 3);
  for (const auto& redis : identity.stage_redis) {
    if (auto where = convoy::agent::ParseHostPort(redis); !where.ok()) {
      spdlog::error("--stage-redis: {}", std::string(where.status().message()));
      return 2;
    }
  }
  if (identity.power_max_w > 0 && identity.power_max_w < identity.power_idle_w) {
    spdlog::error("--power-max-w {} is below --power-idle-w {}", identity.power_max_w,
                  identity.power_idle_w);
    return 2;
  }
  if (!ParsePortRange(migration_ports, &ovs.migration_port_min, &ovs.migration_port_max)) {
    spdlog::error("--migration-ports '{}': expected LOW-HIGH, e.g. 49152-49215", migration_ports);
    return 2;
  }
  identity.listen = listen;
  identity.probe_listen = probe_listen;
  convoy::v1::AgentHello hello;
  if (!controller.empty()) {
    if (auto where = convoy::agent::ParseControllerList(controller); !where.ok()) {
      spdlog::error("--controller: {}", std::string(where.status().message()));
      return 2;
    }
    auto built = convoy::agent::BuildHello(identity);
    if (!built.ok()) {
      spdlog::error("{}", std::string(built.status().message()));
      return 2;
    }
    hello = *std::move(built);
    if (identity.peer_libvirt_uri.empty()) {
      spdlog::warn("no --peer-libvirt-uri: the controller cannot migrate VMs to this host");
    }
  }

  // SIGTERM and SIGINT are taken by one thread (below), so every thread started from here on
  // blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The host's switch: bandwidth reservation and traffic measurement when there is one.
  std::unique_ptr<convoy::agent::ovs::OvsQosProgrammer> qos;
  std::string switch_detail = "no Open vSwitch: --ovs-db off";
  const bool ovs_explicit = ovs_db != "auto" && ovs_db != "off";
  if (ovs_db == "auto") {
    ovs.db = "unix:/run/openvswitch/db.sock";
    switch_detail = "no Open vSwitch at /run/openvswitch/db.sock";
  }
  if (ovs_explicit) ovs.db = ovs_db;
  if (ovs_explicit || (ovs_db == "auto" && std::filesystem::exists("/run/openvswitch/db.sock"))) {
    ovs.uplink_bps = uplink_mbps * 1e6;
    auto opened = convoy::agent::ovs::OvsQosProgrammer::Open(ovs);
    if (opened.ok()) {
      qos = *std::move(opened);
      if (uplink_mbps == 0 && !qos->UplinkBps().ok() && identity.nic_gbps > 0) {
        ovs.uplink_bps = identity.nic_gbps * 1e9;
        qos = *convoy::agent::ovs::OvsQosProgrammer::Open(ovs);
      }
      switch_detail = "Open vSwitch bridge " + ovs.bridge + ", uplink " + ovs.uplink + " (" +
                      ovs.db + (qos->userspace_datapath() ? ", userspace datapath" : "") + ")";
    } else if (ovs_explicit) {
      spdlog::error("--ovs-db {}: {}", ovs_db, std::string(opened.status().message()));
      return 1;
    } else {
      switch_detail = std::string(opened.status().message());
      spdlog::warn("no bandwidth reservation: {}", switch_detail);
    }
  }
  IncomingNotifierClient notifier(security->controller);
  std::unique_ptr<convoy::agent::ReservationManager> reservations;
  if (qos != nullptr) {
    reservations = std::make_unique<convoy::agent::ReservationManager>(
        qos.get(),
        [&notifier](const std::string& agent, const std::string& id, double bps, double lease_s) {
          return notifier.Notify(agent, id, bps, lease_s);
        },
        reservation);
    auto removed = reservations->Start();
    if (!removed.ok()) {
      spdlog::error("removing the reservations of an earlier run: {}",
                    std::string(removed.status().message()));
      return 1;
    }
    if (*removed > 0) {
      spdlog::info("removed {} QoS rows, queues and flows an earlier run left", *removed);
    }
  }
  convoy::agent::HostSwitch host_switch(qos.get(), reservations.get(), switch_detail,
                                        qos != nullptr && qos->userspace_datapath());

  auto hypervisor = convoy::agent::LibvirtHypervisor::Open(libvirt_uri);
  if (!hypervisor.ok()) {
    spdlog::error("{}", std::string(hypervisor.status().message()));
    return 1;
  }
  convoy::agent::Hypervisor* libvirt = hypervisor->get();
  convoy::agent::EnlightenmentReader enlightenment(
      [libvirt](const std::string& vm) {
        return libvirt->ChannelPath(vm, convoy::agent::kEnlightenmentChannel);
      },
      convoy::agent::EnlightenmentOptions());
  convoy::agent::Inventory inventory(hypervisor->get(), identity.name, libvirt_uri);
  // Staging through Redis intermediaries, when some are configured.
  convoy::agent::RedisStagerOptions redis_options;
  redis_options.window = stage_window;
  const auto stager_factory = convoy::agent::RedisStagerFactory(redis_options);
  std::unique_ptr<convoy::agent::StageServer> stage_server;
  std::unique_ptr<convoy::agent::StagingService> staging;
  if (!identity.stage_redis.empty()) {
    auto started = convoy::agent::StageServer::Start(stage_listen, stager_factory,
                                                     convoy::agent::GatherOptions());
    if (!started.ok()) {
      spdlog::error("{}", std::string(started.status().message()));
      return 1;
    }
    stage_server = *std::move(started);
    convoy::agent::StagingConfig config;
    config.redis = identity.stage_redis;
    const auto link = *convoy::agent::ParseHostPort(stage_listen);
    const auto api = *convoy::agent::ParseHostPort(identity.advertise.empty() ? listen
                                                                              : identity.advertise);
    config.stage_host = convoy::agent::IsWildcardHost(link.host) ? api.host : link.host;
    config.relay.chunk_bytes = static_cast<size_t>(stage_chunk_kib) * 1024;
    config.relay.window_chunks = 2 * stage_window;
    staging = std::make_unique<convoy::agent::StagingService>(
        config, stager_factory, convoy::agent::GrpcPrepareIncoming(security->controller), stage_server.get());
  }
  inventory.SetEnlightenmentReader(&enlightenment);
  convoy::agent::MigrationManagerOptions options;
  options.state_dir = state_dir;
  options.poll_interval_ms = poll_interval_ms;
  options.listener = &host_switch;
  options.staging = staging.get();
  options.completed_event_wait_ms = 2000;
  convoy::agent::MigrationManager migrations(hypervisor->get(), options);
  migrations.SetEnlightenmentReader(&enlightenment);
  if (auto recovered = migrations.Recover(); !recovered.ok()) {
    spdlog::error("recovering migrations: {}", std::string(recovered.message()));
    return 1;
  }
  for (const auto& m : migrations.List(false)) {
    spdlog::info("found migration {} of {} ({}), following it", m.id(), m.vm(), m.state());
  }
  auto probe = convoy::agent::ProbeServer::Start(probe_listen);
  if (!probe.ok()) {
    spdlog::error("{}", std::string(probe.status().message()));
    return 1;
  }

  convoy::agent::AgentServiceParts parts;
  parts.host_switch = &host_switch;
  parts.staging = staging.get();
  parts.policy = &security->policy;
  parts.authenticator = security->authenticator.get();
  parts.enlightenment = &enlightenment;
  convoy::agent::AgentService service(&inventory, &migrations, parts);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a second agent must not start
  builder.AddListeningPort(listen, security->server, &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {}", listen);
    return 1;
  }

  // Declared after what their collector reads (the migrations), so destroyed before it.
  convoy::metrics::Registry registry;
  convoy::agent::AgentMetrics agent_metrics(
      &registry, [&migrations] { return migrations.List(true); }, identity.name,
      convoy::agent::AgentVersion());
  std::unique_ptr<convoy::metrics::MetricsServer> metrics_server;
  if (metrics_listen != "off") {
    auto started = convoy::metrics::MetricsServer::Start(metrics_listen, &registry);
    if (!started.ok()) {
      spdlog::error("{}", std::string(started.status().message()));
      return 1;
    }
    metrics_server = *std::move(started);
  }

  std::unique_ptr<convoy::agent::ControllerLink> link;
  if (!controller.empty()) {
    convoy::agent::ControllerLinkOptions link_options;
    link_options.controller = controller;
    link_options.interval_ms = heartbeat_interval_ms;
    link_options.on_heartbeat = [&agent_metrics](const convoy::Status& status) {
      agent_metrics.OnHeartbeat(status);
    };
    link = std::make_unique<convoy::agent::ControllerLink>(
        hello,
        convoy::agent::FailoverHeartbeatSender(*convoy::agent::ParseControllerList(controller),
                                               std::min(heartbeat_interval_ms, 1000),
                                               security->controller),
        std::move(link_options));
    link->Start();
  }

  // On SIGTERM or SIGINT: migrations in libvirt go on without us (a restarted agent adopts
  // them), but the switch is left as it was found; then leave at once.
  std::thread([&stop_signals, &qos] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    if (qos != nullptr) {
      if (auto removed = qos->RemoveAll(); !removed.ok()) {
        spdlog::warn("leaving reservations behind: {}", std::string(removed.status().message()));
      }
    }
    std::_Exit(0);
  }).detach();
  spdlog::info("convoy-agent {} serving on {} (probe on {}, metrics on {}), libvirt {}{}{}; {}",
               identity.name, listen, probe_listen,
               metrics_server ? metrics_server->address() : "off", libvirt_uri,
               controller.empty() ? "" : ", controller " + controller,
               staging ? absl::StrCat(", staging through ", absl::StrJoin(identity.stage_redis, ","),
                                      " (stage link on ", stage_listen, ")")
                       : "",
               switch_detail);
  server->Wait();
  return 0;
}
