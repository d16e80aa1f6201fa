// The controller's operations against in-memory agents and store: plan on the live inventory,
// execute as a DAG, fail, cancel, resume after a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "controller/action_graph.h"
#include "controller/inventory.h"
#include "controller/operations.h"
#include "controller/power_driver.h"
#include "convoy/store/memory_state_store.h"
#include "tests/fakes/fake_agents.h"

namespace convoy::controller {
namespace {

class RecordingPower : public PowerDriver {
 public:
  Status Boot(const std::string& host) override {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back("boot " + host);
    return absl::OkStatus();
  }
  Status Shutdown(const std::string& host) override {
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back("shutdown " + host);
    return absl::OkStatus();
  }
  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(mu);
    return calls;
  }
  std::mutex mu;
  std::vector<std::string> calls;
};

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* h : {"h1", "h2", "h3", "h4"}) agents_.AddHost(h);
    agents_.AddVm("h1", "web", 1024);
    agents_.AddVm("h1", "db", 2048);
    agents_.AddVm("h2", "cache", 512);
    MakeController();
  }

  void MakeController() {
    operations_.reset();
    inventory_ = std::make_unique<Inventory>(&agents_, InventoryOptions{});
    for (const char* h : {"h1", "h2", "h3", "h4"}) Hello(h);
    ExecutorOptions options;
    options.poll_ms = 5;
    options.tick_ms = 20;
    options.resume_wait_s = 2;
    options.pace_window_s = 0.05;
    operations_ = std::make_unique<Operations>(inventory_.get(), &power_, &store_, options);
  }

  void Hello(const std::string& host) {
    v1::AgentHello hello;
    hello.set_name(host);
    hello.set_address(host + ":7700");
    hello.set_libvirt_uri("qemu+tcp://" + host + "/system");
    hello.mutable_host()->set_nic_gbps(1);
    hello.mutable_host()->set_switch_("s");
    ASSERT_TRUE(inventory_->Heartbeat(hello).ok());
  }

  v1::ControllerPlanRequest Evacuate(std::vector<std::string> hosts, bool power_off = false) {
    v1::ControllerPlanRequest r;
    for (auto& h : hosts) r.mutable_request()->add_evacuate(h);
    r.mutable_request()->add_to("h3");
    r.mutable_request()->add_to("h4");
    r.mutable_request()->set_power_off(power_off);
    return r;
  }

  v1::Operation WaitEnd(const std::string& id) {
    for (int i = 0; i < 2000; ++i) {
      auto op = operations_->Get(id);
      EXPECT_TRUE(op.ok());
      if (op->state() != "running" && op->state() != "planned" && op->state() != "cancelling") {
        return *op;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "operation " << id << " did not end";
    return {};
  }

  testing::FakeAgents agents_;
  RecordingPower power_;
  store::MemoryStateStore store_;
  std::unique_ptr<Inventory> inventory_;
  std::unique_ptr<Operations> operations_;
};

TEST_F(ExecutorTest, EvacuatesTwoHostsAndPowersThemOff) {
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h1", "h2"}, true);
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "succeeded") << end.error();
  for (const char* vm : {"web", "db", "cache"}) {
    const std::string host = agents_.HostOf(vm);
    EXPECT_TRUE(host == "h3" || host == "h4") << vm << " on " << host;
  }
  EXPECT_EQ(agents_.starts(), 3) << "each VM moved once";
  auto calls = power_.Calls();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (std::vector<std::string>{"shutdown h1", "shutdown h2"}));
  EXPECT_EQ(inventory_->Health("h1"), "off");
  // Measured against predicted for every migration, and a measured plan.
  for (const auto& a : end.actions()) {
    EXPECT_EQ(a.state(), "done") << a.id();
    if (a.kind() == "migrate") {
      EXPECT_GT(a.predicted_s(), 0);
    }
  }
  EXPECT_EQ(end.measured().migrations_size(), 3);
  EXPECT_GT(end.measured().makespan_s(), 0);
  // The history is in the store: started, every action's changes, the end.
  auto events = store_.EventsAfter(op->id(), 0, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_GE(events->size(), 3u * 2 + 2);
  EXPECT_EQ(events->back().operation_state(), "succeeded");
}

TEST_F(ExecutorTest, WatchStreamsTheHistoryThenEndsWithTheOperation) {
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h2"});
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  std::vector<v1::Event> seen;
  ASSERT_TRUE(operations_
                  ->Watch(op->id(), 10,
                          [&](const v1::Event& e) {
                            seen.push_back(e);
                            return true;
                          })
                  .ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().kind(), "operation");
  EXPECT_EQ(seen.back().operation_state(), "succeeded");
  bool saw_done = false;
  for (const auto& e : seen) saw_done |= e.action().id() == "migrate:cache" && e.action().state() == "done";
  EXPECT_TRUE(saw_done);
}

TEST_F(ExecutorTest, AFailedMigrationLeavesTheVmOnItsSourceAndTheHostOn) {
  agents_.FailMigrationsOf("db");
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h1"}, true);
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "failed");
  EXPECT_NE(end.error().find("injected failure"), std::string::npos) << end.error();
  EXPECT_EQ(agents_.HostOf("db"), "h1");
  EXPECT_TRUE(power_.Calls().empty()) << "a host that still runs a VM is never powered off";
  for (const auto& a : end.actions()) {
    if (a.kind() == "shutdown") {
      EXPECT_EQ(a.state(), "skipped");
    }
  }
}

TEST_F(ExecutorTest, UnknownAndDownHostsAreClearErrors) {
  auto unknown = operations_->Plan(Evacuate({"h9"}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(unknown.status().message()).find("unknown host 'h9'"), std::string::npos);

  InventoryOptions options;
  double now = 1000;
  options.now_unix_s = [&] { return now; };
  inventory_ = std::make_unique<Inventory>(&agents_, options);
  for (const char* h : {"h1", "h2", "h3", "h4"}) Hello(h);
  operations_ = std::make_unique<Operations>(inventory_.get(), &power_, &store_, ExecutorOptions{});
  now += 60;
  Hello("h2");
  Hello("h3");
  Hello("h4");
  auto down = operations_->Plan(Evacuate({"h1"}));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(down.status().message()).find("h1 is down"), std::string::npos)
      << down.status();
}

TEST_F(ExecutorTest, AStalePlanIsRefused) {
  auto preview = operations_->Plan(Evacuate({"h2"}));
  ASSERT_TRUE(preview.ok()) << preview.status();
  // Someone moves the VM by hand after the plan was made.
  v1::StartMigrationRequest move;
  move.set_id("manual");
  move.set_vm("cache");
  move.mutable_destination()->set_host("h4");
  ASSERT_TRUE(agents_.Start("h2", move).ok());
  v1::SubmitRequest submit;
  submit.set_plan_id(preview->plan_id());
  ASSERT_EQ(agents_.HostOf("cache"), "h4");
  auto op = operations_->Submit(submit);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(op.status().message()).find("stale"), std::string::npos) << op.status();
}

TEST_F(ExecutorTest, APlanSubmittedByIdIsExecutedAsItWasAsked) {
  v1::ControllerPlanRequest request = Evacuate({"h2"});
  request.mutable_request()->set_mode("pre-copy");
  request.mutable_request()->set_downtime_ms(120);
  auto preview = operations_->Plan(request);
  ASSERT_TRUE(preview.ok()) << preview.status();
  v1::SubmitRequest submit;
  submit.set_plan_id(preview->plan_id());
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(op->request().request().mode(), "pre-copy");
  EXPECT_EQ(op->request().request().downtime_ms(), 120);
  const v1::Operation end = WaitEnd(op->id());
  ASSERT_EQ(end.state(), "succeeded") << end.error();
  for (const auto& a : end.actions()) {
    if (a.kind() == "migrate") {
      EXPECT_EQ(a.progress().mode(), "pre-copy") << "not pre-then-post: the operator asked for pre-copy";
    }
  }
}

TEST_F(ExecutorTest, CancelStopsPendingAndAbortsRunningPreCopies) {
  agents_.SetStepMib(0);  // migrations hold
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h1", "h2"});
  submit.mutable_request()->mutable_request()->set_strategy("sequential");
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  for (int i = 0; i < 400 && agents_.starts() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int started = agents_.starts();
  ASSERT_GE(started, 1);
  ASSERT_LT(started, 3) << "sequential: not everything at once";
  ASSERT_TRUE(operations_->Cancel(op->id()).ok());
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "cancelled");
  EXPECT_EQ(agents_.aborts(), started);
  for (const auto& a : end.actions()) EXPECT_EQ(a.state(), "cancelled") << a.id();
  EXPECT_EQ(agents_.HostOf("web"), "h1");
  EXPECT_EQ(agents_.HostOf("cache"), "h2");
  EXPECT_EQ(operations_->Cancel(op->id()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ExecutorTest, AnAgentAwayAtTheStartIsAskedAgainAndNothingStartsTwice) {
  auto preview = operations_->Plan(Evacuate({"h2"}));
  ASSERT_TRUE(preview.ok()) << preview.status();
  agents_.SetUnreachable("h2", true);  // between its heartbeats
  v1::SubmitRequest submit;
  submit.set_plan_id(preview->plan_id());
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(agents_.starts(), 0);
  auto running = operations_->Get(op->id());
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state(), "running") << "an agent away is not a failed migration";
  agents_.SetUnreachable("h2", false);
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "succeeded") << end.error();
  EXPECT_EQ(agents_.starts(), 1);
  EXPECT_EQ(agents_.HostOf("cache").substr(0, 1), "h");
  EXPECT_NE(agents_.HostOf("cache"), "h2");
}

TEST_F(ExecutorTest, AnAgentAwayForTooLongFailsItsMigrationWithAClearError) {
  agents_.SetStepMib(0);
  ExecutorOptions options;
  options.poll_ms = 5;
  options.tick_ms = 20;
  options.agent_lost_s = 0.2;
  operations_ = std::make_unique<Operations>(inventory_.get(), &power_, &store_, options);
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h2"});
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  for (int i = 0; i < 400 && agents_.starts() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  agents_.SetUnreachable("h2", true);
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "failed");
  EXPECT_NE(end.error().find("did not answer"), std::string::npos) << end.error();
}

TEST_F(ExecutorTest, ARestartedControllerFollowsRunningMigrationsAndStartsNothingTwice) {
  // What a controller killed mid-operation leaves: in the store, an operation running with web
  // started (the agent has it), db written as started but never sent to its agent (killed in
  // between), cache still pending.
  auto preview = operations_->Plan(Evacuate({"h1", "h2"}));
  ASSERT_TRUE(preview.ok()) << preview.status();
  operations_.reset();
  v1::Operation op;
  op.set_id("op-crashed");
  op.set_state("running");
  op.set_started_unix_s(1);
  *op.mutable_plan() = preview->plan();
  *op.mutable_actions() = BuildActions(preview->plan());
  for (auto& a : *op.mutable_actions()) {
    if (a.vm() == "web" || a.vm() == "db") {
      a.set_state("running");
      a.set_agent_migration_id("op-crashed." + a.vm());
      a.set_started_unix_s(2);
    }
    if (a.vm() == "web") {
      v1::StartMigrationRequest r;
      r.set_id(a.agent_migration_id());
      r.set_vm("web");
      r.mutable_destination()->set_host(a.to());
      agents_.InjectRunning(r, "h1");
    }
  }
  ASSERT_TRUE(store_.PutOperation(op).ok());

  MakeController();
  ASSERT_TRUE(operations_->Resume().ok());
  const v1::Operation end = WaitEnd("op-crashed");
  EXPECT_EQ(end.state(), "succeeded") << end.error();
  // web was followed, not restarted; db was started once with the id written before the crash.
  auto ids = agents_.started_ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "op-crashed.web"), 0);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "op-crashed.db"), 1);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "op-crashed.cache"), 1);
  EXPECT_EQ(agents_.starts(), 2);
  for (const char* vm : {"web", "db", "cache"}) {
    const std::string host = agents_.HostOf(vm);
    EXPECT_TRUE(host == "h3" || host == "h4") << vm << " on " << host;
  }
}

TEST_F(ExecutorTest, CommaGroupsAreRepacedSoTheirBulkCopiesFinishTogether) {
  // web's pages move twice as fast per MiB/s of limit as db's (say, many zero pages): paced by
  // size alone, web would finish long before db. Re-pacing on the measured progress moves
  // bandwidth to db until both would finish at the same time.
  agents_.SetRateMode(0.05, {{"web", 2.0}});
  v1::ControllerPlanRequest request = Evacuate({"h1"});
  request.mutable_request()->set_strategy("comma-exact");
  auto* app = request.add_apps();
  app->set_name("shop");
  auto* t = app->add_traffic();
  t->set_a("web");
  t->set_b("db");
  t->set_kbps(8000);
  v1::SubmitRequest submit;
  *submit.mutable_request() = request;
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  int coordinated = 0;
  for (const auto& m : op->plan().migrations()) coordinated += m.coordinated_app() == "shop";
  ASSERT_EQ(coordinated, 2) << "the plan does not coordinate the app";
  const v1::Operation end = WaitEnd(op->id());
  ASSERT_EQ(end.state(), "succeeded") << end.error();
  double web_end = 0, db_end = 0, repaced = 0;
  for (const auto& a : end.actions()) {
    if (a.vm() == "web") web_end = a.finished_unix_s();
    if (a.vm() == "db") db_end = a.finished_unix_s();
    for (const auto& n : a.notes()) repaced += n.find("re-paced") != std::string::npos;
  }
  EXPECT_GT(repaced, 0);
  const double makespan = std::max(web_end, db_end) - end.started_unix_s();
  EXPECT_LT(std::abs(web_end - db_end), 0.25 * makespan)
      << "web ended at " << web_end << ", db at " << db_end;
}

TEST_F(ExecutorTest, PendingMigrationsAreReplannedWithTheDirtyRatesMeasuredWhileOthersRun) {
  ExecutorOptions options;
  options.poll_ms = 5;
  options.tick_ms = 20;
  options.replan_interval_s = 0.05;
  operations_ = std::make_unique<Operations>(inventory_.get(), &power_, &store_, options,
                                             plan::PlannerOptions{}, /*plan_dirty_rate_s=*/1);
  agents_.SetStepMib(0);  // the first migration holds while its host's next VM waits
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h1"});
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  for (const auto& m : op->plan().migrations()) {
    ASSERT_EQ(m.mode(), "pre-copy") << m.vm() << ": idle VMs are planned in pre-copy";
  }
  // Wait for one of web and db to run while the other waits for h1's NIC.
  std::string waiting;
  for (int i = 0; i < 2000 && waiting.empty(); ++i) {
    auto now = operations_->Get(op->id());
    ASSERT_TRUE(now.ok());
    int running = 0;
    std::string pending;
    for (const auto& a : now->actions()) {
      if (a.kind() != "migrate") continue;
      running += IsActive(a.state());
      if (a.state() == kPending) pending = a.vm();
    }
    if (running == 1 && !pending.empty()) waiting = pending;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(waiting.empty()) << "the plan does not run h1's migrations one after the other";
  // The waiting VM now dirties memory far faster than a 1 Gb/s NIC can send. (The reports
  // re-read, as convoyd's refresher does: the running VM is on both hosts now.)
  inventory_->Refresh();
  agents_.SetDirtyRate(waiting, 400);
  bool replanned = false;
  for (int i = 0; i < 2000 && !replanned; ++i) {
    auto now = operations_->Get(op->id());
    ASSERT_TRUE(now.ok());
    for (const auto& a : now->actions()) {
      if (a.vm() != waiting) continue;
      for (const auto& n : a.notes()) replanned |= n.find("re-planned") != std::string::npos;
      if (replanned) {
        EXPECT_EQ(a.state(), kPending);
        EXPECT_EQ(a.planned().mode(), "post-copy") << a.notes(0);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(replanned);
  agents_.SetStepMib(512);
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "succeeded") << end.error();
  EXPECT_EQ(agents_.modes()[waiting], "post-copy") << "started as re-planned";
  EXPECT_EQ(agents_.starts(), 2);
  const std::string now_on = agents_.HostOf(waiting);
  EXPECT_TRUE(now_on == "h3" || now_on == "h4") << now_on;
  // The revision is on record: persisted with the action.
  auto stored = store_.GetOperation(op->id());
  ASSERT_TRUE(stored.ok());
  for (const auto& a : stored->actions()) {
    if (a.vm() == waiting) {
      EXPECT_EQ(a.planned().mode(), "post-copy");
    }
  }
}

TEST_F(ExecutorTest, AVmMigratingIsInTheInventoryOnceOnItsSource) {
  agents_.SetStepMib(0);
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h2"});
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  bool running = false;
  for (int i = 0; i < 2000 && !running; ++i) {
    auto now = operations_->Get(op->id());
    ASSERT_TRUE(now.ok());
    for (const auto& a : now->actions()) running |= a.kind() == "migrate" && IsActive(a.state());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(running);
  // The destination now shows a paused "cache" too, as libvirt does during a migration.
  inventory_->Refresh();
  const auto snapshot = inventory_->Snapshot();
  int seen = 0;
  for (const auto& vm : snapshot.cluster().vms()) {
    if (vm.name() != "cache") continue;
    ++seen;
    EXPECT_EQ(vm.host(), "h2");
  }
  EXPECT_EQ(seen, 1);
  // So planning during the migration works (it used to see a duplicate VM name).
  v1::ControllerPlanRequest other = Evacuate({"h1"});
  auto preview = operations_->Plan(other);
  EXPECT_TRUE(preview.ok()) << preview.status();
  agents_.SetStepMib(512);
  EXPECT_EQ(WaitEnd(op->id()).state(), "succeeded");
}

TEST_F(ExecutorTest, AnUrgentEvictionToASlowDestinationIsStagedThroughTheAgentsRedis) {
  // h2 and h4 run the Redis servers h1 and h3 may stage through; h3 takes a quarter of h1's rate.
  for (const char* h : {"h1", "h2", "h3", "h4"}) {
    v1::AgentHello hello;
    hello.set_name(h);
    hello.set_address(std::string(h) + ":7700");
    hello.set_libvirt_uri(absl::StrCat("qemu+tcp://", h, "/system"));
    hello.mutable_host()->set_nic_gbps(std::string(h) == "h3" ? 0.25 : 1);
    hello.mutable_host()->set_switch_("s");
    hello.add_stage_redis("h2:6379");
    hello.add_stage_redis("h4:6379");
    ASSERT_TRUE(inventory_->Heartbeat(hello).ok());
  }
  v1::SubmitRequest submit;
  v1::ControllerPlanRequest* request = submit.mutable_request();
  request->mutable_request()->add_evacuate("h1");
  request->mutable_request()->add_to("h3");
  request->mutable_request()->set_urgency_pct(95);
  request->mutable_request()->set_power_off(false);
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  const v1::Operation end = WaitEnd(op->id());
  EXPECT_EQ(end.state(), "succeeded") << end.error();
  const auto stagings = agents_.stagings();
  for (const char* vm : {"web", "db"}) {
    ASSERT_TRUE(stagings.contains(vm)) << vm;
    const v1::Staging& s = stagings.at(vm);
    EXPECT_EQ(std::vector<std::string>(s.intermediaries().begin(), s.intermediaries().end()),
              (std::vector<std::string>{"h2:6379", "h4:6379"}))
        << vm;
    EXPECT_EQ(s.destination_agent(), "h3:7700") << vm;
  }
  for (const auto& a : end.actions()) {
    if (a.kind() == "migrate") {
      EXPECT_EQ(a.planned().stage_via_size(), 2) << a.id();
    }
  }
}

TEST_F(ExecutorTest, WithoutUrgencyNothingIsStaged) {
  v1::AgentHello hello;
  hello.set_name("h1");
  hello.set_address("h1:7700");
  hello.set_libvirt_uri("qemu+tcp://h1/system");
  hello.mutable_host()->set_nic_gbps(1);
  hello.mutable_host()->set_switch_("s");
  hello.add_stage_redis("h2:6379");
  ASSERT_TRUE(inventory_->Heartbeat(hello).ok());
  v1::SubmitRequest submit;
  *submit.mutable_request() = Evacuate({"h1"});
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_EQ(WaitEnd(op->id()).state(), "succeeded");
  for (const auto& [vm, staging] : agents_.stagings()) {
    EXPECT_EQ(staging.intermediaries_size(), 0) << vm;
  }
}

}  // namespace
}  // namespace convoy::controller
