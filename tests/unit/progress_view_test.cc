// Tests of the CLI's text views of the controller's messages: units, bars, ETA, plain event
// lines, the live frame, the summary against the plan and the tables.
#include "cli/progress_view.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace convoy::cli {
namespace {

constexpr double kAt = 1795551302.123;  // 2026-11-24T20:15:02.123Z

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void ExpectNoTrailingSpaces(const std::string& text) {
  for (const auto& line : Lines(text)) {
    EXPECT_TRUE(line.empty() || line.back() != ' ') << "trailing space in '" << line << "'";
  }
}

void ExpectNoEscapes(const std::string& text) {
  for (char c : text) {
    EXPECT_FALSE(c == '\x1b' || (static_cast<unsigned char>(c) < 0x20 && c != '\n'))
        << "control character " << static_cast<int>(c) << " in '" << text << "'";
  }
}

v1::Action Migration(const std::string& vm, const std::string& from, const std::string& to,
                     const std::string& state) {
  v1::Action a;
  a.set_id("migrate:" + vm);
  a.set_kind("migrate");
  a.set_vm(vm);
  a.set_host(from);
  a.set_to(to);
  a.set_state(state);
  a.mutable_planned()->set_vm(vm);
  a.mutable_planned()->set_from(from);
  a.mutable_planned()->set_to(to);
  a.mutable_planned()->set_mode("pre-copy");
  return a;
}

void SetProgress(v1::Action* a, double processed_mib, double total_mib, double remaining_mib,
                 double rate_mibps, uint32_t iteration) {
  v1::MigrationProgress* p = a->mutable_progress();
  p->set_data_processed_mib(processed_mib);
  p->set_data_total_mib(total_mib);
  p->set_data_remaining_mib(remaining_mib);
  p->set_bandwidth_mibps(rate_mibps);
  p->set_iteration(iteration);
}

// ---- Units ---------------------------------------------------------------------------------

TEST(ProgressViewTest, DataAmountsChangeUnitAtEachBinaryThousand) {
  EXPECT_EQ(FormatMib(0), "0 MiB");
  EXPECT_EQ(FormatMib(512.4), "512 MiB");
  EXPECT_EQ(FormatMib(1023.6), "1.0 GiB");  // would round to "1024 MiB"
  EXPECT_EQ(FormatMib(1536), "1.5 GiB");
  EXPECT_EQ(FormatMib(2.0 * 1024 * 1024), "2.0 TiB");
  EXPECT_EQ(FormatMib(-1), "-");
  EXPECT_EQ(FormatMib(std::numeric_limits<double>::quiet_NaN()), "-");
  EXPECT_EQ(FormatMibps(85.26), "85.3 MiB/s");
  EXPECT_EQ(FormatMibps(std::numeric_limits<double>::infinity()), "-");
}

TEST(ProgressViewTest, DurationsRoundToTheSecond) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(44.6), "45s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(3599.4), "59m59s");
  EXPECT_EQ(FormatDuration(7620), "2h07m");
  EXPECT_EQ(FormatDuration(-1), "--");
  EXPECT_EQ(FormatDuration(std::numeric_limits<double>::infinity()), "--");
}

TEST(ProgressViewTest, MomentsAreUtcWithMilliseconds) {
  EXPECT_EQ(FormatUtc(kAt), "2026-11-24T20:15:02.123Z");
  EXPECT_EQ(FormatUtc(1795551302.9996), "2026-11-24T20:15:03.000Z");
  EXPECT_EQ(FormatUtc(0), "-");
  EXPECT_EQ(FormatAge(3.7), "3s ago");
  EXPECT_EQ(FormatAge(300), "5m ago");
  EXPECT_EQ(FormatAge(7300), "2h ago");
  EXPECT_EQ(FormatAge(4 * 86400 + 5), "4d ago");
  EXPECT_EQ(FormatAge(-1), "never");
}

// ---- Bars and ETA --------------------------------------------------------------------------

TEST(ProgressViewTest, BarHasExactlyItsWidth) {
  EXPECT_EQ(ProgressBar(0.5, 10), "#####-----");
  EXPECT_EQ(ProgressBar(0, 4), "----");
  EXPECT_EQ(ProgressBar(1, 4), "####");
  EXPECT_EQ(ProgressBar(0.999, 10), "#########-");  // full only when done
  EXPECT_EQ(ProgressBar(1.7, 5), "#####");
  EXPECT_EQ(ProgressBar(-0.3, 5), "-----");
  EXPECT_EQ(ProgressBar(std::numeric_limits<double>::quiet_NaN(), 3), "---");
  EXPECT_EQ(ProgressBar(0.5, 0), "");
  EXPECT_EQ(ProgressBar(0.5, -3), "");
  for (int width = 1; width < 50; ++width) {
    for (int step = 0; step <= 20; ++step) {
      EXPECT_EQ(ProgressBar(step / 20.0, width).size(), static_cast<std::size_t>(width));
    }
  }
}

TEST(ProgressViewTest, EtaIsRemainingOverRate) {
  v1::MigrationProgress p;
  p.set_data_remaining_mib(1024);
  p.set_bandwidth_mibps(64);
  EXPECT_DOUBLE_EQ(EtaSeconds(p), 16.0);
  p.set_bandwidth_mibps(0);
  EXPECT_EQ(EtaSeconds(p), -1);  // unknown, printed "--"
  EXPECT_EQ(FormatDuration(EtaSeconds(p)), "--");
  p.set_data_remaining_mib(0);
  EXPECT_EQ(EtaSeconds(p), 0);
}

TEST(ProgressViewTest, ErrorPercentIsRelativeToThePrediction) {
  EXPECT_DOUBLE_EQ(ErrorPercent(100, 110), 10.0);
  EXPECT_DOUBLE_EQ(ErrorPercent(100, 96), -4.0);
  EXPECT_TRUE(std::isnan(ErrorPercent(0, 5)));
  EXPECT_TRUE(std::isnan(ErrorPercent(10, -1)));
  EXPECT_TRUE(std::isnan(ErrorPercent(10, std::numeric_limits<double>::quiet_NaN())));
  EXPECT_EQ(FormatErrorPercent(10), "+10.0%");
  EXPECT_EQ(FormatErrorPercent(-4), "-4.0%");
  EXPECT_EQ(FormatErrorPercent(-0.01), "+0.0%");
  EXPECT_EQ(FormatErrorPercent(std::numeric_limits<double>::quiet_NaN()), "n/a");
}

// ---- Plain event lines ---------------------------------------------------------------------

TEST(ProgressViewTest, ActionEventLineHasTimeActionStateAndMessage) {
  v1::Event e;
  e.set_at_unix_s(kAt);
  e.set_kind("action");
  e.set_operation_state("running");
  *e.mutable_action() = Migration("web", "h1", "h2", "running");
  e.set_message("migrate:web running");
  EXPECT_EQ(PlainEventLine(e), "2026-11-24T20:15:02.123Z migrate:web running");

  e.mutable_action()->set_state("failed");
  e.set_message("migrate:web failed: libvirt said no");
  EXPECT_EQ(PlainEventLine(e), "2026-11-24T20:15:02.123Z migrate:web failed libvirt said no");
}

TEST(ProgressViewTest, OperationNoteAndProgressEventLines) {
  v1::Event op;
  op.set_at_unix_s(kAt);
  op.set_kind("operation");
  op.set_operation_state("running");
  op.set_message("operation started");
  EXPECT_EQ(PlainEventLine(op), "2026-11-24T20:15:02.123Z operation running operation started");

  v1::Event note;
  note.set_at_unix_s(kAt);
  note.set_kind("note");
  *note.mutable_action() = Migration("db", "h1", "h3", "running");
  note.set_message("migrate:db: switched to post-copy after 5 rounds");
  EXPECT_EQ(PlainEventLine(note),
            "2026-11-24T20:15:02.123Z migrate:db running note: switched to post-copy after 5 "
            "rounds");

  v1::Event progress;
  progress.set_at_unix_s(kAt);
  progress.set_kind("progress");
  *progress.mutable_action() = Migration("web", "h1", "h2", "postcopy");
  SetProgress(progress.mutable_action(), 512, 2048, 1152, 64, 3);
  EXPECT_EQ(PlainEventLine(progress),
            "2026-11-24T20:15:02.123Z migrate:web postcopy 512 MiB of 2.0 GiB, 64.0 MiB/s, "
            "iteration 3, ETA 18s");
}

TEST(ProgressViewTest, EventLinesCarryNoControlCharacters) {
  v1::Event e;
  e.set_at_unix_s(kAt);
  e.set_kind("operation");
  e.set_operation_state("failed");
  e.set_message("bad\x1b[2Jthing\nsecond line");
  const std::string line = PlainEventLine(e);
  ExpectNoEscapes(line);
  EXPECT_EQ(line, "2026-11-24T20:15:02.123Z operation failed bad?[2Jthing?second line");
}

// ---- Watch state and live frame ------------------------------------------------------------

v1::Operation SampleOperation() {
  v1::Operation op;
  op.set_id("op-1");
  op.set_state("running");
  op.set_started_unix_s(kAt);
  op.mutable_request()->mutable_request()->add_evacuate("h1");
  *op.add_actions() = Migration("web", "h1", "h2", "pending");
  *op.add_actions() = Migration("database", "h1", "h3", "pending");
  v1::Action* shutdown = op.add_actions();
  shutdown->set_id("shutdown:h1");
  shutdown->set_kind("shutdown");
  shutdown->set_host("h1");
  shutdown->set_state("pending");
  op.mutable_actions(0)->mutable_planned()->set_sent_mib(1024);
  op.mutable_actions(1)->mutable_planned()->set_sent_mib(3072);
  return op;
}

TEST(ProgressViewTest, EventsUpdateTheWatchState) {
  WatchState state = NewWatchState(SampleOperation());
  ASSERT_EQ(state.actions.size(), 3u);
  v1::Event e;
  e.set_kind("progress");
  e.set_operation_state("running");
  *e.mutable_action() = Migration("web", "h1", "h2", "running");
  SetProgress(e.mutable_action(), 100, 1024, 924, 50, 1);
  ApplyEvent(e, &state);
  EXPECT_EQ(state.actions[0].state(), "running");
  EXPECT_DOUBLE_EQ(state.actions[0].progress().data_processed_mib(), 100);

  v1::Event unknown;
  unknown.set_kind("action");
  *unknown.mutable_action() = Migration("cache", "h1", "h2", "running");
  ApplyEvent(unknown, &state);
  EXPECT_EQ(state.actions.size(), 4u);

  v1::Event end;
  end.set_kind("operation");
  end.set_operation_state("succeeded");
  ApplyEvent(end, &state);
  EXPECT_EQ(state.operation_state, "succeeded");
  EXPECT_EQ(state.actions.size(), 4u);
  EXPECT_TRUE(IsFinishedOperationState(state.operation_state));
  EXPECT_FALSE(IsFinishedOperationState("cancelling"));
  EXPECT_TRUE(IsFinishedActionState("skipped"));
  EXPECT_FALSE(IsFinishedActionState("postcopy"));
}

TEST(ProgressViewTest, MigrationLineShowsBarAmountsRateIterationEtaAndState) {
  v1::Action a = Migration("web", "h1", "h2", "postcopy");
  SetProgress(&a, 512, 1024, 512, 64, 3);
  const std::string line = MigrationLine(a, 8, 6, 100);
  EXPECT_EQ(line.rfind("web      h1->h2 [", 0), 0u) << line;
  EXPECT_NE(line.find("] 512 MiB/1.0 GiB  64.0 MiB/s  it 3  ETA 8s  postcopy"), std::string::npos)
      << line;
  // The bar takes what is left of the line, half of it done.
  const auto open = line.find('[');
  const auto close = line.find(']');
  const std::string bar = line.substr(open + 1, close - open - 1);
  EXPECT_EQ(line.size(), 99u);
  EXPECT_EQ(std::count(bar.begin(), bar.end(), '#'), static_cast<long>(bar.size() / 2));

  const std::string narrow = MigrationLine(a, 8, 6, 40);
  EXPECT_LE(narrow.size(), 39u);
  EXPECT_NE(narrow.find(" [#####-----] "), std::string::npos) << narrow;  // never under 10
}

TEST(ProgressViewTest, MigrationWithoutProgressYetIsStarting) {
  const std::string line = MigrationLine(Migration("web", "h1", "h2", "running"), 3, 6, 80);
  EXPECT_NE(line.find("[----------"), std::string::npos) << line;
  EXPECT_NE(line.find("starting  running"), std::string::npos) << line;
}

TEST(ProgressViewTest, LiveFrameHasRunningActionsThenTheOverallLine) {
  v1::Operation op = SampleOperation();
  op.mutable_actions(0)->set_state("done");
  SetProgress(op.mutable_actions(0), 1100, 1024, 0, 90, 4);
  op.mutable_actions(1)->set_state("running");
  SetProgress(op.mutable_actions(1), 1536, 3072, 1536, 128, 2);
  op.mutable_actions(2)->set_state("running");
  op.mutable_actions(2)->set_started_unix_s(kAt + 80);
  const WatchState state = NewWatchState(op);
  const auto lines = RenderLive(state, 120, 10, kAt + 95);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("database h1->h3 [", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find("ETA 12s"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], "shutdown h1  running for 15s");
  EXPECT_EQ(lines[2],
            "overall [######--------------] 1/3 actions, 2.6 GiB sent of ~4.0 GiB predicted, "
            "elapsed 1m35s, running");
  for (const auto& line : lines) {
    EXPECT_LE(line.size(), 119u);
    ExpectNoEscapes(line);
  }
  // Narrow terminals: no line wraps.
  for (const auto& line : RenderLive(state, 30, 10, kAt + 95)) EXPECT_LE(line.size(), 29u);
}

TEST(ProgressViewTest, LiveFrameSaysHowManyMoreRunWhenShort) {
  v1::Operation op;
  op.set_state("running");
  for (int i = 0; i < 6; ++i) {
    *op.add_actions() = Migration("vm" + std::to_string(i), "h1", "h2", "running");
  }
  const auto lines = RenderLive(NewWatchState(op), 100, 4, kAt);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2], "... and 4 more running");
  EXPECT_EQ(lines[3].rfind("overall [", 0), 0u);
  EXPECT_NE(lines[3].find("0/6 actions"), std::string::npos);
  EXPECT_NE(lines[3].find("elapsed --"), std::string::npos);  // not started
}

// ---- Summary -------------------------------------------------------------------------------

v1::Operation FinishedOperation() {
  v1::Operation op = SampleOperation();
  op.set_state("failed");
  op.set_error("1 of 3 actions failed; first: migrate:database: timed out");
  v1::Action* web = op.mutable_actions(0);
  web->set_state("done");
  web->mutable_planned()->set_start_s(0);
  web->mutable_planned()->set_end_s(10);
  web->set_predicted_s(10);
  web->set_started_unix_s(kAt);
  web->set_finished_unix_s(kAt + 12);
  web->set_measured_s(12);
  web->add_notes("re-paced to 80 MiB/s");
  v1::Action* db = op.mutable_actions(1);
  db->set_state("failed");
  db->mutable_planned()->set_mode("post-copy");
  db->mutable_planned()->set_start_s(10);
  db->mutable_planned()->set_end_s(40);
  db->set_error("timed out");
  op.mutable_actions(2)->set_state("skipped");
  op.mutable_plan()->set_makespan_s(40);
  op.mutable_plan()->set_mean_migration_s(20);
  op.mutable_plan()->set_impact_mb(5);
  (*op.mutable_plan()->mutable_eviction_s())["h1"] = 40;
  (*op.mutable_plan()->mutable_eviction_s())["h0"] = 8;
  op.mutable_measured()->set_makespan_s(50);
  op.mutable_measured()->set_mean_migration_s(12);
  op.mutable_measured()->set_impact_mb(4);
  (*op.mutable_measured()->mutable_eviction_s())["h0"] = 9;
  return op;
}

TEST(ProgressViewTest, SummaryComparesMeasuredWithPredicted) {
  const std::string text = RenderSummary(FinishedOperation());
  const auto lines = Lines(text);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "Operation op-1 failed: 1 of 3 actions done");
  EXPECT_EQ(lines[1], "  1 of 3 actions failed; first: migrate:database: timed out");
  EXPECT_NE(text.find("Migrations (2)\n"
                      "  vm        from  to  mode       state   predicted_s  measured_s   error\n"
                      "  web       h1    h2  pre-copy   done           10.0        12.0  +20.0%\n"
                      "  database  h1    h3  post-copy  failed         30.0           -       -\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  migrate:web: note: re-paced to 80 MiB/s\n"), std::string::npos);
  EXPECT_NE(text.find("  migrate:database: timed out\n"), std::string::npos);
  EXPECT_NE(text.find("Totals\n"
                      "                    predicted  measured   error\n"
                      "  makespan_s             40.0      50.0  +25.0%\n"
                      "  mean_migration_s       20.0      12.0  -40.0%\n"
                      "  impact_mb               5.0       4.0  -20.0%\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Eviction\n"
                      "  host  predicted_s  measured_s   error\n"
                      "  h0            8.0         9.0  +12.5%\n"
                      "  h1           40.0           -       -\n"),
            std::string::npos)
      << text;
  ExpectNoTrailingSpaces(text);
  ExpectNoEscapes(text);
}

TEST(ProgressViewTest, SummaryOfAnOperationNotMeasuredYet) {
  v1::Operation op = SampleOperation();
  const std::string text = RenderSummary(op);
  EXPECT_NE(text.find("  makespan_s              0.0         -      -\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("Eviction\n  (none)\n"), std::string::npos) << text;
  v1::Operation empty;
  EXPECT_NE(RenderSummary(empty).find("Migrations (0)\n  (none)\n"), std::string::npos);
}

// ---- Tables --------------------------------------------------------------------------------

TEST(ProgressViewTest, TablesAlignTextLeftNumbersRight) {
  EXPECT_EQ(AlignTable({{"name", "n", "note"}, {"a", "100", ""}, {"long-name", "7", "x"}},
                       {false, true, false}),
            "name         n  note\n"
            "a          100\n"
            "long-name    7  x\n");
}

TEST(ProgressViewTest, OperationListShowsHostsAndDoneOverTotal) {
  v1::ListOperationsResponse response;
  v1::Operation* later = response.add_operations();
  *later = FinishedOperation();
  later->set_id("op-2");
  later->set_created_unix_s(kAt + 60);
  later->mutable_request()->mutable_request()->add_evacuate("h4");
  v1::Operation* earlier = response.add_operations();
  earlier->set_id("op-1");
  earlier->set_state("planned");
  earlier->set_created_unix_s(kAt);
  EXPECT_EQ(RenderOperationList(response),
            "id    state    created               hosts  done/total\n"
            "op-1  planned  2026-11-24T20:15:02Z  -               -\n"
            "op-2  failed   2026-11-24T20:16:02Z  h1,h4         1/3\n");
}

v1::InventoryResponse SampleInventory() {
  v1::InventoryResponse inventory;
  v1::AgentState* h2 = inventory.add_agents();
  h2->set_name("h2");
  h2->set_health("down");
  h2->set_address("10.0.0.2:7700");
  h2->set_error("connection refused");
  v1::AgentState* h1 = inventory.add_agents();
  h1->set_name("h1");
  h1->set_health("up");
  h1->set_address("10.0.0.1:7700");
  h1->set_last_heartbeat_unix_s(kAt - 5);
  h1->mutable_report()->set_cpus(16);
  h1->mutable_report()->set_memory_mib(65536);
  v1::VmReport* web = h1->mutable_report()->add_vms();
  web->set_name("web");
  web->set_state("running");
  web->set_vcpus(2);
  web->set_memory_mib(4096);
  web->mutable_dirty_rate()->set_status("measured");
  web->mutable_dirty_rate()->set_mibps(12.34);
  v1::TapReport* tap = web->add_taps();
  tap->set_rx_mbps(3.0);   // the guest sent
  tap->set_tx_mbps(40.0);  // the guest received
  v1::VmReport* db = h1->mutable_report()->add_vms();
  db->set_name("db");
  db->set_state("running");
  db->set_migrating(true);
  db->set_vcpus(4);
  db->set_memory_mib(8192);
  return inventory;
}

TEST(ProgressViewTest, HostsTableShowsHealthAndHeartbeatAge) {
  EXPECT_EQ(RenderHosts(SampleInventory(), kAt),
            "name  health  address        cpus  memory_gib  vms  heartbeat  error\n"
            "h1    up      10.0.0.1:7700    16        64.0    2  5s ago\n"
            "h2    down    10.0.0.2:7700     0         0.0    0  never      connection refused\n");
}

TEST(ProgressViewTest, VmsTableShowsTheGuestsViewOfItsTraffic) {
  EXPECT_EQ(RenderVms(SampleInventory()),
            "name  host  state      vcpus  memory_mib  dirty_mibps  net_in_mbps  net_out_mbps\n"
            "db    h1    migrating      4        8192            -          0.0           0.0\n"
            "web   h1    running        2        4096         12.3         40.0           3.0\n");
}

TEST(ProgressViewTest, JsonUsesProtoFieldNames) {
  v1::PlanPreview preview;
  preview.set_plan_id("plan-1");
  preview.mutable_plan()->set_makespan_s(12.5);
  const std::string json = RenderProtoJson(preview);
  EXPECT_NE(json.find("\"plan_id\": \"plan-1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"makespan_s\": 12.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"feasible\": false"), std::string::npos) << json;  // every field
  EXPECT_EQ(json.back(), '\n');
  const std::string line = RenderProtoJsonLine(preview);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("\"plan_id\":\"plan-1\""), std::string::npos) << line;
}

}  // namespace
}  // namespace convoy::cli
