// `convoy agent ...`: talk to one convoy-agent directly (inspection, manual migrations, probes).
// The controller does this for operators in normal use; this is for debugging, benchmarks and
// tests.
#pragma once

#include <CLI/CLI.hpp>

namespace convoy::cli {

// Adds the `agent` subcommand tree to `app`. The chosen command runs from the callbacks, which
// store its exit code in *exit_code.
void AddAgentCommands(CLI::App* app, int* exit_code);

}  // namespace convoy::cli
