// `convoy demo`: the real evacuation on the local testbed (scripts/demo-evacuation).
#pragma once

#include <CLI/CLI.hpp>

namespace convoy::cli {

// Adds the `demo` subcommand; when it is parsed, RunDemo replaces this process with the demo
// script of the source tree this binary was built from, telling it where the binaries are.
CLI::App* AddDemoCommand(CLI::App* app, bool* keep);
int RunDemo(const char* argv0, bool keep);

}  // namespace convoy::cli
