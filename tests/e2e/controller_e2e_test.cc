// convoyd on the testbed: four namespaced hosts whose agents register with a real controller
// process, real QEMU guests (TCG). Evacuations go through the public API exactly as the CLI
// sends them; each guest's own serial log says whether it kept running.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "convoy/v1/controller.grpc.pb.h"
#include "tests/e2e/testbed.h"

extern char** environ;

namespace convoy::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kController[] = "10.77.0.1:7600";

Testbed* bed = nullptr;
std::string skip_reason;
std::string setup_error;
pid_t convoyd = -1;
std::string state_dir;
std::unique_ptr<v1::Controller::Stub> stub;

// Starts convoyd on the testbed's bridge, its state in `state_dir` (kept across restarts).
bool StartController(std::string* error) {
  const char* bin = std::getenv("CONVOYD");
  if (bin == nullptr) {
    *error = "CONVOYD is not set (ctest sets it)";
    return false;
  }
  const std::string log = state_dir + "/convoyd.log";
  const std::string power = absl::StrCat(bed->repo(), "/scripts/testbed power");
  std::vector<std::string> args = {bin,
                                   "--listen",
                                   kController,
                                   "--state",
                                   state_dir + "/state.db",
                                   "--tick-ms",
                                   "1000",
                                   "--poll-ms",
                                   "250",
                                   "--heartbeat-interval-ms",
                                   "1000",
                                   "--refresh-interval-ms",
                                   "2000",
                                   "--power-command",
                                   power};
  for (auto& flag : bed->ConvoydTlsFlags()) args.push_back(flag);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc = posix_spawn(&convoyd, bin, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    *error = absl::StrCat("cannot start ", bin, ": ", strerror(rc));
    return false;
  }
  stub = v1::Controller::NewStub(
      grpc::CreateChannel(kController, bed->ClientCredentials("operator")));
  // Up when every agent has registered.
  for (int i = 0; i < 120; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 2s);
    v1::InventoryRequest request;
    v1::InventoryResponse inventory;
    if (stub->Inventory(&context, request, &inventory).ok()) {
      int up = 0;
      for (const auto& a : inventory.agents()) up += a.health() == "up";
      if (up == static_cast<int>(bed->hosts().size())) return true;
    }
    std::this_thread::sleep_for(250ms);
  }
  *error = "the agents did not register with convoyd within 30 s; its log:\n" +
           RunCommand("tail -20 " + log).output;
  return false;
}

void KillController() {
  if (convoyd <= 0) return;
  kill(convoyd, SIGKILL);
  waitpid(convoyd, nullptr, 0);
  convoyd = -1;
}

class ControllerE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason = Testbed::MissingCapability();
    if (!skip_reason.empty()) return;
    setenv("CONVOY_CONTROLLER", kController, 1);
    bed = new Testbed();
    char dir[] = "/tmp/convoyd-e2e-XXXXXX";
    state_dir = mkdtemp(dir);
    if (!bed->Up(4, &setup_error)) return;
    StartController(&setup_error);
  }
  static void TearDownTestSuite() {
    KillController();
    if (bed != nullptr) {
      bed->Down();
      delete bed;
      bed = nullptr;
    }
    std::filesystem::remove_all(state_dir);
  }
  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << "e2e skipped: " << skip_reason;
    ASSERT_TRUE(setup_error.empty()) << setup_error;
  }

  static v1::ControllerPlanRequest Evacuate(std::vector<std::string> from,
                                            std::vector<std::string> to,
                                            const std::string& strategy, bool power_off) {
    v1::ControllerPlanRequest r;
    for (auto& h : from) r.mutable_request()->add_evacuate(h);
    for (auto& h : to) r.mutable_request()->add_to(h);
    r.mutable_request()->set_strategy(strategy);
    r.mutable_request()->set_power_off(power_off);
    return r;
  }

  static grpc::Status Submit(const v1::ControllerPlanRequest& request, v1::Operation* op) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 60s);
    v1::SubmitRequest submit;
    *submit.mutable_request() = request;
    return stub->Submit(&context, submit, op);
  }

  static v1::Operation Get(const std::string& id) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::OperationRef ref;
    ref.set_id(id);
    v1::Operation op;
    EXPECT_TRUE(stub->GetOperation(&context, ref, &op).ok());
    return op;
  }

  // Follows the operation to its end through Watch; the events seen.
  static std::vector<v1::Event> WatchToEnd(const std::string& id, int timeout_s = 600) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
    v1::WatchOperationRequest request;
    request.set_id(id);
    request.set_interval_ms(500);
    auto reader = stub->Watch(&context, request);
    std::vector<v1::Event> events;
    v1::Event e;
    while (reader->Read(&e)) events.push_back(e);
    EXPECT_TRUE(reader->Finish().ok());
    return events;
  }

  static void ExpectKeptRunning(const std::string& guest, long before) {
    ASSERT_TRUE(bed->WaitHeartbeat(guest, before + 3, 60))
        << guest << " stopped counting after " << before;
    auto beats = bed->Heartbeats(guest);
    for (size_t i = 1; i < beats.size(); ++i) {
      ASSERT_GT(beats[i], beats[i - 1]) << guest << ": heartbeat went back (a reboot?)";
    }
  }

  static long LastBeat(const std::string& guest) {
    auto beats = bed->Heartbeats(guest);
    return beats.empty() ? 0 : beats.back();
  }

  static void PrintMeasuredAgainstPredicted(const v1::Operation& op) {
    std::cout << absl::StrFormat("%-8s %-4s %-4s %-10s %9s %9s %7s\n", "vm", "from", "to",
                                 "mode", "predicted", "measured", "error");
    for (const auto& a : op.actions()) {
      if (a.kind() != "migrate") continue;
      std::cout << absl::StrFormat(
          "%-8s %-4s %-4s %-10s %8.1fs %8.1fs %+6.0f%%\n", a.vm(), a.host(), a.to(),
          a.planned().mode(), a.predicted_s(), a.measured_s(),
          a.predicted_s() > 0 ? 100 * (a.measured_s() - a.predicted_s()) / a.predicted_s() : 0);
    }
    std::cout << absl::StrFormat("makespan predicted %.1f s, measured %.1f s\n",
                                 op.plan().makespan_s(), op.measured().makespan_s());
  }
};

TEST_F(ControllerE2eTest, EvacuatesTwoHostsPowersThemOffAndEveryGuestKeepsRunning) {
  std::string error;
  ASSERT_TRUE(bed->StartGuest("ev-mem", "h1", 128, "dirtier 2 24", &error)) << error;
  ASSERT_TRUE(bed->StartGuest("ev-idle", "h1", 128, "", &error)) << error;
  ASSERT_TRUE(bed->StartGuest("ev-cpu", "h2", 128, "cpuburn", &error)) << error;
  std::map<std::string, long> before;
  for (const char* g : {"ev-mem", "ev-idle", "ev-cpu"}) before[g] = LastBeat(g);

  v1::Operation op;
  auto status = Submit(Evacuate({"h1", "h2"}, {"h3", "h4"}, "convoy", true), &op);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto events = WatchToEnd(op.id());
  ASSERT_FALSE(events.empty());
  op = Get(op.id());
  EXPECT_EQ(op.state(), "succeeded") << op.error();
  EXPECT_EQ(events.back().operation_state(), "succeeded");
  PrintMeasuredAgainstPredicted(op);
  int shutdowns = 0;
  for (const auto& a : op.actions()) {
    EXPECT_EQ(a.state(), "done") << a.id() << ": " << a.error();
    shutdowns += a.kind() == "shutdown";
  }
  EXPECT_EQ(shutdowns, 2) << "both emptied hosts are powered off";
  for (const char* g : {"ev-mem", "ev-idle", "ev-cpu"}) {
    auto where = bed->WhereRunning(g);
    ASSERT_EQ(where.size(), 1u) << g;
    EXPECT_TRUE(where[0] == "h3" || where[0] == "h4") << g << " on " << where[0];
    ExpectKeptRunning(g, before[g]);
  }
  // Power the sources back on for the next tests (the testbed's power driver).
  for (const char* h : {"h1", "h2"}) {
    auto boot = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed power boot ", h), 180);
    ASSERT_EQ(boot.exit_code, 0) << boot.output;
    bed->Reconnect(h);
  }
}

TEST_F(ControllerE2eTest, AKilledControllerResumesAndMovesNothingTwice) {
  std::string error;
  for (const char* g : {"rs-1", "rs-2", "rs-3"}) {
    ASSERT_TRUE(bed->StartGuest(g, "h2", 128, "dirtier 2 24", &error)) << error;
  }
  // h1 and h2 were powered off and on again by the previous test; wait until they are up.
  v1::Operation op;
  grpc::Status status;
  for (int i = 0; i < 60; ++i) {
    status = Submit(Evacuate({"h2"}, {"h1"}, "sequential", false), &op);
    if (status.ok() || status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) break;
    std::this_thread::sleep_for(1s);
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Once the first migration runs, kill -9 the controller, and start it again.
  bool running = false;
  for (int i = 0; i < 240 && !running; ++i) {
    const v1::Operation now = Get(op.id());
    for (const auto& a : now.actions()) running |= a.state() == "running";
    if (!running) std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(running);
  KillController();
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(StartController(&error)) << error;
  WatchToEnd(op.id());
  op = Get(op.id());
  EXPECT_EQ(op.state(), "succeeded") << op.error();
  for (const char* g : {"rs-1", "rs-2", "rs-3"}) {
    EXPECT_EQ(bed->WhereRunning(g), std::vector<std::string>{"h1"}) << g;
  }
  // The source's agent saw each VM leave exactly once.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::ListMigrationsRequest list;
  list.set_include_finished(true);
  v1::ListMigrationsResponse migrations;
  ASSERT_TRUE(bed->agent("h2")->ListMigrations(&context, list, &migrations).ok());
  std::map<std::string, int> count;
  for (const auto& m : migrations.migrations()) ++count[m.vm()];
  for (const char* g : {"rs-1", "rs-2", "rs-3"}) EXPECT_EQ(count[g], 1) << g;
}


// Stops every guest on every host (the tests before leave theirs running).
void DestroyAllGuests() {
  for (const auto& h : bed->hosts()) {
    RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed exec ", h.name,
                            " sh -c 'virsh -q -c qemu:///system list --name | xargs -r -n1 "
                            "virsh -q -c qemu:///system destroy'"),
               60);
  }
}

// The web tier's own log over [from, to] (unix s, by the host clock at which lines were read is
// not available, so by heartbeat windows): seconds with an error or fewer than 10 replies.
struct TierImpact {
  int bad_seconds = 0;
  int errors = 0;
};

TierImpact WebImpact(const std::string& guest, size_t first_line) {
  TierImpact impact;
  std::ifstream log(bed->state_dir() + "/guests/" + guest + ".log");
  std::string line;
  size_t n = 0;
  while (std::getline(log, line)) {
    if (n++ < first_line) continue;
    const auto at = line.find("tier latency_ms");
    if (at == std::string::npos) continue;
    int replies = 0, errors = 0;
    const auto np = line.find(" n=", at);
    const auto ep = line.find(" errors=", at);
    if (np == std::string::npos || ep == std::string::npos) continue;
    replies = std::atoi(line.c_str() + np + 3);
    errors = std::atoi(line.c_str() + ep + 8);
    impact.errors += errors;
    impact.bad_seconds += (errors > 0 || replies < 10) ? 1 : 0;
  }
  return impact;
}

size_t LineCount(const std::string& guest) {
  std::ifstream log(bed->state_dir() + "/guests/" + guest + ".log");
  std::string line;
  size_t n = 0;
  while (std::getline(log, line)) ++n;
  return n;
}

TEST_F(ControllerE2eTest, CommaFinishesTheTiersTogetherWhereSequentialSpreadsThem) {
  DestroyAllGuests();
  // A slow path: 80 Mbit/s (10 MB/s) out of every host; the planner learns it from the probe.
  auto shaped = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed shape all 80"), 60);
  ASSERT_EQ(shaped.exit_code, 0) << shaped.output;
  std::string error;
  ASSERT_TRUE(bed->StartGuest("db", "h1", 96, "tier db 7001", &error, "--ip 10.77.0.201/24"))
      << error;
  ASSERT_TRUE(bed->StartGuest("app", "h1", 96, "tier app 7002 10.77.0.201 7001", &error,
                              "--ip 10.77.0.202/24"))
      << error;
  ASSERT_TRUE(bed->StartGuest("web", "h1", 96, "tier web 10.77.0.202 7002", &error,
                              "--ip 10.77.0.203/24"))
      << error;
  std::this_thread::sleep_for(5s);  // the chain connects

  auto run = [&](const std::string& from, const std::string& to, const std::string& strategy,
                 double* spread_s, double* impact_mb, TierImpact* tier) {
    v1::ControllerPlanRequest request = Evacuate({from}, {to}, strategy, false);
    request.set_probe_bandwidth(true);
    auto* app = request.add_apps();
    app->set_name("shop");
    for (auto [a, b] : {std::pair{"web", "app"}, std::pair{"app", "db"}}) {
      auto* t = app->add_traffic();
      t->set_a(a);
      t->set_b(b);
      t->set_kbps(400);
    }
    const size_t first_line = LineCount("web");
    v1::Operation op;
    auto status = Submit(request, &op);
    ASSERT_TRUE(status.ok()) << status.error_message();
    WatchToEnd(op.id());
    op = Get(op.id());
    ASSERT_EQ(op.state(), "succeeded") << op.error();
    PrintMeasuredAgainstPredicted(op);
    double first = 1e300, last = 0;
    for (const auto& a : op.actions()) {
      if (a.kind() != "migrate") continue;
      first = std::min(first, a.finished_unix_s());
      last = std::max(last, a.finished_unix_s());
      std::cout << absl::StrFormat("  %s: started %.2f s, finished %.2f s after the operation\n",
                                   a.vm(), a.started_unix_s() - op.started_unix_s(),
                                   a.finished_unix_s() - op.started_unix_s());
      for (const auto& note : a.notes()) std::cout << "  " << a.vm() << ": " << note << "\n";
    }
    *spread_s = last - first;
    *impact_mb = op.measured().impact_mb();
    std::this_thread::sleep_for(3s);  // the last seconds of the web log
    *tier = WebImpact("web", first_line);
  };
  double seq_spread = 0, seq_impact = 0, comma_spread = 0, comma_impact = 0;
  TierImpact seq_tier, comma_tier;
  run("h1", "h2", "sequential", &seq_spread, &seq_impact, &seq_tier);
  if (HasFatalFailure()) return;
  run("h2", "h1", "comma-exact", &comma_spread, &comma_impact, &comma_tier);
  if (HasFatalFailure()) return;
  std::cout << absl::StrFormat(
      "%-12s %14s %16s %22s %12s\n%-12s %13.2fs %16.3f %22d %12d\n%-12s %13.2fs %16.3f %22d "
      "%12d\n",
      "strategy", "finish spread", "impact MB (eq1)", "web seconds degraded", "web errors",
      "sequential", seq_spread, seq_impact, seq_tier.bad_seconds, seq_tier.errors, "comma-exact",
      comma_spread, comma_impact, comma_tier.bad_seconds, comma_tier.errors);
  EXPECT_GT(seq_spread, 2.0) << "sequential finishes the tiers one after the other";
  EXPECT_LE(comma_spread, 2.0) << "COMMA finishes the tiers together";
  EXPECT_LT(comma_spread, seq_spread / 3);
  EXPECT_LT(comma_impact, seq_impact);
  for (const char* g : {"db", "app", "web"}) {
    EXPECT_EQ(bed->WhereRunning(g), std::vector<std::string>{"h1"}) << g;
  }
  RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed shape all 200"), 60);
}

TEST_F(ControllerE2eTest, ZzDownLeavesNothingBehind) {
  KillController();
  bed->Down();
  EXPECT_EQ(RunCommand("ip netns list | grep -c cvtb- || true").output, "0\n");
  EXPECT_EQ(RunCommand("ip -o link show | grep -c cvtb || true").output, "0\n");
  EXPECT_EQ(RunCommand("pgrep -fc '/run/convoy-testbe[d]/|cvtb-[h]|convoy-agen[t]|convoy[d] ' || true")
                .output,
            "0\n");
  EXPECT_EQ(RunCommand("grep -c convoy-testbed /proc/mounts || true").output, "0\n");
  EXPECT_NE(RunCommand("test -e " + bed->state_dir()).exit_code, 0) << "state dir left behind";
}

}  // namespace
}  // namespace convoy::e2e
