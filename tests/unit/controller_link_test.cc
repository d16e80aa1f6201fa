#include "agent/controller_link.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <vector>

#include "convoy/v1/controller.grpc.pb.h"

namespace convoy::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A controller that only answers Heartbeat, records the hellos and replies with `interval_ms`.
class FakeController final : public v1::Controller::Service {
 public:
  explicit FakeController(uint32_t interval_ms) : interval_ms_(interval_ms) {}

  grpc::Status Heartbeat(grpc::ServerContext*, const v1::AgentHello* hello,
                         v1::HeartbeatReply* reply) override {
    std::lock_guard<std::mutex> lock(mu_);
    hellos_.push_back(*hello);
    reply->set_interval_ms(interval_ms_);
    changed_.notify_all();
    return grpc::Status::OK;
  }

  // Waits until `n` hellos have arrived (at most `timeout`); returns every hello so far.
  std::vector<v1::AgentHello> WaitForHellos(size_t n, milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, timeout, [&] { return hellos_.size() >= n; });
    return hellos_;
  }

 private:
  const uint32_t interval_ms_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<v1::AgentHello> hellos_;
};

// The fake controller on `address` ("127.0.0.1:0" picks a port).
struct ControllerServer {
  ControllerServer(uint32_t interval_ms, const std::string& address) : service(interval_ms) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
  }
  ~ControllerServer() {
    if (server) server->Shutdown(std::chrono::system_clock::now() + milliseconds(500));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }

  FakeController service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

AgentIdentity Identity() {
  AgentIdentity id;
  id.name = "h1";
  id.listen = "10.77.0.11:7700";
  id.probe_listen = "10.77.0.11:7701";
  id.peer_libvirt_uri = "qemu+tcp://10.77.0.11/system";
  id.switch_name = "tor-a";
  id.nic_gbps = 10;
  id.power_idle_w = 90;
  id.power_max_w = 250;
  id.boot_s = 120;
  id.shutdown_s = 30;
  return id;
}

// Captures what the link logs, one "LEVEL message" line each, while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int Count(const std::string& level) const {
    int n = 0;
    std::istringstream lines(out_.str());
    for (std::string line; std::getline(lines, line);) n += line.rfind(level + " ", 0) == 0;
    return n;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(BuildHelloTest, FillsEveryFieldFromTheIdentity) {
  auto hello = BuildHello(Identity());
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->name(), "h1");
  EXPECT_EQ(hello->address(), "10.77.0.11:7700");
  EXPECT_EQ(hello->probe_address(), "10.77.0.11:7701");
  EXPECT_EQ(hello->libvirt_uri(), "qemu+tcp://10.77.0.11/system");
  EXPECT_EQ(hello->migration_address(), "10.77.0.11");
  EXPECT_EQ(hello->agent_version(), AgentVersion());
  EXPECT_FALSE(hello->agent_version().empty());
  EXPECT_EQ(hello->host().switch_(), "tor-a");
  EXPECT_EQ(hello->host().nic_gbps(), 10);
  EXPECT_EQ(hello->host().power().idle_w(), 90);
  EXPECT_EQ(hello->host().power().max_w(), 250);
  EXPECT_EQ(hello->host().boot_s(), 120);
  EXPECT_EQ(hello->host().shutdown_s(), 30);
  EXPECT_EQ(hello->host().cpus(), 0u);  // the controller reads them from Describe
  EXPECT_EQ(hello->host().memory_gib(), 0);
}

TEST(BuildHelloTest, AdvertisedAddressWinsOverWildcards) {
  AgentIdentity id = Identity();
  id.listen = "0.0.0.0:7700";
  id.probe_listen = "0.0.0.0:7701";
  id.advertise = "h1.lab:7700";
  auto hello = BuildHello(id);
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->address(), "h1.lab:7700");
  EXPECT_EQ(hello->probe_address(), "h1.lab:7701");
  EXPECT_EQ(hello->migration_address(), "h1.lab");

  id.migration_address = "192.168.5.11";
  id.probe_listen = "10.9.9.9:9000";  // a specific address is kept as it is
  hello = BuildHello(id);
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->migration_address(), "192.168.5.11");
  EXPECT_EQ(hello->probe_address(), "10.9.9.9:9000");

  id.advertise = "[fd00::11]:7700";
  id.migration_address.clear();
  id.probe_listen = "[::]:7701";
  hello = BuildHello(id);
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->probe_address(), "[fd00::11]:7701");
  EXPECT_EQ(hello->migration_address(), "[fd00::11]");
}

TEST(BuildHelloTest, RefusesAWildcardOrMalformedAddress) {
  AgentIdentity id = Identity();
  id.listen = "0.0.0.0:7700";
  auto hello = BuildHello(id);
  ASSERT_FALSE(hello.ok());
  EXPECT_NE(hello.status().message().find("--advertise"), absl::string_view::npos);
  id.advertise = "h1.lab";
  hello = BuildHello(id);
  ASSERT_FALSE(hello.ok());
  EXPECT_NE(hello.status().message().find("'h1.lab'"), absl::string_view::npos) << hello.status();
  EXPECT_FALSE(ParseHostPort("h:99999").ok());
  EXPECT_FALSE(ParseHostPort("::1:80").ok());
  EXPECT_EQ(ParseHostPort("[::1]:80")->host, "[::1]");
}

TEST(ControllerLinkGrpcTest, HellosArriveWithTheRightFields) {
  ControllerServer controller(50, "127.0.0.1:0");
  ASSERT_GT(controller.port, 0);
  auto hello = BuildHello(Identity());
  ASSERT_TRUE(hello.ok());
  int answered = 0;
  ControllerLinkOptions options;
  options.controller = controller.address();
  options.interval_ms = 50;
  options.on_heartbeat = [&](const Status& status) { answered += status.ok(); };
  ControllerLink link(*hello, GrpcHeartbeatSender(controller.address(), 100), options);
  link.Start();
  const auto hellos = controller.service.WaitForHellos(3, milliseconds(10000));
  link.Stop();
  ASSERT_GE(hellos.size(), 3u);
  for (const auto& h : hellos) {
    EXPECT_EQ(h.SerializeAsString(), hello->SerializeAsString()) << h.DebugString();
  }
  EXPECT_EQ(hellos[0].name(), "h1");
  EXPECT_EQ(hellos[0].host().switch_(), "tor-a");
  EXPECT_TRUE(link.registered());
  EXPECT_GE(answered, 3);
}

TEST(ControllerLinkGrpcTest, TheRepliedIntervalIsHonoured) {
  ControllerServer controller(40, "127.0.0.1:0");
  auto hello = BuildHello(Identity());
  ASSERT_TRUE(hello.ok());
  ControllerLinkOptions options;
  options.interval_ms = 600000;  // without the reply there would be one heartbeat only
  ControllerLink link(*hello, GrpcHeartbeatSender(controller.address(), 100), options);
  link.Start();
  const auto hellos = controller.service.WaitForHellos(5, milliseconds(10000));
  EXPECT_GE(hellos.size(), 5u);
  EXPECT_EQ(link.interval_ms(), 40);
  // Stop does not wait for the next heartbeat.
  const auto before = steady_clock::now();
  link.Stop();
  EXPECT_LT(steady_clock::now() - before, milliseconds(2000));
}

TEST(ControllerLinkTest, NoIntervalInTheReplyKeepsTheConfiguredOne) {
  int calls = 0;
  ControllerLinkOptions options;
  options.interval_ms = 1234;
  ControllerLink link(
      *BuildHello(Identity()),
      [&](const v1::AgentHello&, int) -> StatusOr<v1::HeartbeatReply> {
        ++calls;
        v1::HeartbeatReply reply;
        if (calls == 1) reply.set_interval_ms(77);
        return reply;
      },
      options);
  EXPECT_EQ(link.HeartbeatOnce(), 77);
  EXPECT_EQ(link.HeartbeatOnce(), 1234);
  EXPECT_EQ(link.interval_ms(), 1234);
}

TEST(ControllerLinkGrpcTest, AControllerAppearingLateGetsRegistered) {
  // A port nothing listens on, yet.
  int port = 0;
  {
    ControllerServer placeholder(0, "127.0.0.1:0");
    port = placeholder.port;
  }
  ASSERT_GT(port, 0);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  LogCapture logs;
  std::mutex mu;
  int failures = 0;
  ControllerLinkOptions options;
  options.controller = address;
  options.interval_ms = 100;
  options.on_heartbeat = [&](const Status& status) {
    std::lock_guard<std::mutex> lock(mu);
    failures += !status.ok();
  };
  ControllerLink link(*BuildHello(Identity()), GrpcHeartbeatSender(address, 100), options);
  link.Start();
  const auto deadline = steady_clock::now() + milliseconds(10000);
  while (steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failures >= 3) break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_FALSE(link.registered());

  ControllerServer controller(100, address);
  ASSERT_EQ(controller.port, port) << "the port was taken meanwhile";
  const auto hellos = controller.service.WaitForHellos(1, milliseconds(10000));
  ASSERT_EQ(hellos.size(), 1u);
  EXPECT_EQ(hellos[0].name(), "h1");
  for (int i = 0; i < 200 && !link.registered(); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(link.registered());
  link.Stop();
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GE(failures, 3);
  }
  EXPECT_EQ(logs.Count("warning"), 1) << logs.text();  // once, however many failures
  EXPECT_EQ(logs.Count("info"), 1) << logs.text();
  EXPECT_NE(logs.text().find("registered h1 at 10.77.0.11:7700"), std::string::npos) << logs.text();
}

// The same without gRPC (which ThreadSanitizer cannot follow): the link's own thread.
TEST(ControllerLinkTest, ItsThreadRetriesUntilTheControllerAnswers) {
  std::mutex mu;
  std::condition_variable changed;
  int calls = 0;
  std::vector<Status> outcomes;
  ControllerLinkOptions options;
  options.interval_ms = 20;
  options.on_heartbeat = [&](const Status& status) {
    std::lock_guard<std::mutex> lock(mu);
    outcomes.push_back(status);
    changed.notify_all();
  };
  ControllerLink link(
      *BuildHello(Identity()),
      [&](const v1::AgentHello& hello, int timeout_ms) -> StatusOr<v1::HeartbeatReply> {
        EXPECT_EQ(hello.name(), "h1");
        EXPECT_GE(timeout_ms, 1000);
        std::lock_guard<std::mutex> lock(mu);
        if (++calls <= 3) return absl::UnavailableError("connection refused");
        v1::HeartbeatReply reply;
        reply.set_interval_ms(30);
        return reply;
      },
      options);
  link.Start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(changed.wait_for(lock, milliseconds(10000), [&] { return outcomes.size() >= 6; }));
  }
  EXPECT_TRUE(link.registered());
  EXPECT_EQ(link.interval_ms(), 30);
  link.Stop();
  link.Stop();  // idempotent
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_FALSE(outcomes[2].ok());
  EXPECT_TRUE(outcomes[3].ok());
  EXPECT_EQ(static_cast<int>(outcomes.size()), calls);
}

TEST(ControllerLinkTest, LogsOncePerOutageAndPerKindOfFailure) {
  LogCapture logs;
  std::vector<Status> script = {absl::UnavailableError("down"),
                                absl::UnavailableError("down"),
                                absl::UnavailableError("down"),
                                absl::OkStatus(),
                                absl::OkStatus(),
                                absl::UnavailableError("down"),
                                absl::DeadlineExceededError("slow"),
                                absl::DeadlineExceededError("slow"),
                                absl::FailedPreconditionError("name taken"),
                                absl::OkStatus()};
  size_t next = 0;
  ControllerLink link(
      *BuildHello(Identity()),
      [&](const v1::AgentHello&, int) -> StatusOr<v1::HeartbeatReply> {
        const Status status = script[next++];
        if (!status.ok()) return status;
        return v1::HeartbeatReply();
      },
      ControllerLinkOptions{});
  for (size_t i = 0; i < script.size(); ++i) link.HeartbeatOnce();
  // Warnings: the first outage, then down, slow and name-taken in the second.
  EXPECT_EQ(logs.Count("warning"), 4) << logs.text();
  // Infos: registered, answers again.
  EXPECT_EQ(logs.Count("info"), 2) << logs.text();
  EXPECT_NE(logs.text().find("name taken"), std::string::npos);
  EXPECT_NE(logs.text().find("answers again"), std::string::npos);
}

}  // namespace
}  // namespace convoy::agent
