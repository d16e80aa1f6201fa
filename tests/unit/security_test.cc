// Security of the controller's API and the agent's (include/convoy/security, controller/
// api_guard.h, agent/destination_policy.h): real TLS in process with certificates made by
// deploy/make-certs, callers identified by certificate or token, roles enforced, mutating calls
// audited, forwarded identities trusted from controllers only, destinations checked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "agent/destination_policy.h"
#include "controller/api_guard.h"
#include "controller/controller_service.h"
#include "convoy/security/audit_log.h"
#include "convoy/security/authenticator.h"
#include "convoy/security/endpoint_policy.h"
#include "convoy/security/tls.h"
#include "convoy/store/memory_state_store.h"
#include "tests/fakes/fake_agents.h"

namespace convoy {
namespace {

using security::Role;
using ::testing::HasSubstr;

TEST(EndpointAllowListTest, GlobsAndNetworks) {
  auto list = security::EndpointAllowList::Parse(
      {"qemu+tcp://10.77.0.*/system", "10.1.0.0/16", "redis-?.dc1:6379"}, "--allow");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->Allows("qemu+tcp://10.77.0.12/system"));
  EXPECT_FALSE(list->Allows("qemu+tcp://10.77.0.12/session"));
  EXPECT_FALSE(list->Allows("qemu+ssh://evil/system"));
  EXPECT_TRUE(list->Allows("10.1.200.3"));
  EXPECT_TRUE(list->Allows("10.1.200.3:6379"));
  EXPECT_FALSE(list->Allows("10.2.0.1"));
  EXPECT_TRUE(list->Allows("redis-a.dc1:6379"));
  EXPECT_FALSE(list->Allows("redis-ab.dc1:6379"));
  EXPECT_THAT(security::EndpointAllowList::Parse({"10.0.0.0/40"}, "--allow").status().message(),
              HasSubstr("prefix length"));
  EXPECT_TRUE(security::GlobMatch("*", ""));
  EXPECT_FALSE(security::GlobMatch(std::string(60, 'a') + "b", std::string(60, 'a')));
  EXPECT_TRUE(security::GlobMatch("*a*a*a*a*a*a*b", std::string(200, 'a') + "b"));
}

TEST(DestinationPolicyTest, RefusesWhatTheConfigurationDoesNotAllow) {
  agent::DestinationPolicy policy;
  policy.self = "h1";
  policy.peer_uris = *security::EndpointAllowList::Parse({"qemu+tcp://10.77.0.*/system"}, "x");
  policy.migration_addresses = *security::EndpointAllowList::Parse({"10.77.0.0/24"}, "x");
  v1::StartMigrationRequest r;
  r.set_vm("web");
  r.mutable_destination()->set_host("h2");
  r.mutable_destination()->set_libvirt_uri("qemu+tcp://10.77.0.12/system");
  r.mutable_destination()->set_migration_address("10.77.0.12");
  EXPECT_TRUE(policy.Check(r).ok());
  auto uri = r;
  uri.mutable_destination()->set_libvirt_uri("qemu+tcp://192.0.2.1/system");
  EXPECT_EQ(policy.Check(uri).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(policy.Check(uri).message(), HasSubstr("--allow-peer-uri"));
  auto address = r;
  address.mutable_destination()->set_migration_address("192.0.2.1");
  EXPECT_THAT(policy.Check(address).message(), HasSubstr("--allow-migration-address"));
  auto self = r;
  self.mutable_destination()->set_host("h1");
  EXPECT_THAT(policy.Check(self).message(), HasSubstr("this host"));
  auto nameless = r;
  nameless.mutable_destination()->clear_host();
  EXPECT_THAT(policy.Check(nameless).message(), HasSubstr("names no destination"));
}

TEST(AuthenticatorTest, CertificatesTokensAndForwardedCallers) {
  security::Authenticator auth({{"0123456789abcdef-op", {"carol", Role::kOperator, "token"}}},
                               {Role::kViewer, Role::kOperator, Role::kAgent, Role::kController});
  auto bob = auth.Identify("CN=bob,OU=viewer,O=Convoy", "bob", {});
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->role, Role::kViewer);
  EXPECT_EQ(bob->via, "certificate");
  auto carol = auth.Identify("", "", {{"authorization", "Bearer 0123456789abcdef-op"}});
  ASSERT_TRUE(carol.ok());
  EXPECT_EQ(carol->name, "carol");
  EXPECT_EQ(auth.Identify("", "", {}).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Identify("", "", {{"authorization", "Bearer nope"}}).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.Identify("CN=x,O=Convoy", "x", {}).status().code(),
            absl::StatusCode::kPermissionDenied);
  // A controller vouches for the client it forwards; nobody else can.
  auto forwarded = auth.Identify("CN=c2,OU=controller,O=Convoy", "c2",
                                 {{security::kForwardedForMetadata, "alice operator"}});
  ASSERT_TRUE(forwarded.ok());
  EXPECT_EQ(forwarded->name, "alice");
  EXPECT_EQ(forwarded->role, Role::kOperator);
  EXPECT_EQ(forwarded->via, "forwarded by c2");
  auto spoofed = auth.Identify("CN=bob,OU=viewer,O=Convoy", "bob",
                               {{security::kForwardedForMetadata, "alice operator"}});
  ASSERT_TRUE(spoofed.ok());
  EXPECT_EQ(spoofed->role, Role::kViewer) << "a viewer cannot claim to be forwarded";
  EXPECT_FALSE(auth.Identify("CN=c2,OU=controller", "c2",
                             {{security::kForwardedForMetadata, "evil controller"}})
                   .ok());
  security::Authenticator agent_side({}, {Role::kController});
  EXPECT_EQ(agent_side.Identify("CN=alice,OU=operator", "alice", {}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AuditLogTest, ALineSaysWhoWhatWhenAndTheOutcome) {
  security::AuditRecord r;
  r.caller = {"bob", Role::kViewer, "certificate"};
  r.peer = "ipv4:10.0.0.9:5000";
  r.call = "Submit";
  r.what = "evacuate h1";
  r.code = 7;
  r.message = "no";
  const std::string line = security::AuditLog::Line(r, 1700000000123);
  EXPECT_THAT(line, HasSubstr("\"at\":\"2023-11-14T22:13:20.123Z\""));
  EXPECT_THAT(line, HasSubstr("\"who\":\"bob\""));
  EXPECT_THAT(line, HasSubstr("\"allowed\":false"));
  EXPECT_THAT(line, HasSubstr("\"what\":\"evacuate h1\""));
}

// ---- Real TLS, in process ---------------------------------------------------------------

class TlsApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           absl::StrCat("convoy-tls-", getpid()));
    std::filesystem::remove_all(*dir_);
    const std::string make = std::string(CONVOY_REPO_DIR) + "/deploy/make-certs " + *dir_;
    for (const std::string what :
         {" ca", " controller convoyd IP:127.0.0.1", " controller replica2",
          " agent h1 IP:127.0.0.1", " operator alice", " viewer bob"}) {
      ASSERT_EQ(std::system((make + what + " >/dev/null").c_str()), 0) << what;
    }
    std::ofstream(*dir_ + "/tokens") << "tok-operator-0123456789 carol operator\n"
                                     << "tok-viewer-0123456789 dave viewer\n";
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    agents_.AddHost("h1");
    inventory_ = std::make_unique<controller::Inventory>(&agents_, controller::InventoryOptions{});
    power_ = controller::MakeNoPowerDriver();
    operations_ = std::make_unique<controller::Operations>(inventory_.get(), power_.get(), &store_,
                                                           controller::ExecutorOptions{});
    audit_ = *security::AuditLog::Open(*dir_ + "/audit.log");
    authenticator_ = std::make_shared<security::Authenticator>(
        *security::LoadTokens(*dir_ + "/tokens"),
        std::set<Role>{Role::kViewer, Role::kOperator, Role::kAgent, Role::kController});
    guard_ = std::make_unique<controller::ApiGuard>(authenticator_.get(), audit_.get());
    service_ =
        std::make_unique<controller::ControllerService>(inventory_.get(), operations_.get(), 1000);
    service_->SetGuard(guard_.get());
    auto tls = security::LoadTls(Files("convoyd"), true);
    ASSERT_TRUE(tls.ok()) << tls.status();
    grpc::ServerBuilder builder;
    builder.AddListeningPort(
        "127.0.0.1:0",
        security::ServerCredentials(*tls, security::ClientCertificates::kVerifyIfPresent,
                                    authenticator_),
        &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    server_->Shutdown();
    operations_->JoinAll();
    std::filesystem::remove(*dir_ + "/audit.log");
  }

  static security::TlsFiles Files(const std::string& name) {
    return {*dir_ + "/ca.crt", name.empty() ? "" : *dir_ + "/" + name + ".crt",
            name.empty() ? "" : *dir_ + "/" + name + ".key"};
  }
  // A stub as `name` (a certificate), or without a certificate ("").
  std::unique_ptr<v1::Controller::Stub> As(const std::string& name) {
    auto tls = security::LoadTls(Files(name), false);
    EXPECT_TRUE(tls.ok()) << tls.status();
    return v1::Controller::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                                       security::ChannelCredentials(*tls)));
  }
  static grpc::Status List(v1::Controller::Stub* stub, const std::string& token = "") {
    grpc::ClientContext context;
    if (!token.empty()) context.set_credentials(grpc::AccessTokenCredentials(token));
    v1::ListOperationsResponse out;
    return stub->ListOperations(&context, v1::ListOperationsRequest(), &out);
  }
  static grpc::Status Submit(v1::Controller::Stub* stub, const std::string& token = "") {
    grpc::ClientContext context;
    if (!token.empty()) context.set_credentials(grpc::AccessTokenCredentials(token));
    v1::SubmitRequest submit;
    submit.mutable_request()->mutable_request()->add_evacuate("h9");
    v1::Operation out;
    return stub->Submit(&context, submit, &out);
  }
  std::string Audit() const {
    std::ifstream in(*dir_ + "/audit.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static std::string* dir_;
  testing::FakeAgents agents_;
  store::MemoryStateStore store_;
  std::unique_ptr<controller::Inventory> inventory_;
  std::unique_ptr<controller::PowerDriver> power_;
  std::unique_ptr<controller::Operations> operations_;
  std::unique_ptr<security::AuditLog> audit_;
  std::shared_ptr<security::Authenticator> authenticator_;
  std::unique_ptr<controller::ApiGuard> guard_;
  std::unique_ptr<controller::ControllerService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};
std::string* TlsApiTest::dir_ = nullptr;

TEST_F(TlsApiTest, WithoutCredentialsACallIsUnauthenticated) {
  auto anonymous = As("");
  const grpc::Status s = List(anonymous.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_EQ(List(anonymous.get(), "not-a-token-at-all").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TlsApiTest, AViewerReadsButASubmitIsDeniedAndAudited) {
  auto bob = As("bob");
  EXPECT_TRUE(List(bob.get()).ok());
  const grpc::Status denied = Submit(bob.get());
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("bob is a viewer"));
  EXPECT_THAT(Audit(), HasSubstr("\"call\":\"Submit\""));
  EXPECT_THAT(Audit(), HasSubstr("\"who\":\"bob\""));
  EXPECT_THAT(Audit(), HasSubstr("\"allowed\":false"));
}

TEST_F(TlsApiTest, AnOperatorSubmitsByCertificateOrTokenAndEachCallIsItsOwnCaller) {
  auto alice = As("alice");
  const grpc::Status submitted = Submit(alice.get());
  EXPECT_EQ(submitted.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "allowed, then refused for its content: " << submitted.error_message();
  EXPECT_THAT(Audit(), HasSubstr("\"who\":\"alice\""));
  EXPECT_THAT(Audit(), HasSubstr("\"what\":\"evacuate h9\""));
  // Two tokens on one connection: each call is authenticated as its own caller.
  auto anonymous = As("");
  EXPECT_EQ(Submit(anonymous.get(), "tok-viewer-0123456789").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Submit(anonymous.get(), "tok-operator-0123456789").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Submit(anonymous.get(), "tok-viewer-0123456789").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(Audit(), HasSubstr("\"who\":\"carol\""));
  EXPECT_THAT(Audit(), HasSubstr("\"via\":\"token\""));
}

TEST_F(TlsApiTest, OnlyAnAgentHeartbeatsAndOnlyForItsOwnHost) {
  auto heartbeat = [](v1::Controller::Stub* stub, const std::string& host) {
    grpc::ClientContext context;
    v1::AgentHello hello;
    hello.set_name(host);
    hello.set_address("127.0.0.1:7700");
    v1::HeartbeatReply reply;
    return stub->Heartbeat(&context, hello, &reply);
  };
  auto h1 = As("h1");
  EXPECT_TRUE(heartbeat(h1.get(), "h1").ok());
  const grpc::Status other = heartbeat(h1.get(), "h2");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(other.error_message(), HasSubstr("does not speak for host h2"));
  auto alice = As("alice");
  EXPECT_EQ(heartbeat(alice.get(), "h1").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(List(h1.get()).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "an agent does not read operations";
}

TEST_F(TlsApiTest, AServerRequiringClientCertificatesTurnsAwayOtherRolesAndTheAnonymous) {
  // The agent's API: only controllers.
  auto tls = security::LoadTls(Files("h1"), true);
  ASSERT_TRUE(tls.ok());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(
      "127.0.0.1:0",
      security::ServerCredentials(
          *tls, security::ClientCertificates::kRequire,
          std::make_shared<security::Authenticator>(std::map<std::string, security::Caller>(),
                                                    std::set<Role>{Role::kController})),
      &port);
  builder.RegisterService(service_.get());  // any service will do: the check comes first
  auto server = builder.BuildAndStart();
  auto call = [&](const std::string& name) {
    auto creds = security::ChannelCredentials(*security::LoadTls(Files(name), false));
    auto stub =
        v1::Controller::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port), creds));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ListOperationsResponse out;
    return stub->ListOperations(&context, v1::ListOperationsRequest(), &out);
  };
  EXPECT_EQ(call("alice").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(call("").error_code(), grpc::StatusCode::OK) << "no certificate: no connection";
  EXPECT_TRUE(call("replica2").ok());
  server->Shutdown();
}

}  // namespace
}  // namespace convoy
