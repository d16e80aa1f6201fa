// The Planning gRPC service, served in-process on a loopback port chosen by the system.
#include "convoy/api/planning_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "convoy/model/scenario.h"

namespace convoy::api {
namespace {

class PlanningServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    stub_ = v1::Planning::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                      grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::Status Call(const std::string& yaml, v1::Plan* plan) {
    auto scenario = model::ParseScenario(yaml);
    EXPECT_TRUE(scenario.ok()) << scenario.status();
    v1::PlanRequest request;
    *request.mutable_scenario() = *scenario;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return stub_->Plan(&context, request, plan);
  }

  PlanningService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Planning::Stub> stub_;
};

TEST_F(PlanningServiceTest, PlansOverTheWire) {
  v1::Plan plan;
  grpc::Status status = Call(R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
  - {name: d, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: v, host: s, vcpus: 2, memory_gib: 2, used_mib: 940}
request: {evacuate: [s], power_off: false}
)",
                             &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(plan.feasible());
  ASSERT_EQ(plan.migrations_size(), 1);
  EXPECT_EQ(plan.migrations(0).to(), "d");
  EXPECT_GT(plan.makespan_s(), 8.0);
}

TEST_F(PlanningServiceTest, MalformedScenarioIsInvalidArgumentNamingTheField) {
  v1::Plan plan;
  grpc::Status status = Call(R"(
hosts:
  - {name: s, switch: A, nic_gbps: 1, cpus: 8, memory_gib: 16}
vms:
  - {name: v, host: nowhere, vcpus: 2, memory_gib: 2}
request: {evacuate: [s]}
)",
                             &plan);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("vms[0].host: unknown host 'nowhere'"), std::string::npos)
      << status.error_message();
}

}  // namespace
}  // namespace convoy::api
