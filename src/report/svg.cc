// RenderSvg: the plan as a self-contained SVG Gantt chart.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
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

constexpr double kWidthPx = 1200.0;
constexpr double kMarginPx = 16.0;
constexpr double kRowHeightPx = 22.0;
constexpr double kBarHeightPx = 14.0;
constexpr double kCharWidthPx = 7.0;  // Rough width of one character at font-size 12.
constexpr double kMinLabelWidthPx = 160.0;
constexpr double kMaxLabelWidthPx = 480.0;
constexpr int kMaxTicks = 10;

// Fill colours of migration groups, cycled; none is red, green or grey (used below).
constexpr const char* kGroupPalette[] = {"#4e79a7", "#f28e2b", "#76b7b2", "#edc948",
                                         "#b07aa1", "#ff9da7", "#9c755f", "#a0cbe8"};
constexpr std::size_t kGroupPaletteSize = sizeof(kGroupPalette) / sizeof(kGroupPalette[0]);
constexpr const char* kBootColor = "#59a14f";
constexpr const char* kShutdownColor = "#555555";
constexpr const char* kOtherPowerColor = "#bab0ac";
constexpr const char* kAlertColor = "#d62728";
// Groups shown in the legend at most; the palette cycles anyway.
constexpr std::size_t kMaxLegendGroups = 16;

const char* GroupColor(std::uint32_t group) { return kGroupPalette[group % kGroupPaletteSize]; }

const char* PowerColor(const std::string& action) {
  if (action == "boot") return kBootColor;
  if (action == "shutdown") return kShutdownColor;
  return kOtherPowerColor;
}

// Times drawn are clamped to +-kMaxDrawnTimeS (about 31 years) so that spans stay finite.
constexpr double kMaxDrawnTimeS = 1e9;

// `value_s` clamped to +-kMaxDrawnTimeS, or 0 if not finite, so that no coordinate is NaN or
// infinite.
double Finite(double value_s) {
  return std::isfinite(value_s) ? std::clamp(value_s, -kMaxDrawnTimeS, kMaxDrawnTimeS) : 0.0;
}

// Length in bytes of the valid UTF-8 sequence that is an XML character at text[i], or 0.
std::size_t Utf8XmlCharLength(const std::string& text, std::size_t i) {
  const auto byte = [&](std::size_t k) {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u;
  };
  const unsigned lead = byte(i);
  const auto cont = [&](std::size_t k) { return (byte(k) & 0xC0u) == 0x80u; };
  if (lead >= 0xC2 && lead <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned second = byte(i + 1);
    if (lead == 0xE0 && second < 0xA0) return 0;   // Overlong.
    if (lead == 0xED && second >= 0xA0) return 0;  // Surrogate.
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (lead == 0xEF && second == 0xBF && byte(i + 2) >= 0xBE) return 0;  // U+FFFE, U+FFFF.
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned second = byte(i + 1);
    if (lead == 0xF0 && second < 0x90) return 0;   // Overlong.
    if (lead == 0xF4 && second >= 0x90) return 0;  // Above U+10FFFF.
    return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// `text` escaped for XML text and attribute values; bytes that are not XML characters (control
// characters, invalid UTF-8) become '?'.
std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&apos;";
          break;
        case '\t':
        case '\n':
        case '\r':
          out += ' ';
          break;
        default:
          out += c < 0x20 || c == 0x7F ? '?' : static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t length = Utf8XmlCharLength(text, i);
    if (length == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text, i, length);
      i += length;
    }
  }
  return out;
}

double TextWidthPx(const std::string& text) {
  return kCharWidthPx * static_cast<double>(DisplayWidth(text));
}

// A round tick interval (1, 2 or 5 times a power of 10) giving at most kMaxTicks intervals.
double TickStep(double span_s) {
  const double raw = span_s / kMaxTicks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10.0 * magnitude;
}

// Decimals needed to print multiples of `step` exactly enough.
int TickDecimals(double step) {
  if (step >= 1.0) return 0;
  return std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 6);
}

// One row of the chart: a label and a bar.
struct Row {
  std::string label;
  double start_s = 0.0;
  double end_s = 0.0;
  std::string fill;
  bool alert = false;  // Outlined in red (a migration that does not converge).
  std::string tooltip;
};

// The rows of the chart: migrations, then power actions.
std::vector<Row> MakeRows(const v1::Plan& plan) {
  std::vector<Row> rows;
  for (const v1::Migration* m : internal::SortedMigrations(plan)) {
    Row row;
    row.label = absl::StrCat(m->vm(), " ", m->from(), "->", m->to());
    row.start_s = Finite(m->start_s());
    row.end_s = Finite(m->end_s());
    row.fill = GroupColor(m->group());
    row.alert = !m->converges();
    row.tooltip = absl::StrFormat(
        "%s: %s -> %s, %s, group %u, %.1f-%.1f s, %.0f Mb/s, downtime %.1f ms, %.0f MiB sent, "
        "%u rounds, %s",
        m->vm(), m->from(), m->to(), m->mode(), m->group(), m->start_s(), m->end_s(),
        m->bandwidth_mbps(), m->downtime_ms(), m->sent_mib(), m->rounds(),
        m->converges() ? "converges" : "does NOT converge");
    if (!m->note().empty()) absl::StrAppend(&row.tooltip, "; ", m->note());
    rows.push_back(std::move(row));
  }
  for (const v1::PowerAction* action : internal::SortedPower(plan)) {
    Row row;
    row.label = absl::StrCat(action->host(), " (", action->action(), ")");
    row.start_s = Finite(action->start_s());
    row.end_s = Finite(action->end_s());
    row.fill = PowerColor(action->action());
    row.tooltip = absl::StrFormat("%s: %s, %.1f-%.1f s", action->host(), action->action(),
                                  action->start_s(), action->end_s());
    rows.push_back(std::move(row));
  }
  return rows;
}

// Legend entries: (colour, text).
std::vector<std::pair<std::string, std::string>> LegendEntries(const v1::Plan& plan) {
  std::set<std::uint32_t> groups;
  bool other_power = false;
  for (const v1::Migration& m : plan.migrations()) groups.insert(m.group());
  for (const v1::PowerAction& action : plan.power()) {
    if (action.action() != "boot" && action.action() != "shutdown") other_power = true;
  }
  std::vector<std::pair<std::string, std::string>> entries;
  std::size_t shown = 0;
  for (std::uint32_t group : groups) {
    if (shown == kMaxLegendGroups) {
      entries.emplace_back("none", absl::StrFormat("... %u more groups (colours cycle every %u)",
                                                   groups.size() - shown, kGroupPaletteSize));
      break;
    }
    entries.emplace_back(GroupColor(group), absl::StrCat("group ", group));
    ++shown;
  }
  entries.emplace_back(kBootColor, "boot");
  entries.emplace_back(kShutdownColor, "shutdown");
  if (other_power) entries.emplace_back(kOtherPowerColor, "other power action");
  if (!plan.migrations().empty()) entries.emplace_back("alert", "does not converge");
  return entries;
}

}  // namespace

std::string RenderSvg(const v1::Plan& plan) {
  const std::vector<Row> rows = MakeRows(plan);

  // Time range shown: from min(0, earliest start) to max(makespan, latest end).
  double t_min_s = 0.0;
  double t_max_s = std::max(0.0, Finite(plan.makespan_s()));
  for (const Row& row : rows) {
    t_min_s = std::min({t_min_s, row.start_s, row.end_s});
    t_max_s = std::max({t_max_s, row.start_s, row.end_s});
  }
  if (!(t_max_s - t_min_s > 0.0)) t_max_s = t_min_s + 1.0;

  double label_width_px = kMinLabelWidthPx;
  for (const Row& row : rows)
    label_width_px = std::max(label_width_px, TextWidthPx(row.label) + 16);
  label_width_px = std::min(label_width_px, kMaxLabelWidthPx);
  const double chart_x0_px = kMarginPx + label_width_px;
  const double chart_x1_px = kWidthPx - kMarginPx - 24.0;  // Room for the last tick label.
  const double px_per_s = (chart_x1_px - chart_x0_px) / (t_max_s - t_min_s);
  const auto x_of = [&](double t_s) { return chart_x0_px + (t_s - t_min_s) * px_per_s; };

  std::string body;
  double y_px = kMarginPx + 16.0;

  // Title and reasons.
  const char* feasibility = plan.feasible() ? "feasible" : "INFEASIBLE";
  absl::StrAppendFormat(
      &body, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"16\" font-weight=\"bold\"%s>", kMarginPx,
      y_px, plan.feasible() ? "" : absl::StrCat(" fill=\"", kAlertColor, "\""));
  absl::StrAppendFormat(&body, "Convoy plan: %s | makespan %.1f s | %s</text>\n",
                        XmlEscape(plan.strategy().empty() ? "(unnamed)" : plan.strategy()),
                        plan.makespan_s(), feasibility);
  for (const std::string& reason : plan.reasons()) {
    y_px += 18.0;
    absl::StrAppendFormat(&body, "<text x=\"%.1f\" y=\"%.1f\"%s>- %s</text>\n", kMarginPx + 8.0,
                          y_px, plan.feasible() ? "" : absl::StrCat(" fill=\"", kAlertColor, "\""),
                          XmlEscape(reason));
  }

  // Legend, wrapping to new lines.
  y_px += 14.0;
  double legend_x_px = kMarginPx;
  for (const auto& [color, text] : LegendEntries(plan)) {
    const double item_width_px = 12.0 + 6.0 + TextWidthPx(text) + 18.0;
    if (legend_x_px > kMarginPx && legend_x_px + item_width_px > kWidthPx - kMarginPx) {
      legend_x_px = kMarginPx;
      y_px += 20.0;
    }
    if (color == "alert") {
      absl::StrAppendFormat(&body,
                            "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"white\" "
                            "stroke=\"%s\" stroke-width=\"2\"/>\n",
                            legend_x_px, y_px, kAlertColor);
    } else if (color != "none") {
      absl::StrAppendFormat(
          &body, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
          legend_x_px, y_px, color);
    }
    absl::StrAppendFormat(&body, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", legend_x_px + 18.0,
                          y_px + 10.0, XmlEscape(text));
    legend_x_px += item_width_px;
  }

  // Time axis: tick labels above the rows, grid lines through them.
  y_px += 40.0;
  const double axis_y_px = y_px;
  const double rows_y0_px = axis_y_px + 6.0;
  const double rows_y1_px =
      rows_y0_px + kRowHeightPx * static_cast<double>(std::max<std::size_t>(rows.size(), 1));
  const double step_s = TickStep(t_max_s - t_min_s);
  const int decimals = TickDecimals(step_s);
  const double first_tick = std::ceil(t_min_s / step_s - 1e-9);
  for (int i = 0; i <= 2 * kMaxTicks + 2; ++i) {
    const double t_s = (first_tick + i) * step_s;
    if (t_s > t_max_s + step_s * 1e-9) break;
    const double x_px = x_of(t_s);
    absl::StrAppendFormat(
        &body, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>\n", x_px,
        axis_y_px, x_px, rows_y1_px);
    absl::StrAppendFormat(&body,
                          "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#444444\">"
                          "%.*f</text>\n",
                          x_px, axis_y_px - 6.0, decimals, t_s == 0.0 ? 0.0 : t_s);
  }
  absl::StrAppendFormat(&body, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#444444\">time (s)</text>\n",
                        kMarginPx, axis_y_px - 6.0);
  absl::StrAppendFormat(
      &body, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\"/>\n",
      chart_x0_px, axis_y_px, chart_x1_px, axis_y_px);

  // Rows: a label and a bar each.
  if (rows.empty()) {
    absl::StrAppendFormat(&body,
                          "<text x=\"%.1f\" y=\"%.1f\" fill=\"#444444\">"
                          "No migrations or power actions</text>\n",
                          kMarginPx, rows_y0_px + 15.0);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const double row_y_px = rows_y0_px + kRowHeightPx * static_cast<double>(i);
    if (i > 0 && i == static_cast<std::size_t>(plan.migrations_size())) {
      absl::StrAppendFormat(
          &body, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888888\"/>\n",
          kMarginPx, row_y_px, chart_x1_px, row_y_px);
    }
    absl::StrAppendFormat(&body, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", kMarginPx,
                          row_y_px + 15.0, XmlEscape(row.label));
    const double x_px = x_of(std::min(row.start_s, row.end_s));
    const double width_px = std::max(1.0, std::abs(row.end_s - row.start_s) * px_per_s);
    absl::StrAppendFormat(
        &body,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" "
        "fill=\"%s\"%s><title>%s</title></rect>\n",
        x_px, row_y_px + (kRowHeightPx - kBarHeightPx) / 2.0, width_px, kBarHeightPx, row.fill,
        row.alert ? absl::StrCat(" stroke=\"", kAlertColor, "\" stroke-width=\"2\"")
                  : std::string(),
        XmlEscape(row.tooltip));
  }

  const double height_px = std::ceil(rows_y1_px + kMarginPx);
  return absl::StrCat(
      absl::StrFormat("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
                      kWidthPx, height_px, kWidthPx, height_px),
      absl::StrFormat("<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
                      kWidthPx, height_px),
      body, "</svg>\n");
}

}  // namespace convoy::report
