// `convoy hosts`, `convoy vms` and `convoy plan --live`: what the controller knows of the
// cluster, and what it would do with it.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "cli/controller_client.h"
#include "cli/evacuate_command.h"

namespace convoy::cli {

// Adds `hosts` and `vms` to `app`. The chosen command runs from its callback, which stores its
// exit code in *exit_code (0, or 2 when the controller cannot be reached).
void AddInventoryCommands(CLI::App* app, int* exit_code);

// `convoy plan --live`: plans `request` on the controller's live inventory (Controller.Plan, a
// dry run: nothing moves; the controller keeps the plan for a later Submit) and prints it as
// `convoy plan FILE` does, in `format` (table | json | svg) to `output` (empty: stdout).
// Returns kExitOk, kExitInfeasible, or kExitError (bad options, controller not reachable, the
// request refused).
int RunPlanLive(const ControllerOptions& controller, const RequestArgs& request,
                const std::string& format, const std::string& output);

}  // namespace convoy::cli
