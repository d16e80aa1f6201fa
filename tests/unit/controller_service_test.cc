// The public API served in-process as convoyd serves it (with reflection), over in-memory agents
// and store: status codes and messages a person understands, and discovery by generic clients.
#include "controller/controller_service.h"

#include "controller/controller_metrics.h"
#include <google/protobuf/descriptor.pb.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <gtest/gtest.h>

#include "convoy/store/memory_state_store.h"
#include "reflection_client.pb.h"
#include "tests/fakes/fake_agents.h"

namespace convoy::controller {
namespace {

class ControllerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agents_.AddHost("h1");
    agents_.AddHost("h2");
    agents_.AddVm("h1", "web", 1024);
    inventory_ = std::make_unique<Inventory>(&agents_, InventoryOptions{});
    power_ = MakeNoPowerDriver();
    ExecutorOptions options;
    options.poll_ms = 5;
    options.tick_ms = 20;
    operations_ = std::make_unique<Operations>(inventory_.get(), power_.get(), &store_, options);
    RegisterControllerMetrics(&registry_, inventory_.get(), operations_.get());
    service_ = std::make_unique<ControllerService>(inventory_.get(), operations_.get(), 1000,
                                                   &registry_);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Controller::NewStub(channel_);
  }
  void TearDown() override {
    server_->Shutdown();
    operations_->JoinAll();
  }

  grpc::Status Hello(const std::string& name, const std::string& address) {
    grpc::ClientContext context;
    v1::AgentHello hello;
    hello.set_name(name);
    hello.set_address(address);
    hello.set_libvirt_uri("qemu+tcp://" + name + "/system");
    v1::HeartbeatReply reply;
    auto s = stub_->Heartbeat(&context, hello, &reply);
    if (s.ok()) {
      EXPECT_EQ(reply.interval_ms(), 1000u);
    }
    return s;
  }

  testing::FakeAgents agents_;
  store::MemoryStateStore store_;
  std::unique_ptr<Inventory> inventory_;
  std::unique_ptr<PowerDriver> power_;
  std::unique_ptr<Operations> operations_;
  metrics::Registry registry_;
  std::unique_ptr<ControllerService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Controller::Stub> stub_;
};

TEST_F(ControllerServiceTest, AgentsRegisterAndTheInventoryIsTheScenarioModel) {
  ASSERT_TRUE(Hello("h1", "10.0.0.1:7700").ok());
  ASSERT_TRUE(Hello("h2", "10.0.0.2:7700").ok());
  // A second agent claiming a name that is up elsewhere is refused.
  auto clash = Hello("h1", "10.0.0.9:7700");
  EXPECT_EQ(clash.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(clash.error_message().find("already held"), std::string::npos);
  grpc::ClientContext context;
  v1::InventoryRequest request;
  request.set_refresh(true);
  v1::InventoryResponse inventory;
  ASSERT_TRUE(stub_->Inventory(&context, request, &inventory).ok());
  ASSERT_EQ(inventory.agents_size(), 2);
  EXPECT_EQ(inventory.agents(0).health(), "up");
  ASSERT_EQ(inventory.cluster().vms_size(), 1);
  EXPECT_EQ(inventory.cluster().vms(0).host(), "h1");
  EXPECT_EQ(inventory.cluster().hosts_size(), 2);
}

TEST_F(ControllerServiceTest, ErrorsCarryTheRightCodeAndSayWhat) {
  ASSERT_TRUE(Hello("h1", "10.0.0.1:7700").ok());
  ASSERT_TRUE(Hello("h2", "10.0.0.2:7700").ok());
  {
    grpc::ClientContext context;
    v1::OperationRef ref;
    ref.set_id("op-nope");
    v1::Operation op;
    auto s = stub_->GetOperation(&context, ref, &op);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_NE(s.error_message().find("op-nope"), std::string::npos);
  }
  {
    grpc::ClientContext context;
    v1::ControllerPlanRequest request;
    request.mutable_request()->add_evacuate("h7");
    v1::PlanPreview preview;
    auto s = stub_->Plan(&context, request, &preview);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("unknown host 'h7'"), std::string::npos) << s.error_message();
  }
  {
    grpc::ClientContext context;
    v1::ControllerPlanRequest request;
    request.mutable_request()->add_evacuate("h1");
    request.mutable_request()->set_strategy("fastest");
    v1::PlanPreview preview;
    auto s = stub_->Plan(&context, request, &preview);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(s.error_message().find("fastest"), std::string::npos);
  }
  {
    grpc::ClientContext context;
    v1::SubmitRequest submit;
    submit.set_plan_id("plan-unknown");
    v1::Operation op;
    auto s = stub_->Submit(&context, submit, &op);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(ControllerServiceTest, APreviewedPlanIsSubmittedByIdAndWatchedToTheEnd) {
  ASSERT_TRUE(Hello("h1", "10.0.0.1:7700").ok());
  ASSERT_TRUE(Hello("h2", "10.0.0.2:7700").ok());
  v1::PlanPreview preview;
  {
    grpc::ClientContext context;
    v1::ControllerPlanRequest request;
    request.mutable_request()->add_evacuate("h1");
    request.mutable_request()->set_power_off(false);
    ASSERT_TRUE(stub_->Plan(&context, request, &preview).ok());
  }
  ASSERT_TRUE(preview.plan().feasible());
  ASSERT_EQ(preview.plan().migrations_size(), 1);
  v1::Operation op;
  {
    grpc::ClientContext context;
    v1::SubmitRequest submit;
    submit.set_plan_id(preview.plan_id());
    ASSERT_TRUE(stub_->Submit(&context, submit, &op).ok());
  }
  grpc::ClientContext context;
  v1::WatchOperationRequest watch;
  watch.set_id(op.id());
  auto reader = stub_->Watch(&context, watch);
  v1::Event e, last;
  int n = 0;
  while (reader->Read(&e)) {
    last = e;
    ++n;
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_GE(n, 3);
  EXPECT_EQ(last.operation_state(), "succeeded");
  EXPECT_EQ(agents_.HostOf("web"), "h2");
  // The metrics say the same as the API.
  const std::string text = registry_.RenderText();
  EXPECT_NE(text.find("convoy_agent_up{host=\"h1\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("convoy_migrations{state=\"done\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("convoy_operations{state=\"succeeded\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("convoy_agent_heartbeats_total{result=\"ok\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("convoy_prediction_error_ratio{operation=\""), std::string::npos) << text;
}

TEST_F(ControllerServiceTest, ReflectionListsTheServicesForGenericClients) {
  // What a generic client does: the reflection method by its path, messages by their numbers.
  namespace reflection = convoy::testing::reflection;
  grpc::internal::RpcMethod method(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING, channel_);
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<reflection::ServerReflectionRequest,
                                           reflection::ServerReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<
             reflection::ServerReflectionRequest,
             reflection::ServerReflectionResponse>::Create(channel_.get(), method, &context));
  reflection::ServerReflectionRequest request;
  request.set_list_services("*");
  ASSERT_TRUE(stream->Write(request));
  reflection::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) services.push_back(s.name());
  EXPECT_NE(std::find(services.begin(), services.end(), "convoy.v1.Controller"), services.end());
  // And the descriptors behind it, so a client can build requests.
  request.set_file_containing_symbol("convoy.v1.Controller");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.package(), "convoy.v1");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace convoy::controller
