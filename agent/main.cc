// convoy-agent: one per hypervisor host. Serves the Agent gRPC API to the controller (and to
// tests) and carries out migrations through libvirt.
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <csignal>
#include <cstdlib>

#include "agent/agent_service.h"
#include "agent/bandwidth_probe.h"
#include "agent/libvirt_hypervisor.h"

namespace {

std::unique_ptr<grpc::Server>* g_server = nullptr;

void OnSignal(int) {
  // Migrations in libvirt go on without us; a restarted agent adopts them. Leave at once.
  std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"convoy-agent: carries out Convoy's migrations on this hypervisor host"};
  std::string name;
  std::string listen = "127.0.0.1:7700";
  std::string libvirt_uri = "qemu:///system";
  std::string state_dir = "/var/lib/convoy-agent";
  std::string probe_listen;
  int poll_interval_ms = 250;
  app.add_option("--name", name, "This host's name, as the controller knows it")->required();
  app.add_option("--listen", listen, "Address of the gRPC API (host:port)");
  app.add_option("--libvirt-uri", libvirt_uri, "libvirt connection URI");
  app.add_option("--state-dir", state_dir, "Where migration records are kept");
  app.add_option("--probe-listen", probe_listen,
                 "Address of the bandwidth probe (default: the API's host, its port + 1)");
  app.add_option("--poll-interval-ms", poll_interval_ms, "How often job statistics are read")
      ->check(CLI::Range(20, 10000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  if (probe_listen.empty()) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
      spdlog::error("--listen {}: expected host:port", listen);
      return 2;
    }
    probe_listen =
        listen.substr(0, colon + 1) + std::to_string(std::atoi(listen.c_str() + colon + 1) + 1);
  }

  auto hypervisor = convoy::agent::LibvirtHypervisor::Open(libvirt_uri);
  if (!hypervisor.ok()) {
    spdlog::error("{}", std::string(hypervisor.status().message()));
    return 1;
  }
  convoy::agent::Inventory inventory(hypervisor->get(), name, libvirt_uri);
  convoy::agent::MigrationManagerOptions options;
  options.state_dir = state_dir;
  options.poll_interval_ms = poll_interval_ms;
  convoy::agent::MigrationManager migrations(hypervisor->get(), options);
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

  convoy::agent::AgentService service(&inventory, &migrations);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {}", listen);
    return 1;
  }
  g_server = &server;
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  spdlog::info("convoy-agent {} serving on {} (probe on {}), libvirt {}", name, listen,
               probe_listen, libvirt_uri);
  server->Wait();
  return 0;
}
