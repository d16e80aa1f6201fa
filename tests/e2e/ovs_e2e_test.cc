// Bandwidth reservation and traffic measurement on the testbed with Open vSwitch
// (scripts/testbed up --ovs): three namespaced hosts, each with its own ovsdb-server and
// ovs-vswitchd, guests on the hosts' bridges, real QEMU guests (TCG). What the agents do to the
// switch is checked with the switch's own tools (ovs-vsctl, tc) inside each host.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controller/inventory.h"
#include "tests/e2e/testbed.h"

namespace convoy::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kRateMbit = 100;

Testbed* bed = nullptr;
std::string skip_reason;
std::string setup_error;

std::string InHost(const std::string& host, const std::string& command) {
  return bed->Exec(host, command).output;
}

// What the agents made on a host's switch: QoS and Queue rows with convoy's marks, and tc
// filters on the uplink. Empty when the switch is as the testbed set it up.
std::string ConvoyLeftovers(const std::string& host) {
  std::string out;
  const std::string queues = InHost(host, "ovs-vsctl --columns=_uuid,external_ids list queue");
  const std::string qos = InHost(host, "ovs-vsctl --columns=_uuid,external_ids list qos");
  if (absl::StrContains(queues, "convoy-")) absl::StrAppend(&out, "queues:\n", queues);
  if (absl::StrContains(qos, "convoy-owner")) absl::StrAppend(&out, "qos:\n", qos);
  const std::string filters = InHost(host, "tc filter show dev eth0 parent 1:");
  if (absl::StrContains(filters, "flowid")) absl::StrAppend(&out, "filters:\n", filters);
  const std::string flows = InHost(host, "ovs-ofctl -O OpenFlow13 dump-flows br0");
  if (absl::StrContains(flows, "set_queue")) absl::StrAppend(&out, "flows:\n", flows);
  return out;
}

v1::StartMigrationRequest Migration(const std::string& vm, const std::string& to,
                                    double bandwidth_mibps, const std::string& policy,
                                    double urgency_pct) {
  v1::StartMigrationRequest r;
  r.set_vm(vm);
  r.set_mode("pre-copy");
  r.set_bandwidth_mibps(bandwidth_mibps);
  r.mutable_destination()->set_host(to);
  r.mutable_destination()->set_libvirt_uri(bed->host(to).libvirt_uri);
  r.mutable_destination()->set_migration_address(bed->host(to).ip);
  r.mutable_destination()->set_agent_address(bed->host(to).agent);
  r.mutable_reservation()->set_policy(policy);
  r.mutable_reservation()->set_urgency_pct(urgency_pct);
  return r;
}

grpc::Status Start(const std::string& from, const v1::StartMigrationRequest& request,
                   v1::MigrationProgress* progress) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 60s);
  return bed->agent(from)->StartMigration(&context, request, progress);
}

// The migration's progress now (state "" when the agent does not answer).
v1::MigrationProgress Get(const std::string& from, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  v1::MigrationRef ref;
  ref.set_id(id);
  v1::MigrationProgress p;
  if (!bed->agent(from)->GetMigration(&context, ref, &p).ok()) p.Clear();
  return p;
}

// Waits for the migration to end; its last progress.
v1::MigrationProgress WaitEnd(const std::string& from, const std::string& id, int timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  v1::MigrationProgress p;
  while (std::chrono::steady_clock::now() < until) {
    p = Get(from, id);
    if (p.state() == "completed" || p.state() == "failed" || p.state() == "aborted") return p;
    std::this_thread::sleep_for(500ms);
  }
  return p;
}

// Polls `check` every half second for `timeout_s`.
bool Eventually(const std::function<bool()>& check, int timeout_s) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    if (check()) return true;
    std::this_thread::sleep_for(500ms);
  }
  return check();
}

bool HeartbeatsUnbroken(const std::string& guest) {
  const auto beats = bed->Heartbeats(guest);
  for (size_t i = 1; i < beats.size(); ++i) {
    if (beats[i] != beats[i - 1] + 1) return false;
  }
  return !beats.empty();
}

// Starts `guest` on h1 and a pre-copy of it to h3 at 3 MiB/s under an adaptive reservation
// (urgency 80%), and waits until h1's switch holds the reservation. The guest dirties slower
// than the VMs' queue's rest (20 Mb/s): the migration converges whichever queue carries it after
// a fault, so a failure is the clean-up's, not TCG's pace.
void StartReservedMigration(const std::string& guest, v1::MigrationProgress* started) {
  std::string error;
  ASSERT_TRUE(bed->StartGuest(guest, "h1", 128, "dirtier 1 16", &error)) << error;
  auto s = Start("h1", Migration(guest, "h3", 3, "adaptive", 80), started);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Eventually([] { return !ConvoyLeftovers("h1").empty(); }, 10));
}

class OvsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason = Testbed::MissingCapability();
    if (!skip_reason.empty()) return;
    bed = new Testbed();
    bed->Up(3, &setup_error, absl::StrCat("--ovs --rate-mbit ", kRateMbit));
  }
  static void TearDownTestSuite() {
    if (bed != nullptr) {
      bed->Down();
      delete bed;
      bed = nullptr;
    }
  }
  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << "e2e skipped: " << skip_reason;
    ASSERT_TRUE(setup_error.empty()) << setup_error;
  }
};

TEST_F(OvsE2eTest, ReservationHoldsDuringTheMigrationAndGoesAfter) {
  std::string error;
  ASSERT_TRUE(bed->StartGuest("r1", "h1", 128, "dirtier 2 16", &error)) << error;
  // 4 MiB/s: about 20 s for what the guest uses, time to look at the switches.
  v1::MigrationProgress started;
  auto s = Start("h1", Migration("r1", "h2", 4, "fixed", 75), &started);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // The source's uplink: a migration class at 75% of 100 Mb/s next to the VMs' rest, and the
  // migration connection steered into it.
  ASSERT_TRUE(Eventually(
      [] { return absl::StrContains(InHost("h1", "tc class show dev eth0"), "rate 75Mbit"); }, 10))
      << InHost("h1", "tc class show dev eth0");
  EXPECT_TRUE(absl::StrContains(InHost("h1", "tc class show dev eth0"), "ceil 25Mbit"));
  EXPECT_TRUE(absl::StrContains(InHost("h1", "tc filter show dev eth0 parent 1:"), "flowid 1:2"));
  EXPECT_TRUE(absl::StrContains(InHost("h1", "ovs-vsctl list queue"), "convoy-owner"));
  EXPECT_NEAR(Get("h1", started.id()).reserved_mbps(), 75, 1);
  // The destination holds the rest for its guests: the incoming VM's port is capped at 25 Mb/s.
  ASSERT_TRUE(Eventually(
      [] {
        return absl::StrContains(InHost("h2", "ovs-vsctl --columns=other_config list qos"),
                                 "max-rate=\"25000000\"");
      },
      10))
      << InHost("h2", "ovs-vsctl list qos");
  // The bytes went through the migration class.
  ASSERT_TRUE(Eventually(
      [] {
        const std::string out = InHost("h1", "tc -s class show dev eth0");
        const auto at = out.find("class htb 1:2 ");
        return at != std::string::npos &&
               std::atoll(out.c_str() + out.find("Sent ", at) + 5) > (8 << 20);
      },
      30))
      << InHost("h1", "tc -s class show dev eth0");

  const v1::MigrationProgress end = WaitEnd("h1", started.id(), 180);
  ASSERT_EQ(end.state(), "completed") << end.error();
  EXPECT_EQ(bed->WhereRunning("r1"), std::vector<std::string>{"h2"});
  EXPECT_TRUE(HeartbeatsUnbroken("r1"));
  // Released on both ends: the testbed's own shaping is back as it was.
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h1").empty(); }, 10))
      << ConvoyLeftovers("h1");
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h2").empty(); }, 10))
      << ConvoyLeftovers("h2");
  const std::string classes = InHost("h1", "tc class show dev eth0");
  EXPECT_TRUE(absl::StrContains(classes, "ceil 100Mbit")) << classes;
  EXPECT_FALSE(absl::StrContains(classes, "1:2 ")) << classes;
}

TEST_F(OvsE2eTest, AKilledAgentsReservationIsCleanedByItsSuccessor) {
  v1::MigrationProgress started;
  StartReservedMigration("r2", &started);
  if (HasFatalFailure()) return;

  // kill -9: the rows stay (OVS never collects them) and the migration goes on in libvirt.
  RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed agent-kill h1"), 30);
  EXPECT_FALSE(ConvoyLeftovers("h1").empty());
  // The destination's lease runs out without its source.
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h3").empty(); }, 15))
      << ConvoyLeftovers("h3");

  RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed agent-restart h1"), 60);
  bed->Reconnect("h1");
  // The successor removed what was left and, the migration still running, reserved again:
  // exactly one migration queue on the uplink.
  const std::string log =
      RunCommand(absl::StrCat("cat ", bed->state_dir(), "/h1/agent.log")).output;
  EXPECT_TRUE(absl::StrContains(log, "an earlier run left")) << log;
  v1::MigrationProgress now = Get("h1", started.id());
  if (now.state() == "running") {
    EXPECT_TRUE(now.adopted());
    const std::string queues = InHost("h1", "ovs-vsctl --columns=external_ids list queue");
    size_t owned = 0;
    for (size_t at = queues.find("convoy-owner"); at != std::string::npos;
         at = queues.find("convoy-owner", at + 1)) {
      ++owned;
    }
    EXPECT_EQ(owned, 1u) << queues;
  }
  const v1::MigrationProgress end = WaitEnd("h1", started.id(), 240);
  ASSERT_EQ(end.state(), "completed")
      << end.error() << "\nprogress: " << end.ShortDebugString() << "\n"
      << InHost("h1", "tc -s class show dev eth0") << "\n"
      << RunCommand(absl::StrCat("tail -n 40 ", bed->state_dir(), "/h1/agent.log")).output;
  EXPECT_TRUE(HeartbeatsUnbroken("r2"));
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h1").empty(); }, 10))
      << ConvoyLeftovers("h1");
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h3").empty(); }, 10))
      << ConvoyLeftovers("h3");
}

// Fault injection (issue 9): both ends' ovsdb-server killed and restarted on their databases while
// a migration holds a reservation. The agents reconnect; the migration completes, and nothing of
// the reservation is left on either switch once it ends.
TEST_F(OvsE2eTest, TheSwitchDatabasesRestartedMidReservation) {
  v1::MigrationProgress started;
  StartReservedMigration("r4", &started);
  if (HasFatalFailure()) return;
  for (const char* host : {"h1", "h3"}) {
    auto restarted =
        RunCommand(absl::StrCat(bed->repo(), "/scripts/testbed ovsdb-restart ", host), 60);
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
  }
  const v1::MigrationProgress end = WaitEnd("h1", started.id(), 240);
  ASSERT_EQ(end.state(), "completed")
      << end.error() << "\n"
      << RunCommand(absl::StrCat("tail -n 40 ", bed->state_dir(), "/h1/agent.log")).output;
  EXPECT_EQ(bed->WhereRunning("r4"), std::vector<std::string>{"h3"});
  EXPECT_TRUE(HeartbeatsUnbroken("r4"));
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h1").empty(); }, 15))
      << ConvoyLeftovers("h1")
      << RunCommand(absl::StrCat("tail -n 40 ", bed->state_dir(), "/h1/agent.log")).output;
  EXPECT_TRUE(Eventually([] { return ConvoyLeftovers("h3").empty(); }, 15))
      << ConvoyLeftovers("h3");
}

TEST_F(OvsE2eTest, ABadReservationIsRefusedAndLeavesTheVmRunning) {
  std::string error;
  ASSERT_TRUE(bed->StartGuest("r3", "h2", 96, "", &error)) << error;
  auto request = Migration("r3", "h3", 8, "adaptive", 75);
  request.mutable_reservation()->set_urgency_pct(140);
  v1::MigrationProgress p;
  auto s = Start("h2", request, &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "urgency")) << s.error_message();
  EXPECT_EQ(bed->WhereRunning("r3"), std::vector<std::string>{"h2"});
  EXPECT_TRUE(ConvoyLeftovers("h2").empty());
}

TEST_F(OvsE2eTest, TheControllerSeesTheThreeTierAppsTrafficMatrix) {
  std::string error;
  // db and app on h2, web on h3: one pair on one switch, one across the link.
  ASSERT_TRUE(bed->StartGuest("db", "h2", 96, "tier db 7001", &error, "--ip 10.77.0.121/24"))
      << error;
  ASSERT_TRUE(bed->StartGuest("app", "h2", 96, "tier app 7002 10.77.0.121 7001", &error,
                              "--ip 10.77.0.122/24"))
      << error;
  ASSERT_TRUE(
      bed->StartGuest("web", "h3", 96, "tier web 10.77.0.122 7002", &error, "--ip 10.77.0.123/24"))
      << error;
  ASSERT_TRUE(bed->StartGuest("idle", "h3", 96, "cpuburn", &error, "--ip 10.77.0.124/24")) << error;

  // The controller's own inventory, talking to the real agents.
  auto dialer = controller::MakeGrpcAgentDialer(10000, bed->ControllerCredentials());
  controller::Inventory inventory(dialer.get(), controller::InventoryOptions{});
  for (const auto& h : bed->hosts()) {
    v1::AgentHello hello;
    hello.set_name(h.name);
    hello.set_address(h.agent);
    ASSERT_TRUE(inventory.Heartbeat(hello).ok());
  }
  std::vector<v1::Traffic> matrix;
  ASSERT_TRUE(Eventually(
      [&] {
        inventory.Refresh();  // the first makes the flows, later ones measure them
        const auto snapshot = inventory.Snapshot();
        matrix.assign(snapshot.measured_traffic().begin(), snapshot.measured_traffic().end());
        return matrix.size() >= 2;
      },
      60));
  std::string shown;
  for (const auto& t : matrix) absl::StrAppend(&shown, t.a(), "<->", t.b(), " ", t.kbps(), "\n");
  const auto pair = [](const v1::Traffic& t) { return t.a() + "<->" + t.b(); };
  std::set<std::string> top = {pair(matrix[0]), pair(matrix[1])};
  EXPECT_EQ(top, (std::set<std::string>{"app<->web", "app<->db"})) << shown;
  for (size_t i = 2; i < matrix.size(); ++i) {
    EXPECT_LT(matrix[i].kbps(), matrix[1].kbps()) << shown;
  }
  // web sends a request every 100 ms: some kb/s, not nothing and not a flood.
  EXPECT_GT(matrix[1].kbps(), 1) << shown;
  EXPECT_LT(matrix[0].kbps(), 2000) << shown;
}

}  // namespace
}  // namespace convoy::e2e
