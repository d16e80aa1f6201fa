// convoyd: the controller. Keeps the live inventory of the agents, plans evacuations on it,
// executes them as DAGs of actions through the agents, persists every step in SQLite, and
// serves the public API (proto/convoy/v1/controller.proto) with gRPC reflection.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "controller/controller_metrics.h"
#include "controller/controller_security.h"
#include "controller/controller_service.h"
#include "controller/inventory.h"
#include "controller/leader_election.h"
#include "controller/leader_forwarding.h"
#include "controller/operations.h"
#include "controller/power_driver.h"
#include "controller/replica.h"
#include "controller/request_limits.h"
#include "convoy/api/planning_service.h"
#include "convoy/common/daemon_flags.h"

namespace {

void OnSignal(int) {
  // Every step is in the store before it is acted on; a restarted convoyd resumes. Leave now.
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convoyd: the Convoy controller"};
  std::string listen = "127.0.0.1:7600";
  std::string state = "/var/lib/convoyd/state.db";
  int tick_ms = 5000;
  int poll_ms = 1000;
  int heartbeat_timeout_ms = 6000;
  int heartbeat_interval_ms = 2000;
  int refresh_interval_ms = 5000;
  std::string power_command;
  std::string ipmi_hosts_file;
  double migration_timeout_s = 0;
  double boot_wait_s = 300;
  double replan_interval_s = 10;
  std::string metrics_listen;
  uint32_t plan_dirty_rate_s = 1;
  convoy::controller::ReplicaFlags replica;
  convoy::controller::ControllerSecurityFlags security_flags;
  app.option_defaults()->always_capture_default();
  convoy::AddConfigFile(app);
  app.add_option("--listen", listen, "Address of the gRPC API (host:port)");
  app.add_option("--state", state, "SQLite database of operations (created if missing)");
  app.add_option("--tick-ms", tick_ms, "Adaptation tick of the executor")
      ->check(CLI::Range(100, 600000));
  app.add_option("--poll-ms", poll_ms, "How often running migrations are read")
      ->check(CLI::Range(50, 60000));
  app.add_option("--heartbeat-timeout-ms", heartbeat_timeout_ms,
                 "A host is down after this long without a heartbeat")
      ->check(CLI::Range(500, 3600000));
  app.add_option("--heartbeat-interval-ms", heartbeat_interval_ms,
                 "Interval the agents are told to heartbeat at")
      ->check(CLI::Range(100, 600000));
  app.add_option("--refresh-interval-ms", refresh_interval_ms,
                 "How often the agents' reports are re-read")
      ->check(CLI::Range(200, 3600000));
  app.add_option("--power-command", power_command,
                 "Command run as `CMD boot|shutdown HOST` to power hosts on and off");
  app.add_option("--ipmi-hosts-file", ipmi_hosts_file,
                 "Power hosts with ipmitool: lines `HOST BMC_ADDRESS USER PASSWORD_FILE`");
  app.add_option("--migration-timeout-s", migration_timeout_s,
                 "Give up a pre-copy that has not converged after this long (0: never)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--boot-wait-s", boot_wait_s, "How long a booted host's agent has to register")
      ->check(CLI::PositiveNumber);
  app.add_option("--replan-interval-s", replan_interval_s,
                 "Re-plan the migrations that have not started with fresh dirty rates and "
                 "bandwidth this often (0: never)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--plan-dirty-rate-s", plan_dirty_rate_s,
                 "Before planning, measure every VM's dirty rate over this long (0: do not)")
      ->check(CLI::Range(0, 60));
  app.add_option("--metrics-listen", metrics_listen,
                 "Address of /metrics (default: the API's host, its port + 2; off: none)");
  convoy::controller::AddReplicaFlags(app, &replica);
  convoy::controller::AddControllerSecurityFlags(app, &security_flags);
  if (auto exit_code = convoy::ParseDaemonFlags(app, argc, argv, "convoyd")) return *exit_code;
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  if (!power_command.empty() && !ipmi_hosts_file.empty()) {
    spdlog::error("--power-command and --ipmi-hosts-file exclude each other");
    return 2;
  }

  auto security = convoy::controller::ResolveControllerSecurity(security_flags);
  if (!security.ok()) {
    spdlog::error("{}", std::string(security.status().message()));
    return 2;
  }
  auto backend = convoy::controller::OpenStateBackend(replica, state);
  if (!backend.ok()) {
    spdlog::error("{}", std::string(backend.status().message()));
    return 1;
  }
  convoy::store::StateStore* store = backend->store.get();
  std::unique_ptr<convoy::controller::PowerDriver> power;
  if (!power_command.empty()) {
    power = convoy::controller::MakeExecPowerDriver(power_command);
  } else if (!ipmi_hosts_file.empty()) {
    auto bmc = convoy::controller::LoadIpmiHostsFile(ipmi_hosts_file);
    if (!bmc.ok()) {
      spdlog::error("{}", std::string(bmc.status().message()));
      return 2;
    }
    power = convoy::controller::MakeIpmiPowerDriver(*std::move(bmc));
  } else {
    power = convoy::controller::MakeNoPowerDriver();
  }

  auto dialer = convoy::controller::MakeGrpcAgentDialer(10000, security->peers);
  convoy::controller::InventoryOptions inventory_options;
  inventory_options.heartbeat_timeout_ms = heartbeat_timeout_ms;
  inventory_options.heartbeat_interval_ms = heartbeat_interval_ms;
  convoy::controller::Inventory inventory(dialer.get(), inventory_options);
  convoy::controller::ExecutorOptions executor_options;
  executor_options.tick_ms = tick_ms;
  executor_options.poll_ms = poll_ms;
  executor_options.migration_timeout_s = migration_timeout_s;
  executor_options.boot_wait_s = boot_wait_s;
  executor_options.replan_interval_s = replan_interval_s;
  convoy::controller::Operations operations(&inventory, power.get(), store, executor_options, {},
                                            plan_dirty_rate_s);

  convoy::metrics::Registry registry;
  convoy::controller::RegisterControllerMetrics(&registry, &inventory, &operations);
  std::unique_ptr<convoy::metrics::MetricsServer> metrics_server;
  if (metrics_listen != "off") {
    if (metrics_listen.empty()) {
      const auto colon = listen.rfind(':');
      if (colon == std::string::npos) {
        spdlog::error("--listen {}: expected host:port", listen);
        return 2;
      }
      metrics_listen =
          listen.substr(0, colon + 1) + std::to_string(std::atoi(listen.c_str() + colon + 1) + 2);
    }
    auto started = convoy::metrics::MetricsServer::Start(metrics_listen, &registry);
    if (!started.ok()) {
      spdlog::error("{}", std::string(started.status().message()));
      return 1;
    }
    metrics_server = *std::move(started);
  }
  convoy::controller::ControllerService service(&inventory, &operations, heartbeat_interval_ms,
                                                &registry);
  service.SetGuard(security->guard.get());
  convoy::controller::GuardedPlanningService planning(security->guard.get());
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  // A second convoyd on the same address must fail to start, not share its connections (gRPC
  // sets SO_REUSEPORT by default: two controllers would each get some agents and clients).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(listen, security->server, &port);
  // Larger than the API's limit, so that an oversized request is answered with its field.
  builder.SetMaxReceiveMessageSize(convoy::controller::kGrpcMaxReceiveBytes);
  builder.RegisterService(&service);
  builder.RegisterService(&planning);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {}", listen);
    return 1;
  }
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  spdlog::info("convoyd serving on {} (state {}, tick {} ms, metrics {})", listen,
               replica.etcd.empty() ? state : "etcd " + replica.etcd + " " + replica.etcd_prefix,
               tick_ms, metrics_server ? metrics_server->address() : "off");

  // Unfinished operations of a previous run (or of a leader that died) go on once their agents
  // call in: at once for one controller, once elected for one of several replicas.
  std::unique_ptr<convoy::controller::LeaderElection> election;
  std::unique_ptr<convoy::controller::LeaderForwarder> forwarder;
  if (replica.etcd.empty()) {
    if (auto resumed = operations.Resume(); !resumed.ok()) {
      spdlog::error("resuming operations: {}", std::string(resumed.message()));
      return 1;
    }
  } else {
    const std::string self = replica.advertise.empty() ? listen : replica.advertise;
    election = std::make_unique<convoy::controller::LeaderElection>(
        backend->etcd, convoy::controller::LeaderElectionOptions{backend->leader_key, self,
                                                                 replica.leader_lease_s, 500});
    forwarder = std::make_unique<convoy::controller::LeaderForwarder>(election.get(), self,
                                                                      security->peers);
    forwarder->SetGuard(security->guard.get());
    service.SetForwarder(forwarder.get());
    election->Start(
        [&](const std::string& fence) {
          backend->etcd_store->SetWriteFence(backend->leader_key, fence);
          if (auto resumed = operations.Resume(); !resumed.ok()) {
            spdlog::error("resuming operations: {}", std::string(resumed.message()));
            std::_Exit(1);
          }
        },
        [] {
          // Another replica may be executing by now: stop at once, before acting on anything.
          // Every step is in etcd; a supervisor (systemd) restarts this one as a follower.
          spdlog::error("exiting: a replica that lost the leadership must not act");
          std::_Exit(3);
        });
  }
  std::thread refresher([&] {
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(refresh_interval_ms));
      inventory.Refresh();
    }
  });
  refresher.detach();
  server->Wait();
  return 0;
}
