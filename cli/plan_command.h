// The `convoy plan` and `convoy validate` commands.
#pragma once

#include <string>

namespace convoy::cli {

struct PlanArgs {
  std::string file;
  std::string strategy;          // empty: the scenario's own, else convoy
  std::string format = "table";  // table | json | svg
  std::string output;            // empty: standard output
};

// Exit codes shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInfeasible = 3;  // the plan was made but cannot be carried out
inline constexpr int kExitError = 2;       // bad input or I/O error; nothing was planned

// Plans the scenario in args.file and writes it in args.format. Errors go to stderr.
int RunPlan(const PlanArgs& args);

// Loads and validates a scenario file; prints a one-line summary, or every problem found.
int RunValidate(const std::string& file);

}  // namespace convoy::cli
