// RenderTable: the plan as aligned plain-text tables for a terminal.
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "convoy/report/render.h"
#include "order.h"
#include "text.h"

namespace convoy::report {
namespace {

using internal::DisplayWidth;

enum class Align { kLeft, kRight };

// Text fit for one cell or line: line breaks and tabs become spaces.
std::string OneLine(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

// A cell for a name: "-" when empty so that columns stay readable.
std::string Name(const std::string& text) { return text.empty() ? "-" : OneLine(text); }

// `value` with `decimals` fixed decimals; never "-0.0".
std::string Fixed(double value, int decimals) {
  if (value == 0.0) value = 0.0;
  return absl::StrFormat("%.*f", decimals, value);
}

std::string YesNo(bool yes) { return yes ? "yes" : "NO"; }

std::string StrategyName(const v1::Plan& plan) {
  return plan.strategy().empty() ? "(unnamed)" : OneLine(plan.strategy());
}

// Rows of cells rendered as columns separated by two spaces. The first row is the header.
class TextTable {
 public:
  explicit TextTable(std::vector<Align> aligns) : aligns_(std::move(aligns)) {}

  void AddRow(std::vector<std::string> cells) {
    cells.resize(aligns_.size());
    rows_.push_back(std::move(cells));
  }

  // Each line indented by `indent`, ending with a newline and without trailing spaces.
  std::string Render(const std::string& indent) const {
    std::vector<std::size_t> widths(aligns_.size(), 0);
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size(); ++i) {
        widths[i] = std::max(widths[i], DisplayWidth(row[i]));
      }
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line = indent;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line += "  ";
        const std::string padding(widths[i] - DisplayWidth(row[i]), ' ');
        if (aligns_[i] == Align::kRight) {
          absl::StrAppend(&line, padding, row[i]);
        } else {
          absl::StrAppend(&line, row[i], padding);
        }
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

 private:
  std::vector<Align> aligns_;
  std::vector<std::vector<std::string>> rows_;
};

std::string RenderHeader(const v1::Plan& plan) {
  std::string out = absl::StrCat("Plan ", StrategyName(plan), ": ",
                                 plan.feasible() ? "feasible" : "INFEASIBLE", "\n");
  for (const std::string& reason : plan.reasons()) {
    absl::StrAppend(&out, "  - ", OneLine(reason), "\n");
  }
  return out;
}

std::string RenderMigrations(const v1::Plan& plan) {
  std::string out = absl::StrCat("Migrations (", plan.migrations_size(), ")\n");
  if (plan.migrations_size() == 0) return absl::StrCat(out, "  (none)\n");
  constexpr Align kL = Align::kLeft;
  constexpr Align kR = Align::kRight;
  TextTable table({kL, kL, kL, kL, kR, kR, kR, kR, kR, kR, kR, kR, kL, kL});
  table.AddRow({"vm", "from", "to", "mode", "group", "start_s", "end_s", "duration_s",
                "bandwidth_mbps", "downtime_ms", "sent_mib", "rounds", "converges", "note"});
  for (const v1::Migration* m : internal::SortedMigrations(plan)) {
    table.AddRow({Name(m->vm()), Name(m->from()), Name(m->to()), Name(m->mode()),
                  absl::StrCat(m->group()), Fixed(m->start_s(), 1), Fixed(m->end_s(), 1),
                  Fixed(m->end_s() - m->start_s(), 1), Fixed(m->bandwidth_mbps(), 0),
                  Fixed(m->downtime_ms(), 1), Fixed(m->sent_mib(), 0), absl::StrCat(m->rounds()),
                  YesNo(m->converges()), OneLine(m->note())});
  }
  return absl::StrCat(out, table.Render("  "));
}

std::string RenderPower(const v1::Plan& plan) {
  std::string out = absl::StrCat("Power actions (", plan.power_size(), ")\n");
  if (plan.power_size() == 0) return absl::StrCat(out, "  (none)\n");
  TextTable table({Align::kLeft, Align::kLeft, Align::kRight, Align::kRight});
  table.AddRow({"host", "action", "start_s", "end_s"});
  for (const v1::PowerAction* action : internal::SortedPower(plan)) {
    table.AddRow({Name(action->host()), Name(action->action()), Fixed(action->start_s(), 1),
                  Fixed(action->end_s(), 1)});
  }
  return absl::StrCat(out, table.Render("  "));
}

// Makespan of `other` relative to `plan`, e.g. "7.45x"; "n/a" when the plan's makespan is not
// positive.
std::string MakespanRatio(const v1::Plan& other, const v1::Plan& plan) {
  if (!(plan.makespan_s() > 0.0)) return "n/a";
  return absl::StrFormat("%.2fx", other.makespan_s() / plan.makespan_s());
}

std::string RenderTotals(const v1::Plan& plan, const std::vector<v1::Plan>& baselines) {
  std::vector<const v1::Plan*> columns = {&plan};
  for (const v1::Plan& baseline : baselines) columns.push_back(&baseline);

  std::vector<Align> aligns = {Align::kLeft};
  aligns.resize(columns.size() + 1, Align::kRight);
  TextTable table(std::move(aligns));

  // One row: `label`, then `cell` of each column.
  auto add_row = [&](const std::string& label, auto cell) {
    std::vector<std::string> row = {label};
    for (const v1::Plan* column : columns) row.push_back(cell(*column));
    table.AddRow(std::move(row));
  };
  add_row("", [](const v1::Plan& p) { return StrategyName(p); });
  add_row("feasible", [](const v1::Plan& p) { return YesNo(p.feasible()); });
  add_row("makespan_s", [](const v1::Plan& p) { return Fixed(p.makespan_s(), 1); });
  add_row("mean_migration_s", [](const v1::Plan& p) { return Fixed(p.mean_migration_s(), 1); });
  add_row("stddev_migration_s", [](const v1::Plan& p) { return Fixed(p.stddev_migration_s(), 1); });
  add_row("impact_mb", [](const v1::Plan& p) { return Fixed(p.impact_mb(), 1); });
  add_row("total_sent_mib", [](const v1::Plan& p) { return Fixed(p.total_sent_mib(), 0); });
  add_row("peak_online_hosts",
          [](const v1::Plan& p) { return absl::StrCat(p.peak_online_hosts()); });
  add_row("peak_power_kw", [](const v1::Plan& p) { return Fixed(p.peak_power_w() / 1000.0, 2); });
  add_row("energy_kwh", [](const v1::Plan& p) { return Fixed(p.energy_kwh(), 3); });
  if (!baselines.empty()) {
    add_row(absl::StrCat("makespan vs ", StrategyName(plan)),
            [&plan](const v1::Plan& p) { return MakespanRatio(p, plan); });
  }
  return absl::StrCat("Totals\n", table.Render("  "));
}

}  // namespace

std::string RenderTable(const v1::Plan& plan, const std::vector<v1::Plan>& baselines) {
  return absl::StrCat(RenderHeader(plan), "\n", RenderMigrations(plan), "\n", RenderPower(plan),
                      "\n", RenderTotals(plan, baselines));
}

}  // namespace convoy::report
