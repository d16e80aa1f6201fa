// convoy: the operator's command line.
#include <CLI/CLI.hpp>

#include "cli/agent_command.h"
#include "cli/plan_command.h"

int main(int argc, char** argv) {
  CLI::App app{"convoy: plan and carry out the live migration of many VMs at once"};
  app.require_subcommand(1);

  convoy::cli::PlanArgs plan_args;
  auto* plan = app.add_subcommand("plan",
                                  "Plan an evacuation described in a scenario file "
                                  "(dry run: nothing moves)");
  plan->add_option("file", plan_args.file, "Scenario file (YAML or JSON)")->required();
  plan->add_option("--strategy,-s", plan_args.strategy,
                   "convoy | sequential | parallel (default: the file's, else convoy)");
  plan->add_option("--format,-f", plan_args.format, "table | json | svg")
      ->check(CLI::IsMember({"table", "json", "svg"}));
  plan->add_option("-o,--output", plan_args.output, "Write here instead of standard output");

  std::string validate_file;
  auto* validate = app.add_subcommand("validate", "Check a scenario file and report every problem");
  validate->add_option("file", validate_file, "Scenario file (YAML or JSON)")->required();

  int agent_exit = convoy::cli::kExitError;
  convoy::cli::AddAgentCommands(&app, &agent_exit);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 like the commands' own errors.
    return app.exit(e) == 0 ? convoy::cli::kExitOk : convoy::cli::kExitError;
  }
  if (plan->parsed()) return convoy::cli::RunPlan(plan_args);
  if (validate->parsed()) return convoy::cli::RunValidate(validate_file);
  if (app.got_subcommand("agent")) return agent_exit;
  return convoy::cli::kExitError;
}
