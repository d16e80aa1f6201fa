// Faults injected into real daemons on the testbed (issue 9), one testbed for the whole suite:
// the leading convoyd of three replicas on a 3-node etcd killed mid-evacuation; convoyd killed
// with -9 at seeded random points of evacuations; source and destination agents killed; the
// controller-agent link cut for 30 s; the destination's libvirtd killed; a destination that
// fails to boot; a pre-copy that never converges. After each, the hypervisors' domain lists and
// the guests' serial logs must agree: every guest running exactly once, nothing paused, nothing
// duplicated or left behind, every heartbeat still counting up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "convoy/v1/controller.grpc.pb.h"
#include "tests/e2e/testbed.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/spawn.h"

namespace convoy::e2e {
namespace {

using namespace std::chrono_literals;

// The replicas' addresses on the testbed's bridge; the agents know all three. A single
// convoyd uses the first.
const std::vector<std::string> kReplicas = {"10.77.0.1:7600", "10.77.0.1:7610", "10.77.0.1:7620"};

Testbed* bed = nullptr;
std::string skip_reason;
std::string setup_error;
std::string work_dir;
bool bed_down = false;

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One convoyd process, killed when the handle goes (a test that stops early leaves none).
struct Convoyd {
  Convoyd() = default;
  Convoyd(Convoyd&&) = default;
  ~Convoyd();
  pid_t pid = -1;
  std::string address;
  std::string log;
  std::unique_ptr<v1::Controller::Stub> stub;
};

// Starts convoyd at `address` with the testbed's TLS material, fast ticks, the testbed's power
// driver (or `power`), and `extra` flags.
bool StartConvoyd(Convoyd* c, const std::string& address, const std::string& name,
                  const std::vector<std::string>& extra, std::string* error) {
  const char* bin = std::getenv("CONVOYD");
  if (bin == nullptr) {
    *error = "CONVOYD is not set (ctest sets it)";
    return false;
  }
  std::vector<std::string> args = {bin,
                                   "--listen",
                                   address,
                                   "--metrics-listen",
                                   "off",
                                   "--tick-ms",
                                   "1000",
                                   "--poll-ms",
                                   "250",
                                   "--heartbeat-interval-ms",
                                   "1000",
                                   "--refresh-interval-ms",
                                   "2000",
                                   "--audit-log",
                                   work_dir + "/" + name + ".audit"};
  for (const auto& f : bed->ConvoydTlsFlags()) args.push_back(f);
  bool power = false;
  for (const auto& f : extra) power |= f == "--power-command";
  if (!power) {
    args.push_back("--power-command");
    args.push_back(bed->repo() + "/scripts/testbed power");
  }
  for (const auto& f : extra) args.push_back(f);
  c->address = address;
  c->log = work_dir + "/" + name + ".log";
  c->pid = test_support::SpawnWithLog(args, c->log);
  if (c->pid < 0) {
    *error = "cannot start " + std::string(bin);
    return false;
  }
  c->stub =
      v1::Controller::NewStub(grpc::CreateChannel(address, bed->ClientCredentials("operator")));
  return true;
}

void Kill(Convoyd* c) {
  if (c->pid <= 0) return;
  kill(c->pid, SIGKILL);
  waitpid(c->pid, nullptr, 0);
  c->pid = -1;
}

Convoyd::~Convoyd() { Kill(this); }

// Every agent up in `c`'s inventory (through any replica: followers forward).
bool WaitAgentsUp(v1::Controller::Stub* stub, int timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 2s);
    v1::InventoryResponse inventory;
    if (stub->Inventory(&context, v1::InventoryRequest(), &inventory).ok()) {
      int up = 0;
      for (const auto& a : inventory.agents()) up += a.health() == "up";
      if (up == static_cast<int>(bed->hosts().size())) return true;
    }
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

v1::ControllerPlanRequest Evacuate(const std::string& from, const std::string& to,
                                   const std::string& strategy, const std::string& mode = "") {
  v1::ControllerPlanRequest r;
  r.mutable_request()->add_evacuate(from);
  r.mutable_request()->add_to(to);
  r.mutable_request()->set_strategy(strategy);
  r.mutable_request()->set_power_off(false);
  if (!mode.empty()) r.mutable_request()->set_mode(mode);
  return r;
}

// Submits, retrying while a host the plan needs is not up yet.
grpc::Status Submit(v1::Controller::Stub* stub, const v1::ControllerPlanRequest& request,
                    v1::Operation* op) {
  grpc::Status status;
  for (int i = 0; i < 60; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 60s);
    v1::SubmitRequest submit;
    *submit.mutable_request() = request;
    status = stub->Submit(&context, submit, op);
    if (status.ok() || (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION &&
                        status.error_code() != grpc::StatusCode::UNAVAILABLE)) {
      break;
    }
    std::this_thread::sleep_for(1s);
  }
  return status;
}

StatusOr<v1::Operation> Get(v1::Controller::Stub* stub, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::OperationRef ref;
  ref.set_id(id);
  v1::Operation op;
  const grpc::Status s = stub->GetOperation(&context, ref, &op);
  if (!s.ok()) return absl::UnavailableError(s.error_message());
  return op;
}

// Polls until the operation has ended (through whichever stub answers); its last state.
v1::Operation WaitEnded(const std::vector<v1::Controller::Stub*>& stubs, const std::string& id,
                        int timeout_s) {
  v1::Operation last;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    for (auto* stub : stubs) {
      auto op = Get(stub, id);
      if (!op.ok()) continue;
      last = *op;
      if (last.state() == "succeeded" || last.state() == "failed" || last.state() == "cancelled") {
        return last;
      }
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  return last;
}

// Waits until an action of `op` is running (a migration under way).
bool WaitMigrating(v1::Controller::Stub* stub, const std::string& id, int timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    auto op = Get(stub, id);
    if (op.ok()) {
      for (const auto& a : op->actions()) {
        if (a.kind() == "migrate" && a.state() == "running" &&
            a.progress().data_processed_mib() > 0) {
          return true;
        }
      }
    }
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// Every domain on every host: host -> (name -> state), from virsh in the host itself.
std::map<std::string, std::map<std::string, std::string>> Domains() {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& h : bed->hosts()) {
    auto listed = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed exec ", h.name,
                                          " virsh -q -c qemu:///system list --all"),
                             60);
    for (absl::string_view line : absl::StrSplit(listed.output, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipWhitespace());
      if (f.size() >= 3) out[h.name][f[1]] = absl::StrJoin(f.begin() + 2, f.end(), " ");
    }
  }
  return out;
}

long LastBeat(const std::string& guest) {
  auto beats = bed->Heartbeats(guest);
  return beats.empty() ? 0 : beats.back();
}

// The invariants after a fault: each guest in exactly one domain list, running there (not
// paused, not shut off, no copy elsewhere), and its serial log still counting up without a
// reset. Returns the host of each guest.
std::map<std::string, std::string> ExpectEveryGuestRunningOnce(
    const std::vector<std::string>& guests, const std::string& what) {
  std::map<std::string, std::string> where;
  const auto domains = Domains();
  for (const auto& g : guests) {
    std::vector<std::string> seen;
    for (const auto& [host, list] : domains) {
      auto it = list.find(g);
      if (it == list.end()) continue;
      seen.push_back(absl::StrCat(host, " (", it->second, ")"));
      EXPECT_EQ(it->second, "running")
          << what << ": " << g << " is " << it->second << " on " << host;
      where[g] = host;
    }
    EXPECT_EQ(seen.size(), 1u) << what << ": " << g << " is in the domain lists of "
                               << absl::StrJoin(seen, ", ");
    const long before = LastBeat(g);
    EXPECT_TRUE(bed->WaitHeartbeat(g, before + 2, 30))
        << what << ": " << g << " stopped counting at " << before << "; its kernel said:\n"
        << bed->KernelTrouble(g);
    auto beats = bed->Heartbeats(g);
    for (size_t i = 1; i < beats.size(); ++i) {
      if (beats[i] <= beats[i - 1]) {
        ADD_FAILURE() << what << ": " << g << ": heartbeat went back " << beats[i - 1] << " -> "
                      << beats[i] << " (a reboot, or two copies)";
        break;
      }
    }
  }
  return where;
}

// How many migrations each VM of `op` had on every agent (the agent's id is OPERATION.VM):
// never more than one, whatever restarted in between.
std::map<std::string, int> AgentMigrations(const std::string& operation_id) {
  std::map<std::string, int> count;
  for (const auto& h : bed->hosts()) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    v1::ListMigrationsRequest list;
    list.set_include_finished(true);
    v1::ListMigrationsResponse migrations;
    const grpc::Status listed = bed->agent(h.name)->ListMigrations(&context, list, &migrations);
    if (!listed.ok()) {
      ADD_FAILURE() << "ListMigrations on " << h.name << ": " << listed.error_message();
      continue;
    }
    for (const auto& m : migrations.migrations()) {
      if (m.id().rfind(operation_id + ".", 0) == 0) ++count[m.vm()];
    }
  }
  return count;
}

void StartGuests(const std::vector<std::string>& guests, const std::string& host, int memory_mib,
                 const std::string& run) {
  for (const auto& g : guests) {
    std::string error;
    ASSERT_TRUE(bed->StartGuest(g, host, memory_mib, run, &error)) << error;
  }
}

void DestroyGuests(const std::vector<std::string>& guests) {
  for (const auto& h : bed->hosts()) {
    for (const auto& g : guests) {
      RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed exec ", h.name,
                              " virsh -q -c qemu:///system destroy ", g, " 2>/dev/null"),
                 30);
    }
  }
}

class FaultE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason = Testbed::MissingCapability();
    if (!skip_reason.empty()) return;
    setenv("CONVOY_CONTROLLER", absl::StrJoin(kReplicas, ",").c_str(), 1);
    bed = new Testbed();
    char dir[] = "/tmp/convoy-fault-e2e-XXXXXX";
    work_dir = mkdtemp(dir);
    if (!bed->Up(3, &setup_error)) return;
    // Migrations of a few seconds: 100 Mbit/s links.
    auto shaped = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed shape all 100"), 60);
    if (shaped.exit_code != 0) setup_error = shaped.output;
  }
  static void TearDownTestSuite() {
    if (bed != nullptr) {
      bed->Down();
      delete bed;
      bed = nullptr;
    }
    std::filesystem::remove_all(work_dir);
  }
  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << "e2e skipped: " << skip_reason;
    ASSERT_TRUE(setup_error.empty()) << setup_error;
  }
  void TearDown() override {
    if (!skip_reason.empty() || !setup_error.empty() || bed_down) return;
    // Whatever a test left, the next starts from the same cluster: h1..h3 on, no guests.
    for (auto& h : bed->hosts()) {
      RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed power boot ", h.name), 120);
      bed->Reconnect(h.name);
    }
  }

  // A single convoyd (SQLite, a file of this test's own) at the first replica address, agents
  // registered.
  static void StartSingle(Convoyd* c, const std::vector<std::string>& extra = {}) {
    std::string error;
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::vector<std::string> args = {"--state", work_dir + "/" + test + ".db"};
    for (const auto& f : extra) args.push_back(f);
    ASSERT_TRUE(StartConvoyd(c, kReplicas[0], "single", args, &error)) << error;
    ASSERT_TRUE(WaitAgentsUp(c->stub.get(), 60)) << "agents did not register; convoyd log:\n"
                                                 << RunCommand("tail -20 " + c->log).output;
  }
};

TEST_F(FaultE2eTest, AKilledLeaderIsReplacedWithin10sAndItsEvacuationCompletesOnce) {
  auto etcd = test_support::EtcdCluster::Start(3, {"--max-txn-ops=4096"});
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  std::vector<Convoyd> replicas(3);
  for (int i = 0; i < 3; ++i) {
    std::string error;
    ASSERT_TRUE(StartConvoyd(&replicas[i], kReplicas[i], absl::StrCat("replica", i),
                             {"--etcd", (*etcd)->endpoint_list(), "--leader-lease-s", "5"}, &error))
        << error;
  }
  ASSERT_TRUE(WaitAgentsUp(replicas[2].stub.get(), 60)) << "through a follower or the leader";
  const std::vector<std::string> guests = {"ha-1", "ha-2", "ha-3"};
  StartGuests(guests, "h1", 128, "dirtier 2 24");
  if (HasFatalFailure()) return;

  v1::Operation op;
  grpc::Status submitted = Submit(replicas[1].stub.get(), Evacuate("h1", "h2", "sequential"), &op);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  ASSERT_TRUE(WaitMigrating(replicas[0].stub.get(), op.id(), 120));
  // The leader is the replica whose log says so.
  int leader = -1;
  for (int i = 0; i < 3; ++i) {
    if (RunCommand("grep -c ' leads ' " + replicas[i].log).output != "0\n") leader = i;
  }
  ASSERT_GE(leader, 0);
  const double killed_at = Now();
  Kill(&replicas[leader]);
  std::cout << "killed the leader " << kReplicas[leader] << " mid-evacuation\n";
  std::vector<v1::Controller::Stub*> survivors;
  for (int i = 0; i < 3; ++i) {
    if (i != leader) survivors.push_back(replicas[i].stub.get());
  }
  const v1::Operation ended = WaitEnded(survivors, op.id(), 300);
  EXPECT_EQ(ended.state(), "succeeded") << ended.error();
  // The takeover: the new leader's first event on the operation.
  double resumed_at = 0;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 30s);
    v1::WatchOperationRequest watch;
    watch.set_id(op.id());
    auto reader = survivors[0]->Watch(&context, watch);
    v1::Event e;
    while (reader->Read(&e)) {
      if (resumed_at == 0 && e.message().find("resumed") != std::string::npos) {
        resumed_at = e.at_unix_s();
      }
    }
    reader->Finish();
  }
  ASSERT_GT(resumed_at, 0) << "no replica resumed the operation";
  const double takeover_s = resumed_at - killed_at;
  std::cout << absl::StrFormat("takeover: the operation resumed %.1f s after the kill\n",
                               takeover_s);
  EXPECT_LT(takeover_s, 10.0);
  for (const auto& [vm, n] : AgentMigrations(op.id())) {
    EXPECT_EQ(n, 1) << vm << " was started " << n << " times";
  }
  EXPECT_EQ(AgentMigrations(op.id()).size(), guests.size()) << "a migration was forgotten";
  auto where = ExpectEveryGuestRunningOnce(guests, "after the failover");
  for (const auto& g : guests) EXPECT_EQ(where[g], "h2") << g;
  for (auto& r : replicas) Kill(&r);
  DestroyGuests(guests);
}

TEST_F(FaultE2eTest, ConvoydKilledAtTenSeededRandomPointsNeverLosesOrRepeatsAMigration) {
  const std::vector<std::string> guests = {"k-1", "k-2"};
  StartGuests(guests, "h1", 128, "dirtier 2 16");
  if (HasFatalFailure()) return;
  Convoyd c;
  StartSingle(&c);
  if (HasFatalFailure()) return;
  std::string from = "h1", to = "h2";
  for (int seed = 1; seed <= 10; ++seed) {
    std::mt19937 rng(static_cast<unsigned>(seed));
    const double kill_after_s = std::uniform_real_distribution<double>(0.0, 6.0)(rng);
    const double down_s = std::uniform_real_distribution<double>(0.0, 2.0)(rng);
    v1::Operation op;
    const grpc::Status submitted = Submit(c.stub.get(), Evacuate(from, to, "sequential"), &op);
    ASSERT_TRUE(submitted.ok()) << "seed " << seed << ": " << submitted.error_message();
    std::this_thread::sleep_for(std::chrono::duration<double>(kill_after_s));
    Kill(&c);
    std::this_thread::sleep_for(std::chrono::duration<double>(down_s));
    StartSingle(&c);
    if (HasFatalFailure()) return;
    const v1::Operation ended = WaitEnded({c.stub.get()}, op.id(), 240);
    std::cout << absl::StrFormat("seed %2d: killed %.2f s after submit, down %.2f s: %s\n", seed,
                                 kill_after_s, down_s, ended.state());
    EXPECT_EQ(ended.state(), "succeeded") << "seed " << seed << ": " << ended.error();
    for (const auto& [vm, n] : AgentMigrations(op.id())) {
      EXPECT_EQ(n, 1) << "seed " << seed << ": " << vm << " was started " << n << " times";
    }
    auto where = ExpectEveryGuestRunningOnce(guests, absl::StrCat("seed ", seed));
    for (const auto& g : guests) EXPECT_EQ(where[g], to) << "seed " << seed << ": " << g;
    if (HasFailure()) break;
    std::swap(from, to);
  }
  Kill(&c);
  DestroyGuests(guests);
}

TEST_F(FaultE2eTest, SourceAndDestinationAgentsKilledMidMigrationAndRestarted) {
  Convoyd c;
  StartSingle(&c);
  if (HasFatalFailure()) return;
  for (const std::string victim : {"h1", "h2"}) {
    const std::string g = "ag-" + victim;
    StartGuests({g}, "h1", 128, "dirtier 2 24");
    if (HasFatalFailure()) return;
    v1::Operation op;
    const grpc::Status submitted = Submit(c.stub.get(), Evacuate("h1", "h2", "sequential"), &op);
    ASSERT_TRUE(submitted.ok()) << submitted.error_message();
    ASSERT_TRUE(WaitMigrating(c.stub.get(), op.id(), 120));
    auto killed = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed agent-kill ", victim));
    ASSERT_EQ(killed.exit_code, 0) << killed.output;
    std::this_thread::sleep_for(3s);
    auto restarted =
        RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed agent-restart ", victim));
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
    bed->Reconnect(victim);
    const v1::Operation ended = WaitEnded({c.stub.get()}, op.id(), 240);
    std::cout << "agent of " << victim << " killed mid-migration: " << ended.state() << " "
              << ended.error() << "\n";
    EXPECT_EQ(ended.state(), "succeeded") << victim << ": " << ended.error();
    EXPECT_LE(AgentMigrations(op.id())[g], 1);
    auto where = ExpectEveryGuestRunningOnce({g}, "agent of " + victim + " killed");
    EXPECT_EQ(where[g], "h2");
    DestroyGuests({g});
  }
  Kill(&c);
}

TEST_F(FaultE2eTest, TheControllerAgentLinkCutFor30sMidEvacuation) {
  Convoyd c;
  StartSingle(&c);
  if (HasFatalFailure()) return;
  const std::vector<std::string> guests = {"cut-1", "cut-2"};
  StartGuests(guests, "h1", 128, "dirtier 2 24");
  if (HasFatalFailure()) return;
  v1::Operation op;
  const grpc::Status submitted = Submit(c.stub.get(), Evacuate("h1", "h3", "sequential"), &op);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  ASSERT_TRUE(WaitMigrating(c.stub.get(), op.id(), 120));
  // Inside h1 and h3: their agents' API and their heartbeats dropped; migration traffic
  // (libvirt, QEMU) flows.
  const std::string rules =
      "iptables -I INPUT -p tcp --dport 7700 -j DROP && iptables -I OUTPUT -p tcp --dport 7600 "
      "-j DROP";
  for (const char* h : {"h1", "h3"}) {
    auto cut =
        RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed exec ", h, " sh -c '", rules, "'"));
    ASSERT_EQ(cut.exit_code, 0) << cut.output;
  }
  std::this_thread::sleep_for(30s);
  for (const char* h : {"h1", "h3"}) {
    RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed exec ", h,
                            " sh -c 'iptables -D INPUT -p tcp --dport 7700 -j DROP; iptables -D "
                            "OUTPUT -p tcp --dport 7600 -j DROP'"));
  }
  const v1::Operation ended = WaitEnded({c.stub.get()}, op.id(), 300);
  EXPECT_EQ(ended.state(), "succeeded") << ended.error();
  for (const auto& [vm, n] : AgentMigrations(op.id())) EXPECT_EQ(n, 1) << vm;
  auto where = ExpectEveryGuestRunningOnce(guests, "link cut for 30 s");
  for (const auto& g : guests) EXPECT_EQ(where[g], "h3") << g;
  Kill(&c);
  DestroyGuests(guests);
}

TEST_F(FaultE2eTest, TheDestinationsLibvirtdKilledMidMigration) {
  Convoyd c;
  StartSingle(&c);
  if (HasFatalFailure()) return;
  const std::vector<std::string> guests = {"lv-1"};
  StartGuests(guests, "h1", 192, "dirtier 2 48");
  if (HasFatalFailure()) return;
  v1::Operation op;
  const grpc::Status submitted =
      Submit(c.stub.get(), Evacuate("h1", "h2", "sequential", "pre-copy"), &op);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  ASSERT_TRUE(WaitMigrating(c.stub.get(), op.id(), 120));
  auto killed = RunCommand("kill -9 $(cat " + bed->state_dir() + "/h2/libvirtd.pid)");
  ASSERT_EQ(killed.exit_code, 0) << killed.output;
  const v1::Operation ended = WaitEnded({c.stub.get()}, op.id(), 240);
  std::cout << "destination libvirtd killed: " << ended.state() << ": " << ended.error() << "\n";
  EXPECT_EQ(ended.state(), "failed") << "the migration cannot complete without its destination";
  // libvirtd comes back: the testbed's power boot starts h2's daemons, virtlogd with them (so the
  // one still running goes first).
  RunCommand("kill $(cat " + bed->state_dir() + "/h2/virtlogd.pid)");
  std::this_thread::sleep_for(1s);
  auto boot = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed power boot h2"), 120);
  ASSERT_EQ(boot.exit_code, 0) << boot.output;
  std::this_thread::sleep_for(5s);
  auto where = ExpectEveryGuestRunningOnce(guests, "destination libvirtd killed");
  EXPECT_EQ(where["lv-1"], "h1") << "the guest stays on its source";
  Kill(&c);
  DestroyGuests(guests);
}

TEST_F(FaultE2eTest, ADestinationThatFailsToBootLeavesEveryGuestWhereItWas) {
  // A power driver that fails to boot h3 (its BMC "times out") and otherwise is the testbed's.
  const std::string driver = work_dir + "/power";
  std::ofstream(driver) << "#!/bin/sh\n"
                        << "if [ \"$1\" = boot ] && [ \"$2\" = h3 ]; then\n"
                        << "  echo 'ipmi: h3: no answer from the BMC' >&2; exit 1\n"
                        << "fi\n"
                        << "exec " << bed->repo() << "/scripts/testbed power \"$@\"\n";
  std::filesystem::permissions(driver, std::filesystem::perms::owner_all);
  Convoyd c;
  StartSingle(&c, {"--power-command", driver, "--boot-wait-s", "20"});
  if (HasFatalFailure()) return;
  // Empty h3 and power it off through the controller, so that the next plan boots it.
  v1::Operation off;
  v1::ControllerPlanRequest empty = Evacuate("h3", "h2", "sequential");
  empty.mutable_request()->set_power_off(true);
  ASSERT_TRUE(Submit(c.stub.get(), empty, &off).ok());
  ASSERT_EQ(WaitEnded({c.stub.get()}, off.id(), 120).state(), "succeeded");
  const std::vector<std::string> guests = {"boot-1"};
  StartGuests(guests, "h1", 128, "");
  if (HasFatalFailure()) return;
  v1::Operation op;
  const grpc::Status submitted = Submit(c.stub.get(), Evacuate("h1", "h3", "sequential"), &op);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  bool boots = false;
  for (const auto& a : op.actions()) boots |= a.kind() == "boot" && a.host() == "h3";
  ASSERT_TRUE(boots) << "the plan boots h3";
  const v1::Operation ended = WaitEnded({c.stub.get()}, op.id(), 180);
  EXPECT_EQ(ended.state(), "failed");
  EXPECT_NE(ended.error().find("no answer from the BMC"), std::string::npos) << ended.error();
  for (const auto& a : ended.actions()) {
    if (a.kind() == "migrate") {
      EXPECT_EQ(a.state(), "skipped") << a.id() << ": " << a.error();
    }
  }
  auto where = ExpectEveryGuestRunningOnce(guests, "destination failed to boot");
  EXPECT_EQ(where["boot-1"], "h1");
  Kill(&c);
  DestroyGuests(guests);
}

TEST_F(FaultE2eTest, APreCopyThatNeverConvergesIsAbortedAtItsTimeoutOrSwitchedPerPlan) {
  Convoyd c;
  StartSingle(&c, {"--migration-timeout-s", "40"});
  if (HasFatalFailure()) return;
  // The link degrades after the inventory learnt its speed: the planner still counts on the
  // suite's 100 Mbit/s (94 measured), where a guest dirtying 7 MiB/s converges (it asks for about
  // 9.5 Mbit/s per MiB/s dirtied, and measures TCG's dirtier up to 17% above its rate: 12 MiB/s
  // was refused once as infeasible), but 40 Mbit/s (4.8 MiB/s) never catches up with it. A
  // pre-copy planned to converge that does not.
  auto slow = RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed shape all 40"), 60);
  ASSERT_EQ(slow.exit_code, 0) << slow.output;
  const std::vector<std::string> guests = {"nc-1"};
  StartGuests(guests, "h1", 192, "dirtier 7 96");
  if (HasFatalFailure()) return;
  // Pre-copy only: aborted at the timeout, the guest keeps running on its source.
  v1::Operation op;
  grpc::Status submitted =
      Submit(c.stub.get(), Evacuate("h1", "h2", "sequential", "pre-copy"), &op);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  v1::Operation ended = WaitEnded({c.stub.get()}, op.id(), 180);
  std::cout << "pre-copy that never converges: " << ended.state() << ": " << ended.error() << "\n";
  EXPECT_EQ(ended.state(), "failed");
  auto where = ExpectEveryGuestRunningOnce(guests, "pre-copy timed out");
  EXPECT_EQ(where["nc-1"], "h1");
  // Auto: the plan allows post-copy, so at the timeout (or when it stalls) it is switched and
  // completes.
  submitted = Submit(c.stub.get(), Evacuate("h1", "h2", "sequential", "auto"), &op);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  ended = WaitEnded({c.stub.get()}, op.id(), 180);
  EXPECT_EQ(ended.state(), "succeeded") << ended.error();
  bool switched = false;
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 30s);
    v1::WatchOperationRequest watch;
    watch.set_id(op.id());
    auto reader = c.stub->Watch(&context, watch);
    v1::Event e;
    while (reader->Read(&e)) switched |= e.action().state() == "postcopy";
    reader->Finish();
  }
  EXPECT_TRUE(switched) << "the migration went through post-copy";
  where = ExpectEveryGuestRunningOnce(guests, "switched to post-copy");
  EXPECT_EQ(where["nc-1"], "h2");
  RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed shape all 100"), 60);
  Kill(&c);
  DestroyGuests(guests);
}

TEST_F(FaultE2eTest, ZzDownLeavesNothingBehind) {
  bed->Down();
  bed_down = true;
  EXPECT_EQ(RunCommand("ip netns list | grep -c cvtb- || true").output, "0\n");
  EXPECT_EQ(RunCommand("pgrep -fc 'cvtb-[h]|convoy-agen[t] ' || true").output, "0\n");
  EXPECT_NE(RunCommand("test -e " + bed->state_dir()).exit_code, 0) << "state dir left behind";
}

}  // namespace
}  // namespace convoy::e2e
