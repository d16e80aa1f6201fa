// `convoy simulate FILE`: the scenario's plans executed on a SimGrid model of the datacenter.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace convoy::cli {

struct SimulateArgs {
  std::string file;
  std::vector<std::string> strategies;  // empty: every one
  std::string format = "table";         // table | json | svg
  std::string output;                   // empty: standard output
  uint64_t seed = 1;
  double variation_pct = 10;
  double timeout_s = 0;
};

// Adds the `simulate` subcommand, filling `args`; once it is parsed, RunSimulate carries it out.
CLI::App* AddSimulateCommand(CLI::App* app, SimulateArgs* args);
// Exit codes: 0 simulated (failed migrations are part of the report), 2 bad input or I/O error.
int RunSimulate(const SimulateArgs& args);

}  // namespace convoy::cli
