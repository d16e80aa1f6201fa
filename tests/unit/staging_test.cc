// Staged migrations without libvirt or Redis: two StagingServices (source and destination) over
// loopback, in-memory intermediaries, and the test playing both QEMUs: the source QEMU streams
// into the relay at 127.0.0.1:<port>, the destination QEMU listens on 127.0.0.2:<port> as
// libvirt would have it, and its answers (the return path) must reach the source QEMU.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "agent/migration_manager.h"
#include "agent/stage_link.h"
#include "agent/staging_service.h"
#include "tests/fakes/fake_hypervisor.h"
#include "tests/fakes/fake_stager.h"

namespace convoy::agent {
namespace {

using namespace std::chrono_literals;
using convoy::testing::FakeStageStores;

constexpr char kA[] = "redis-a:6379";
constexpr char kB[] = "redis-b:6379";
constexpr char kReturn[] = "RETURN-PATH";

std::string RandomBytes(size_t n) {
  std::mt19937_64 random(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(random());
  return s;
}

int PortOf(const std::string& migration_uri) {
  return std::stoi(migration_uri.substr(migration_uri.rfind(':') + 1));
}

// The destination QEMU: listens on 127.0.0.2:port, reads `expected` bytes, answers kReturn and
// closes. With `hold`, it starts listening only once hold is cleared: until then the gatherer
// cannot deliver anything and the chunks stay on the intermediaries.
class DestinationQemu {
 public:
  DestinationQemu(int port, size_t expected, std::atomic<bool>* hold = nullptr) {
    if (hold == nullptr) listen_fd_ = *stage::ListenTcp("127.0.0.2", port);
    thread_ = std::thread([this, port, expected, hold] {
      if (hold != nullptr) {
        while (hold->load()) std::this_thread::sleep_for(10ms);
        listen_fd_ = *stage::ListenTcp("127.0.0.2", port);
      }
      std::atomic<bool> stop{false};
      auto fd = stage::AcceptWithin(listen_fd_, hold != nullptr ? 1000 : 20000, stop);
      if (!fd.ok()) return;
      std::string buffer(65536, '\0');
      while (received_.size() < expected) {
        const ssize_t n = read(*fd, buffer.data(), buffer.size());
        if (n <= 0) break;
        received_.append(buffer.data(), static_cast<size_t>(n));
      }
      if (received_.size() == expected) (void)stage::WriteAll(*fd, kReturn, sizeof(kReturn) - 1);
      stage::Close(*fd);  // as QEMU does once it has loaded the stream and said so
    });
  }
  ~DestinationQemu() {
    if (thread_.joinable()) thread_.join();
    stage::Close(listen_fd_);
  }
  const std::string& Received() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  int listen_fd_ = -1;
  std::string received_;
  std::thread thread_;
};

// The source QEMU: connects to the relay, sends `stream` (all of it, or `send` bytes), waits for
// kReturn from the destination, closes.
class SourceQemu {
 public:
  SourceQemu(int port, const std::string& stream, size_t send = std::string::npos) {
    thread_ = std::thread([this, port, &stream, send] {
      auto fd = stage::ConnectTcp("127.0.0.1:" + std::to_string(port), 5000);
      if (!fd.ok()) return;
      const size_t n = std::min(send, stream.size());
      for (size_t at = 0; at < n; at += 100000) {
        if (!stage::WriteAll(*fd, stream.data() + at, std::min<size_t>(100000, n - at))) break;
      }
      char buffer[64];
      while (got_.size() < sizeof(kReturn) - 1) {
        const ssize_t r = read(*fd, buffer, sizeof(buffer));
        if (r <= 0) break;
        got_.append(buffer, static_cast<size_t>(r));
      }
      stage::Close(*fd);
    });
  }
  ~SourceQemu() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& Got() {
    if (thread_.joinable()) thread_.join();
    return got_;
  }

 private:
  std::string got_;
  std::thread thread_;
};

class StagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = stores_.Add(kA);
    b_ = stores_.Add(kB);
    GatherOptions gather;
    gather.window_chunks = 8;
    server_ = *StageServer::Start("127.0.0.1:0", stores_.Factory(), gather);
    StagingConfig config;
    config.redis = {kA, kB};
    config.stage_host = "127.0.0.1";
    config.relay.chunk_bytes = 64 * 1024;
    config.relay.window_chunks = 4;
    config.relay.full_retry_ms = 20;
    destination_ =
        std::make_unique<StagingService>(config, stores_.Factory(), nullptr, server_.get());
    source_ = std::make_unique<StagingService>(
        config, stores_.Factory(),
        [this](const std::string&, const v1::StagedIncomingRequest& request) {
          ++prepares_;
          if (take_first_port_ && prepares_ == 1) {
            taken_fd_ = *stage::ListenTcp("127.0.0.2", static_cast<int>(request.port()));
          }
          return destination_->PrepareIncoming(request);
        },
        nullptr);
  }
  void TearDown() override { stage::Close(taken_fd_); }

  static v1::StartMigrationRequest Request(const std::string& mode = "pre-copy") {
    v1::StartMigrationRequest r;
    r.set_id("m1");
    r.set_vm("vm1");
    r.set_mode(mode);
    r.mutable_destination()->set_host("h2");
    r.mutable_destination()->set_libvirt_uri("qemu+tcp://h2/system");
    r.mutable_destination()->set_migration_address("127.0.0.2");
    r.mutable_staging()->add_intermediaries(kA);
    r.mutable_staging()->add_intermediaries(kB);
    r.mutable_staging()->set_destination_agent("127.0.0.1:1");
    return r;
  }

  std::unique_ptr<StagedSession> Open(const v1::StartMigrationRequest& request) {
    auto session = source_->Open(request, 0, [this](const Status& s) {
      std::lock_guard<std::mutex> lock(mu_);
      failures_.push_back(s);
    });
    EXPECT_TRUE(session.ok()) << session.status();
    return session.ok() ? *std::move(session) : nullptr;
  }

  std::vector<Status> Failures() {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

  bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  FakeStageStores stores_;
  std::shared_ptr<convoy::testing::FakeStageStore> a_, b_;
  std::unique_ptr<StageServer> server_;
  std::unique_ptr<StagingService> destination_;
  std::unique_ptr<StagingService> source_;
  std::atomic<int> prepares_{0};
  bool take_first_port_ = false;
  int taken_fd_ = -1;
  std::mutex mu_;
  std::vector<Status> failures_;
};

TEST_F(StagingTest, StreamArrivesWholeInOrderAndTheReturnPathComesBack) {
  const std::string stream = RandomBytes(3 * 1024 * 1024 + 12345);
  auto session = Open(Request());
  ASSERT_NE(session, nullptr);
  MigrateOptions options;
  session->Apply(&options);
  EXPECT_EQ(options.listen_address, "127.0.0.2");
  ASSERT_EQ(options.migration_uri.rfind("tcp://127.0.0.1:", 0), 0u) << options.migration_uri;
  const int port = PortOf(options.migration_uri);
  DestinationQemu destination(port, stream.size());
  SourceQemu source(port, stream);
  EXPECT_EQ(source.Got(), kReturn) << "the destination's answer reached the source QEMU";
  const std::string& received = destination.Received();
  ASSERT_EQ(received.size(), stream.size());
  EXPECT_TRUE(received == stream) << "the stream arrived changed or out of order";
  ASSERT_TRUE(WaitUntil([&] { return session->Progress().evicted(); }));
  const auto progress = session->Progress();
  EXPECT_NEAR(progress.staged_mib(), static_cast<double>(stream.size()) / 1048576.0, 1e-6);
  EXPECT_TRUE(WaitUntil(
      [&] { return session->Progress().gathered_mib() == session->Progress().staged_mib(); }));
  EXPECT_GT(progress.eviction_s(), 0);
  ASSERT_EQ(progress.intermediaries_size(), 2);
  // Spread over both intermediaries, and nothing left on either.
  EXPECT_GT(a_->puts(), 5u);
  EXPECT_GT(b_->puts(), 5u);
  EXPECT_TRUE(session->Finish(true).ok());
  EXPECT_EQ(a_->keys() + b_->keys(), 0u);
  EXPECT_TRUE(Failures().empty());
}

TEST_F(StagingTest, AbortedMigrationLeavesNothingOnTheIntermediaries) {
  const std::string stream = RandomBytes(4 * 1024 * 1024);
  auto session = Open(Request());
  ASSERT_NE(session, nullptr);
  MigrateOptions options;
  session->Apply(&options);
  const int port = PortOf(options.migration_uri);
  std::atomic<bool> hold{true};  // the destination takes (almost) nothing: chunks pile up
  DestinationQemu destination(port, stream.size(), &hold);
  SourceQemu source(port, stream, stream.size() / 2);
  ASSERT_TRUE(WaitUntil([&] { return a_->keys() + b_->keys() > 4; }));
  EXPECT_FALSE(session->Progress().evicted());
  EXPECT_TRUE(session->Finish(false).ok());
  EXPECT_EQ(a_->keys() + b_->keys(), 0u);
  EXPECT_TRUE(WaitUntil([&] { return server_->active() == 0; }))
      << "the destination's gatherer stopped";
  hold.store(false);
  EXPECT_LT(destination.Received().size(), stream.size());
  EXPECT_EQ(a_->keys() + b_->keys(), 0u) << "the gatherer cleaned up too, and put nothing back";
}

TEST_F(StagingTest, FullIntermediaryFailsAPreCopyWithAClearError) {
  a_->SetCapacity(256 * 1024);
  b_->SetCapacity(256 * 1024);
  const std::string stream = RandomBytes(8 * 1024 * 1024);
  auto session = Open(Request("pre-copy"));
  ASSERT_NE(session, nullptr);
  MigrateOptions options;
  session->Apply(&options);
  const int port = PortOf(options.migration_uri);
  std::atomic<bool> hold{true};
  DestinationQemu destination(port, stream.size(), &hold);
  SourceQemu source(port, stream);
  ASSERT_TRUE(WaitUntil([&] { return !Failures().empty(); }));
  const Status failure = Failures().front();
  EXPECT_EQ(failure.code(), absl::StatusCode::kResourceExhausted) << failure;
  EXPECT_NE(failure.message().find("full"), std::string::npos) << failure;
  EXPECT_TRUE(session->Finish(false).ok());
  hold.store(false);
  EXPECT_EQ(a_->keys() + b_->keys(), 0u);
  EXPECT_EQ(Failures().size(), 1u) << "reported once";
}

TEST_F(StagingTest, FullIntermediaryIsWaitedOutOnceThePostCopyCannotComeBack) {
  a_->SetCapacity(256 * 1024);
  b_->SetCapacity(256 * 1024);
  const std::string stream = RandomBytes(2 * 1024 * 1024);
  auto session = Open(Request("post-copy"));
  ASSERT_NE(session, nullptr);
  MigrateOptions options;
  session->Apply(&options);
  const int port = PortOf(options.migration_uri);
  std::atomic<bool> hold{true};
  DestinationQemu destination(port, stream.size(), &hold);
  SourceQemu source(port, stream);
  std::this_thread::sleep_for(300ms);  // the stores fill up and refuse
  EXPECT_TRUE(Failures().empty());
  hold.store(false);
  EXPECT_TRUE(destination.Received() == stream);
  EXPECT_EQ(source.Got(), kReturn);
  EXPECT_TRUE(session->Finish(true).ok());
  EXPECT_TRUE(Failures().empty());
}

TEST_F(StagingTest, DestinationGoneFailsTheMigration) {
  const std::string stream = RandomBytes(2 * 1024 * 1024);
  auto session = Open(Request());
  ASSERT_NE(session, nullptr);
  MigrateOptions options;
  session->Apply(&options);
  const int port = PortOf(options.migration_uri);
  std::atomic<bool> hold{true};
  DestinationQemu destination(port, stream.size(), &hold);
  SourceQemu source(port, stream, stream.size() / 2);
  ASSERT_TRUE(WaitUntil([&] { return a_->keys() + b_->keys() > 0; }));
  server_.reset();  // the destination agent stops: its gatherer goes with it
  ASSERT_TRUE(WaitUntil([&] { return !Failures().empty(); }));
  EXPECT_NE(Failures().front().message().find("destination"), std::string::npos)
      << Failures().front();
  hold.store(false);
  EXPECT_TRUE(session->Finish(false).ok());
  EXPECT_EQ(a_->keys() + b_->keys(), 0u);
}

TEST_F(StagingTest, UnreachableIntermediaryIsNamed) {
  a_->SetBroken(true);
  auto session = source_->Open(Request(), 0, [](const Status&) {});
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find(kA), std::string::npos) << session.status();
  EXPECT_EQ(prepares_.load(), 0) << "the destination is not bothered";
}

TEST_F(StagingTest, ATakenPortIsChosenAgain) {
  take_first_port_ = true;
  auto session = Open(Request());
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(prepares_.load(), 2);
  EXPECT_TRUE(session->Finish(false).ok());
}

TEST_F(StagingTest, RequestsOutsideTheConfigurationAreRefused) {
  auto request = Request();
  request.mutable_staging()->add_intermediaries("10.9.9.9:6379");
  Status s = source_->Check(request);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("10.9.9.9:6379"), std::string::npos) << s;
  EXPECT_NE(s.message().find("stage-redis"), std::string::npos) << s;

  request = Request();
  request.set_parallel_connections(4);
  EXPECT_EQ(source_->Check(request).code(), absl::StatusCode::kInvalidArgument);
  request = Request();
  request.mutable_staging()->clear_destination_agent();
  EXPECT_EQ(source_->Check(request).code(), absl::StatusCode::kInvalidArgument);
  request = Request();
  request.mutable_staging()->add_intermediaries(kA);
  EXPECT_NE(source_->Check(request).message().find("twice"), std::string::npos);
  request = Request();
  request.mutable_destination()->clear_migration_address();
  EXPECT_EQ(source_->Check(request).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(source_->Check(Request()).ok());

  v1::StagedIncomingRequest incoming;
  incoming.set_id("m2");
  incoming.set_token("t");
  incoming.set_port(40000);
  incoming.set_listen_address("127.0.0.2");
  incoming.add_intermediaries("10.9.9.9:6379");
  EXPECT_EQ(destination_->PrepareIncoming(incoming).status().code(),
            absl::StatusCode::kPermissionDenied);
  incoming.set_intermediaries(0, kA);
  incoming.set_listen_address("192.0.2.1");  // not an address of this host
  auto foreign = destination_->PrepareIncoming(incoming);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kInvalidArgument) << foreign.status();
  incoming.set_listen_address("127.0.0.2");
  incoming.set_id("../x");
  EXPECT_EQ(destination_->PrepareIncoming(incoming).status().code(),
            absl::StatusCode::kInvalidArgument);
  StagingService no_server(StagingConfig{}, stores_.Factory(), nullptr, nullptr);
  EXPECT_EQ(no_server.PrepareIncoming(incoming).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(StagingTest, StageLinkWithAWrongTokenIsRefused) {
  v1::StagedIncomingRequest incoming;
  incoming.set_id("m3");
  incoming.set_token("right");
  incoming.set_port(40001);
  incoming.set_listen_address("127.0.0.2");
  incoming.add_intermediaries(kA);
  auto ready = destination_->PrepareIncoming(incoming);
  ASSERT_TRUE(ready.ok()) << ready.status();
  auto fd = stage::ConnectTcp(ready->stage_address(), 2000);
  ASSERT_TRUE(fd.ok());
  const std::string hello = std::string(stage::kHelloPrefix) + "m3 wrong\n";
  ASSERT_TRUE(stage::WriteAll(*fd, hello.data(), hello.size()));
  auto answer = stage::ReadLine(*fd, 512, 2000);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->rfind("ERR ", 0), 0u) << *answer;
  stage::Close(*fd);
}

TEST(StageLinkTest, FramesRoundTrip) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_TRUE(stage::SendFrame(fds[0], stage::Frame::kStored, stage::EncodeStored(7, 2, 4096)));
  ASSERT_TRUE(stage::SendFrame(fds[0], stage::Frame::kReturn, std::string("\0ab", 3)));
  auto first = stage::ReadFrame(fds[1]);
  ASSERT_TRUE(first.ok());
  uint64_t seq = 0;
  uint32_t lane = 0, bytes = 0;
  ASSERT_TRUE(stage::DecodeStored(first->payload, &seq, &lane, &bytes));
  EXPECT_EQ(seq, 7u);
  EXPECT_EQ(lane, 2u);
  EXPECT_EQ(bytes, 4096u);
  auto second = stage::ReadFrame(fds[1]);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->type, stage::Frame::kReturn);
  EXPECT_EQ(second->payload, std::string("\0ab", 3));
  const char huge[5] = {'R', 0x7f, 0, 0, 0};  // 2 GiB announced
  ASSERT_TRUE(stage::WriteAll(fds[0], huge, sizeof(huge)));
  EXPECT_EQ(stage::ReadFrame(fds[1]).status().code(), absl::StatusCode::kInvalidArgument);
  stage::Close(fds[0]);
  EXPECT_EQ(stage::ReadFrame(fds[1]).status().code(), absl::StatusCode::kUnavailable);
  stage::Close(fds[1]);
}

// The manager runs a staged migration through the relay, reports its figures and fails it,
// the VM kept here, when the relay gives up.
class MigrationManagerStagingTest : public StagingTest {
 protected:
  void SetUp() override {
    StagingTest::SetUp();
    hv_.AddDomain("vm1", 64);
    MigrationManagerOptions options;
    options.poll_interval_ms = 10;
    options.staging = source_.get();
    manager_ = std::make_unique<MigrationManager>(&hv_, options);
  }
  void TearDown() override {
    manager_.reset();
    StagingTest::TearDown();
  }
  v1::MigrationProgress WaitFinal(const std::string& id) {
    v1::MigrationProgress p;
    WaitUntil([&] {
      p = *manager_->Get(id);
      return p.state() == "completed" || p.state() == "failed" || p.state() == "aborted";
    });
    return p;
  }

  convoy::testing::FakeHypervisor hv_;
  std::unique_ptr<MigrationManager> manager_;
};

TEST_F(MigrationManagerStagingTest, StagedMigrationReportsStagedAndGathered) {
  const std::string stream = RandomBytes(1024 * 1024);
  std::thread start([&] { EXPECT_TRUE(manager_->Start(Request()).ok()); });
  ASSERT_TRUE(hv_.WaitForMigrateCall("vm1"));
  const MigrateOptions options = hv_.CallsFor("vm1").options;
  EXPECT_EQ(options.listen_address, "127.0.0.2");
  const int port = PortOf(options.migration_uri);
  {
    DestinationQemu destination(port, stream.size());
    SourceQemu source(port, stream);
    EXPECT_TRUE(destination.Received() == stream);
  }
  hv_.Complete("vm1");
  start.join();
  const auto p = WaitFinal("m1");
  EXPECT_EQ(p.state(), "completed") << p.error();
  EXPECT_NEAR(p.staging().staged_mib(), 1.0, 1e-9);
  EXPECT_TRUE(p.staging().evicted());
  EXPECT_EQ(a_->keys() + b_->keys(), 0u);
}

TEST_F(MigrationManagerStagingTest, RelayFailureAbortsAndSaysWhy) {
  a_->SetCapacity(128 * 1024);
  b_->SetCapacity(128 * 1024);
  const std::string stream = RandomBytes(8 * 1024 * 1024);
  // The relay may give up before Start has seen the job move: then Start says so itself.
  std::thread start([&] { (void)manager_->Start(Request()); });
  ASSERT_TRUE(hv_.WaitForMigrateCall("vm1"));
  const int port = PortOf(hv_.CallsFor("vm1").options.migration_uri);
  std::atomic<bool> hold{true};
  DestinationQemu destination(port, stream.size(), &hold);
  SourceQemu source(port, stream);
  start.join();
  const auto p = WaitFinal("m1");
  hold.store(false);
  EXPECT_EQ(p.state(), "failed");
  EXPECT_NE(p.error().find("full"), std::string::npos) << p.error();
  EXPECT_NE(p.error().find("stays on this host"), std::string::npos) << p.error();
  EXPECT_EQ(hv_.CallsFor("vm1").aborts, 1);
  EXPECT_TRUE(hv_.HasDomain("vm1"));
  EXPECT_EQ(a_->keys() + b_->keys(), 0u);
}

TEST_F(MigrationManagerStagingTest, StagingRefusedWithoutConfiguration) {
  auto request = Request();
  request.mutable_staging()->set_intermediaries(0, "10.1.1.1:6379");
  EXPECT_EQ(manager_->Start(request).status().code(), absl::StatusCode::kPermissionDenied);
  MigrationManager plain(&hv_, MigrationManagerOptions{});
  const auto refused = plain.Start(Request());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("stage-redis"), std::string::npos);
}

}  // namespace
}  // namespace convoy::agent
