// Text views of the controller's messages for the `convoy` CLI: the live progress of an
// operation, plain event lines for logs, the summary of what happened against the plan, and the
// tables of `convoy ls`, `hosts` and `vms`.
//
// Every function here is a pure function of its arguments (the current time is a parameter):
// none fails, throws, reads the clock or prints. Output is plain text: no escape codes (the
// caller that redraws a terminal adds those). Tables align columns with spaces, text left and
// numbers right, and no line has trailing spaces.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "convoy/v1/controller.pb.h"

namespace convoy::cli {

// ---- Units ---------------------------------------------------------------------------------

// An amount of data: "512 MiB" below 1 GiB (no decimals), "1.5 GiB" below 1 TiB, "2.0 TiB"
// above. "-" when negative or not finite.
std::string FormatMib(double mib);

// A transfer rate: "85.3 MiB/s" (one decimal). "-" when negative or not finite.
std::string FormatMibps(double mibps);

// A duration rounded to the second: "0s", "45s", "3m05s", "2h07m". "--" when negative or not
// finite (an unknown ETA).
std::string FormatDuration(double seconds);

// A moment in UTC with milliseconds: "2026-11-23T20:15:02.123Z". "-" when <= 0 or not finite.
std::string FormatUtc(double unix_s);

// How long ago something was, from `age_s`: "3s ago", "5m ago", "2h ago", "4d ago".
// "never" when `age_s` is negative or not finite (no heartbeat yet).
std::string FormatAge(double age_s);

// ---- Progress ------------------------------------------------------------------------------

// A bar of exactly `width` characters (none when width <= 0): '#' for the done fraction
// (rounded down, so the bar is full only at 1), '-' for the rest. `fraction` is clamped to
// [0, 1]; NaN counts as 0.
std::string ProgressBar(double fraction, int width);

// Seconds until a migration has sent what remains at its current rate: data_remaining_mib /
// bandwidth_mibps. -1 (unknown) when the rate is not positive. 0 when nothing remains.
double EtaSeconds(const v1::MigrationProgress& progress);

// The relative error of a prediction, percent: (measured - predicted) / predicted * 100.
// NaN when predicted is not positive or either value is not finite or measured is negative.
double ErrorPercent(double predicted, double measured);

// "+12.3%", "-4.0%", "+0.0%"; "n/a" for NaN.
std::string FormatErrorPercent(double percent);

// ---- Events --------------------------------------------------------------------------------

// One line (no newline) for a log, never an escape code:
//   <FormatUtc(at)> <what> <state> <message>
// where <what> is the action's id ("migrate:web", "boot:h3") or "operation", and <state> the
// action's state (the operation's state for operation events). The message drops the
// "<id> <state>" or "<id>:" prefix the controller repeats; a note is "note: <text>"; a progress
// event describes the migration: "512 MiB of 2.0 GiB, 85.3 MiB/s, iteration 3, ETA 18s".
// Control characters in the controller's text are replaced by '?'.
std::string PlainEventLine(const v1::Event& event);

// What a watcher knows of an operation: its state and its actions' last known state and
// progress, in the operation's order.
struct WatchState {
  std::string operation_id;
  std::string operation_state;
  double started_unix_s = 0;
  std::vector<v1::Action> actions;
};

// The state as GetOperation reports it.
WatchState NewWatchState(const v1::Operation& operation);

// Takes in one event: an action or progress event replaces the action with the same id (an
// unknown id is appended); any event with an operation_state sets the operation's state.
void ApplyEvent(const v1::Event& event, WatchState* state);

// Whether an action or operation state is final.
bool IsFinishedActionState(const std::string& state);     // done | failed | cancelled | skipped
bool IsFinishedOperationState(const std::string& state);  // succeeded | failed | cancelled

// One running migration, fitted to `columns` (at least the bar's minimum of 10):
//   <vm> <from>-><to> [<bar>] <done>/<total> <rate> it <n> ETA <eta> <state>
// `name_width` pads the VM name, `route_width` the route, so rows line up.
std::string MigrationLine(const v1::Action& action, int name_width, int route_width, int columns);

// The frame a terminal redraws in place, one string per line, each at most `columns - 1`
// characters (so no line wraps): a line per running action (migrations with their bar; power
// actions with how long they have run), at most `max_lines - 1` of them and then
// "... and N more running", and last the overall line:
//   overall [<bar>] <finished>/<total> actions, <sent> sent of ~<predicted> predicted,
//   elapsed <t>, <operation state>
// where sent counts every migration's data_processed and predicted the plan's sent_mib.
std::vector<std::string> RenderLive(const WatchState& state, int columns, int max_lines,
                                    double now_unix_s);

// ---- Summary -------------------------------------------------------------------------------

// What happened against what was planned, for an operation that ended (or not: what it has so
// far), in blocks separated by a blank line:
//  1. "Operation <id> <state>: <done> of <total> actions done" and the operation's error.
//  2. "Migrations (n)": vm, from, to, mode, state, predicted_s, measured_s, error (the relative
//     error of the duration); then each action's error and notes, indented.
//  3. "Totals": makespan_s, mean_migration_s, impact_mb, predicted (Operation.plan) next to
//     measured (Operation.measured) and the error.
//  4. "Eviction": per evacuated host, when it was empty, predicted next to measured.
// Values not measured print "-". Ends with a newline.
std::string RenderSummary(const v1::Operation& operation);

// ---- Tables --------------------------------------------------------------------------------

// Columns aligned with two spaces; `right[i]` right-aligns column i (numbers). The first row is
// the header. No trailing spaces; every line ends with a newline.
std::string AlignTable(const std::vector<std::vector<std::string>>& rows,
                       const std::vector<bool>& right);

// `convoy ls`: id, state, created (UTC), hosts (evacuated, comma-separated), done/total
// actions; oldest first.
std::string RenderOperationList(const v1::ListOperationsResponse& response);

// `convoy hosts`: name, health, address, cpus, memory_gib, vms, heartbeat (age at
// `now_unix_s`), error; sorted by name.
std::string RenderHosts(const v1::InventoryResponse& inventory, double now_unix_s);

// `convoy vms`, from the agents' last reports: name, host, state ("migrating" while an outgoing
// migration runs), vcpus, memory_mib, dirty_mibps ("-" unless measured), net_in_mbps,
// net_out_mbps (the guest's view: what its taps send is what it receives); sorted by host then
// name.
std::string RenderVms(const v1::InventoryResponse& inventory);

// `convoy traffic`: the VM pairs whose traffic the hosts' switches measured (a, b, kbps, both
// directions together), heaviest first, then which hosts can reserve bandwidth for migrations.
std::string RenderTraffic(const v1::InventoryResponse& inventory);

// The message's proto JSON with proto field names, every field printed, indented; ends with a
// newline.
std::string RenderProtoJson(const google::protobuf::Message& message);

// The same on one line (JSON lines, for following an operation with --format json).
std::string RenderProtoJsonLine(const google::protobuf::Message& message);

}  // namespace convoy::cli
