// Two controllers in one process as two replicas: the follower forwards what only the leader
// serves, refuses heartbeats with the leader's address, and the agents' failover sender follows
// that address; with no leader, callers are told to try again.
#include <gtest/gtest.h>

#include <atomic>

#include "agent/controller_failover.h"
#include "controller/controller_service.h"
#include "controller/leader_forwarding.h"
#include "convoy/store/memory_state_store.h"
#include "tests/fakes/fake_agents.h"

namespace convoy::controller {
namespace {

class FakeLeadership final : public Leadership {
 public:
  bool IsLeader() const override { return leader.load(); }
  std::string LeaderAddress() const override {
    std::lock_guard<std::mutex> lock(mu);
    return address;
  }
  void Set(bool is_leader, const std::string& leader_address) {
    std::lock_guard<std::mutex> lock(mu);
    leader = is_leader;
    address = leader_address;
  }
  std::atomic<bool> leader{false};
  mutable std::mutex mu;
  std::string address;
};

// One convoyd replica: its own inventory, operations, API on a loopback port.
struct Replica {
  Replica(store::StateStore* store, testing::FakeAgents* agents) {
    inventory = std::make_unique<Inventory>(agents, InventoryOptions{});
    power = MakeNoPowerDriver();
    operations =
        std::make_unique<Operations>(inventory.get(), power.get(), store, ExecutorOptions{});
    service = std::make_unique<ControllerService>(inventory.get(), operations.get(), 1000);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service.get());
    server = builder.BuildAndStart();
    address = "127.0.0.1:" + std::to_string(port);
    forwarder =
        std::make_unique<LeaderForwarder>(&leadership, address, grpc::InsecureChannelCredentials());
    service->SetForwarder(forwarder.get());
    stub =
        v1::Controller::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  }
  ~Replica() {
    server->Shutdown();
    operations->JoinAll();
  }
  FakeLeadership leadership;
  std::unique_ptr<Inventory> inventory;
  std::unique_ptr<PowerDriver> power;
  std::unique_ptr<Operations> operations;
  std::unique_ptr<ControllerService> service;
  std::unique_ptr<LeaderForwarder> forwarder;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::string address;
  std::unique_ptr<v1::Controller::Stub> stub;
};

class ReplicaRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agents_.AddHost("h1");
    agents_.AddVm("h1", "web", 1024);
    leader_ = std::make_unique<Replica>(&store_, &agents_);
    follower_ = std::make_unique<Replica>(&store_, &agents_);
    leader_->leadership.Set(true, leader_->address);
    follower_->leadership.Set(false, leader_->address);
  }

  static v1::AgentHello Hello() {
    v1::AgentHello hello;
    hello.set_name("h1");
    hello.set_address("10.0.0.1:7700");
    hello.set_libvirt_uri("qemu+tcp://h1/system");
    return hello;
  }

  testing::FakeAgents agents_;
  store::MemoryStateStore store_;
  std::unique_ptr<Replica> leader_;
  std::unique_ptr<Replica> follower_;
};

TEST_F(ReplicaRoutingTest, AFollowerRefusesHeartbeatsNamingTheLeaderAndAgentsFollowIt) {
  grpc::ClientContext context;
  v1::HeartbeatReply reply;
  const grpc::Status refused = follower_->stub->Heartbeat(&context, Hello(), &reply);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(refused.error_message().find("the leader is " + leader_->address), std::string::npos)
      << refused.error_message();
  auto named = context.GetServerTrailingMetadata().find(kLeaderMetadata);
  ASSERT_NE(named, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(named->second.data(), named->second.size()), leader_->address);

  // The agent knows only the follower (and a dead address first): it ends up at the leader.
  auto send = agent::FailoverHeartbeatSender({"127.0.0.1:1", follower_->address}, 100,
                                             grpc::InsecureChannelCredentials());
  auto answered = send(Hello(), 2000);
  ASSERT_TRUE(answered.ok()) << answered.status();
  EXPECT_EQ(leader_->inventory->Health("h1"), "up");
  EXPECT_EQ(follower_->inventory->Health("h1"), "unknown");
}

TEST_F(ReplicaRoutingTest, AFollowerForwardsWhatOnlyTheLeaderServes) {
  ASSERT_TRUE(agent::FailoverHeartbeatSender({leader_->address}, 100,
                                             grpc::InsecureChannelCredentials())(Hello(), 2000)
                  .ok());
  grpc::ClientContext context;
  v1::InventoryResponse inventory;
  ASSERT_TRUE(follower_->stub->Inventory(&context, v1::InventoryRequest(), &inventory).ok());
  ASSERT_EQ(inventory.agents_size(), 1) << "the leader's inventory, through the follower";
  EXPECT_EQ(inventory.agents(0).name(), "h1");

  grpc::ClientContext plan_context;
  v1::ControllerPlanRequest plan;
  plan.mutable_request()->add_evacuate("nowhere");
  v1::PlanPreview preview;
  const grpc::Status bad = follower_->stub->Plan(&plan_context, plan, &preview);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << "the leader's own answer";
}

TEST_F(ReplicaRoutingTest, WithoutALeaderOrWhenLeadershipMovesCallersAreToldToTryAgain) {
  follower_->leadership.Set(false, "");
  grpc::ClientContext context;
  v1::InventoryResponse inventory;
  const grpc::Status none =
      follower_->stub->Inventory(&context, v1::InventoryRequest(), &inventory);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(none.error_message().find("no leader is elected yet"), std::string::npos);

  // Both believe the other leads: a forwarded call is not forwarded again.
  leader_->leadership.Set(false, follower_->address);
  follower_->leadership.Set(false, leader_->address);
  grpc::ClientContext again;
  const grpc::Status loop = follower_->stub->Inventory(&again, v1::InventoryRequest(), &inventory);
  EXPECT_EQ(loop.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(loop.error_message().find("leadership is changing hands"), std::string::npos)
      << loop.error_message();
}

}  // namespace
}  // namespace convoy::controller
