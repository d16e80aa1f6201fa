// Tests of scenario parsing (YAML/JSON into proto, include/convoy/model/proto_yaml.h) and of
// scenario validation and loading (include/convoy/model/scenario.h).
#include "convoy/model/scenario.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "convoy/model/proto_yaml.h"
#include "convoy/v1/request.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace convoy::model {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The minimal scenario of the issue, flow style within block style.
constexpr std::string_view kMinimalYaml = R"(hosts:
  - {name: a1, switch: bc-a, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 115, shutdown_s: 30, online: true}
  - {name: b1, switch: bc-b, nic_gbps: 1, cpus: 8, memory_gib: 24, boot_s: 115, shutdown_s: 30, online: false}
links:
  - {a: bc-a, b: bc-b, gbps: 3, members: 3}
vms:
  - {name: web, host: a1, vcpus: 2, memory_gib: 2, used_mib: 1500, dirty_mibps: 12, wws_mib: 64, net_out_mbps: 100, net_in_mbps: 2, disk_gib: 0, app: shop}
  - {name: app1, host: a1, vcpus: 2, memory_gib: 2}
apps:
  - {name: shop, traffic: [{a: web, b: app1, kbps: 80}]}
request:
  evacuate: [a1]
  to: [b1]
  moves: [{vm: web, to: b1}]
  mode: auto
  strategy: convoy
  downtime_ms: 300
  deadline_s: 3600
  max_online_hosts: 16
  power_budget_w: 5000
  urgency_pct: 75
)";

// The same scenario in JSON.
constexpr std::string_view kMinimalJson = R"({
  "hosts": [
    {"name": "a1", "switch": "bc-a", "nic_gbps": 1, "cpus": 8, "memory_gib": 24,
     "boot_s": 115, "shutdown_s": 30, "online": true},
    {"name": "b1", "switch": "bc-b", "nic_gbps": 1, "cpus": 8, "memory_gib": 24,
     "boot_s": 115, "shutdown_s": 30, "online": false}
  ],
  "links": [{"a": "bc-a", "b": "bc-b", "gbps": 3, "members": 3}],
  "vms": [
    {"name": "web", "host": "a1", "vcpus": 2, "memory_gib": 2, "used_mib": 1500,
     "dirty_mibps": 12, "wws_mib": 64, "net_out_mbps": 100, "net_in_mbps": 2, "disk_gib": 0,
     "app": "shop"},
    {"name": "app1", "host": "a1", "vcpus": 2, "memory_gib": 2}
  ],
  "apps": [{"name": "shop", "traffic": [{"a": "web", "b": "app1", "kbps": 80}]}],
  "request": {
    "evacuate": ["a1"],
    "to": ["b1"],
    "moves": [{"vm": "web", "to": "b1"}],
    "mode": "auto",
    "strategy": "convoy",
    "downtime_ms": 300,
    "deadline_s": 3600,
    "max_online_hosts": 16,
    "power_budget_w": 5000,
    "urgency_pct": 75
  }
})";

// The same scenario, block style throughout.
constexpr std::string_view kMinimalBlockYaml = R"(
hosts:
  - name: a1
    switch: bc-a
    nic_gbps: 1
    cpus: 8
    memory_gib: 24
    boot_s: 115
    shutdown_s: 30
    online: true
  - name: b1
    switch: bc-b
    nic_gbps: 1
    cpus: 8
    memory_gib: 24
    boot_s: 115
    shutdown_s: 30
    online: false
links:
  - a: bc-a
    b: bc-b
    gbps: 3
    members: 3
vms:
  - name: web
    host: a1
    vcpus: 2
    memory_gib: 2
    used_mib: 1500
    dirty_mibps: 12
    wws_mib: 64
    net_out_mbps: 100
    net_in_mbps: 2
    disk_gib: 0
    app: shop
  - name: app1
    host: a1
    vcpus: 2
    memory_gib: 2
apps:
  - name: shop
    traffic:
      - a: web
        b: app1
        kbps: 80
request:
  evacuate:
    - a1
  to:
    - b1
  moves:
    - vm: web
      to: b1
  mode: auto
  strategy: convoy
  downtime_ms: 300
  deadline_s: 3600
  max_online_hosts: 16
  power_budget_w: 5000
  urgency_pct: 75
)";

// The minimal scenario with the first occurrence of `from` replaced by `to`.
std::string MinimalWith(std::string_view from, std::string_view to) {
  std::string text(kMinimalYaml);
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in the minimal scenario";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

v1::Scenario MinimalScenario() {
  StatusOr<v1::Scenario> s = ParseScenario(kMinimalYaml);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : v1::Scenario();
}

// The error message of parsing `text`, which must fail with INVALID_ARGUMENT.
std::string ParseError(std::string_view text) {
  StatusOr<v1::Scenario> s = ParseScenario(text);
  EXPECT_FALSE(s.ok()) << "parsed: " << (s.ok() ? s->ShortDebugString() : "");
  if (s.ok()) return "";
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  return std::string(s.status().message());
}

// The message of validating `scenario`, which must fail with INVALID_ARGUMENT.
std::string ValidationError(const v1::Scenario& scenario) {
  const Status status = ValidateScenario(scenario);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return lines;
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

TEST(ParseScenarioTest, MinimalYamlParsesAndValidates) {
  StatusOr<v1::Scenario> parsed = ParseScenario(kMinimalYaml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const v1::Scenario& s = *parsed;
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);

  ASSERT_EQ(s.hosts_size(), 2);
  EXPECT_EQ(s.hosts(0).name(), "a1");
  EXPECT_EQ(s.hosts(0).switch_(), "bc-a");
  EXPECT_DOUBLE_EQ(s.hosts(0).nic_gbps(), 1.0);
  EXPECT_EQ(s.hosts(0).cpus(), 8u);
  EXPECT_DOUBLE_EQ(s.hosts(0).memory_gib(), 24.0);
  EXPECT_DOUBLE_EQ(s.hosts(0).boot_s(), 115.0);
  EXPECT_DOUBLE_EQ(s.hosts(0).shutdown_s(), 30.0);
  ASSERT_TRUE(s.hosts(0).has_online());
  EXPECT_TRUE(s.hosts(0).online());
  ASSERT_TRUE(s.hosts(1).has_online());  // explicitly false is still present
  EXPECT_FALSE(s.hosts(1).online());
  EXPECT_FALSE(s.hosts(0).has_hash_id());
  EXPECT_FALSE(s.hosts(0).has_power());

  ASSERT_EQ(s.links_size(), 1);
  EXPECT_EQ(s.links(0).a(), "bc-a");
  EXPECT_EQ(s.links(0).b(), "bc-b");
  EXPECT_DOUBLE_EQ(s.links(0).gbps(), 3.0);
  EXPECT_EQ(s.links(0).members(), 3u);

  ASSERT_EQ(s.vms_size(), 2);
  EXPECT_EQ(s.vms(0).name(), "web");
  EXPECT_EQ(s.vms(0).host(), "a1");
  EXPECT_EQ(s.vms(0).vcpus(), 2u);
  ASSERT_TRUE(s.vms(0).has_used_mib());
  EXPECT_DOUBLE_EQ(s.vms(0).used_mib(), 1500.0);
  ASSERT_TRUE(s.vms(0).has_wws_mib());
  EXPECT_DOUBLE_EQ(s.vms(0).wws_mib(), 64.0);
  EXPECT_DOUBLE_EQ(s.vms(0).dirty_mibps(), 12.0);
  EXPECT_DOUBLE_EQ(s.vms(0).net_out_mbps(), 100.0);
  EXPECT_EQ(s.vms(0).app(), "shop");
  EXPECT_FALSE(s.vms(1).has_used_mib());  // defaults to all of memory, later
  EXPECT_FALSE(s.vms(1).has_wws_mib());
  EXPECT_EQ(s.vms(1).app(), "");

  ASSERT_EQ(s.apps_size(), 1);
  ASSERT_EQ(s.apps(0).traffic_size(), 1);
  EXPECT_EQ(s.apps(0).traffic(0).a(), "web");
  EXPECT_EQ(s.apps(0).traffic(0).b(), "app1");
  EXPECT_DOUBLE_EQ(s.apps(0).traffic(0).kbps(), 80.0);

  const v1::EvacuationRequest& r = s.request();
  EXPECT_THAT(r.evacuate(), ::testing::ElementsAre("a1"));
  EXPECT_THAT(r.to(), ::testing::ElementsAre("b1"));
  ASSERT_EQ(r.moves_size(), 1);
  EXPECT_EQ(r.moves(0).vm(), "web");
  EXPECT_EQ(r.moves(0).to(), "b1");
  EXPECT_EQ(r.mode(), "auto");
  EXPECT_EQ(r.strategy(), "convoy");
  EXPECT_DOUBLE_EQ(r.downtime_ms(), 300.0);
  EXPECT_DOUBLE_EQ(r.deadline_s(), 3600.0);
  EXPECT_EQ(r.max_online_hosts(), 16u);
  EXPECT_DOUBLE_EQ(r.power_budget_w(), 5000.0);
  EXPECT_DOUBLE_EQ(r.urgency_pct(), 75.0);
  EXPECT_FALSE(r.has_power_off());
}

TEST(ParseScenarioTest, OnlineDefaultsToUnset) {
  StatusOr<v1::Scenario> s = ParseScenario(MinimalWith(", online: true}", "}"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->hosts(0).has_online());
  EXPECT_TRUE(s->hosts(1).has_online());

  // A null value leaves the field at its default too.
  StatusOr<v1::Scenario> null = ParseScenario(MinimalWith("online: true", "online: ~"));
  ASSERT_TRUE(null.ok()) << null.status();
  EXPECT_FALSE(null->hosts(0).has_online());
  StatusOr<v1::Scenario> used = ParseScenario(MinimalWith("used_mib: 1500", "used_mib: null"));
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_FALSE(used->vms(0).has_used_mib());
}

TEST(ParseScenarioTest, JsonParsesToTheSameMessage) {
  StatusOr<v1::Scenario> json = ParseScenario(kMinimalJson);
  ASSERT_TRUE(json.ok()) << json.status();
  const v1::Scenario yaml = MinimalScenario();
  EXPECT_TRUE(MessageDifferencer::Equals(*json, yaml)) << json->DebugString() << "\nvs\n"
                                                       << yaml.DebugString();
}

TEST(ParseScenarioTest, BlockAndFlowStylesAreTheSame) {
  StatusOr<v1::Scenario> block = ParseScenario(kMinimalBlockYaml);
  ASSERT_TRUE(block.ok()) << block.status();
  const v1::Scenario flow = MinimalScenario();
  EXPECT_TRUE(MessageDifferencer::Equals(*block, flow)) << block->DebugString() << "\nvs\n"
                                                        << flow.DebugString();

  // Entirely flow style, on one line.
  StatusOr<v1::Scenario> one_line = ParseScenario(
      "{hosts: [{name: a1, switch: bc-a, nic_gbps: 1, cpus: 8, memory_gib: 24}], "
      "vms: [{name: web, host: a1, vcpus: 2, memory_gib: 2}], request: {evacuate: []}}");
  ASSERT_TRUE(one_line.ok()) << one_line.status();
  EXPECT_EQ(one_line->hosts(0).cpus(), 8u);
  EXPECT_EQ(one_line->vms(0).host(), "a1");
  EXPECT_TRUE(ValidateScenario(*one_line).ok()) << ValidateScenario(*one_line);
}

TEST(ParseScenarioTest, ProtobufJsonRoundTrip) {
  // What protobuf's own JSON printer writes (lowerCamelCase names) reads back the same.
  const v1::Scenario yaml = MinimalScenario();
  std::string json;
  const auto printed = google::protobuf::util::MessageToJsonString(yaml, &json);
  ASSERT_TRUE(printed.ok());
  EXPECT_THAT(json, HasSubstr("nicGbps"));
  StatusOr<v1::Scenario> back = ParseScenario(json);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
  EXPECT_TRUE(MessageDifferencer::Equals(*back, yaml)) << json;
}

TEST(ParseScenarioTest, EmptyTextIsAnEmptyScenario) {
  StatusOr<v1::Scenario> s = ParseScenario("");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->hosts_size(), 0);
}

TEST(ParseYamlIntoTest, ClearsTheMessageFirst) {
  v1::Scenario s;
  s.add_hosts()->set_name("old");
  ASSERT_TRUE(ParseYamlInto("vms: [{name: x}]", &s).ok());
  EXPECT_EQ(s.hosts_size(), 0);
  ASSERT_EQ(s.vms_size(), 1);
  EXPECT_EQ(s.vms(0).name(), "x");
}

// ---------------------------------------------------------------------------------------------
// Parse errors: each names the field path and the problem.

TEST(ParseScenarioErrorTest, UnknownField) {
  EXPECT_THAT(ParseError(MinimalWith("vcpus: 2, memory_gib: 2, used_mib",
                                     "cpu: 2, memory_gib: 2, used_mib")),
              HasSubstr("vms[0]: unknown field 'cpu'"));
  EXPECT_THAT(ParseError(MinimalWith("urgency_pct: 75", "urgency: 75")),
              HasSubstr("request: unknown field 'urgency'"));
  EXPECT_THAT(ParseError(MinimalWith("{vm: web, to: b1}", "{vm: web, host: b1}")),
              HasSubstr("request.moves[0]: unknown field 'host'"));
  EXPECT_THAT(ParseError(std::string(kMinimalYaml) + "clusters: []\n"),
              HasSubstr("unknown field 'clusters'"));
}

TEST(ParseScenarioErrorTest, WrongType) {
  EXPECT_THAT(ParseError(MinimalWith("nic_gbps: 1", "nic_gbps: fast")),
              HasSubstr("hosts[0].nic_gbps: expected a number, got 'fast'"));
  EXPECT_THAT(ParseError(MinimalWith("online: false", "online: maybe")),
              HasSubstr("hosts[1].online: expected true or false, got 'maybe'"));
  EXPECT_THAT(ParseError(MinimalWith("kbps: 80", "kbps: lots")),
              HasSubstr("apps[0].traffic[0].kbps: expected a number, got 'lots'"));
  EXPECT_THAT(ParseError(MinimalWith("max_online_hosts: 16", "max_online_hosts: 2.5")),
              HasSubstr("request.max_online_hosts: expected a whole number, got '2.5'"));
}

TEST(ParseScenarioErrorTest, NegativeIntoUnsigned) {
  const std::string error = ParseError(MinimalWith("cpus: 8", "cpus: -1"));
  EXPECT_THAT(error, StartsWith("hosts[0].cpus: "));
  EXPECT_THAT(error, HasSubstr("-1"));
  EXPECT_THAT(error, HasSubstr("at least 0"));
  EXPECT_THAT(ParseError(MinimalWith("members: 3", "members: -3")),
              HasSubstr("links[0].members: must be at least 0, got -3"));
  EXPECT_THAT(ParseError(MinimalWith("members: 3", "members: 4294967296")),
              HasSubstr("links[0].members: must be at most 4294967295"));
}

TEST(ParseScenarioErrorTest, ListWhereScalarExpected) {
  EXPECT_THAT(ParseError(MinimalWith("nic_gbps: 1", "nic_gbps: [1, 10]")),
              HasSubstr("hosts[0].nic_gbps: expected a number"));
  EXPECT_THAT(ParseError(MinimalWith("name: web", "name: [web, www]")),
              HasSubstr("vms[0].name: expected a string"));
  EXPECT_THAT(ParseError(MinimalWith("online: true", "online: [true]")),
              HasSubstr("hosts[0].online: expected true or false"));
  EXPECT_THAT(ParseError(MinimalWith("mode: auto", "mode: {a: 1}")),
              HasSubstr("request.mode: expected a string"));
}

TEST(ParseScenarioErrorTest, ScalarWhereListOrMappingExpected) {
  EXPECT_THAT(ParseError(MinimalWith("evacuate: [a1]", "evacuate: a1")),
              HasSubstr("request.evacuate: expected a list"));
  EXPECT_THAT(ParseError(MinimalWith("moves: [{vm: web, to: b1}]", "moves: [web]")),
              HasSubstr("request.moves[0]: expected a mapping"));
  EXPECT_THAT(ParseError("hosts: [{name: a1, power: 300}]"),
              HasSubstr("hosts[0].power: expected a mapping"));
}

TEST(ParseScenarioErrorTest, YamlSyntaxErrorGivesTheLine) {
  // Line 5 closes a flow mapping that was never opened.
  const std::string text =
      "hosts:\n"
      "  - name: a1\n"
      "    switch: bc-a\n"
      "vms:\n"
      "  - {name: web, host: a1}}\n";
  EXPECT_THAT(ParseError(text), HasSubstr("line 5"));

  // Line 3: a flow sequence left open until the end of the text.
  const std::string unclosed = "hosts:\n  - name: a1\nvms: [{name: web\n";
  EXPECT_THAT(ParseError(unclosed), HasSubstr("line "));
}

// ---------------------------------------------------------------------------------------------
// Validation

TEST(ValidateScenarioTest, DuplicateHostNameMentionsBothPaths) {
  v1::Scenario s = MinimalScenario();
  s.mutable_hosts(1)->set_name("a1");
  const std::string error = ValidationError(s);
  EXPECT_THAT(error, HasSubstr("hosts[1].name: duplicate host name 'a1'"));
  EXPECT_THAT(error, HasSubstr("hosts[0].name"));
}

TEST(ValidateScenarioTest, DuplicateAndEmptyVmNames) {
  v1::Scenario s = MinimalScenario();
  s.mutable_vms(1)->set_name("web");
  EXPECT_THAT(ValidationError(s),
              HasSubstr("vms[1].name: duplicate VM name 'web' (first at vms[0].name)"));
  s.mutable_vms(1)->set_name("");
  EXPECT_THAT(ValidationError(s), HasSubstr("vms[1].name: VM name must not be empty"));
}

TEST(ValidateScenarioTest, VmOnUnknownHost) {
  v1::Scenario s = MinimalScenario();
  s.mutable_vms(1)->set_host("a9");
  EXPECT_EQ(ValidationError(s), "vms[1].host: unknown host 'a9'");
}

TEST(ValidateScenarioTest, NegativeDirtyRate) {
  v1::Scenario s = MinimalScenario();
  s.mutable_vms(0)->set_dirty_mibps(-5);
  EXPECT_THAT(ValidationError(s), StartsWith("vms[0].dirty_mibps: must not be negative"));
  EXPECT_THAT(ValidationError(s), HasSubstr("-5"));
}

TEST(ValidateScenarioTest, TrafficNamingUnknownVm) {
  v1::Scenario s = MinimalScenario();
  s.mutable_apps(0)->mutable_traffic(0)->set_b("db");
  EXPECT_EQ(ValidationError(s), "apps[0].traffic[0].b: unknown VM 'db'");
}

// A link must name two different switches. A switch no host is on is allowed (a core switch
// carries no hosts), so a link to a switch named nowhere else is not an error: see
// src/model/scenario.cc, ValidateLinks. (This replaced the earlier "unknown switch" check.)
TEST(ValidateScenarioTest, LinkSwitches) {
  v1::Scenario s = MinimalScenario();
  s.mutable_links(0)->set_b("");
  EXPECT_EQ(ValidationError(s), "links[0].b: must name a switch");

  s = MinimalScenario();
  s.mutable_links(0)->set_b("bc-a");
  EXPECT_EQ(ValidationError(s), "links[0]: a link joins two different switches");

  s = MinimalScenario();
  s.mutable_links(0)->set_gbps(0);
  EXPECT_THAT(ValidationError(s), StartsWith("links[0].gbps: must be greater than 0"));

  // A core switch: both blade centres link to it, and no host is on it.
  s = MinimalScenario();
  s.mutable_links(0)->set_b("core");
  v1::Link* second = s.add_links();
  second->set_a("bc-b");
  second->set_b("core");
  second->set_gbps(10);
  EXPECT_TRUE(ValidateScenario(s).ok()) << ValidateScenario(s);
}

TEST(ValidateScenarioTest, EvacuateUnknownHost) {
  v1::Scenario s = MinimalScenario();
  s.mutable_request()->add_evacuate("zz");
  EXPECT_EQ(ValidationError(s), "request.evacuate[1]: unknown host 'zz'");
}

TEST(ValidateScenarioTest, DestinationAlsoEvacuated) {
  v1::Scenario s = MinimalScenario();
  s.mutable_request()->add_to("a1");
  EXPECT_EQ(ValidationError(s), "request.to[1]: host 'a1' is also being evacuated");
}

TEST(ValidateScenarioTest, UnknownModeAndStrategy) {
  v1::Scenario s = MinimalScenario();
  s.mutable_request()->set_mode("fast");
  EXPECT_THAT(ValidationError(s), StartsWith("request.mode: unknown mode 'fast'"));
  EXPECT_THAT(ValidationError(s), HasSubstr(kModes));

  s = MinimalScenario();
  s.mutable_request()->set_strategy("greedy");
  EXPECT_THAT(ValidationError(s), StartsWith("request.strategy: unknown strategy 'greedy'"));
  EXPECT_THAT(ValidationError(s), HasSubstr(kStrategies));

  // Empty means the default, and every documented value is known.
  s = MinimalScenario();
  s.mutable_request()->clear_mode();
  s.mutable_request()->clear_strategy();
  EXPECT_TRUE(ValidateScenario(s).ok());
  for (const char* mode : {"auto", "pre-copy", "post-copy", "enlightened"}) {
    EXPECT_TRUE(IsKnownMode(mode)) << mode;
  }
  for (const char* strategy : {"convoy", "sequential", "parallel"}) {
    EXPECT_TRUE(IsKnownStrategy(strategy)) << strategy;
  }
  EXPECT_FALSE(IsKnownMode("Auto"));
  EXPECT_FALSE(IsKnownStrategy(""));
}

TEST(ValidateScenarioTest, UrgencyOutOfRange) {
  for (const double pct : {-1.0, 100.5, 150.0}) {
    v1::Scenario s = MinimalScenario();
    s.mutable_request()->set_urgency_pct(pct);
    EXPECT_THAT(ValidationError(s), StartsWith("request.urgency_pct: must be within 0..100"))
        << pct;
  }
  for (const double pct : {0.0, 100.0}) {
    v1::Scenario s = MinimalScenario();
    s.mutable_request()->set_urgency_pct(pct);
    EXPECT_TRUE(ValidateScenario(s).ok()) << pct;
  }
}

TEST(ValidateScenarioTest, EveryProblemReportedOnePerLine) {
  v1::Scenario s = MinimalScenario();
  s.mutable_vms(0)->set_dirty_mibps(-1);
  s.mutable_vms(1)->set_host("a9");
  s.mutable_request()->set_mode("fast");
  const std::vector<std::string> lines = Lines(ValidationError(s));
  ASSERT_EQ(lines.size(), 3u) << ValidationError(s);
  EXPECT_THAT(lines[0], StartsWith("vms[0].dirty_mibps: "));
  EXPECT_THAT(lines[1], StartsWith("vms[1].host: "));
  EXPECT_THAT(lines[2], StartsWith("request.mode: "));
}

TEST(ValidateScenarioTest, EachLineStartsWithAFieldPath) {
  v1::Scenario s = MinimalScenario();
  s.mutable_hosts(0)->set_nic_gbps(0);
  s.mutable_links(0)->set_a("");
  s.mutable_apps(0)->mutable_traffic(0)->set_a("nobody");
  s.mutable_request()->set_urgency_pct(101);
  s.mutable_request()->set_strategy("random");
  const std::vector<std::string> lines = Lines(ValidationError(s));
  ASSERT_EQ(lines.size(), 5u) << ValidationError(s);
  EXPECT_THAT(lines[0], StartsWith("hosts[0].nic_gbps: must be greater than 0"));
  EXPECT_THAT(lines[1], StartsWith("links[0].a: must name a switch"));
  EXPECT_THAT(lines[2], StartsWith("apps[0].traffic[0].a: unknown VM 'nobody'"));
  EXPECT_THAT(lines[3], StartsWith("request.strategy: "));
  EXPECT_THAT(lines[4], StartsWith("request.urgency_pct: "));
}

// ---------------------------------------------------------------------------------------------
// Loading files

class LoadScenarioFileTest : public ::testing::Test {
 protected:
  std::string WriteTemp(std::string_view name, std::string_view text) {
    std::string path = ::testing::TempDir() + "convoy_scenario_test_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                       std::string(name);
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    EXPECT_TRUE(out.good()) << path;
    written_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& path : written_) std::remove(path.c_str());
  }

 private:
  std::vector<std::string> written_;
};

TEST_F(LoadScenarioFileTest, MissingFileIsNotFoundNamingThePath) {
  const std::string path = ::testing::TempDir() + "convoy_no_such_scenario_file.yaml";
  StatusOr<v1::Scenario> s = LoadScenarioFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(path));
}

TEST_F(LoadScenarioFileTest, GoodFileLoads) {
  const std::string path = WriteTemp("good.yaml", kMinimalYaml);
  StatusOr<v1::Scenario> s = LoadScenarioFile(path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*s, MinimalScenario()));

  const std::string json_path = WriteTemp("good.json", kMinimalJson);
  StatusOr<v1::Scenario> j = LoadScenarioFile(json_path);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*j, MinimalScenario()));
}

TEST_F(LoadScenarioFileTest, InvalidScenarioMessageStartsWithThePath) {
  const std::string path = WriteTemp(
      "invalid.yaml",
      MinimalWith("host: a1, vcpus: 2, memory_gib: 2}", "host: a9, vcpus: 2, memory_gib: 2}"));
  StatusOr<v1::Scenario> s = LoadScenarioFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(s.status().message());
  EXPECT_THAT(message, StartsWith(path));
  EXPECT_THAT(message, HasSubstr("vms[1].host: unknown host 'a9'"));
}

TEST_F(LoadScenarioFileTest, UnparsableScenarioMessageStartsWithThePath) {
  const std::string path =
      WriteTemp("unparsable.yaml", MinimalWith("nic_gbps: 1", "nic_gbps: fast"));
  StatusOr<v1::Scenario> s = LoadScenarioFile(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(s.status().message());
  EXPECT_THAT(message, StartsWith(path));
  EXPECT_THAT(message, HasSubstr("hosts[0].nic_gbps: expected a number, got 'fast'"));
}

}  // namespace
}  // namespace convoy::model
