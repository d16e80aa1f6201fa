#include "cli/progress_view.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "convoy/report/render.h"

namespace convoy::cli {
namespace {

// Number of characters `text` shows as: its UTF-8 code points.
int DisplayWidth(const std::string& text) {
  int width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

// The longest prefix of `text` that shows as at most `width` characters.
std::string Fit(const std::string& text, int width) {
  if (width <= 0) return "";
  int shown = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (shown == width) return text.substr(0, i);
      ++shown;
    }
  }
  return text;
}

std::string PadRight(const std::string& text, int width) {
  const int pad = width - DisplayWidth(text);
  return pad > 0 ? text + std::string(static_cast<std::size_t>(pad), ' ') : text;
}

std::string PadLeft(const std::string& text, int width) {
  const int pad = width - DisplayWidth(text);
  return pad > 0 ? std::string(static_cast<std::size_t>(pad), ' ') + text : text;
}

std::string RightTrim(std::string text) {
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// Text from the controller, safe to print on one line.
std::string Sanitize(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

std::string Indent(const std::string& text) {
  std::string out;
  bool at_line_start = true;
  for (char c : text) {
    if (at_line_start && c != '\n') out += "  ";
    at_line_start = c == '\n';
    out += c;
  }
  return out;
}

std::string Seconds1(double s) {
  return std::isfinite(s) ? absl::StrFormat("%.1f", s) : std::string("-");
}

bool Active(const v1::Action& a) {
  return a.state() != "pending" && !a.state().empty() && !IsFinishedActionState(a.state());
}

// The migration's progress in words, for a log line.
std::string ProgressText(const v1::MigrationProgress& p) {
  if (p.data_total_mib() <= 0 && p.data_processed_mib() <= 0) return "starting";
  return absl::StrFormat("%s of %s, %s, iteration %u, ETA %s", FormatMib(p.data_processed_mib()),
                         FormatMib(p.data_total_mib()), FormatMibps(p.bandwidth_mibps()),
                         p.iteration(), FormatDuration(EtaSeconds(p)));
}

// `text` without `prefix` and then without a leading ": " or " ".
std::string DropPrefix(const std::string& text, const std::string& prefix) {
  if (prefix.empty() || text.rfind(prefix, 0) != 0) return text;
  std::string rest = text.substr(prefix.size());
  if (rest.rfind(": ", 0) == 0) return rest.substr(2);
  if (rest.rfind(' ', 0) == 0) return rest.substr(1);
  return rest.empty() ? rest : text;
}

double PredictedSeconds(const v1::Action& a) {
  if (a.predicted_s() > 0) return a.predicted_s();
  return a.planned().end_s() - a.planned().start_s();
}

// The measured duration, NaN when the action did not run to its end.
double MeasuredSeconds(const v1::Action& a) {
  if (a.started_unix_s() <= 0 || a.finished_unix_s() <= 0) return std::nan("");
  return a.measured_s() > 0 ? a.measured_s() : a.finished_unix_s() - a.started_unix_s();
}

std::string FormatUtcSeconds(double unix_s) {
  if (!std::isfinite(unix_s) || unix_s <= 0 || unix_s > 253402300799.0) return "-";
  const auto t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string ProtoJson(const google::protobuf::Message& message, bool whitespace) {
  if (whitespace) return report::RenderMessageJson(message);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = false;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::StrCat("{\"error\": \"cannot print ", message.GetTypeName(), " as JSON\"}\n");
  }
  return json + "\n";
}

}  // namespace

// ---- Units ---------------------------------------------------------------------------------

std::string FormatMib(double mib) {
  if (!std::isfinite(mib) || mib < 0) return "-";
  if (std::round(mib) < 1024) return absl::StrFormat("%.0f MiB", mib);
  if (mib / 1024 < 1023.95) return absl::StrFormat("%.1f GiB", mib / 1024);
  return absl::StrFormat("%.1f TiB", mib / (1024 * 1024));
}

std::string FormatMibps(double mibps) {
  if (!std::isfinite(mibps) || mibps < 0) return "-";
  return absl::StrFormat("%.1f MiB/s", mibps);
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e12) return "--";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return absl::StrFormat("%ds", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

std::string FormatUtc(double unix_s) {
  if (!std::isfinite(unix_s) || unix_s <= 0 || unix_s > 253402300799.0) return "-";
  auto ms = static_cast<int64_t>(std::llround(unix_s * 1000));
  const auto t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &tm);
  return absl::StrFormat("%s.%03dZ", buffer, ms % 1000);
}

std::string FormatAge(double age_s) {
  if (!std::isfinite(age_s) || age_s < 0) return "never";
  const auto s = static_cast<int64_t>(std::floor(std::min(age_s, 1e12)));
  if (s < 60) return absl::StrFormat("%ds ago", s);
  if (s < 3600) return absl::StrFormat("%dm ago", s / 60);
  if (s < 86400) return absl::StrFormat("%dh ago", s / 3600);
  return absl::StrFormat("%dd ago", s / 86400);
}

// ---- Progress ------------------------------------------------------------------------------

std::string ProgressBar(double fraction, int width) {
  if (width <= 0) return "";
  if (std::isnan(fraction)) fraction = 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = std::min(width, static_cast<int>(std::floor(fraction * width)));
  return std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '-');
}

double EtaSeconds(const v1::MigrationProgress& progress) {
  const double remaining = progress.data_remaining_mib();
  if (!(remaining > 0)) return 0;
  const double rate = progress.bandwidth_mibps();
  if (!std::isfinite(rate) || rate <= 0 || !std::isfinite(remaining)) return -1;
  return remaining / rate;
}

double ErrorPercent(double predicted, double measured) {
  if (!std::isfinite(predicted) || !std::isfinite(measured) || predicted <= 0 || measured < 0) {
    return std::nan("");
  }
  return (measured - predicted) / predicted * 100.0;
}

std::string FormatErrorPercent(double percent) {
  if (!std::isfinite(percent)) return "n/a";
  if (std::fabs(percent) < 0.05) return "+0.0%";
  return absl::StrFormat("%+.1f%%", percent);
}

// ---- Events --------------------------------------------------------------------------------

std::string PlainEventLine(const v1::Event& event) {
  const v1::Action& a = event.action();
  const bool about_action = !a.id().empty() && event.kind() != "operation";
  const std::string what = about_action ? a.id() : "operation";
  std::string state = about_action ? a.state() : event.operation_state();
  if (state.empty()) state = "-";
  std::string message;
  if (event.kind() == "progress") {
    message = ProgressText(a.progress());
  } else if (event.kind() == "note") {
    message = "note: " + DropPrefix(event.message(), a.id() + ":");
  } else if (about_action) {
    message = DropPrefix(event.message(), a.id() + " " + a.state());
  } else {
    message = event.message();
  }
  std::string line =
      absl::StrCat(FormatUtc(event.at_unix_s()), " ", Sanitize(what), " ", Sanitize(state));
  if (!message.empty()) absl::StrAppend(&line, " ", Sanitize(message));
  return line;
}

bool IsFinishedActionState(const std::string& state) {
  return state == "done" || state == "failed" || state == "cancelled" || state == "skipped";
}

bool IsFinishedOperationState(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

WatchState NewWatchState(const v1::Operation& operation) {
  WatchState state;
  state.operation_id = operation.id();
  state.operation_state = operation.state();
  state.started_unix_s = operation.started_unix_s();
  state.actions.assign(operation.actions().begin(), operation.actions().end());
  return state;
}

void ApplyEvent(const v1::Event& event, WatchState* state) {
  if (!event.operation_state().empty()) {
    if (state->operation_state != event.operation_state() && event.operation_state() == "running" &&
        state->started_unix_s <= 0) {
      state->started_unix_s = event.at_unix_s();
    }
    state->operation_state = event.operation_state();
  }
  if (event.action().id().empty()) return;
  if (event.kind() != "action" && event.kind() != "progress" && event.kind() != "note") return;
  for (auto& a : state->actions) {
    if (a.id() == event.action().id()) {
      a = event.action();
      return;
    }
  }
  state->actions.push_back(event.action());
}

std::string MigrationLine(const v1::Action& action, int name_width, int route_width, int columns) {
  columns = std::max(columns, 20);
  const v1::MigrationProgress& p = action.progress();
  const std::string name = PadRight(Sanitize(action.vm()), name_width);
  const std::string route =
      PadRight(Sanitize(absl::StrCat(action.host(), "->", action.to())), route_width);
  std::string right;
  double fraction = 0;
  if (p.data_total_mib() > 0 || p.data_processed_mib() > 0) {
    fraction = p.data_total_mib() > 0 ? p.data_processed_mib() / p.data_total_mib() : 0;
    right = absl::StrFormat("%s/%s  %s  it %u  ETA %s  %s", FormatMib(p.data_processed_mib()),
                            FormatMib(p.data_total_mib()), FormatMibps(p.bandwidth_mibps()),
                            p.iteration(), FormatDuration(EtaSeconds(p)), Sanitize(action.state()));
  } else {
    right = absl::StrCat("starting  ", Sanitize(action.state()));
  }
  const int fixed = DisplayWidth(name) + 1 + DisplayWidth(route) + 2 + 2 + DisplayWidth(right);
  const int bar_width = std::clamp(columns - 1 - fixed, 10, 40);
  return Fit(absl::StrCat(name, " ", route, " [", ProgressBar(fraction, bar_width), "] ", right),
             columns - 1);
}

std::vector<std::string> RenderLive(const WatchState& state, int columns, int max_lines,
                                    double now_unix_s) {
  columns = std::max(columns, 20);
  max_lines = std::max(max_lines, 2);
  std::vector<const v1::Action*> running;
  int name_width = 0;
  int route_width = 0;
  for (const auto& a : state.actions) {
    if (!Active(a)) continue;
    running.push_back(&a);
    if (a.kind() == "migrate") {
      name_width = std::max(name_width, DisplayWidth(Sanitize(a.vm())));
      route_width = std::max(route_width, DisplayWidth(Sanitize(a.host() + "->" + a.to())));
    }
  }
  std::vector<std::string> lines;
  const int room = max_lines - 1;
  const int shown =
      static_cast<int>(running.size()) <= room ? static_cast<int>(running.size()) : room - 1;
  for (int i = 0; i < shown; ++i) {
    const v1::Action& a = *running[static_cast<std::size_t>(i)];
    if (a.kind() == "migrate") {
      lines.push_back(MigrationLine(a, name_width, route_width, columns));
    } else {
      const double ran_s = a.started_unix_s() > 0 ? now_unix_s - a.started_unix_s() : -1;
      lines.push_back(Fit(Sanitize(absl::StrCat(a.kind(), " ", a.host(), "  ", a.state(), " for ",
                                                FormatDuration(ran_s))),
                          columns - 1));
    }
  }
  if (shown < static_cast<int>(running.size())) {
    lines.push_back(
        Fit(absl::StrFormat("... and %d more running", static_cast<int>(running.size()) - shown),
            columns - 1));
  }

  int finished = 0;
  double sent_mib = 0;
  double predicted_mib = 0;
  for (const auto& a : state.actions) {
    if (IsFinishedActionState(a.state())) ++finished;
    if (a.kind() != "migrate") continue;
    if (a.progress().data_processed_mib() > 0) sent_mib += a.progress().data_processed_mib();
    if (a.planned().sent_mib() > 0) predicted_mib += a.planned().sent_mib();
  }
  const int total = static_cast<int>(state.actions.size());
  const double elapsed_s = state.started_unix_s > 0 ? now_unix_s - state.started_unix_s : -1;
  lines.push_back(
      Fit(absl::StrFormat("overall [%s] %d/%d actions, %s sent of ~%s predicted, elapsed %s, %s",
                          ProgressBar(total > 0 ? static_cast<double>(finished) / total : 0,
                                      columns >= 80 ? 20 : 10),
                          finished, total, FormatMib(sent_mib), FormatMib(predicted_mib),
                          FormatDuration(elapsed_s), Sanitize(state.operation_state)),
          columns - 1));
  return lines;
}

// ---- Summary -------------------------------------------------------------------------------

std::string RenderSummary(const v1::Operation& operation) {
  int done = 0;
  for (const auto& a : operation.actions()) done += a.state() == "done" ? 1 : 0;
  std::string out =
      absl::StrFormat("Operation %s %s: %d of %d actions done\n", Sanitize(operation.id()),
                      Sanitize(operation.state()), done, operation.actions_size());
  if (!operation.error().empty()) absl::StrAppend(&out, "  ", Sanitize(operation.error()), "\n");

  std::vector<const v1::Action*> migrations;
  for (const auto& a : operation.actions()) {
    if (a.kind() == "migrate") migrations.push_back(&a);
  }
  std::stable_sort(migrations.begin(), migrations.end(),
                   [](const v1::Action* x, const v1::Action* y) {
                     if (x->planned().start_s() != y->planned().start_s()) {
                       return x->planned().start_s() < y->planned().start_s();
                     }
                     return x->vm() < y->vm();
                   });
  absl::StrAppend(&out, "\nMigrations (", migrations.size(), ")\n");
  if (migrations.empty()) {
    absl::StrAppend(&out, "  (none)\n");
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"vm", "from", "to", "mode", "state", "predicted_s", "measured_s", "error"}};
    for (const v1::Action* a : migrations) {
      const double predicted = PredictedSeconds(*a);
      const double measured = MeasuredSeconds(*a);
      rows.push_back(
          {Sanitize(a->vm()), Sanitize(a->host()), Sanitize(a->to()),
           a->planned().mode().empty() ? "-" : Sanitize(a->planned().mode()), Sanitize(a->state()),
           Seconds1(predicted), Seconds1(measured),
           std::isfinite(measured) ? FormatErrorPercent(ErrorPercent(predicted, measured)) : "-"});
    }
    absl::StrAppend(
        &out, Indent(AlignTable(rows, {false, false, false, false, false, true, true, true})));
  }
  std::string details;
  for (const auto& a : operation.actions()) {
    if (!a.error().empty()) {
      absl::StrAppend(&details, Sanitize(a.id()), ": ", Sanitize(a.error()), "\n");
    }
    for (const auto& note : a.notes()) {
      absl::StrAppend(&details, Sanitize(a.id()), ": note: ", Sanitize(note), "\n");
    }
  }
  if (!details.empty()) absl::StrAppend(&out, Indent(details));

  const v1::Plan& plan = operation.plan();
  const v1::Plan& measured = operation.measured();
  const bool has_measured = operation.has_measured();
  auto measured_value = [&](double v) { return has_measured ? v : std::nan(""); };
  struct Row {
    const char* name;
    double predicted;
    double measured;
  };
  const Row totals[] = {
      {"makespan_s", plan.makespan_s(), measured_value(measured.makespan_s())},
      {"mean_migration_s", plan.mean_migration_s(), measured_value(measured.mean_migration_s())},
      {"impact_mb", plan.impact_mb(), measured_value(measured.impact_mb())},
  };
  std::vector<std::vector<std::string>> rows = {{"", "predicted", "measured", "error"}};
  for (const Row& r : totals) {
    rows.push_back({r.name, Seconds1(r.predicted), Seconds1(r.measured),
                    std::isfinite(r.measured)
                        ? FormatErrorPercent(ErrorPercent(r.predicted, r.measured))
                        : "-"});
  }
  absl::StrAppend(&out, "\nTotals\n", Indent(AlignTable(rows, {false, true, true, true})));

  std::set<std::string> hosts;
  for (const auto& [host, s] : plan.eviction_s()) hosts.insert(host);
  for (const auto& [host, s] : measured.eviction_s()) hosts.insert(host);
  absl::StrAppend(&out, "\nEviction\n");
  if (hosts.empty()) {
    absl::StrAppend(&out, "  (none)\n");
  } else {
    rows = {{"host", "predicted_s", "measured_s", "error"}};
    for (const auto& host : hosts) {
      auto p = plan.eviction_s().find(host);
      auto m = measured.eviction_s().find(host);
      const double predicted_s = p != plan.eviction_s().end() ? p->second : std::nan("");
      const double measured_s = m != measured.eviction_s().end() ? m->second : std::nan("");
      rows.push_back({Sanitize(host), Seconds1(predicted_s), Seconds1(measured_s),
                      std::isfinite(measured_s)
                          ? FormatErrorPercent(ErrorPercent(predicted_s, measured_s))
                          : "-"});
    }
    absl::StrAppend(&out, Indent(AlignTable(rows, {false, true, true, true})));
  }
  return out;
}

// ---- Tables --------------------------------------------------------------------------------

std::string AlignTable(const std::vector<std::vector<std::string>>& rows,
                       const std::vector<bool>& right) {
  std::vector<int> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const bool align_right = i < right.size() && right[i];
      line += align_right ? PadLeft(row[i], widths[i]) : PadRight(row[i], widths[i]);
    }
    absl::StrAppend(&out, RightTrim(line), "\n");
  }
  return out;
}

std::string RenderOperationList(const v1::ListOperationsResponse& response) {
  std::vector<const v1::Operation*> ops;
  for (const auto& op : response.operations()) ops.push_back(&op);
  std::stable_sort(ops.begin(), ops.end(), [](const v1::Operation* a, const v1::Operation* b) {
    return a->created_unix_s() < b->created_unix_s();
  });
  std::vector<std::vector<std::string>> rows = {{"id", "state", "created", "hosts", "done/total"}};
  for (const v1::Operation* op : ops) {
    int done = 0;
    for (const auto& a : op->actions()) done += a.state() == "done" ? 1 : 0;
    std::vector<std::string> hosts(op->request().request().evacuate().begin(),
                                   op->request().request().evacuate().end());
    rows.push_back({Sanitize(op->id()), Sanitize(op->state()),
                    FormatUtcSeconds(op->created_unix_s()),
                    hosts.empty() ? "-" : Sanitize(absl::StrJoin(hosts, ",")),
                    op->actions().empty() ? "-" : absl::StrCat(done, "/", op->actions_size())});
  }
  return AlignTable(rows, {false, false, false, false, true});
}

std::string RenderHosts(const v1::InventoryResponse& inventory, double now_unix_s) {
  std::vector<const v1::AgentState*> agents;
  for (const auto& a : inventory.agents()) agents.push_back(&a);
  std::stable_sort(
      agents.begin(), agents.end(),
      [](const v1::AgentState* a, const v1::AgentState* b) { return a->name() < b->name(); });
  std::vector<std::vector<std::string>> rows = {
      {"name", "health", "address", "cpus", "memory_gib", "vms", "heartbeat", "error"}};
  for (const v1::AgentState* a : agents) {
    // A heartbeat stamped a little in the future (clock skew) is "0s ago", not "never".
    const std::string heartbeat =
        a->last_heartbeat_unix_s() > 0
            ? FormatAge(std::max(0.0, now_unix_s - a->last_heartbeat_unix_s()))
            : "never";
    rows.push_back({Sanitize(a->name()), Sanitize(a->health()), Sanitize(a->address()),
                    absl::StrCat(a->report().cpus()),
                    absl::StrFormat("%.1f", a->report().memory_mib() / 1024.0),
                    absl::StrCat(a->report().vms_size()), heartbeat, Sanitize(a->error())});
  }
  return AlignTable(rows, {false, false, false, true, true, true, false, false});
}

std::string RenderVms(const v1::InventoryResponse& inventory) {
  struct Row {
    std::string host;
    const v1::VmReport* vm;
  };
  std::vector<Row> vms;
  for (const auto& a : inventory.agents()) {
    for (const auto& vm : a.report().vms()) vms.push_back({a.name(), &vm});
  }
  std::stable_sort(vms.begin(), vms.end(), [](const Row& a, const Row& b) {
    if (a.host != b.host) return a.host < b.host;
    return a.vm->name() < b.vm->name();
  });
  std::vector<std::vector<std::string>> rows = {{"name", "host", "state", "vcpus", "memory_mib",
                                                 "dirty_mibps", "net_in_mbps", "net_out_mbps"}};
  for (const Row& r : vms) {
    const v1::VmReport& vm = *r.vm;
    double in_mbps = 0;
    double out_mbps = 0;
    for (const auto& tap : vm.taps()) {
      in_mbps += tap.tx_mbps();  // the host's sends on the tap are what the guest receives
      out_mbps += tap.rx_mbps();
    }
    std::string dirty = "-";
    if (vm.dirty_rate().status() == "measured") {
      dirty = absl::StrFormat("%.1f", vm.dirty_rate().mibps());
    } else if (vm.dirty_rate().status() == "measuring") {
      dirty = "measuring";
    }
    rows.push_back({Sanitize(vm.name()), Sanitize(r.host),
                    vm.migrating() ? std::string("migrating") : Sanitize(vm.state()),
                    absl::StrCat(vm.vcpus()), absl::StrFormat("%.0f", vm.memory_mib()), dirty,
                    absl::StrFormat("%.1f", in_mbps), absl::StrFormat("%.1f", out_mbps)});
  }
  return AlignTable(rows, {false, false, false, true, true, true, true, true});
}

std::string RenderTraffic(const v1::InventoryResponse& inventory) {
  std::vector<std::vector<std::string>> rows = {{"a", "b", "kbps"}};
  for (const auto& t : inventory.measured_traffic()) {
    rows.push_back({Sanitize(t.a()), Sanitize(t.b()), absl::StrFormat("%.0f", t.kbps())});
  }
  std::string out = inventory.measured_traffic().empty()
                        ? std::string("no VM-to-VM traffic measured\n")
                        : AlignTable(rows, {false, false, true});
  std::vector<std::vector<std::string>> hosts = {
      {"host", "switch", "uplink_mbps", "reserved_mbps"}};
  for (const auto& a : inventory.agents()) {
    const auto& q = a.report().qos();
    hosts.push_back({Sanitize(a.name()), q.available() ? Sanitize(q.detail()) : "none",
                     q.available() ? absl::StrFormat("%.0f", q.uplink_mbps()) : "-",
                     q.available() ? absl::StrFormat("%.0f", q.reserved_out_mbps()) : "-"});
  }
  return out + "\n" + AlignTable(hosts, {false, false, true, true});
}

std::string RenderProtoJson(const google::protobuf::Message& message) {
  return ProtoJson(message, true);
}

std::string RenderProtoJsonLine(const google::protobuf::Message& message) {
  return ProtoJson(message, false);
}

}  // namespace convoy::cli
