#include "cli/inventory_commands.h"

#include <chrono>
#include <iostream>
#include <memory>

#include "cli/plan_command.h"
#include "cli/progress_view.h"

namespace convoy::cli {
namespace {

struct InventoryArgs {
  ControllerOptions controller;
  bool refresh = false;
  uint32_t dirty_s = 0;
  std::string format = "table";
};

bool CallInventory(const InventoryArgs& args, v1::InventoryResponse* response) {
  ControllerClient client(args.controller);
  v1::InventoryRequest request;
  request.set_refresh(args.refresh || args.dirty_s > 0);
  request.set_dirty_rate_period_s(args.dirty_s);
  grpc::ClientContext context;
  client.SetDeadline(&context, args.dirty_s);
  grpc::Status status = client.stub()->Inventory(&context, request, response);
  if (!status.ok()) {
    std::cerr << "convoy: " << client.Describe(status, "inventory") << "\n";
    return false;
  }
  return true;
}

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void AddInventoryCommands(CLI::App* app, int* exit_code) {
  auto hosts_args = std::make_shared<InventoryArgs>();
  auto* hosts = app->add_subcommand(
      "hosts", "The hosts the controller knows: health, address, size, VMs, last heartbeat");
  hosts->add_flag("--refresh", hosts_args->refresh, "Ask every agent for a fresh report first");
  hosts->add_option("--format,-f", hosts_args->format, "table | json (the whole inventory)")
      ->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(hosts, &hosts_args->controller);
  hosts->callback([hosts_args, exit_code] {
    v1::InventoryResponse inventory;
    if (!CallInventory(*hosts_args, &inventory)) {
      *exit_code = kExitError;
      return;
    }
    std::cout << (hosts_args->format == "json" ? RenderProtoJson(inventory)
                                               : RenderHosts(inventory, NowUnixS()));
    if (hosts_args->format == "table" && inventory.agents().empty()) {
      std::cerr << "convoy: no agent has registered with the controller yet\n";
    }
    *exit_code = kExitOk;
  });

  auto vms_args = std::make_shared<InventoryArgs>();
  auto* vms =
      app->add_subcommand("vms", "The VMs on the hosts: state, size, dirty rate, network traffic");
  vms->add_flag("--refresh", vms_args->refresh,
                "Ask every agent for a fresh report first (network rates)");
  vms->add_option("--dirty-s", vms_args->dirty_s,
                  "Measure every VM's dirty rate over this many seconds first");
  vms->add_option("--format,-f", vms_args->format, "table | json (the whole inventory)")
      ->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(vms, &vms_args->controller);
  vms->callback([vms_args, exit_code] {
    v1::InventoryResponse inventory;
    if (!CallInventory(*vms_args, &inventory)) {
      *exit_code = kExitError;
      return;
    }
    std::cout << (vms_args->format == "json" ? RenderProtoJson(inventory) : RenderVms(inventory));
    *exit_code = kExitOk;
  });

  auto traffic_args = std::make_shared<InventoryArgs>();
  auto* traffic = app->add_subcommand(
      "traffic",
      "Traffic between VMs as the hosts' Open vSwitch measures it (what COMMA coordinates), and "
      "which hosts can reserve bandwidth");
  traffic->add_flag("--refresh", traffic_args->refresh, "Ask every agent for a fresh report first");
  traffic->add_option("--format,-f", traffic_args->format, "table | json (the whole inventory)")
      ->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(traffic, &traffic_args->controller);
  traffic->callback([traffic_args, exit_code] {
    v1::InventoryResponse inventory;
    if (!CallInventory(*traffic_args, &inventory)) {
      *exit_code = kExitError;
      return;
    }
    std::cout << (traffic_args->format == "json" ? RenderProtoJson(inventory)
                                                 : RenderTraffic(inventory));
    *exit_code = kExitOk;
  });
}

int RunPlanLive(const ControllerOptions& controller, const RequestArgs& request_args,
                const std::string& format, const std::string& output) {
  if (request_args.hosts.empty()) {
    std::cerr << "convoy: plan --live: name the hosts to evacuate, e.g. convoy plan --live h1 "
                 "h2 --to h3\n";
    return kExitError;
  }
  auto request = BuildPlanRequest(request_args);
  if (!request.ok()) {
    std::cerr << "convoy: " << request.status().message() << "\n";
    return kExitError;
  }
  ControllerClient client(controller);
  v1::PlanPreview preview;
  if (!CallPlan(&client, *request, &preview)) return kExitError;
  return PrintPreview(preview, *request, format, output);
}

}  // namespace convoy::cli
