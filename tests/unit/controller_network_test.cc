// The controller's side of the hosts' switches: the traffic matrix merged from the agents'
// per-pair flows, the apps taking measured rates, and the reservation each migration is started
// with.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "controller/inventory.h"
#include "controller/live_scenario.h"
#include "controller/operations.h"
#include "controller/power_driver.h"
#include "convoy/store/memory_state_store.h"
#include "tests/fakes/fake_agents.h"

namespace convoy::controller {
namespace {

v1::TrafficFlow Flow(const std::string& src_vm, const std::string& dst_mac, double mbps) {
  v1::TrafficFlow f;
  f.set_src_vm(src_vm);
  f.set_dst_mac(dst_mac);
  f.set_mbps(mbps);
  f.set_window_s(5);
  return f;
}

class ControllerNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* h : {"h1", "h2", "h3"}) agents_.AddHost(h);
    agents_.AddVm("h1", "web", 1024);
    agents_.AddVm("h2", "app", 1024);
    agents_.AddVm("h2", "db", 1024);
    agents_.SetMac("web", "52:54:00:00:00:01");
    agents_.SetMac("app", "52:54:00:00:00:02");
    agents_.SetMac("db", "52:54:00:00:00:03");
    inventory_ = std::make_unique<Inventory>(&agents_, InventoryOptions{});
    for (const char* h : {"h1", "h2", "h3"}) {
      v1::AgentHello hello;
      hello.set_name(h);
      hello.set_address(std::string(h) + ":7700");
      hello.set_libvirt_uri(std::string("qemu+tcp://") + h + "/system");
      hello.mutable_host()->set_nic_gbps(1);
      ASSERT_TRUE(inventory_->Heartbeat(hello).ok());
    }
  }

  testing::FakeAgents agents_;
  std::unique_ptr<Inventory> inventory_;
};

TEST_F(ControllerNetworkTest, TheMatrixAddsBothDirectionsOfEachPairHeaviestFirst) {
  // web -> app counted on h1; app -> web and app -> db on h2; an unknown MAC and a VM's
  // traffic to itself are not pairs.
  agents_.SetSwitch("h1", true,
                    {Flow("web", "52:54:00:00:00:02", 0.8), Flow("web", "52:54:00:00:00:99", 5)});
  agents_.SetSwitch("h2", true,
                    {Flow("app", "52:54:00:00:00:01", 0.2), Flow("app", "52:54:00:00:00:03", 0.5),
                     Flow("db", "52:54:00:00:00:03", 9), Flow("db", "52:54:00:00:00:01", 0)});
  inventory_->Refresh();
  inventory_->Refresh();  // the second asks toward every MAC the first reported
  const auto peers = agents_.peer_macs("h3");
  EXPECT_EQ(peers, (std::vector<std::string>{"52:54:00:00:00:01", "52:54:00:00:00:02",
                                             "52:54:00:00:00:03"}));
  const auto snapshot = inventory_->Snapshot();
  ASSERT_EQ(snapshot.measured_traffic_size(), 2) << snapshot.DebugString();
  EXPECT_EQ(snapshot.measured_traffic(0).a(), "app");
  EXPECT_EQ(snapshot.measured_traffic(0).b(), "web");
  EXPECT_NEAR(snapshot.measured_traffic(0).kbps(), 1000, 1e-6);
  EXPECT_EQ(snapshot.measured_traffic(1).a(), "app");
  EXPECT_EQ(snapshot.measured_traffic(1).b(), "db");
  EXPECT_NEAR(snapshot.measured_traffic(1).kbps(), 500, 1e-6);
  EXPECT_TRUE(inventory_->CanReserve("h1"));
  EXPECT_FALSE(inventory_->CanReserve("h3"));
}

TEST(TakeMeasuredTrafficTest, MeasuredRatesWinWherePresentOnly) {
  v1::ControllerPlanRequest request;
  auto* app = request.add_apps();
  app->set_name("shop");
  auto* t1 = app->add_traffic();
  t1->set_a("web");
  t1->set_b("app");
  t1->set_kbps(300);
  auto* t2 = app->add_traffic();
  t2->set_a("db");
  t2->set_b("app");  // given in the other order than measured
  auto* t3 = app->add_traffic();
  t3->set_a("app");
  t3->set_b("cache");
  t3->set_kbps(40);
  google::protobuf::RepeatedPtrField<v1::Traffic> measured;
  auto* m1 = measured.Add();
  m1->set_a("app");
  m1->set_b("web");
  m1->set_kbps(1000);
  auto* m2 = measured.Add();
  m2->set_a("app");
  m2->set_b("db");
  m2->set_kbps(500);
  const auto notes = TakeMeasuredTraffic(measured, &request);
  EXPECT_EQ(request.apps(0).traffic(0).kbps(), 1000);
  EXPECT_EQ(request.apps(0).traffic(1).kbps(), 500);
  EXPECT_EQ(request.apps(0).traffic(2).kbps(), 40);  // not measured: the operator's
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("given 300"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("none given"), std::string::npos) << notes[1];
}

TEST_F(ControllerNetworkTest, MigrationsAreStartedWithTheReservationAsked) {
  agents_.SetSwitch("h1", true, {});
  agents_.SetSwitch("h2", false, {});
  inventory_->Refresh();
  auto power = MakeNoPowerDriver();
  store::MemoryStateStore store;
  ExecutorOptions options;
  options.poll_ms = 5;
  options.tick_ms = 20;
  Operations operations(inventory_.get(), power.get(), &store, options);
  auto run = [&](const std::string& reservation) {
    v1::SubmitRequest submit;
    auto* r = submit.mutable_request()->mutable_request();
    r->add_evacuate("h1");
    r->add_evacuate("h2");
    r->add_to("h3");
    r->set_power_off(false);
    r->set_reservation(reservation);
    r->set_urgency_pct(reservation == "fixed" ? 90 : 0);
    auto op = operations.Submit(submit);
    ASSERT_TRUE(op.ok()) << op.status();
    for (int i = 0; i < 2000; ++i) {
      auto now = operations.Get(op->id());
      if (now->state() == "succeeded" || now->state() == "failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  run("");  // auto: adaptive where the source's switch can, none elsewhere
  auto asked = agents_.reservations();
  EXPECT_EQ(asked["web"].policy(), "adaptive");
  EXPECT_EQ(asked["web"].urgency_pct(), 75);
  EXPECT_EQ(asked["app"].policy(), "");
  EXPECT_EQ(asked["db"].policy(), "");
}

}  // namespace
}  // namespace convoy::controller
