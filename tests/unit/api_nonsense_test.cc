// The API given nonsense (issue 9): every case is answered INVALID_ARGUMENT naming the field at
// fault, and nothing is started. In process, over gRPC, as convoyd serves it (the same message
// size limits), with in-memory agents and store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/controller_security.h"
#include "controller/controller_service.h"
#include "controller/request_limits.h"
#include "convoy/store/memory_state_store.h"
#include "tests/fakes/fake_agents.h"

namespace convoy::controller {
namespace {

using ::testing::HasSubstr;

class ApiNonsenseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* h : {"h1", "h2", "h3"}) agents_.AddHost(h);
    agents_.AddVm("h1", "web", 1024);
    agents_.AddVm("h2", "db", 1024);
    inventory_ = std::make_unique<Inventory>(&agents_, InventoryOptions{});
    for (const char* h : {"h1", "h2", "h3"}) {
      v1::AgentHello hello;
      hello.set_name(h);
      hello.set_address(std::string(h) + ":7700");
      hello.set_libvirt_uri(std::string("qemu+tcp://") + h + "/system");
      ASSERT_TRUE(inventory_->Heartbeat(hello).ok());
    }
    inventory_->Refresh();
    power_ = MakeNoPowerDriver();
    operations_ =
        std::make_unique<Operations>(inventory_.get(), power_.get(), &store_, ExecutorOptions{});
    guard_ = std::make_unique<ApiGuard>(nullptr, nullptr);
    service_ = std::make_unique<ControllerService>(inventory_.get(), operations_.get(), 1000);
    planning_ = std::make_unique<GuardedPlanningService>(guard_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(kGrpcMaxReceiveBytes);
    builder.RegisterService(service_.get());
    builder.RegisterService(planning_.get());
    server_ = builder.BuildAndStart();
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(kGrpcMaxReceiveBytes);
    auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                             grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Controller::NewStub(channel);
    planning_stub_ = v1::Planning::NewStub(channel);
  }
  void TearDown() override {
    server_->Shutdown();
    operations_->JoinAll();
  }

  // Plan and Submit both refuse `request` naming `field`; nothing was started.
  void ExpectRefused(const v1::ControllerPlanRequest& request, const std::string& field) {
    grpc::ClientContext plan_context;
    v1::PlanPreview preview;
    const grpc::Status planned = stub_->Plan(&plan_context, request, &preview);
    EXPECT_EQ(planned.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << planned.error_message();
    EXPECT_THAT(planned.error_message(), HasSubstr(field));
    grpc::ClientContext submit_context;
    v1::SubmitRequest submit;
    *submit.mutable_request() = request;
    v1::Operation op;
    const grpc::Status submitted = stub_->Submit(&submit_context, submit, &op);
    EXPECT_EQ(submitted.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(submitted.error_message(), HasSubstr(field));
    EXPECT_TRUE(store_.ListOperations(true)->empty()) << "nothing started";
  }

  static v1::ControllerPlanRequest Evacuate(const std::string& host) {
    v1::ControllerPlanRequest r;
    r.mutable_request()->add_evacuate(host);
    return r;
  }

  testing::FakeAgents agents_;
  store::MemoryStateStore store_;
  std::unique_ptr<Inventory> inventory_;
  std::unique_ptr<PowerDriver> power_;
  std::unique_ptr<Operations> operations_;
  std::unique_ptr<ApiGuard> guard_;
  std::unique_ptr<ControllerService> service_;
  std::unique_ptr<GuardedPlanningService> planning_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Controller::Stub> stub_;
  std::unique_ptr<v1::Planning::Stub> planning_stub_;
};

TEST_F(ApiNonsenseTest, UnknownEnumValuesAreNamed) {
  auto r = Evacuate("h1");
  r.mutable_request()->set_strategy("warp-drive");
  ExpectRefused(r, "request.strategy: unknown strategy 'warp-drive'");
  r = Evacuate("h1");
  r.mutable_request()->set_mode("teleport");
  ExpectRefused(r, "request.mode: unknown mode 'teleport'");
}

TEST_F(ApiNonsenseTest, NegativeFiguresAreNamed) {
  auto r = Evacuate("h1");
  r.mutable_request()->set_downtime_ms(-300);
  ExpectRefused(r, "request.downtime_ms: must not be negative");
  r = Evacuate("h1");
  r.mutable_request()->set_power_budget_w(-1);
  ExpectRefused(r, "request.power_budget_w");
  r = Evacuate("h1");
  auto* app = r.add_apps();
  app->set_name("shop");
  auto* t = app->add_traffic();
  t->set_a("web");
  t->set_b("db");
  t->set_kbps(-1000);
  ExpectRefused(r, "apps[0].traffic[0].kbps: must not be negative");
}

TEST_F(ApiNonsenseTest, AVmMovedTwiceOrToWhereItIsIsNamed) {
  v1::ControllerPlanRequest r;
  for (const char* to : {"h2", "h3"}) {
    auto* m = r.mutable_request()->add_moves();
    m->set_vm("web");
    m->set_to(to);
  }
  ExpectRefused(r, "request.moves[1].vm: VM 'web' is moved twice");
  v1::ControllerPlanRequest here;
  auto* m = here.mutable_request()->add_moves();
  m->set_vm("web");
  m->set_to("h1");
  ExpectRefused(here, "request.moves[0].to: VM 'web' is already on h1");
}

TEST_F(ApiNonsenseTest, ACycleOfExplicitMovesIsNamed) {
  v1::ControllerPlanRequest r;
  auto* a = r.mutable_request()->add_moves();
  a->set_vm("web");  // h1 -> h2
  a->set_to("h2");
  auto* b = r.mutable_request()->add_moves();
  b->set_vm("db");  // h2 -> h1
  b->set_to("h1");
  ExpectRefused(r, "request.moves[1]: the explicit moves form a cycle");
}

TEST_F(ApiNonsenseTest, ATenMegabyteRequestIsRefusedNamingTheFieldThatMadeIt) {
  auto r = Evacuate("h1");
  auto* app = r.add_apps();
  app->set_name("huge");
  for (int i = 0; i < 400000; ++i) {
    auto* t = app->add_traffic();
    t->set_a("web");
    t->set_b("db-replica-with-a-long-name");
    t->set_kbps(1);
  }
  ASSERT_GT(r.ByteSizeLong(), 10u * 1000 * 1000);
  ExpectRefused(r, "apps[0].traffic (400000 entries): the request is");
}

TEST_F(ApiNonsenseTest, AScenarioWithAVmInTwoPlacesOrANegativeBandwidthIsNamed) {
  v1::PlanRequest request;
  auto* s = request.mutable_scenario();
  for (const char* h : {"a", "b"}) {
    auto* host = s->add_hosts();
    host->set_name(h);
    host->set_switch_("s");
    host->set_nic_gbps(10);
    host->set_cpus(8);
    host->set_memory_gib(32);
  }
  for (const char* h : {"a", "b"}) {
    auto* vm = s->add_vms();
    vm->set_name("web");
    vm->set_host(h);
    vm->set_vcpus(1);
    vm->set_memory_gib(1);
  }
  s->mutable_request()->add_evacuate("a");
  grpc::ClientContext context;
  v1::Plan plan;
  grpc::Status status = planning_stub_->Plan(&context, request, &plan);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("vms[1].name: duplicate VM name 'web'"));

  s->mutable_vms()->RemoveLast();
  s->mutable_hosts(1)->set_nic_gbps(-10);
  grpc::ClientContext again;
  status = planning_stub_->Plan(&again, request, &plan);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("hosts[1].nic_gbps"));
}

}  // namespace
}  // namespace convoy::controller
