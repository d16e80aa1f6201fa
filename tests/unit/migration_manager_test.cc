// The agent's migration bookkeeping against the fake hypervisor: states, mode rules, errors,
// and recovery after a restart.
#include "agent/migration_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/fakes/fake_hypervisor.h"

namespace convoy::agent {
namespace {

using convoy::testing::FakeHypervisor;
using namespace std::chrono_literals;

class MigrationManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = std::filesystem::temp_directory_path() /
                 ("convoy-mm-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(state_dir_);
    hv_.AddDomain("vm1", 256);
    hv_.AddDomain("off", 256, "shutoff");
    manager_ = MakeManager();
  }
  void TearDown() override {
    manager_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  std::unique_ptr<MigrationManager> MakeManager() {
    MigrationManagerOptions options;
    options.state_dir = state_dir_.string();
    options.poll_interval_ms = 10;
    options.start_timeout_ms = 5000;
    return std::make_unique<MigrationManager>(&hv_, options);
  }

  static v1::StartMigrationRequest Request(const std::string& vm, const std::string& mode) {
    v1::StartMigrationRequest r;
    r.set_vm(vm);
    r.set_mode(mode);
    r.mutable_destination()->set_host("h2");
    r.mutable_destination()->set_libvirt_uri("qemu+tcp://10.77.0.12/system");
    r.mutable_destination()->set_migration_address("10.77.0.12");
    return r;
  }

  // Waits until the migration reaches `state` (or any final state if `state` is empty).
  v1::MigrationProgress WaitFor(const std::string& id, const std::string& state) {
    v1::MigrationProgress last;
    for (int i = 0; i < 500; ++i) {
      auto p = manager_->Get(id);
      EXPECT_TRUE(p.ok());
      last = *p;
      if (last.state() == state) return last;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "migration " << id << " never reached " << state << ", is " << last.state();
    return last;
  }

  FakeHypervisor hv_;
  std::filesystem::path state_dir_;
  std::unique_ptr<MigrationManager> manager_;
};

TEST_F(MigrationManagerTest, PreCopyRunsAndCompletes) {
  auto request = Request("vm1", "pre-copy");
  request.set_bandwidth_mibps(25);
  request.set_downtime_ms(100);
  request.set_auto_converge(true);
  request.set_parallel_connections(2);
  auto started = manager_->Start(request);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->state(), "running");
  EXPECT_EQ(started->vm(), "vm1");
  const auto calls = hv_.CallsFor("vm1");
  EXPECT_EQ(calls.options.dest_libvirt_uri, "qemu+tcp://10.77.0.12/system");
  EXPECT_EQ(calls.options.migration_uri, "tcp://10.77.0.12");
  EXPECT_DOUBLE_EQ(calls.options.bandwidth_mibps, 25);
  EXPECT_TRUE(calls.options.auto_converge);
  EXPECT_EQ(calls.options.parallel_connections, 2u);
  EXPECT_FALSE(calls.options.allow_postcopy);

  hv_.SetProgress("vm1", 100 << 20, 156 << 20, 1);
  std::vector<v1::MigrationProgress> seen;
  std::thread watcher([&] {
    ASSERT_TRUE(manager_
                    ->Watch(started->id(), 20,
                            [&](const v1::MigrationProgress& p) {
                              seen.push_back(p);
                              return true;
                            })
                    .ok());
  });
  for (int i = 0; i < 100 && hv_.CallsFor("vm1").downtime_ms == 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_DOUBLE_EQ(hv_.CallsFor("vm1").downtime_ms, 100);
  for (int i = 0; i < 200 && manager_->Get(started->id())->data_processed_mib() != 100; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  hv_.Complete("vm1");
  watcher.join();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().state(), "completed");
  EXPECT_DOUBLE_EQ(seen.back().data_remaining_mib(), 0);
  bool saw_progress = false;
  for (const auto& p : seen) saw_progress |= p.data_processed_mib() == 100;
  EXPECT_TRUE(saw_progress);
  EXPECT_FALSE(hv_.HasDomain("vm1"));
  EXPECT_TRUE(manager_->List(false).empty());
  EXPECT_EQ(manager_->List(true).size(), 1u);
}

TEST_F(MigrationManagerTest, ClearErrors) {
  EXPECT_EQ(manager_->Start(Request("ghost", "pre-copy")).status().code(),
            absl::StatusCode::kNotFound);
  auto off = manager_->Start(Request("off", "pre-copy"));
  EXPECT_EQ(off.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(off.status().message()).find("shutoff"), std::string::npos);
  EXPECT_EQ(manager_->Start(Request("vm1", "warp")).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto no_dest = Request("vm1", "pre-copy");
  no_dest.mutable_destination()->clear_libvirt_uri();
  EXPECT_EQ(manager_->Start(no_dest).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_->Get("nope").status().code(), absl::StatusCode::kNotFound);

  hv_.FailNextMigrateWith("unable to connect to server at '10.77.0.12:16509': No route to host");
  auto down = manager_->Start(Request("vm1", "pre-copy"));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(down.status().message()).find("No route to host"), std::string::npos);
  EXPECT_TRUE(hv_.HasDomain("vm1"));

  auto first = manager_->Start(Request("vm1", "pre-copy"));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(manager_->Start(Request("vm1", "pre-copy")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->SwitchToPostCopy(first->id()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  hv_.Complete("vm1");
  WaitFor(first->id(), "completed");
  EXPECT_EQ(manager_->Abort(first->id()).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(MigrationManagerTest, StartWithTheSameIdIsIdempotent) {
  auto request = Request("vm1", "pre-copy");
  request.set_id("op-7.vm1");
  auto a = manager_->Start(request);
  auto b = manager_->Start(request);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->id(), "op-7.vm1");
  EXPECT_EQ(b->id(), a->id());
  hv_.Complete("vm1");
  WaitFor(a->id(), "completed");
}

TEST_F(MigrationManagerTest, IdsThatWouldEscapeTheStateDirectoryAreRefused) {
  for (const char* id : {"../x", "a/b", ".hidden"}) {
    auto request = Request("vm1", "pre-copy");
    request.set_id(id);
    auto started = manager_->Start(request);
    ASSERT_FALSE(started.ok()) << id;
    EXPECT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(started.status().message()).find("not a valid migration id"),
              std::string::npos);
  }
}

TEST_F(MigrationManagerTest, PostCopyModeSwitchesAtOnceAndCannotBeAborted) {
  auto started = manager_->Start(Request("vm1", "post-copy"));
  ASSERT_TRUE(started.ok());
  EXPECT_TRUE(hv_.CallsFor("vm1").options.allow_postcopy);
  WaitFor(started->id(), "postcopy");
  EXPECT_EQ(hv_.CallsFor("vm1").postcopy_switches, 1);
  auto abort = manager_->Abort(started->id());
  EXPECT_EQ(abort.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(abort.status().message()).find("post-copy"), std::string::npos);
  hv_.Complete("vm1");
  WaitFor(started->id(), "completed");
}

TEST_F(MigrationManagerTest, PreThenPostSwitchesAfterTheIterationsAsked) {
  auto request = Request("vm1", "pre-then-post");
  request.set_postcopy_after_iterations(3);
  auto started = manager_->Start(request);
  ASSERT_TRUE(started.ok());
  hv_.FireIteration("vm1", 2);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(hv_.CallsFor("vm1").postcopy_switches, 0);
  EXPECT_EQ(manager_->Get(started->id())->iteration(), 2u);
  hv_.FireIteration("vm1", 3);
  WaitFor(started->id(), "postcopy");
  EXPECT_EQ(hv_.CallsFor("vm1").postcopy_switches, 1);
  hv_.Complete("vm1");
  WaitFor(started->id(), "completed");
}

TEST_F(MigrationManagerTest, SwitchOnRequest) {
  auto started = manager_->Start(Request("vm1", "pre-then-post"));
  ASSERT_TRUE(started.ok());
  auto switched = manager_->SwitchToPostCopy(started->id());
  ASSERT_TRUE(switched.ok()) << switched.status();
  EXPECT_EQ(switched->state(), "postcopy");
  hv_.Complete("vm1");
  WaitFor(started->id(), "completed");
}

TEST_F(MigrationManagerTest, PreCopyTimeoutAbortsAndTheVmStays) {
  auto request = Request("vm1", "pre-copy");
  request.set_timeout_s(0.2);
  auto started = manager_->Start(request);
  ASSERT_TRUE(started.ok());
  auto end = WaitFor(started->id(), "aborted");
  EXPECT_NE(end.error().find("did not converge within"), std::string::npos) << end.error();
  EXPECT_NE(end.error().find("canceled by client"), std::string::npos) << end.error();
  EXPECT_TRUE(hv_.HasDomain("vm1"));
  EXPECT_EQ(hv_.CallsFor("vm1").aborts, 1);
}

TEST_F(MigrationManagerTest, AbortAndSpeed) {
  auto started = manager_->Start(Request("vm1", "pre-copy"));
  ASSERT_TRUE(started.ok());
  auto faster = manager_->SetSpeed(started->id(), 50);
  ASSERT_TRUE(faster.ok());
  EXPECT_DOUBLE_EQ(faster->speed_limit_mibps(), 50);
  EXPECT_EQ(hv_.CallsFor("vm1").speeds_mibps, std::vector<double>{50});
  EXPECT_EQ(manager_->SetSpeed(started->id(), -1).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(manager_->Abort(started->id()).ok());
  auto end = WaitFor(started->id(), "aborted");
  EXPECT_NE(end.error().find("aborted by request"), std::string::npos);
  EXPECT_TRUE(hv_.HasDomain("vm1"));
}

TEST_F(MigrationManagerTest, FailureCarriesTheHypervisorsText) {
  auto started = manager_->Start(Request("vm1", "pre-copy"));
  ASSERT_TRUE(started.ok());
  hv_.Fail("vm1", "internal error: qemu unexpectedly closed the monitor");
  auto end = WaitFor(started->id(), "failed");
  EXPECT_EQ(end.error(), "internal error: qemu unexpectedly closed the monitor");
}

TEST_F(MigrationManagerTest, RestartAdoptsRunningMigrationsAndSettlesThem) {
  // A record left by a previous run whose migration is still going...
  std::filesystem::create_directories(state_dir_ / "migrations");
  std::ofstream(state_dir_ / "migrations" / "m-1.json")
      << R"({"request": {"vm": "vm1", "mode": "pre-copy", "id": "m-1",
             "destination": {"host": "h2", "libvirt_uri": "qemu+tcp://x/system"}},
             "progress": {"id": "m-1", "vm": "vm1", "state": "running", "mode": "pre-copy"}})";
  JobStats running;
  running.active = true;
  running.migration_out = true;
  running.data_total = 256 << 20;
  hv_.SetJob("vm1", running);
  // ...and one nobody recorded.
  hv_.AddDomain("stray", 128);
  hv_.SetJob("stray", running);
  // ...and a record whose migration ended while nobody watched, the VM still here.
  hv_.AddDomain("stayed", 128);
  std::ofstream(state_dir_ / "migrations" / "m-2.json")
      << R"({"request": {"vm": "stayed", "mode": "pre-copy", "id": "m-2",
             "destination": {"host": "h3", "libvirt_uri": "qemu+tcp://y/system"}},
             "progress": {"id": "m-2", "vm": "stayed", "state": "running"}})";

  manager_ = MakeManager();
  ASSERT_TRUE(manager_->Recover().ok());
  auto m1 = manager_->Get("m-1");
  ASSERT_TRUE(m1.ok());
  EXPECT_TRUE(m1->adopted());
  EXPECT_EQ(m1->destination_host(), "");  // progress as recorded; the request keeps the rest
  bool stray_found = false;
  for (const auto& m : manager_->List(true)) stray_found |= m.vm() == "stray" && m.adopted();
  EXPECT_TRUE(stray_found);
  auto m2 = WaitFor("m-2", "failed");
  EXPECT_NE(m2.error().find("still running on this host"), std::string::npos) << m2.error();

  hv_.EndJob("vm1", /*vm_left=*/true);
  WaitFor("m-1", "completed");
  hv_.EndJob("stray", /*vm_left=*/false);
  for (const auto& m : manager_->List(true)) {
    if (m.vm() == "stray") WaitFor(m.id(), "failed");
  }
  // Final states are on disk for the next run.
  manager_ = MakeManager();
  ASSERT_TRUE(manager_->Recover().ok());
  EXPECT_EQ(manager_->Get("m-1")->state(), "completed");
}

}  // namespace
}  // namespace convoy::agent
