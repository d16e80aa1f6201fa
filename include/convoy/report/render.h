// Renderers of a plan for tools (JSON), people at a terminal (table) and browsers (SVG Gantt
// chart). All renderers are pure functions of their arguments: they never fail and never throw.
#pragma once

#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "convoy/v1/plan.pb.h"

namespace convoy::report {

// Proto JSON of the plan: proto field names (snake_case), every field printed even when zero
// (empty lists as [] and the empty map as {}), indented 2. Ends with a newline.
// This is the contract later tools and checks read; it parses back with
// google::protobuf::util::JsonStringToMessage to an equal message.
std::string RenderJson(const v1::Plan& plan);
// The same for any message (an operation, the inventory, an event).
std::string RenderMessageJson(const google::protobuf::Message& message);

// A table for people, in four blocks separated by a blank line:
//  1. A header line: the strategy and "feasible" or "INFEASIBLE", then each reason on its own
//     line (reasons of a feasible plan, what it had to give up, are printed too).
//  2. One row per migration, sorted by start_s then vm name: vm, from, to, mode, group, start_s,
//     end_s, duration_s, bandwidth (Mb/s), downtime (ms), sent (MiB), rounds, converges (yes/NO),
//     note.
//  3. The power actions, sorted by start_s then host: host, action, start_s, end_s.
//  4. A totals block with one column per plan: `plan` first, then each of `baselines` (their
//     strategy names as column heads). Rows: feasible, makespan_s, mean_migration_s,
//     stddev_migration_s, impact_mb, total_sent_mib, peak_online_hosts, peak_power_kw,
//     energy_kwh and, when there are baselines, "makespan vs <plan strategy>": each column's
//     makespan divided by the plan's, e.g. "7.45x" ("n/a" when the plan's makespan is 0).
// Columns are aligned with spaces (text left, numbers right); no line has trailing spaces.
// Numbers have fixed decimals: times 1, MiB 0, Mb/s 0, ms 1, MB 1, kW 2, kWh 3.
// Ends with a newline.
std::string RenderTable(const v1::Plan& plan, const std::vector<v1::Plan>& baselines);

// A self-contained SVG Gantt chart that a browser opens (no external resources, no scripts):
//  - a title with the strategy, makespan and feasibility, and each reason below it;
//  - a legend: one swatch per migration group (a fixed palette cycling), boot and shutdown;
//  - a time axis in seconds with ticks at round intervals (1, 2 or 5 times a power of 10);
//  - one row per migration, sorted by start_s then vm name, labelled "vm from->to", with a bar
//    (a <rect>) from start_s to end_s coloured by group; a migration that does not converge has
//    a red outline; each bar has a <title> tooltip with its details;
//  - one row per power action, sorted by start_s then host, labelled "host (action)", with a
//    bar (a <rect>) from start_s to end_s, boot and shutdown in two distinct colours.
// Every text from the plan is XML-escaped (&, <, >, ", '); characters not allowed in XML are
// replaced by '?'. Width 1200 px, height grows with the rows. The output is well-formed XML
// even for an empty plan, a plan with makespan 0, or non-finite times (drawn at 0).
// Starts with "<svg" and ends with "</svg>\n".
std::string RenderSvg(const v1::Plan& plan);

}  // namespace convoy::report
