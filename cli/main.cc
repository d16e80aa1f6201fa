// convoy: the operator's command line.
#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>

#include "cli/agent_command.h"
#include "cli/controller_client.h"
#include "cli/demo_command.h"
#include "cli/evacuate_command.h"
#include "cli/inventory_commands.h"
#include "cli/operation_commands.h"
#include "cli/plan_command.h"
#include "cli/simulate_command.h"

int main(int argc, char** argv) {
  CLI::App app{"convoy: plan and carry out the live migration of many VMs at once"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok; 1 not confirmed (evacuate); 2 error (usage, input, controller not\n"
      "reachable, unknown id); 3 the plan is infeasible; 4 the operation failed or was\n"
      "cancelled; 130 stopped watching with Ctrl-C (the operation goes on).\n"
      "The controller's commands use --controller HOST:PORT (default: $CONVOY_CONTROLLER,\n"
      "else 127.0.0.1:7600).");

  convoy::cli::PlanArgs plan_args;
  std::vector<std::string> plan_positional;
  bool plan_live = false;
  convoy::cli::RequestArgs live_request;
  convoy::cli::ControllerOptions plan_controller;
  auto* plan = app.add_subcommand("plan",
                                  "Plan an evacuation described in a scenario file, or with "
                                  "--live on the controller's inventory (dry run: nothing moves)");
  plan->add_option("file", plan_positional,
                   "Scenario file (YAML or JSON); with --live, the hosts to evacuate");
  plan->add_flag("--live", plan_live,
                 "Plan on the controller's live inventory: convoy plan --live HOST... [--to "
                 "HOST...] (the request options below need it)");
  plan->add_option("--strategy,-s", plan_args.strategy,
                   "convoy | sequential | parallel (default: the file's, else convoy)");
  plan->add_option("--format,-f", plan_args.format, "table | json | svg")
      ->check(CLI::IsMember({"table", "json", "svg"}));
  plan->add_option("-o,--output", plan_args.output, "Write here instead of standard output");
  convoy::cli::AddRequestOptions(plan, &live_request, false);
  convoy::cli::AddControllerOptions(plan, &plan_controller);

  std::string validate_file;
  auto* validate = app.add_subcommand("validate", "Check a scenario file and report every problem");
  validate->add_option("file", validate_file, "Scenario file (YAML or JSON)")->required();

  int agent_exit = convoy::cli::kExitError;
  convoy::cli::AddAgentCommands(&app, &agent_exit);

  int controller_exit = convoy::cli::kExitError;
  convoy::cli::AddEvacuateCommand(&app, &controller_exit);
  convoy::cli::AddOperationCommands(&app, &controller_exit);
  convoy::cli::AddInventoryCommands(&app, &controller_exit);

  convoy::cli::SimulateArgs simulate_args;
  auto* simulate = convoy::cli::AddSimulateCommand(&app, &simulate_args);

  bool demo_keep = false;
  auto* demo = convoy::cli::AddDemoCommand(&app, &demo_keep);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 like the commands' own errors.
    return app.exit(e) == 0 ? convoy::cli::kExitOk : convoy::cli::kExitError;
  }
  if (plan->parsed()) {
    if (plan_live) {
      live_request.hosts = plan_positional;
      live_request.strategy = plan_args.strategy;
      return convoy::cli::RunPlanLive(plan_controller, live_request, plan_args.format,
                                      plan_args.output);
    }
    for (const char* option :
         {"--to", "--mode", "--deadline", "--max-online", "--power-budget", "--urgency",
          "--downtime-ms", "--reservation", "--keep-on", "--apps", "--probe", "--controller"}) {
      if (plan->count(option) > 0) {
        std::cerr << "convoy: plan: " << option
                  << " is for the live inventory: add --live (a scenario file has its own "
                     "request)\n";
        return convoy::cli::kExitError;
      }
    }
    if (plan_positional.size() != 1) {
      std::cerr << "convoy: plan: give one scenario file (or --live and the hosts to evacuate)\n";
      return convoy::cli::kExitError;
    }
    plan_args.file = plan_positional.front();
    return convoy::cli::RunPlan(plan_args);
  }
  if (validate->parsed()) return convoy::cli::RunValidate(validate_file);
  if (simulate->parsed()) return convoy::cli::RunSimulate(simulate_args);
  if (demo->parsed()) return convoy::cli::RunDemo(argv[0], demo_keep);
  if (app.got_subcommand("agent")) return agent_exit;
  for (const char* command : {"evacuate", "watch", "cancel", "ls", "hosts", "vms", "traffic"}) {
    if (app.got_subcommand(command)) return controller_exit;
  }
  return convoy::cli::kExitError;
}
