// The lease-based leader election of convoyd replicas (controller/leader_election.h) against a
// real etcd: one leader at a time, a clean handover on Stop, and a leader whose lease is gone
// is told at once and replaced.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "controller/leader_election.h"
#include "tests/support/etcd_cluster.h"

namespace convoy::controller {
namespace {

using namespace std::chrono_literals;

class LeaderElectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = test_support::EtcdCluster::Start(1);
    ASSERT_TRUE(started.ok()) << started.status();
    etcd_ = started->release();
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
  }
  static std::shared_ptr<store::EtcdClient> Client() {
    store::EtcdOptions options;
    options.endpoints = etcd_->endpoints();
    return std::shared_ptr<store::EtcdClient>(*store::EtcdClient::Connect(options));
  }
  static bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      if (condition()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return condition();
  }
  static test_support::EtcdCluster* etcd_;
};
test_support::EtcdCluster* LeaderElectionTest::etcd_ = nullptr;

struct Replica {
  Replica(std::shared_ptr<store::EtcdClient> etcd, const std::string& key,
          const std::string& address, int lease_ttl_s = 2)
      : election(std::move(etcd), {key, address, lease_ttl_s, 100}) {
    election.Start(
        [this](const std::string& value) {
          std::lock_guard<std::mutex> lock(mu);
          fence_value = value;
          ++elected;
        },
        [this] { ++lost; });
  }
  std::string fence() {
    std::lock_guard<std::mutex> lock(mu);
    return fence_value;
  }
  LeaderElection election;
  std::mutex mu;
  std::string fence_value;
  std::atomic<int> elected{0};
  std::atomic<int> lost{0};
};

TEST_F(LeaderElectionTest, OneLeadsTheOthersKnowItsAddressAndAStopHandsOverAtOnce) {
  // Leases of 10 s: a handover within 3 s can only be the revocation's.
  auto a = std::make_unique<Replica>(Client(), "/e1/leader", "10.0.0.1:7600", 10);
  ASSERT_TRUE(WaitFor([&] { return a->election.IsLeader(); }, 5s));
  Replica b(Client(), "/e1/leader", "10.0.0.2:7600", 10);
  Replica c(Client(), "/e1/leader", "10.0.0.3:7600", 10);
  ASSERT_TRUE(WaitFor([&] { return b.election.LeaderAddress() == "10.0.0.1:7600"; }, 5s));
  ASSERT_TRUE(WaitFor([&] { return c.election.LeaderAddress() == "10.0.0.1:7600"; }, 5s));
  EXPECT_FALSE(b.election.IsLeader());
  EXPECT_FALSE(c.election.IsLeader());
  EXPECT_EQ(a->elected, 1);
  EXPECT_EQ(a->fence().rfind("10.0.0.1:7600 ", 0), 0u) << a->fence();

  const auto stopped = std::chrono::steady_clock::now();
  a.reset();  // revokes its lease
  ASSERT_TRUE(WaitFor([&] { return b.election.IsLeader() || c.election.IsLeader(); }, 5s));
  const double takeover_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  EXPECT_LT(takeover_s, 3.0) << "a revoked lease frees the key at once (polls every 100 ms)";
  std::this_thread::sleep_for(500ms);
  EXPECT_NE(b.election.IsLeader(), c.election.IsLeader()) << "exactly one leads";
  const std::string leader = b.election.IsLeader() ? "10.0.0.2:7600" : "10.0.0.3:7600";
  EXPECT_EQ(b.election.LeaderAddress(), leader);
  EXPECT_EQ(c.election.LeaderAddress(), leader);
}

TEST_F(LeaderElectionTest, ALeaderWhoseLeaseIsGoneIsToldAndReplaced) {
  Replica a(Client(), "/e2/leader", "10.0.0.1:7600");
  ASSERT_TRUE(WaitFor([&] { return a.election.IsLeader(); }, 5s));
  Replica b(Client(), "/e2/leader", "10.0.0.2:7600");
  ASSERT_TRUE(WaitFor([&] { return b.election.LeaderAddress() == "10.0.0.1:7600"; }, 5s));
  // What etcd does to the lease of a leader that stopped renewing it (a frozen or partitioned
  // process): the lease and the key go.
  const int64_t lease = std::stoll(a.fence().substr(a.fence().find(' ') + 1));
  ASSERT_TRUE(Client()->LeaseRevoke(lease).ok());
  const std::string old_fence = a.fence();
  ASSERT_TRUE(WaitFor([&] { return a.lost.load() == 1; }, 5s)) << "the old leader is told";
  // A new term: either replica may win it (the old leader campaigns again with a new lease).
  ASSERT_TRUE(WaitFor([&] { return b.election.IsLeader() || a.election.IsLeader(); }, 5s));
  EXPECT_EQ(b.elected + a.elected, 2) << "one new term";
  EXPECT_NE(b.election.IsLeader(), a.election.IsLeader()) << "exactly one leads";
  if (a.election.IsLeader()) {
    EXPECT_NE(a.fence(), old_fence) << "under a new lease";
  }
}

}  // namespace
}  // namespace convoy::controller
