#include "cli/simulate_command.h"

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/plan_command.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"
#include "convoy/report/render.h"
#include "convoy/sim/render.h"
#include "convoy/sim/simulator.h"
#include "convoy/sim/strategies.h"

namespace convoy::cli {
namespace {

int Fail(const std::string& message) {
  std::cerr << "convoy: simulate: " << message << "\n";
  return kExitError;
}

}  // namespace

CLI::App* AddSimulateCommand(CLI::App* app, SimulateArgs* args) {
  auto* cmd = app->add_subcommand(
      "simulate",
      "Execute the scenario's plans on a SimGrid model of the datacenter and compare strategies "
      "with the baselines (sequential, parallel, nova, kubevirt, proxmox)");
  cmd->add_option("file", args->file, "Scenario file (YAML or JSON)")->required();
  cmd->add_option("--strategy,-s", args->strategies,
                  std::string("Strategies to simulate, side by side (repeat; default: all of ") +
                      sim::kSimStrategies + ")");
  cmd->add_option("--format,-f", args->format,
                  "table | json (the contract for tools) | svg (Gantt chart of what happened "
                  "with the first strategy)")
      ->check(CLI::IsMember({"table", "json", "svg"}));
  cmd->add_option("-o,--output", args->output, "Write here instead of standard output");
  cmd->add_option("--seed", args->seed, "Seed of the workload variation (same seed, same report)");
  cmd->add_option("--variation", args->variation_pct,
                  "Each round's dirty rate and each boot and shutdown time within +/- this many "
                  "percent of the scenario's figure (0: exactly the scenario)")
      ->check(CLI::Range(0.0, 99.0));
  cmd->add_option("--timeout-s", args->timeout_s,
                  "Abort a pre-copy still iterating after this long, as convoy-agent's timeout "
                  "does (0: never)")
      ->check(CLI::NonNegativeNumber);
  return cmd;
}

int RunSimulate(const SimulateArgs& args) {
  auto scenario = model::LoadScenarioFile(args.file);
  if (!scenario.ok()) return Fail(std::string(scenario.status().message()));
  auto cluster = model::ClusterModel::Build(*scenario);
  if (!cluster.ok()) return Fail(std::string(cluster.status().message()));
  std::vector<std::string> strategies = args.strategies;
  if (strategies.empty()) strategies = sim::AllSimStrategies();
  std::vector<sim::StrategyRun> runs;
  for (const auto& s : strategies) {
    auto run = sim::MakeRun(*cluster, scenario->request(), s);
    if (!run.ok()) return Fail(std::string(run.status().message()));
    runs.push_back(*std::move(run));
  }
  sim::SimOptions options = sim::OptionsFor(scenario->request());
  options.seed = args.seed;
  options.variation_pct = args.variation_pct;
  options.migration_timeout_s = args.timeout_s;
  auto report = sim::Simulate(*cluster, runs, options);
  if (!report.ok()) return Fail(std::string(report.status().message()));

  std::string text;
  if (args.format == "json") {
    text = report::RenderMessageJson(*report);
  } else if (args.format == "svg") {
    text = report::RenderSvg(report->results(0).trace());
  } else {
    text = sim::RenderSimulationTable(*report, args.file);
  }
  if (args.output.empty() || args.output == "-") {
    std::cout << text;
  } else {
    std::ofstream out(args.output);
    out << text;
    if (!out) return Fail("cannot write " + args.output);
  }
  return kExitOk;
}

}  // namespace convoy::cli
