#include "cli/inventory_commands.h"

#include <chrono>
#include <functional>
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

// One view of the inventory: `name` with --refresh, --format and the controller's options,
// printing `render(inventory)` as a table or the whole inventory as JSON.
std::shared_ptr<InventoryArgs> AddInventoryView(
    CLI::App* app, const std::string& name, const std::string& help,
    const std::string& refresh_help,
    std::function<std::string(const v1::InventoryResponse&)> render, int* exit_code,
    CLI::App** command) {
  auto args = std::make_shared<InventoryArgs>();
  *command = app->add_subcommand(name, help);
  (*command)->add_flag("--refresh", args->refresh, refresh_help);
  (*command)
      ->add_option("--format,-f", args->format, "table | json (the whole inventory)")
      ->check(CLI::IsMember({"table", "json"}));
  AddControllerOptions(*command, &args->controller);
  (*command)->callback([args, render = std::move(render), exit_code] {
    v1::InventoryResponse inventory;
    if (!CallInventory(*args, &inventory)) {
      *exit_code = kExitError;
      return;
    }
    std::cout << (args->format == "json" ? RenderProtoJson(inventory) : render(inventory));
    if (args->format == "table" && inventory.agents().empty()) {
      std::cerr << "convoy: no agent has registered with the controller yet\n";
    }
    *exit_code = kExitOk;
  });
  return args;
}

}  // namespace

void AddInventoryCommands(CLI::App* app, int* exit_code) {
  CLI::App* command = nullptr;
  AddInventoryView(
      app, "hosts", "The hosts the controller knows: health, address, size, VMs, last heartbeat",
      "Ask every agent for a fresh report first",
      [](const v1::InventoryResponse& inventory) { return RenderHosts(inventory, NowUnixS()); },
      exit_code, &command);
  auto vms_args = AddInventoryView(
      app, "vms", "The VMs on the hosts: state, size, dirty rate, network traffic",
      "Ask every agent for a fresh report first (network rates)", RenderVms, exit_code, &command);
  command->add_option("--dirty-s", vms_args->dirty_s,
                      "Measure every VM's dirty rate over this many seconds first");
  AddInventoryView(app, "traffic",
                   "Traffic between VMs as the hosts' Open vSwitch measures it (what COMMA "
                   "coordinates), and which hosts can reserve bandwidth",
                   "Ask every agent for a fresh report first", RenderTraffic, exit_code, &command);
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
