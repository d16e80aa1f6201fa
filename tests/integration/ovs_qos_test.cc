// The Open vSwitch QosProgrammer against a real ovsdb-server and ovs-vswitchd (userspace
// datapath) in a namespace of its own (tests/ovs/ovs-sandbox): reservations made and released
// leave the database, the flows and the kernel's qdisc as they were; the migration connection's
// packets really go through the migration class; a restarted agent finds what a crashed one left.
// Needs root (network namespaces); skips with the reason otherwise.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/ovs/ovs_qos_programmer.h"
#include "agent/reservation_manager.h"

namespace convoy::agent::ovs {
namespace {

Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) {
  return s.status();
}
#define ASSERT_OK(expr)                      \
  do {                                       \
    const Status status_ = AsStatus((expr)); \
    ASSERT_TRUE(status_.ok()) << status_;    \
  } while (0)

std::string sandbox_name;
std::string sandbox_dir;
std::string skip_reason;
int root_netns = -1;

std::string Shell(const std::string& command, int* exit_code = nullptr) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) out += buffer.data();
  const int status = pclose(pipe);
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string Vsctl(const std::string& args) {
  return Shell(absl::StrCat("ovs-vsctl --db=unix:", sandbox_dir, "/db.sock ", args));
}

std::string Ofctl(const std::string& args) {
  return Shell(absl::StrCat("ovs-ofctl -O OpenFlow13 ", args, " unix:", sandbox_dir, "/br0.mgmt"));
}

OvsOptions Options() {
  OvsOptions o;
  o.db = absl::StrCat("unix:", sandbox_dir, "/db.sock");
  o.openflow = absl::StrCat("unix:", sandbox_dir, "/br0.mgmt");
  o.bridge = "br0";
  o.uplink = "up0";
  o.uplink_bps = 100e6;
  return o;
}

// Sends `bytes` over TCP from this (switch) namespace to the peer at 10.79.0.2:`port`, where a
// child process in the peer namespace accepts and drains it.
bool SendThroughUplink(int port, size_t bytes) {
  int ready[2];
  if (pipe(ready) != 0) return false;
  const pid_t child = fork();
  if (child == 0) {
    const int peer = open(absl::StrCat("/run/netns/", sandbox_name, "-peer").c_str(), O_RDONLY);
    if (peer < 0 || setns(peer, CLONE_NEWNET) != 0) _exit(3);
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(s, 1) != 0) _exit(4);
    (void)!write(ready[1], "x", 1);
    const int c = accept(s, nullptr, nullptr);
    char buffer[65536];
    while (read(c, buffer, sizeof(buffer)) > 0) {
    }
    _exit(0);
  }
  char x = 0;
  (void)!read(ready[0], &x, 1);
  close(ready[0]);
  close(ready[1]);
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "10.79.0.2", &a.sin_addr);
  bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  std::string chunk(65536, 'm');
  size_t sent = 0;
  while (ok && sent < bytes) {
    const ssize_t n = write(s, chunk.data(), chunk.size());
    if (n <= 0) ok = false;
    sent += n > 0 ? static_cast<size_t>(n) : 0;
  }
  close(s);
  int status = 0;
  waitpid(child, &status, 0);
  return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Bytes the uplink's HTB class 1:`minor` sent.
long long ClassBytes(int minor) {
  const std::string out = Shell("tc -s class show dev up0");
  const std::string head = absl::StrCat("class htb 1:", minor, " ");
  const auto at = out.find(head);
  if (at == std::string::npos) return -1;
  const auto sent = out.find("Sent ", at);
  return sent == std::string::npos ? -1 : std::atoll(out.c_str() + sent + 5);
}

class OvsQosTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) {
      skip_reason = "needs root (network namespaces)";
      return;
    }
    int rc = 0;
    Shell("command -v ovs-vswitchd ovsdb-server ovs-vsctl ovs-ofctl tc ethtool", &rc);
    if (rc != 0) {
      // scripts/setup installs these: their absence on a set-up machine is a defect.
      skip_reason = "Open vSwitch, iproute2 or ethtool missing (run scripts/setup)";
      return;
    }
    sandbox_name = absl::StrCat("cvovs", getpid());
    sandbox_dir = absl::StrCat("/run/", sandbox_name);
    const std::string out = Shell(
        absl::StrCat(CONVOY_REPO_DIR, "/tests/ovs/ovs-sandbox up ", sandbox_name, " ", sandbox_dir),
        &rc);
    ASSERT_EQ(rc, 0) << out;
    root_netns = open("/proc/self/ns/net", O_RDONLY);
    const int sw = open(absl::StrCat("/run/netns/", sandbox_name, "-sw").c_str(), O_RDONLY);
    ASSERT_GE(sw, 0);
    ASSERT_EQ(setns(sw, CLONE_NEWNET), 0);
    close(sw);
  }
  static void TearDownTestSuite() {
    if (root_netns >= 0) {
      setns(root_netns, CLONE_NEWNET);
      close(root_netns);
    }
    if (!sandbox_name.empty()) {
      Shell(absl::StrCat(CONVOY_REPO_DIR, "/tests/ovs/ovs-sandbox down ", sandbox_name, " ",
                         sandbox_dir));
    }
  }
  void SetUp() override {
    if (!skip_reason.empty()) GTEST_SKIP() << skip_reason;
  }
  void TearDown() override {
    if (!skip_reason.empty()) return;
    // Every test leaves the switch as it found it; a failed one must not spoil the next.
    auto p = OvsQosProgrammer::Open(Options());
    if (p.ok()) (void)(*p)->RemoveAll();
    Vsctl("clear port up0 qos -- --all destroy qos -- --all destroy queue");
  }
};

TEST_F(OvsQosTest, OvsdbClientSpeaksTheProtocol) {
  OvsdbClient db(Options().db);
  auto rows = db.Transact("Open_vSwitch",
                          nlohmann::json::array({{{"op", "select"},
                                                  {"table", "Bridge"},
                                                  {"where", nlohmann::json::array()},
                                                  {"columns", {"name", "datapath_type"}}}}));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ((*rows)[0]["rows"].size(), 1u);
  EXPECT_EQ((*rows)[0]["rows"][0]["name"], "br0");
  EXPECT_EQ((*rows)[0]["rows"][0]["datapath_type"], "netdev");

  auto bad = db.Transact(
      "Open_vSwitch",
      nlohmann::json::array(
          {{{"op", "select"}, {"table", "NoSuchTable"}, {"where", nlohmann::json::array()}}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "NoSuchTable")) << bad.status();

  OvsdbClient nowhere(absl::StrCat("unix:", sandbox_dir, "/nothing.sock"), 500);
  auto none = nowhere.Transact("Open_vSwitch", nlohmann::json::array());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable) << none.status();
}

TEST_F(OvsQosTest, OpenRefusesAMissingBridgeOrUplink) {
  OvsOptions o = Options();
  o.bridge = "br9";
  auto p = OvsQosProgrammer::Open(o);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(p.status().message(), "br9")) << p.status();
  o = Options();
  o.uplink = "eth9";
  p = OvsQosProgrammer::Open(o);
  EXPECT_TRUE(absl::StrContains(p.status().message(), "eth9")) << p.status();
}

TEST_F(OvsQosTest, ReservationOnABarePortIsMadeAppliedAndRemoved) {
  auto opened = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(opened.ok()) << opened.status();
  OvsQosProgrammer& p = **opened;
  EXPECT_TRUE(p.userspace_datapath());

  ASSERT_OK(p.SetUplinkReservation({80e6, {"10.79.0.2"}}));
  EXPECT_TRUE(absl::StrContains(Vsctl("get port up0 qos"), "-")) << "a QoS is on the uplink";
  const std::string classes = Shell("tc class show dev up0");
  EXPECT_TRUE(absl::StrContains(classes, "class htb 1:2 ")) << classes;
  EXPECT_TRUE(absl::StrContains(classes, "rate 80Mbit")) << classes;
  EXPECT_TRUE(absl::StrContains(classes, "rate 20Mbit ceil 20Mbit")) << classes;  // the VMs' rest
  EXPECT_TRUE(absl::StrContains(Shell("tc filter show dev up0"), "flowid 1:2"));
  const std::string flows = Ofctl("dump-flows");
  EXPECT_TRUE(absl::StrContains(flows, "set_queue:1")) << flows;
  EXPECT_TRUE(absl::StrContains(flows, "nw_dst=10.79.0.2")) << flows;

  // A migration connection (its port in libvirt's range) goes through the migration class.
  const long long before = ClassBytes(2);
  ASSERT_TRUE(SendThroughUplink(49160, 4 << 20));
  EXPECT_GT(ClassBytes(2) - before, 4 << 20) << Shell("tc -s class show dev up0");
  // Another connection does not.
  const long long migration_class = ClassBytes(2);
  ASSERT_TRUE(SendThroughUplink(5001, 1 << 20));
  EXPECT_LT(ClassBytes(2) - migration_class, 64 << 10);

  // A new rate changes the queues in place; the filters and flows stay.
  ASSERT_OK(p.SetUplinkReservation({50e6, {"10.79.0.2"}}));
  EXPECT_TRUE(absl::StrContains(Shell("tc class show dev up0"), "rate 50Mbit"));
  EXPECT_TRUE(absl::StrContains(Shell("tc filter show dev up0"), "flowid 1:2"));

  auto counters = p.ReadCounters();
  ASSERT_TRUE(counters.ok()) << counters.status();
  EXPECT_GT(counters->uplink_tx_bytes, 5u << 20);

  ASSERT_OK(p.SetUplinkReservation({}));
  EXPECT_EQ(Vsctl("get port up0 qos"), "[]\n");
  EXPECT_EQ(Vsctl("list qos"), "");
  EXPECT_EQ(Vsctl("list queue"), "");
  EXPECT_FALSE(absl::StrContains(Ofctl("dump-flows"), "set_queue"));
  EXPECT_FALSE(absl::StrContains(Shell("tc qdisc show dev up0"), "htb"));
}

TEST_F(OvsQosTest, ReservationOnAShapedPortRestoresItsQos) {
  // As the testbed (or an operator) shapes an uplink: linux-htb at 100 Mb/s, one queue.
  Vsctl(
      "set port up0 qos=@q -- --id=@q create qos type=linux-htb other-config:max-rate=100000000 "
      "queues=0=@q0 -- --id=@q0 create queue other-config:max-rate=100000000 "
      "other-config:priority=3");
  auto opened = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(opened.ok());
  ASSERT_OK((*opened)->SetUplinkReservation({75e6, {"10.79.0.2"}}));
  EXPECT_TRUE(absl::StrContains(Vsctl("list queue"), "convoy-saved-max-rate"));
  EXPECT_TRUE(absl::StrContains(Shell("tc class show dev up0"), "rate 25Mbit ceil 25Mbit"));

  ASSERT_OK((*opened)->SetUplinkReservation({}));
  const std::string queues = Vsctl("--columns=other_config,external_ids list queue");
  EXPECT_TRUE(absl::StrContains(queues, "max-rate=\"100000000\"")) << queues;
  EXPECT_TRUE(absl::StrContains(queues, "priority=\"3\"")) << queues;
  EXPECT_FALSE(absl::StrContains(queues, "min-rate")) << queues;  // it had none
  EXPECT_FALSE(absl::StrContains(queues, "convoy")) << queues;
  EXPECT_EQ(Vsctl("--columns=queues list qos").find("1="), std::string::npos);
  EXPECT_FALSE(absl::StrContains(Shell("tc filter show dev up0"), "flowid"));
}

TEST_F(OvsQosTest, ARestartedAgentRemovesWhatACrashedOneLeft) {
  Vsctl(
      "set port up0 qos=@q -- --id=@q create qos type=linux-htb other-config:max-rate=100000000 "
      "queues=0=@q0 -- --id=@q0 create queue other-config:max-rate=100000000");
  {
    auto crashed = OvsQosProgrammer::Open(Options());
    ASSERT_TRUE(crashed.ok());
    ASSERT_OK((*crashed)->SetUplinkReservation({90e6, {"10.79.0.2"}}));
    ASSERT_OK((*crashed)->SetTrafficPairs({"52:54:00:00:00:01"}, {"52:54:00:00:00:02"}));
    // Destroyed without releasing: what a kill -9 leaves.
  }
  auto restarted = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(restarted.ok());
  auto removed = (*restarted)->RemoveAll();
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_GE(*removed, 3);  // the migration queue, queue 0's saved rate, flows
  const std::string queues = Vsctl("--columns=other_config,external_ids list queue");
  EXPECT_FALSE(absl::StrContains(queues, "convoy")) << queues;
  EXPECT_TRUE(absl::StrContains(queues, "max-rate=\"100000000\"")) << queues;
  EXPECT_EQ(Ofctl("dump-flows").find("cookie=0xc0a7"), std::string::npos);
  EXPECT_FALSE(absl::StrContains(Shell("tc filter show dev up0"), "flowid"));
  auto again = (*restarted)->RemoveAll();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_F(OvsQosTest, AnotherQosTypeIsRefusedWithWhatToChange) {
  Vsctl("set port up0 qos=@q -- --id=@q create qos type=linux-hfsc other-config:max-rate=1000000");
  auto opened = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(opened.ok());
  Status s = (*opened)->SetUplinkReservation({50e6, {"10.79.0.2"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "linux-hfsc")) << s;
}

TEST_F(OvsQosTest, GuestIngressCapShapesTheGuestPortsAndGoes) {
  auto opened = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(opened.ok());
  ASSERT_OK((*opened)->SetGuestIngressCap(30e6));
  EXPECT_TRUE(absl::StrContains(Shell("tc class show dev vm0"), "ceil 30Mbit"));
  EXPECT_EQ(Vsctl("get port up0 qos"), "[]\n");  // the uplink is not a guest port
  ASSERT_OK((*opened)->SetGuestIngressCap(40e6));
  EXPECT_TRUE(absl::StrContains(Shell("tc class show dev vm0"), "ceil 40Mbit"));
  ASSERT_OK((*opened)->SetGuestIngressCap(0));
  EXPECT_EQ(Vsctl("get port vm0 qos"), "[]\n");
  EXPECT_EQ(Vsctl("list qos"), "");
  EXPECT_EQ(Vsctl("list queue"), "");
}

TEST_F(OvsQosTest, TrafficPairsAreFlowsWithCounters) {
  auto opened = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(opened.ok());
  const std::string vm = "52:54:00:00:00:01";
  ASSERT_OK((*opened)->SetTrafficPairs({vm}, {vm, "52:54:00:00:00:02", "52:54:00:00:00:03"}));
  auto pairs = (*opened)->ReadTrafficPairs();
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  ASSERT_EQ(pairs->size(), 2u);  // not to itself
  for (const auto& pair : *pairs) EXPECT_EQ(pair.src_mac, vm);
  ASSERT_OK((*opened)->SetTrafficPairs({vm}, {"52:54:00:00:00:03"}));
  pairs = (*opened)->ReadTrafficPairs();
  ASSERT_EQ(pairs->size(), 1u);
  EXPECT_EQ((*pairs)[0].dst_mac, "52:54:00:00:00:03");
}

TEST_F(OvsQosTest, ReservationManagerReservesAndReleasesOnTheSwitch) {
  auto opened = OvsQosProgrammer::Open(Options());
  ASSERT_TRUE(opened.ok());
  ReservationOptions options;
  ReservationManager manager(opened->get(), nullptr, options);
  ASSERT_OK(manager.Start());
  OutgoingReservation r;
  r.id = "m1";
  r.destination_ip = "10.79.0.2";
  r.policy = ReservationPolicy::kFixed;
  r.urgency_pct = 75;
  ASSERT_OK(manager.BeginOutgoing(r));
  EXPECT_NEAR(manager.OutgoingBps(), 75e6, 1e5);
  EXPECT_TRUE(absl::StrContains(Shell("tc class show dev up0"), "rate 75Mbit"));
  manager.EndOutgoing("m1");
  for (int i = 0; i < 50 && Vsctl("list queue") != ""; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Vsctl("list queue"), "");
  EXPECT_EQ(manager.OutgoingBps(), 0);
}

}  // namespace
}  // namespace convoy::agent::ovs
