// SOLive's Algorithm 1 (agent/reservation_policy.h) and the agent's ReservationManager on an
// in-memory switch: the reservation starts where the paper says, follows the measured shares,
// is released when the last migration ends, and the destination is told by lease.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/host_switch.h"
#include "agent/reservation_manager.h"
#include "agent/reservation_policy.h"
#include "tests/fakes/fake_qos.h"

namespace convoy::agent {
namespace {

using Clock = ReservationManager::Clock;
constexpr double kMin = 5, kMax = 95, kThreshold = 10;

TEST(ReservationPolicyTest, ParsesTheThreePolicies) {
  EXPECT_EQ(*ParseReservationPolicy(""), ReservationPolicy::kNone);
  EXPECT_EQ(*ParseReservationPolicy("none"), ReservationPolicy::kNone);
  EXPECT_EQ(*ParseReservationPolicy("adaptive"), ReservationPolicy::kAdaptive);
  EXPECT_EQ(*ParseReservationPolicy("fixed"), ReservationPolicy::kFixed);
  auto bad = ParseReservationPolicy("greedy");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("greedy"), absl::string_view::npos);
}

TEST(ReservationPolicyTest, InitialIsTheLargerOfAvailableAndUrgency) {
  EXPECT_EQ(InitialReservationPct(ReservationPolicy::kAdaptive, 30, 75), 75);
  EXPECT_EQ(InitialReservationPct(ReservationPolicy::kAdaptive, 90, 75), 90);
  EXPECT_EQ(InitialReservationPct(ReservationPolicy::kFixed, 90, 55), 55);
  EXPECT_EQ(InitialReservationPct(ReservationPolicy::kNone, 90, 55), 0);
}

TEST(ReservationPolicyTest, GrowsIntoFreeBandwidthAboveTheThreshold) {
  // 40% reserved, 30% of the uplink idle: the reservation takes it.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 40, {30, 40}, 75, kThreshold, kMin, kMax),
      70);
  // Never beyond the most the VMs leave.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 80, {50, 79}, 75, kThreshold, kMin, kMax),
      kMax);
  // Free bandwidth that is mostly the migration's own unused reservation is not taken: the
  // reservation shrinks to use instead.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 80, {50, 30}, 75, kThreshold, kMin, kMax),
      30);
}

TEST(ReservationPolicyTest, JumpsToUrgencyWhenSaturated) {
  // 40% reserved and all of it used, no free bandwidth, urgency 75: jump.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 40, {2, 39.5}, 75, kThreshold, kMin, kMax),
      75);
  // Saturated but already at urgency: stays.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 75, {2, 74.5}, 75, kThreshold, kMin, kMax),
      75);
}

TEST(ReservationPolicyTest, ShrinksToUseWhenOverReserved) {
  // 75% reserved, the migration uses 20%: give the VMs the rest.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 75, {5, 20}, 75, kThreshold, kMin, kMax),
      20);
  // Within the threshold: unchanged.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 75, {5, 70}, 75, kThreshold, kMin, kMax),
      75);
  // Never below the floor, so saturation stays visible.
  EXPECT_EQ(
      NextReservationPct(ReservationPolicy::kAdaptive, 75, {5, 0}, 75, kThreshold, kMin, kMax),
      kMin);
}

TEST(ReservationPolicyTest, FixedHoldsWhateverHappens) {
  EXPECT_EQ(NextReservationPct(ReservationPolicy::kFixed, 55, {40, 10}, 55, kThreshold, kMin, kMax),
            55);
}

class ReservationManagerTest : public ::testing::Test {
 protected:
  ReservationManagerTest()
      : manager_(
            &qos_,
            [this](const std::string& agent, const std::string& id, double bps, double lease_s) {
              notices_.push_back({agent, id, bps, lease_s});
              return absl::OkStatus();
            },
            ReservationOptions{}) {}

  OutgoingReservation Out(const std::string& id, ReservationPolicy policy, double urgency) {
    OutgoingReservation r;
    r.id = id;
    r.destination_ip = "10.0.0.2";
    r.destination_agent = "10.0.0.2:7700";
    r.policy = policy;
    r.urgency_pct = urgency;
    return r;
  }

  // One second in which the uplink sent `uplink_mbps` of which `migration_mbps` was migration.
  void Second(double uplink_mbps, double migration_mbps) {
    uplink_bytes_ += static_cast<uint64_t>(uplink_mbps * 1e6 / 8);
    migration_bytes_ += static_cast<uint64_t>(migration_mbps * 1e6 / 8);
    qos_.set_counters({uplink_bytes_, migration_bytes_});
    now_ += std::chrono::seconds(1);
    manager_.Tick(now_);
  }

  struct Notice {
    std::string agent, id;
    double bps, lease_s;
  };
  FakeQos qos_;  // 100 Mb/s
  std::vector<Notice> notices_;
  ReservationManager manager_;
  Clock::time_point now_ = Clock::now();
  uint64_t uplink_bytes_ = 0, migration_bytes_ = 0;
};

TEST_F(ReservationManagerTest, StartsAtUrgencyOnABusyUplinkAndFollowsAlgorithmOne) {
  Second(0, 0);
  Second(90, 0);  // the VMs use 90% before the migration: 10% available
  ASSERT_TRUE(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kAdaptive, 75)).ok());
  EXPECT_NEAR(qos_.uplink().reserved_bps, 75e6, 1);
  ASSERT_EQ(qos_.uplink().destinations.size(), 1u);
  EXPECT_EQ(qos_.uplink().destinations[0], "10.0.0.2");

  Second(99, 30);  // over-reserved by 45 points: shrink to what it uses
  EXPECT_NEAR(manager_.OutgoingBps(), 30e6, 1e3);
  Second(99, 29.6);  // saturated: back to urgency
  EXPECT_NEAR(manager_.OutgoingBps(), 75e6, 1e3);
  Second(75, 74.5);  // the VMs stopped sending: 25% free, and the migration uses all it has
  EXPECT_NEAR(manager_.OutgoingBps(), 95e6, 1e3);

  // The destination hears of it every second, as a lease.
  ASSERT_FALSE(notices_.empty());
  EXPECT_EQ(notices_.back().agent, "10.0.0.2:7700");
  EXPECT_EQ(notices_.back().id, "m1");
  EXPECT_NEAR(notices_.back().bps, 95e6, 1e3);
  EXPECT_GT(notices_.back().lease_s, 1);

  manager_.EndOutgoing("m1");
  EXPECT_EQ(qos_.uplink().reserved_bps, 0);
  EXPECT_EQ(manager_.OutgoingBps(), 0);
  EXPECT_EQ(notices_.back().bps, 0);  // released at the destination too
}

TEST_F(ReservationManagerTest, TheFirstReservationHoldsUntilTheMigrationMovesData) {
  Second(0, 0);
  Second(90, 0);
  ASSERT_TRUE(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kAdaptive, 75)).ok());
  Second(25, 0);  // libvirt still setting up: the uplink looks free, nothing is adjusted
  Second(25, 0);
  EXPECT_NEAR(manager_.OutgoingBps(), 75e6, 1e3);
  Second(99, 70);
  EXPECT_NEAR(manager_.OutgoingBps(), 75e6, 1e3);  // within the threshold of its use
}

TEST_F(ReservationManagerTest, AnIdleUplinkStartsWithAllThatIsFree) {
  Second(0, 0);
  Second(10, 0);
  ASSERT_TRUE(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kAdaptive, 55)).ok());
  EXPECT_NEAR(manager_.OutgoingBps(), 90e6, 1e3);
}

TEST_F(ReservationManagerTest, FixedHoldsUrgencyAndSeveralMigrationsShareOneReservation) {
  ASSERT_TRUE(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kFixed, 55)).ok());
  auto second = Out("m2", ReservationPolicy::kFixed, 55);
  second.destination_ip = "10.0.0.3";
  ASSERT_TRUE(manager_.BeginOutgoing(second).ok());
  Second(99, 10);
  EXPECT_NEAR(manager_.OutgoingBps(), 55e6, 1e3);
  EXPECT_EQ(qos_.uplink().destinations.size(), 2u);
  manager_.EndOutgoing("m1");
  EXPECT_NEAR(manager_.OutgoingBps(), 55e6, 1e3);  // m2 still holds it
  ASSERT_EQ(qos_.uplink().destinations.size(), 1u);
  EXPECT_EQ(qos_.uplink().destinations[0], "10.0.0.3");
  manager_.EndOutgoing("m2");
  EXPECT_EQ(qos_.uplink().reserved_bps, 0);
}

TEST_F(ReservationManagerTest, ARefusedReservationLeavesNothing) {
  qos_.FailNext(absl::FailedPreconditionError("the uplink has a QoS of type 'linux-hfsc'"));
  Status s = manager_.BeginOutgoing(Out("m1", ReservationPolicy::kAdaptive, 75));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("linux-hfsc"), absl::string_view::npos) << s;
  EXPECT_FALSE(manager_.HasOutgoing("m1"));
  EXPECT_EQ(qos_.uplink().reserved_bps, 0);
}

TEST_F(ReservationManagerTest, BadRequestsAreRefusedByName) {
  EXPECT_EQ(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kAdaptive, 0)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kAdaptive, 130)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_.BeginOutgoing(Out("m1", ReservationPolicy::kNone, 50)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_.SetIncoming("m1", -1, 5).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(manager_.SetIncoming("m1", 1e6, 600).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ReservationManagerTest, IncomingLeasesCapTheGuestsUntilTheyRunOut) {
  ASSERT_TRUE(manager_.SetIncoming("m1", 60e6, 0.2).ok());
  EXPECT_NEAR(qos_.guest_cap_bps(), 40e6, 1);
  ASSERT_TRUE(manager_.SetIncoming("m2", 20e6, 5).ok());
  EXPECT_NEAR(qos_.guest_cap_bps(), 20e6, 1);
  EXPECT_EQ(manager_.IncomingBps("m2"), 20e6);
  // m1's source went silent: its lease runs out, m2's holds.
  manager_.Tick(Clock::now() + std::chrono::seconds(1));
  EXPECT_NEAR(qos_.guest_cap_bps(), 80e6, 1);
  ASSERT_TRUE(manager_.SetIncoming("m2", 0, 0).ok());
  EXPECT_EQ(qos_.guest_cap_bps(), 0);
}

TEST_F(ReservationManagerTest, StartRemovesLeftoversOfAnEarlierRun) {
  qos_.leftovers = 4;
  auto removed = manager_.Start();
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 4);
}

TEST(HostSwitchTest, WithoutASwitchAReservationIsRefusedWithTheReason) {
  HostSwitch none(nullptr, nullptr, "no Open vSwitch at /run/openvswitch/db.sock");
  v1::StartMigrationRequest request;
  request.set_id("m1");
  request.mutable_destination()->set_migration_address("127.0.0.1");
  EXPECT_TRUE(none.OnMigrationStart(request).ok());  // none asked
  request.mutable_reservation()->set_policy("adaptive");
  Status s = none.OnMigrationStart(request);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("/run/openvswitch"), absl::string_view::npos) << s;
  request.mutable_reservation()->set_policy("sometimes");
  EXPECT_EQ(none.OnMigrationStart(request).code(), absl::StatusCode::kInvalidArgument);
  v1::IncomingReservation incoming;
  incoming.set_id("m1");
  EXPECT_EQ(none.ReserveIncoming(incoming).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(HostSwitchTest, ReservesTowardTheDestinationAndReportsIt) {
  FakeQos qos;
  ReservationManager manager(&qos, nullptr, ReservationOptions{});
  HostSwitch host(&qos, &manager, "Open vSwitch bridge br0");
  v1::StartMigrationRequest request;
  request.set_id("m1");
  request.mutable_destination()->set_libvirt_uri("qemu+tcp://127.0.0.1/system");
  request.mutable_reservation()->set_policy("fixed");
  request.mutable_reservation()->set_urgency_pct(60);
  ASSERT_TRUE(host.OnMigrationStart(request).ok());
  ASSERT_EQ(qos.uplink().destinations.size(), 1u);
  EXPECT_EQ(qos.uplink().destinations[0], "127.0.0.1");  // from the libvirt URI
  v1::MigrationProgress progress;
  progress.set_id("m1");
  host.Annotate(&progress);
  EXPECT_NEAR(progress.reserved_mbps(), 60, 1e-6);
  host.OnMigrationEnd("m1");
  EXPECT_EQ(qos.uplink().reserved_bps, 0);

  v1::HostReport report;
  auto* vm = report.add_vms();
  vm->set_name("web");
  vm->add_taps()->set_mac("52:54:00:00:00:01");
  v1::DescribeRequest describe;
  describe.add_peer_macs("52:54:00:00:00:02");
  host.FillReport(describe, &report);
  EXPECT_TRUE(report.qos().available());
  EXPECT_NEAR(report.qos().uplink_mbps(), 100, 1e-6);
  ASSERT_EQ(qos.traffic_pairs().size(), 1u);
  EXPECT_EQ(qos.traffic_pairs()[0].second, "52:54:00:00:00:02");
  EXPECT_EQ(report.traffic_size(), 0);  // no window yet

  // Ten seconds later the flow carried 10 MB: 8 Mb/s.
  qos.set_pairs({{"52:54:00:00:00:01", "52:54:00:00:00:02", 0, 1}});
  v1::HostReport first = report;
  first.clear_traffic();
  host.FillReport(describe, &first);
  qos.set_pairs({{"52:54:00:00:00:01", "52:54:00:00:00:02", 10'000'000, 11}});
  v1::HostReport second = report;
  second.clear_traffic();
  host.FillReport(describe, &second);
  ASSERT_EQ(second.traffic_size(), 1);
  EXPECT_EQ(second.traffic(0).src_vm(), "web");
  EXPECT_NEAR(second.traffic(0).mbps(), 8, 1e-6);
  EXPECT_NEAR(second.traffic(0).window_s(), 10, 1e-6);
}

TEST(HostSwitchTest, DestinationAddressComesFromTheMigrationAddressOrTheUri) {
  v1::Destination d;
  d.set_libvirt_uri("qemu+tcp://127.0.0.1:16509/system");
  EXPECT_EQ(*MigrationDestinationIpv4(d), "127.0.0.1");
  d.set_migration_address("localhost");
  EXPECT_EQ(*MigrationDestinationIpv4(d), "127.0.0.1");
  EXPECT_EQ(MigrationDestinationIpv4(v1::Destination()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace convoy::agent
