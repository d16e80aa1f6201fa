// `convoy evacuate`: plan an evacuation on the controller's live inventory, show it, ask, then
// execute it and follow it to the end. The request options and the printing of a plan preview
// are shared with `convoy plan --live`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/controller_client.h"
#include "convoy/common/status.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::cli {

// What the operator asks for, as command-line options (EvacuationRequest's fields).
struct RequestArgs {
  std::vector<std::string> hosts;  // to evacuate
  std::vector<std::string> to;     // destinations allowed (empty: any other host)
  std::string mode;                // empty: the controller's default (auto)
  std::string strategy;            // empty: the controller's default (convoy)
  double deadline_s = 0;
  uint32_t max_online_hosts = 0;
  double power_budget_w = 0;
  double urgency_pct = 0;
  std::string reservation;  // auto | none | adaptive | fixed
  double downtime_ms = 0;
  bool keep_on = false;   // do not shut the evacuated hosts down
  std::string apps_file;  // a scenario-style file whose `apps:` are sent along
  bool probe = false;     // measure bandwidths before planning
};

// Adds the request options (--to, --mode, --deadline, ...) to `command`, bound to *args;
// --strategy only when `with_strategy` (`convoy plan` has its own). The hosts are not added.
void AddRequestOptions(CLI::App* command, RequestArgs* args, bool with_strategy);

// The request for Controller.Plan. INVALID_ARGUMENT for an unknown mode or strategy, or an apps
// file that cannot be read or parsed (the message names the file and the field).
StatusOr<v1::ControllerPlanRequest> BuildPlanRequest(const RequestArgs& args);

// Reads the `apps:` of a scenario-style YAML or JSON file (other fields are parsed, then left).
StatusOr<std::vector<v1::App>> LoadApps(const std::string& path);

// Calls Controller.Plan. On failure prints why (stderr) and returns false.
bool CallPlan(ControllerClient* client, const v1::ControllerPlanRequest& request,
              v1::PlanPreview* preview);

// Prints a preview as `convoy plan FILE` prints a plan: "table" (with the convoy, sequential
// and parallel baselines planned locally on the preview's cluster snapshot), "json" (the Plan's
// JSON, report::RenderJson) or "svg", to `output` (empty or "-": stdout). An infeasible plan's
// reasons go to stderr. Returns kExitOk, kExitInfeasible, or kExitError when it cannot write.
int PrintPreview(const v1::PlanPreview& preview, const v1::ControllerPlanRequest& request,
                 const std::string& format, const std::string& output);

// Adds `evacuate` to `app`. The command runs from its callback, which stores its exit code in
// *exit_code.
void AddEvacuateCommand(CLI::App* app, int* exit_code);

}  // namespace convoy::cli
