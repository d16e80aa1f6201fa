// convoy-agent: one per hypervisor host. Serves the Agent gRPC API to the controller (and to
// tests) and carries out migrations through libvirt; registers with the controller and
// heartbeats to it; serves Prometheus metrics.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "agent/agent_metrics.h"
#include "agent/agent_service.h"
#include "agent/bandwidth_probe.h"
#include "agent/controller_link.h"
#include "agent/libvirt_hypervisor.h"
#include "convoy/common/daemon_flags.h"
#include "convoy/metrics/metrics.h"

namespace {

void OnSignal(int) {
  // Migrations in libvirt go on without us; a restarted agent adopts them. Leave at once.
  std::_Exit(0);
}

// `address` with its port moved by `offset` (the probe and metrics defaults).
convoy::StatusOr<std::string> PortPlus(const std::string& address, int offset) {
  CONVOY_ASSIGN_OR_RETURN(const convoy::agent::HostPort where,
                          convoy::agent::ParseHostPort(address));
  return where.host + ":" + std::to_string(where.port + offset);
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
                 "The controller (convoyd) to register and heartbeat with, host:port (default: "
                 "none)");
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
  if (auto exit_code = convoy::ParseDaemonFlags(app, argc, argv, "convoy-agent")) {
    return *exit_code;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  // Every address is checked before anything starts: a mistake is a usage error (exit 2).
  if (auto api = convoy::agent::ParseHostPort(listen); !api.ok()) {
    spdlog::error("--listen: {}", std::string(api.status().message()));
    return 2;
  }
  if (probe_listen.empty()) probe_listen = *PortPlus(listen, 1);
  if (metrics_listen.empty()) metrics_listen = *PortPlus(listen, 2);
  if (identity.power_max_w > 0 && identity.power_max_w < identity.power_idle_w) {
    spdlog::error("--power-max-w {} is below --power-idle-w {}", identity.power_max_w,
                  identity.power_idle_w);
    return 2;
  }
  identity.listen = listen;
  identity.probe_listen = probe_listen;
  convoy::v1::AgentHello hello;
  if (!controller.empty()) {
    if (auto where = convoy::agent::ParseHostPort(controller); !where.ok()) {
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
  inventory.SetEnlightenmentReader(&enlightenment);
  convoy::agent::MigrationManagerOptions options;
  options.state_dir = state_dir;
  options.poll_interval_ms = poll_interval_ms;
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

  convoy::agent::AgentService service(&inventory, &migrations, &enlightenment);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
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
        convoy::agent::GrpcHeartbeatSender(controller, std::min(heartbeat_interval_ms, 1000)),
        std::move(link_options));
    link->Start();
  }

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  spdlog::info("convoy-agent {} serving on {} (probe on {}, metrics on {}), libvirt {}{}",
               identity.name, listen, probe_listen,
               metrics_server ? metrics_server->address() : "off", libvirt_uri,
               controller.empty() ? "" : ", controller " + controller);
  server->Wait();
  return 0;
}
