// Tests of the plan renderers: JSON, table and SVG.
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "convoy/report/render.h"
#include "convoy/v1/plan.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace convoy::report {
namespace {

v1::Migration* AddMigration(v1::Plan* plan, const std::string& vm, const std::string& from,
                            const std::string& to, std::uint32_t group, double start_s,
                            double end_s) {
  v1::Migration* m = plan->add_migrations();
  m->set_vm(vm);
  m->set_from(from);
  m->set_to(to);
  m->set_mode("pre-copy");
  m->set_group(group);
  m->set_start_s(start_s);
  m->set_end_s(end_s);
  m->set_bandwidth_mbps(5000.0);
  m->set_converges(true);
  m->set_downtime_ms(120.5);
  m->set_sent_mib(4200.0);
  m->set_rounds(4);
  return m;
}

void AddPower(v1::Plan* plan, const std::string& host, const std::string& action, double start_s,
              double end_s) {
  v1::PowerAction* p = plan->add_power();
  p->set_host(host);
  p->set_action(action);
  p->set_start_s(start_s);
  p->set_end_s(end_s);
}

// A feasible plan: three migrations in two groups (added out of display order), one boot and
// one shutdown.
v1::Plan SamplePlan() {
  v1::Plan plan;
  plan.set_strategy("convoy");
  plan.set_feasible(true);
  plan.set_makespan_s(100.0);
  plan.set_mean_migration_s(40.0);
  plan.set_stddev_migration_s(8.2);
  plan.set_impact_mb(12.5);
  (*plan.mutable_eviction_s())["host-a"] = 70.0;
  (*plan.mutable_eviction_s())["host-b"] = 95.0;
  v1::Migration* late = AddMigration(&plan, "vm-late", "host-b", "host-c", 1, 70.0, 95.0);
  late->set_mode("post-copy");
  late->set_converges(false);
  late->set_rounds(1);
  late->set_note("post-copy: dirty rate above bandwidth");
  AddMigration(&plan, "vm-b", "host-a", "host-c", 0, 30.0, 70.0);
  AddMigration(&plan, "vm-a", "host-a", "host-c", 0, 30.0, 60.0);
  AddPower(&plan, "host-c", "boot", 0.0, 30.0);
  AddPower(&plan, "host-a", "shutdown", 95.0, 100.0);
  plan.set_peak_online_hosts(3);
  plan.set_peak_power_w(1250.0);
  plan.set_energy_kwh(0.0347);
  plan.set_total_sent_mib(12600.0);
  return plan;
}

v1::Plan InfeasiblePlan() {
  v1::Plan plan = SamplePlan();
  plan.set_strategy("tight");
  plan.set_feasible(false);
  plan.add_reasons("vm-late: downtime 900 ms exceeds limit 300 ms");
  plan.add_reasons("host-c: memory 130% of capacity");
  return plan;
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// A small XML well-formedness checker: one root element, balanced and properly nested tags,
// quoted attributes, no '<' in attribute values and only known entities. Returns "" when the
// document is well-formed, else what is wrong.

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '-' ||
         c == '.';
}

// Checks that every '&' in [begin, end) starts a known entity or a character reference.
std::string CheckEntities(const std::string& xml, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    if (xml[i] != '&') continue;
    const std::size_t semi = xml.find(';', i);
    if (semi == std::string::npos || semi >= end) return "unterminated entity";
    const std::string entity = xml.substr(i + 1, semi - i - 1);
    const bool named =
        entity == "amp" || entity == "lt" || entity == "gt" || entity == "quot" || entity == "apos";
    bool numeric = entity.size() >= 2 && entity[0] == '#';
    for (std::size_t k = 1; numeric && k < entity.size(); ++k) {
      numeric =
          std::isxdigit(static_cast<unsigned char>(entity[k])) || (k == 1 && entity[k] == 'x');
    }
    if (!named && !numeric) return "unknown entity &" + entity + ";";
  }
  return "";
}

std::string CheckWellFormed(const std::string& xml) {
  std::vector<std::string> open;
  int roots = 0;
  std::size_t i = 0;
  while (i < xml.size()) {
    const std::size_t lt = xml.find('<', i);
    const std::size_t text_end = lt == std::string::npos ? xml.size() : lt;
    if (open.empty()) {
      for (std::size_t k = i; k < text_end; ++k) {
        if (!std::isspace(static_cast<unsigned char>(xml[k]))) return "text outside the root";
      }
    }
    if (std::string e = CheckEntities(xml, i, text_end); !e.empty()) return e;
    if (lt == std::string::npos) break;
    if (xml.compare(lt, 4, "<!--") == 0) {
      const std::size_t close = xml.find("-->", lt);
      if (close == std::string::npos) return "unterminated comment";
      i = close + 3;
      continue;
    }
    if (xml.compare(lt, 2, "<?") == 0) {
      const std::size_t close = xml.find("?>", lt);
      if (close == std::string::npos) return "unterminated declaration";
      i = close + 2;
      continue;
    }
    if (xml.compare(lt, 2, "</") == 0) {
      const std::size_t gt = xml.find('>', lt);
      if (gt == std::string::npos) return "unterminated end tag";
      std::string name = xml.substr(lt + 2, gt - lt - 2);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) {
        name.pop_back();
      }
      if (open.empty()) return "end tag </" + name + "> without a start tag";
      if (open.back() != name) return "end tag </" + name + "> closes <" + open.back() + ">";
      open.pop_back();
      i = gt + 1;
      continue;
    }
    // A start tag or an empty-element tag.
    std::size_t k = lt + 1;
    while (k < xml.size() && IsNameChar(xml[k])) ++k;
    const std::string name = xml.substr(lt + 1, k - lt - 1);
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return "bad tag name";
    if (open.empty() && ++roots > 1) return "more than one root element";
    bool self_closing = false;
    while (true) {
      while (k < xml.size() && std::isspace(static_cast<unsigned char>(xml[k]))) ++k;
      if (k >= xml.size()) return "unterminated tag <" + name;
      if (xml[k] == '>') break;
      if (xml.compare(k, 2, "/>") == 0) {
        self_closing = true;
        ++k;
        break;
      }
      const std::size_t attr_begin = k;
      while (k < xml.size() && IsNameChar(xml[k])) ++k;
      if (k == attr_begin) return "bad attribute in <" + name;
      if (k >= xml.size() || xml[k] != '=') return "attribute without value in <" + name;
      ++k;
      if (k >= xml.size() || (xml[k] != '"' && xml[k] != '\'')) return "unquoted attribute";
      const char quote = xml[k];
      const std::size_t value_end = xml.find(quote, k + 1);
      if (value_end == std::string::npos) return "unterminated attribute value";
      if (xml.find('<', k + 1) < value_end) return "'<' in an attribute value";
      if (std::string e = CheckEntities(xml, k + 1, value_end); !e.empty()) return e;
      k = value_end + 1;
    }
    if (!self_closing) open.push_back(name);
    i = k + 1;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return "no root element";
  return "";
}

TEST(WellFormedCheckerTest, CatchesMalformedDocuments) {
  EXPECT_EQ(CheckWellFormed("<a x=\"1\"><b/>t &amp; u</a>\n"), "");
  EXPECT_NE(CheckWellFormed("<a><b></a></b>"), "");
  EXPECT_NE(CheckWellFormed("<a>"), "");
  EXPECT_NE(CheckWellFormed("<a></a><b></b>"), "");
  EXPECT_NE(CheckWellFormed("<a>x & y</a>"), "");
  EXPECT_NE(CheckWellFormed("<a>x < y</a>"), "");
  EXPECT_NE(CheckWellFormed("<a x=\"<\"></a>"), "");
  EXPECT_NE(CheckWellFormed("<a x=1></a>"), "");
}

// ---------------------------------------------------------------------------------------------
// JSON

TEST(RenderJsonTest, ParsesBackToAnEqualMessage) {
  for (const v1::Plan& plan : {SamplePlan(), InfeasiblePlan(), v1::Plan()}) {
    const std::string json = RenderJson(plan);
    v1::Plan parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(plan, parsed)) << json;
  }
}

TEST(RenderJsonTest, UsesProtoNamesPrintsZerosIndentsTwoAndEndsWithNewline) {
  const std::string json = RenderJson(SamplePlan());
  EXPECT_NE(json.find("\"from\""), std::string::npos);
  EXPECT_NE(json.find("\"eviction_s\""), std::string::npos);
  EXPECT_NE(json.find("\"start_s\": 0"), std::string::npos);  // The boot starts at 0.
  EXPECT_NE(json.find("\n  \"strategy\": \"convoy\""), std::string::npos) << json;
  EXPECT_NE(json.find("\n    {\n      \"vm\": \"vm-late\""), std::string::npos) << json;
  EXPECT_EQ(json.find("startS"), std::string::npos);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.back(), '\n');

  const std::string empty = RenderJson(v1::Plan());
  EXPECT_NE(empty.find("\"feasible\": false"), std::string::npos) << empty;
  EXPECT_NE(empty.find("\"makespan_s\": 0"), std::string::npos) << empty;
  EXPECT_NE(empty.find("\"migrations\": []"), std::string::npos) << empty;
  EXPECT_NE(empty.find("\"eviction_s\": {}"), std::string::npos) << empty;
}

// ---------------------------------------------------------------------------------------------
// Table

TEST(RenderTableTest, ListsEveryMigrationSortedByStartThenName) {
  const std::string table = RenderTable(SamplePlan(), {});
  const std::size_t a = table.find("vm-a");
  const std::size_t b = table.find("vm-b");
  const std::size_t late = table.find("vm-late");
  ASSERT_NE(a, std::string::npos) << table;
  ASSERT_NE(b, std::string::npos) << table;
  ASSERT_NE(late, std::string::npos) << table;
  EXPECT_LT(a, b);
  EXPECT_LT(b, late);
  EXPECT_EQ(table.rfind("Plan convoy: feasible\n", 0), 0u) << table;
  EXPECT_EQ(table.find("INFEASIBLE"), std::string::npos);
  EXPECT_NE(table.find("post-copy: dirty rate above bandwidth"), std::string::npos);
  EXPECT_NE(table.find(" NO "), std::string::npos) << table;  // vm-late does not converge.
  EXPECT_NE(table.find("host-c  boot"), std::string::npos) << table;
  EXPECT_NE(table.find("host-a  shutdown"), std::string::npos) << table;
  // No ratio line without baselines.
  EXPECT_EQ(table.find("makespan vs"), std::string::npos);
}

TEST(RenderTableTest, FormatsNumbersWithFixedDecimals) {
  const std::string table = RenderTable(SamplePlan(), {});
  EXPECT_NE(table.find("120.5"), std::string::npos) << table;   // downtime_ms
  EXPECT_NE(table.find(" 4200 "), std::string::npos) << table;  // sent_mib, no decimals
  EXPECT_NE(table.find(" 25.0 "), std::string::npos) << table;  // vm-late's duration
  EXPECT_NE(table.find("100.0"), std::string::npos) << table;   // makespan
  EXPECT_NE(table.find("1.25"), std::string::npos) << table;    // peak power in kW
  EXPECT_NE(table.find("0.035"), std::string::npos) << table;   // energy in kWh
}

TEST(RenderTableTest, InfeasiblePlanShowsMarkerAndEachReasonOnItsOwnLine) {
  const std::string table = RenderTable(InfeasiblePlan(), {});
  EXPECT_NE(table.find("INFEASIBLE"), std::string::npos) << table;
  EXPECT_NE(table.find("\n  - vm-late: downtime 900 ms exceeds limit 300 ms\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("\n  - host-c: memory 130% of capacity\n"), std::string::npos) << table;
}

TEST(RenderTableTest, TotalsHaveOneColumnPerPlanAndMakespanRatios) {
  v1::Plan serial = SamplePlan();
  serial.set_strategy("serial");
  serial.set_makespan_s(200.0);
  v1::Plan parallel = SamplePlan();
  parallel.set_strategy("parallel");
  parallel.set_feasible(false);
  parallel.set_makespan_s(745.0);
  const std::string table = RenderTable(SamplePlan(), {serial, parallel});
  const std::size_t totals = table.find("Totals\n");
  ASSERT_NE(totals, std::string::npos) << table;
  const std::size_t head_end = table.find('\n', totals + 7);
  const std::string head = table.substr(totals + 7, head_end - totals - 7);
  EXPECT_LT(head.find("convoy"), head.find("serial")) << head;
  EXPECT_LT(head.find("serial"), head.find("parallel")) << head;
  EXPECT_NE(table.find("makespan vs convoy"), std::string::npos) << table;
  EXPECT_NE(table.find("2.00x"), std::string::npos) << table;
  EXPECT_NE(table.find("7.45x"), std::string::npos) << table;
  for (const char* row :
       {"feasible", "makespan_s", "mean_migration_s", "stddev_migration_s", "impact_mb",
        "total_sent_mib", "peak_online_hosts", "peak_power_kw", "energy_kwh"}) {
    EXPECT_NE(table.find(std::string("\n  ") + row + " "), std::string::npos) << row;
  }
}

TEST(RenderTableTest, ColumnsAreAlignedAndLinesHaveNoTrailingSpaces) {
  v1::Plan baseline = SamplePlan();
  baseline.set_strategy("a-much-longer-baseline-name");
  const std::string table = RenderTable(SamplePlan(), {baseline});
  std::vector<std::string> lines;
  for (std::size_t begin = 0; begin < table.size();) {
    const std::size_t end = table.find('\n', begin);
    lines.push_back(table.substr(begin, end - begin));
    begin = end + 1;
  }
  for (const std::string& line : lines) {
    EXPECT_TRUE(line.empty() || line.back() != ' ') << "'" << line << "'";
  }
  // The migration rows' start_s column ends at the same position as its header.
  std::size_t header = 0;
  while (header < lines.size() && lines[header].find("start_s") == std::string::npos) ++header;
  ASSERT_LT(header + 3, lines.size());
  const std::size_t column_end = lines[header].find("start_s") + 7;
  for (std::size_t r = header + 1; r <= header + 3; ++r) {
    ASSERT_GT(lines[r].size(), column_end);
    EXPECT_EQ(lines[r][column_end - 2], '.') << lines[r];  // "30.0", "70.0" right-aligned.
    EXPECT_EQ(lines[r][column_end], ' ') << lines[r];
  }
  EXPECT_EQ(table.back(), '\n');
}

TEST(RenderTableTest, EmptyPlanRenders) {
  const std::string table = RenderTable(v1::Plan(), {v1::Plan()});
  EXPECT_NE(table.find("INFEASIBLE"), std::string::npos);
  EXPECT_NE(table.find("(none)"), std::string::npos);
  EXPECT_NE(table.find("n/a"), std::string::npos) << table;  // Ratio to a makespan of 0.
}

// ---------------------------------------------------------------------------------------------
// SVG

// The fill colour of the bar whose tooltip starts with `title`, or "" if none.
std::string BarFill(const std::string& svg, const std::string& title) {
  const std::size_t at = svg.find("<title>" + title);
  if (at == std::string::npos) return "";
  const std::size_t rect = svg.rfind("<rect", at);
  const std::size_t fill = svg.find("fill=\"", rect);
  if (rect == std::string::npos || fill == std::string::npos || fill > at) return "";
  return svg.substr(fill + 6, svg.find('"', fill + 6) - fill - 6);
}

TEST(RenderSvgTest, IsAWellFormedSvgDocument) {
  const std::string svg = RenderSvg(SamplePlan());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  ASSERT_GE(svg.size(), 7u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"1200\""), std::string::npos);
  EXPECT_EQ(CheckWellFormed(svg), "") << svg;
}

TEST(RenderSvgTest, HasABarPerMigrationAndPowerAction) {
  const v1::Plan plan = SamplePlan();
  const std::string svg = RenderSvg(plan);
  const std::size_t bars = static_cast<std::size_t>(plan.migrations_size() + plan.power_size());
  EXPECT_GE(Count(svg, "<rect"), bars);
  EXPECT_EQ(Count(svg, "</title></rect>"), bars) << svg;
  for (const char* label : {"vm-a host-a-&gt;host-c", "vm-late host-b-&gt;host-c", "host-c (boot)",
                            "host-a (shutdown)"}) {
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  }
  // Groups and power actions are coloured apart.
  const std::string group0 = BarFill(svg, "vm-a:");
  const std::string group1 = BarFill(svg, "vm-late:");
  const std::string boot = BarFill(svg, "host-c: boot");
  const std::string shutdown = BarFill(svg, "host-a: shutdown");
  EXPECT_FALSE(group0.empty());
  EXPECT_EQ(BarFill(svg, "vm-b:"), group0);
  EXPECT_NE(group0, group1);
  EXPECT_FALSE(boot.empty());
  EXPECT_FALSE(shutdown.empty());
  EXPECT_NE(boot, shutdown);
  EXPECT_NE(boot, group0);
  EXPECT_NE(boot, group1);
}

TEST(RenderSvgTest, HasTitleLegendAndRoundTicks) {
  const std::string svg = RenderSvg(InfeasiblePlan());
  EXPECT_NE(svg.find("tight"), std::string::npos);
  EXPECT_NE(svg.find("makespan 100.0 s"), std::string::npos) << svg;
  EXPECT_NE(svg.find("INFEASIBLE"), std::string::npos);
  EXPECT_NE(svg.find("host-c: memory 130% of capacity"), std::string::npos);
  EXPECT_NE(svg.find(">group 0<"), std::string::npos);
  EXPECT_NE(svg.find(">group 1<"), std::string::npos);
  EXPECT_NE(svg.find(">boot<"), std::string::npos);
  EXPECT_NE(svg.find(">shutdown<"), std::string::npos);
  for (const char* tick : {">0</text>", ">50</text>", ">100</text>"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_EQ(svg.find(">55</text>"), std::string::npos);
  EXPECT_EQ(CheckWellFormed(svg), "");
}

TEST(RenderSvgTest, EscapesEveryText) {
  v1::Plan plan = SamplePlan();
  plan.set_strategy("a&b \"quoted\" <strategy>");
  plan.mutable_migrations(0)->set_vm("evil<&>'\"vm");
  plan.mutable_migrations(0)->set_note("note with <b>tags</b> & \x01 control");
  plan.mutable_power(0)->set_host("host<&>");
  plan.set_feasible(false);
  plan.add_reasons("reason <with> & markup");
  const std::string svg = RenderSvg(plan);
  EXPECT_EQ(svg.find("evil<&>"), std::string::npos);
  EXPECT_NE(svg.find("evil&lt;&amp;&gt;&apos;&quot;vm"), std::string::npos) << svg;
  EXPECT_NE(svg.find("host&lt;&amp;&gt;"), std::string::npos);
  EXPECT_NE(svg.find("a&amp;b &quot;quoted&quot; &lt;strategy&gt;"), std::string::npos);
  EXPECT_EQ(svg.find('\x01'), std::string::npos);
  EXPECT_EQ(CheckWellFormed(svg), "") << svg;
}

TEST(RenderSvgTest, WellFormedForDegeneratePlans) {
  v1::Plan zero_makespan;
  zero_makespan.set_strategy("zero");
  AddMigration(&zero_makespan, "vm-0", "h1", "h2", 7, 0.0, 0.0);

  v1::Plan non_finite = SamplePlan();
  non_finite.set_makespan_s(std::numeric_limits<double>::infinity());
  non_finite.mutable_migrations(0)->set_start_s(std::nan(""));
  non_finite.mutable_power(1)->set_end_s(-std::numeric_limits<double>::infinity());
  non_finite.mutable_power(0)->set_start_s(-std::numeric_limits<double>::max());
  non_finite.mutable_migrations(1)->set_end_s(std::numeric_limits<double>::max());

  v1::Plan many_groups;
  for (std::uint32_t g = 0; g < 40; ++g) {
    AddMigration(&many_groups, "vm-" + std::to_string(g), "h1", "h2", g,
                 static_cast<double>(g) * 0.01, static_cast<double>(g) * 0.01 + 0.5);
  }
  many_groups.set_makespan_s(0.9);

  v1::Plan bad_utf8;
  bad_utf8.set_strategy(std::string("bad \xff\xfe utf8 \xc3"));

  for (const v1::Plan& plan : {v1::Plan(), zero_makespan, non_finite, many_groups, bad_utf8}) {
    const std::string svg = RenderSvg(plan);
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
    EXPECT_EQ(CheckWellFormed(svg), "") << svg;
    EXPECT_EQ(svg.find("nan\""), std::string::npos) << svg;
    EXPECT_EQ(svg.find("inf\""), std::string::npos) << svg;
    EXPECT_EQ(svg.find(">nan<"), std::string::npos) << svg;
    EXPECT_EQ(Count(svg, "</title></rect>"),
              static_cast<std::size_t>(plan.migrations_size() + plan.power_size()));
  }
  // Sub-second spans get decimal ticks.
  EXPECT_NE(RenderSvg(many_groups).find(">0.5</text>"), std::string::npos);
}

TEST(RenderSvgTest, HeightGrowsWithRows) {
  v1::Plan small = SamplePlan();
  v1::Plan big = SamplePlan();
  for (int i = 0; i < 20; ++i) {
    AddMigration(&big, "extra-" + std::to_string(i), "h1", "h2", 2, 10.0, 20.0);
  }
  const auto height = [](const std::string& svg) {
    const std::size_t at = svg.find("height=\"");
    return std::stod(svg.substr(at + 8, svg.find('"', at + 8) - at - 8));
  };
  EXPECT_GT(height(RenderSvg(big)), height(RenderSvg(small)) + 20 * 20.0);
}

}  // namespace
}  // namespace convoy::report
