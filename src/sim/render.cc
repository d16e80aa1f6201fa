#include "convoy/sim/render.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::sim {
namespace {

using Row = std::vector<std::string>;

std::string Fixed(double value, int decimals) {
  if (value == 0.0) value = 0.0;  // never "-0.0"
  return absl::StrFormat("%.*f", decimals, value);
}

std::string Ratio(double value, double reference) {
  return reference > 0 ? absl::StrFormat("%.2fx", value / reference) : "n/a";
}

// Rows as columns two spaces apart, the first column left-aligned, the others right-aligned.
std::string Columns(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = "  ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::string pad(widths[i] - row[i].size(), ' ');
      line += i == 0 ? row[i] + pad : "  " + pad + row[i];
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

double MaxEviction(const v1::SimulatedStrategy& r) {
  double m = 0;
  for (const auto& [host, t] : r.eviction_s()) m = std::max(m, t);
  return m;
}

}  // namespace

std::string RenderSimulationTable(const v1::SimulationReport& report, const std::string& title) {
  std::string out = absl::StrFormat("Simulated on SimGrid: %s (seed %d, variation +/-%g%%)\n",
                                    title, report.seed(), report.variation_pct());
  const auto& results = report.results();
  if (results.empty()) return out + "\n(no strategy simulated)\n";
  int ref = 0;
  for (int i = 0; i < results.size(); ++i) {
    if (results[i].strategy() == "convoy") ref = i;
  }
  const auto& reference = results[ref];

  std::vector<Row> totals;
  Row head = {""};
  for (const auto& r : results) head.push_back(r.strategy());
  totals.push_back(head);
  using Figure = std::function<std::string(const v1::SimulatedStrategy&)>;
  const std::vector<std::pair<std::string, Figure>> figures = {
      {"completion_s", [](const auto& r) { return Fixed(r.completion_s(), 1); }},
      {"mean_migration_s", [](const auto& r) { return Fixed(r.mean_migration_s(), 1); }},
      {"stddev_migration_s", [](const auto& r) { return Fixed(r.stddev_migration_s(), 1); }},
      {"mean_downtime_ms", [](const auto& r) { return Fixed(r.mean_downtime_ms(), 1); }},
      {"max_downtime_ms", [](const auto& r) { return Fixed(r.max_downtime_ms(), 1); }},
      {"mean_exec_transfer_s",
       [](const auto& r) { return Fixed(r.mean_execution_transfer_s(), 1); }},
      {"max_eviction_s", [](const auto& r) { return Fixed(MaxEviction(r), 1); }},
      {"impact_mb", [](const auto& r) { return Fixed(r.impact_mb(), 1); }},
      {"energy_kwh", [](const auto& r) { return Fixed(r.energy_kwh(), 3); }},
      {"peak_power_kw", [](const auto& r) { return Fixed(r.peak_power_kw(), 2); }},
      {"peak_parallel", [](const auto& r) { return absl::StrCat(r.peak_parallel_migrations()); }},
      {"peak_per_source", [](const auto& r) { return absl::StrCat(r.peak_parallel_per_source()); }},
      {"failed", [](const auto& r) { return absl::StrCat(r.failed_size()); }},
      {"prediction_mape_pct", [](const auto& r) { return Fixed(r.prediction_mape(), 1); }},
      {"completion vs " + reference.strategy(),
       [&](const auto& r) { return Ratio(r.completion_s(), reference.completion_s()); }},
      {"mean migration vs " + reference.strategy(),
       [&](const auto& r) { return Ratio(r.mean_migration_s(), reference.mean_migration_s()); }},
      {"energy vs " + reference.strategy(),
       [&](const auto& r) { return Ratio(r.energy_kwh(), reference.energy_kwh()); }},
  };
  for (const auto& [name, figure] : figures) {
    Row row = {name};
    for (const auto& r : results) row.push_back(figure(r));
    totals.push_back(row);
  }
  out += "\nTotals\n" + Columns(totals);

  std::set<std::string> hosts;
  for (const auto& r : results) {
    for (const auto& [host, unused] : r.eviction_s()) hosts.insert(host);
  }
  if (!hosts.empty()) {
    std::vector<Row> eviction = {head};
    eviction[0][0] = "host";
    for (const auto& host : hosts) {
      Row row = {host};
      for (const auto& r : results) {
        auto it = r.eviction_s().find(host);
        row.push_back(it == r.eviction_s().end() ? "-" : Fixed(it->second, 1));
      }
      eviction.push_back(row);
    }
    out += "\nEviction time per evacuated host (s)\n" + Columns(eviction);
  }

  std::string failed;
  constexpr int kShown = 10;
  for (const auto& r : results) {
    int shown = 0;
    for (const auto& vm : r.failed()) {
      if (shown++ == kShown) break;
      auto why = r.failure_reasons().find(vm);
      failed += absl::StrCat("  ", r.strategy(), ": ", vm, ": ",
                             why == r.failure_reasons().end() ? "failed" : why->second, "\n");
    }
    if (r.failed_size() > kShown) {
      failed += absl::StrCat("  ", r.strategy(), ": and ", r.failed_size() - kShown, " more\n");
    }
  }
  if (!failed.empty()) out += "\nFailed migrations\n" + failed;
  return out;
}

}  // namespace convoy::sim
