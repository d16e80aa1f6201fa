// The controller's use of the guest module's figures: the inventory carries them from the agents'
// reports into the cluster the planner sees, plans choose enlightened post-copy with them, and
// the executor asks the agent for an enlightened migration at the planned bandwidth.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "controller/inventory.h"
#include "controller/operations.h"
#include "controller/power_driver.h"
#include "convoy/store/memory_state_store.h"
#include "tests/fakes/fake_agents.h"

namespace convoy::controller {
namespace {

class EnlightControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* h : {"h1", "h2"}) agents_.AddHost(h);
    agents_.AddVm("h1", "db", 2048);
    agents_.AddVm("h1", "web", 1024);
    agents_.SetEnlightenment("db", 300, 1000);
    inventory_ = std::make_unique<Inventory>(&agents_, InventoryOptions{});
    for (const char* h : {"h1", "h2"}) {
      v1::AgentHello hello;
      hello.set_name(h);
      hello.set_address(std::string(h) + ":7700");
      hello.set_libvirt_uri(std::string("qemu+tcp://") + h + "/system");
      hello.mutable_host()->set_nic_gbps(1);
      ASSERT_TRUE(inventory_->Heartbeat(hello).ok());
    }
    ExecutorOptions options;
    options.poll_ms = 5;
    options.tick_ms = 20;
    operations_ = std::make_unique<Operations>(inventory_.get(), power_.get(), &store_, options);
  }

  v1::ControllerPlanRequest Evacuate(const std::string& mode, double urgency_pct) {
    v1::ControllerPlanRequest r;
    r.mutable_request()->add_evacuate("h1");
    r.mutable_request()->set_power_off(false);
    r.mutable_request()->set_mode(mode);
    r.mutable_request()->set_urgency_pct(urgency_pct);
    return r;
  }

  testing::FakeAgents agents_;
  std::unique_ptr<PowerDriver> power_ = MakeNoPowerDriver();
  store::MemoryStateStore store_;
  std::unique_ptr<Inventory> inventory_;
  std::unique_ptr<Operations> operations_;
};

TEST_F(EnlightControllerTest, TheInventoryCarriesTheGuestsFigures) {
  inventory_->Refresh();
  const auto cluster = inventory_->Snapshot().cluster();
  ASSERT_EQ(cluster.vms_size(), 2);
  for (const auto& vm : cluster.vms()) {
    if (vm.name() == "db") {
      EXPECT_TRUE(vm.has_working_set_mib());
      EXPECT_DOUBLE_EQ(vm.working_set_mib(), 300);
      EXPECT_DOUBLE_EQ(vm.free_mib(), 1000);
    } else {
      EXPECT_FALSE(vm.has_working_set_mib()) << vm.name() << " has no guest module";
    }
  }
}

TEST_F(EnlightControllerTest, UrgentPlansUseItAndTheAgentIsAskedForIt) {
  auto preview = operations_->Plan(Evacuate("auto", 95));
  ASSERT_TRUE(preview.ok()) << preview.status();
  std::map<std::string, v1::Migration> planned;
  for (const auto& m : preview->plan().migrations()) planned[m.vm()] = m;
  EXPECT_EQ(planned["db"].mode(), "enlightened") << planned["db"].note();
  EXPECT_NEAR(planned["db"].sent_mib(), 2048 - 1000, 1e-6);
  EXPECT_NE(planned["web"].mode(), "enlightened");

  v1::SubmitRequest submit;
  submit.set_plan_id(preview->plan_id());
  auto op = operations_->Submit(submit);
  ASSERT_TRUE(op.ok()) << op.status();
  for (int i = 0; i < 2000; ++i) {
    auto now = operations_->Get(op->id());
    if (now.ok() && now->state() != "running" && now->state() != "planned") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(operations_->Get(op->id())->state(), "succeeded");
  EXPECT_EQ(agents_.modes()["db"], "enlightened");
  EXPECT_EQ(agents_.HostOf("db"), "h2");
}

}  // namespace
}  // namespace convoy::controller
