// The agent's side of the guest module: the channel protocol against a scripted guest over a
// real unix socket (answers, refusals, garbage, silence), the reader's errors and bookkeeping,
// and enlightened migrations in the MigrationManager (armed, released at the switch, disarmed on
// failure, plain post-copy with the reason when the guest cannot help).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "agent/enlightenment.h"
#include "agent/guest_channel.h"
#include "agent/migration_manager.h"
#include "convoy/enlight/enlightenment.h"
#include "tests/fakes/fake_hypervisor.h"

namespace convoy::agent {
namespace {

using namespace std::chrono_literals;

enlight::Enlightenment SampleGuest() {
  enlight::Enlightenment e;
  e.page_count = 512;
  e.generation = 7;
  e.meminfo_free_pages = 100;
  e.layout = {{0, 512, enlight::LayoutRange::kRam}};
  e.free = {{400, 100}};
  e.priority = {{0, 100, enlight::kKernel},
                {100, 156, enlight::kUserData},
                {256, 144, enlight::kOther},
                {400, 100, enlight::kNoCategory},
                {500, 12, enlight::kOther}};
  return e;
}

// A guest responder on a unix socket: one connection at a time, like QEMU's chardev.
class FakeGuest {
 public:
  enum class Mode { kNormal, kNoModule, kGarbage, kSilent, kNoLineEnd };

  explicit FakeGuest(Mode mode) : mode_(mode) {
    path_ = (std::filesystem::temp_directory_path() /
             ("convoy-guest-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
                .string();
    ::unlink(path_.c_str());
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path_.c_str());
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(listen(listener_, 4), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeGuest() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int hangups() const { return hangups_; }

 private:
  void Serve() {
    while (!stopping_) {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string buffer;
      char chunk[256];
      ssize_t n;
      while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0) {
        buffer.append(chunk, static_cast<size_t>(n));
        size_t end;
        while ((end = buffer.find('\n')) != std::string::npos) {
          const std::string line = buffer.substr(0, end);
          buffer.erase(0, end + 1);
          {
            std::lock_guard<std::mutex> lock(mu_);
            requests_.push_back(line);
          }
          Answer(fd, line);
        }
      }
      ++hangups_;
      ::close(fd);
    }
  }
  void Answer(int fd, const std::string& line) {
    std::string out;
    switch (mode_) {
      case Mode::kSilent:
        return;
      case Mode::kNoLineEnd:
        out = std::string(600, 'x');
        break;
      case Mode::kGarbage:
        out = "OK 16\n" + std::string(16, '\x5a');
        break;
      case Mode::kNoModule:
        out = "ERR no guest module: /proc/convoy_enlight is missing\n";
        break;
      case Mode::kNormal:
        if (line == "SNAPSHOT") {
          const std::string blob = enlight::Encode(SampleGuest());
          out = "OK " + std::to_string(blob.size()) + "\n" + blob;
        } else if (line.rfind("ARM ", 0) == 0) {
          out = "OK armed\n";
        } else if (line == "DISARM") {
          out = "OK disarmed\n";
        } else {
          out = "ERR unknown request\n";
        }
        break;
    }
    (void)!send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }

  static inline std::atomic<int> counter_{0};
  Mode mode_;
  std::string path_;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> hangups_{0};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

EnlightenmentReader ReaderFor(FakeGuest* guest, int timeout_ms = 300) {
  EnlightenmentOptions options;
  options.timeout_ms = timeout_ms;
  options.arm_seconds = 120;
  return EnlightenmentReader(
      [guest](const std::string& vm) -> StatusOr<std::string> {
        if (vm != "vm1") return absl::NotFoundError("no VM named '" + vm + "' on this host");
        return guest->path();
      },
      options);
}

TEST(GuestChannelTest, AnswersRefusalsAndGarbage) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  GuestChannel channel(fds[0]);
  const auto soon = [] { return std::chrono::steady_clock::now() + 300ms; };
  auto guest_says = [&](const std::string& bytes) {
    ASSERT_EQ(send(fds[1], bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  };
  guest_says("OK armed\n");
  auto armed = channel.Call("ARM 10", soon());
  ASSERT_TRUE(armed.ok()) << armed.status();
  EXPECT_EQ(armed->line, "armed");
  guest_says("OK 5\nhello");
  auto payload = channel.Call("STATS", soon(), 100);
  ASSERT_TRUE(payload.ok()) << payload.status();
  EXPECT_EQ(payload->payload, "hello");
  guest_says("ERR snapshot: Out of memory\n");
  auto refused = channel.Call("SNAPSHOT", soon(), 100);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("Out of memory"), std::string::npos);
  guest_says("\x01\x02 what\n");
  auto garbage = channel.Call("HELLO", soon());
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(garbage.status().message().find("\\x01\\x02 what"), std::string::npos)
      << garbage.status().message();
  guest_says("OK 101\n");
  auto too_big = channel.Call("SNAPSHOT", soon(), 100);
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kDataLoss);
  guest_says("OK 10\nabc");
  auto cut = channel.Call("SNAPSHOT", soon(), 100);
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(cut.status().message().find("stopped after"), std::string::npos);
  auto silent = channel.Call("HELLO", soon());
  EXPECT_EQ(silent.status().code(), absl::StatusCode::kDeadlineExceeded);
  ::close(fds[1]);
  auto closed = channel.Call("HELLO", soon());
  EXPECT_EQ(closed.status().code(), absl::StatusCode::kUnavailable);
}

TEST(GuestChannelTest, ConnectFailsClearly) {
  auto channel = GuestChannel::Connect("/nonexistent/convoy.sock");
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(channel.status().message().find("/nonexistent/convoy.sock"), std::string::npos);
}

TEST(EnlightenmentReaderTest, ReadsAndRemembers) {
  FakeGuest guest(FakeGuest::Mode::kNormal);
  auto reader = ReaderFor(&guest);
  EXPECT_FALSE(reader.Last("vm1").has_value());
  auto reading = reader.Read("vm1", 0, /*include_raw=*/true);
  ASSERT_TRUE(reading.ok()) << reading.status();
  EXPECT_EQ(reading->vm(), "vm1");
  EXPECT_EQ(reading->generation(), 7u);
  EXPECT_DOUBLE_EQ(reading->free_mib(), 100 * 4096.0 / 1048576);
  EXPECT_DOUBLE_EQ(reading->working_set_mib(), 256 * 4096.0 / 1048576);
  EXPECT_DOUBLE_EQ(reading->category_mib().at("user_data"), 156 * 4096.0 / 1048576);
  EXPECT_DOUBLE_EQ(reading->meminfo_free_mib(), 100 * 4096.0 / 1048576);
  EXPECT_EQ(reading->raw(), enlight::Encode(SampleGuest()));
  EXPECT_GT(reading->read_ms(), 0);
  auto last = reader.Last("vm1");
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(last->raw().empty());
  EXPECT_TRUE(last->error().empty());
  EXPECT_LT(reader.AgeS("vm1"), 5);
  EXPECT_EQ(reader.Read("vm9").status().code(), absl::StatusCode::kNotFound);
}

TEST(EnlightenmentReaderTest, EachGuestFailureHasItsOwnError) {
  struct Case {
    FakeGuest::Mode mode;
    absl::StatusCode code;
    std::string words;
  };
  for (const Case& c :
       {Case{FakeGuest::Mode::kNoModule, absl::StatusCode::kFailedPrecondition, "no guest module"},
        Case{FakeGuest::Mode::kGarbage, absl::StatusCode::kDataLoss, "magic"},
        Case{FakeGuest::Mode::kSilent, absl::StatusCode::kDeadlineExceeded,
             "did not answer SNAPSHOT in time"},
        Case{FakeGuest::Mode::kNoLineEnd, absl::StatusCode::kDataLoss, "no line end"}}) {
    FakeGuest guest(c.mode);
    auto reader = ReaderFor(&guest);
    const auto start = std::chrono::steady_clock::now();
    auto reading = reader.Read("vm1");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "the timeout did not hold";
    ASSERT_FALSE(reading.ok());
    EXPECT_EQ(reading.status().code(), c.code) << reading.status();
    EXPECT_NE(reading.status().message().find(c.words), std::string::npos)
        << reading.status().message();
    auto last = reader.Last("vm1");
    ASSERT_TRUE(last.has_value());
    EXPECT_EQ(last->error(), reading.status().message());
    EXPECT_EQ(reader.Arm("vm1").status().code(), c.code);  // nothing stays busy after a failure
  }
}

TEST(EnlightenmentReaderTest, AnArmedSessionHoldsTheChannelUntilReleased) {
  FakeGuest guest(FakeGuest::Mode::kNormal);
  auto reader = ReaderFor(&guest);
  auto session = reader.Arm("vm1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ((*session)->enlightenment().generation(), 7u);
  EXPECT_EQ(reader.Read("vm1").status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(guest.hangups(), 0);
  (*session)->Disarm();
  (*session)->Release();  // a second end is harmless
  for (int i = 0; i < 100 && guest.hangups() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(guest.hangups(), 1);
  EXPECT_EQ(guest.requests(), (std::vector<std::string>{"SNAPSHOT", "ARM 120", "DISARM"}));
  EXPECT_TRUE(reader.Read("vm1").ok());
}

class EnlightenedMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override { hv_.AddDomain("vm1", 256); }

  std::unique_ptr<MigrationManager> Manager(EnlightenmentReader* reader) {
    MigrationManagerOptions options;
    options.poll_interval_ms = 10;
    auto manager = std::make_unique<MigrationManager>(&hv_, options);
    manager->SetEnlightenmentReader(reader);
    return manager;
  }

  static v1::StartMigrationRequest Request() {
    v1::StartMigrationRequest r;
    r.set_vm("vm1");
    r.set_mode("enlightened");
    r.set_bandwidth_mibps(20);
    r.set_postcopy_bandwidth_mibps(20);
    r.mutable_destination()->set_host("h2");
    r.mutable_destination()->set_libvirt_uri("qemu+tcp://10.77.0.12/system");
    return r;
  }

  v1::MigrationProgress WaitFor(MigrationManager* m, const std::string& id,
                                const std::string& state) {
    v1::MigrationProgress p;
    for (int i = 0; i < 500; ++i) {
      p = *m->Get(id);
      if (p.state() == state) return p;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "never reached " << state << ", is " << p.state();
    return p;
  }

  convoy::testing::FakeHypervisor hv_;
};

TEST_F(EnlightenedMigrationTest, ArmsTheGuestAndReleasesItAtTheSwitch) {
  FakeGuest guest(FakeGuest::Mode::kNormal);
  auto reader = ReaderFor(&guest);
  auto manager = Manager(&reader);
  auto started = manager->Start(Request());
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->mode(), "enlightened");
  EXPECT_TRUE(started->note().empty());
  EXPECT_GT(started->enlightenment_ms(), 0);
  EXPECT_TRUE(hv_.CallsFor("vm1").options.allow_postcopy);
  EXPECT_DOUBLE_EQ(hv_.CallsFor("vm1").options.postcopy_bandwidth_mibps, 20);
  auto post = WaitFor(manager.get(), started->id(), "postcopy");
  EXPECT_EQ(hv_.CallsFor("vm1").postcopy_switches, 1);
  EXPECT_GT(post.execution_transfer_s(), 0);
  for (int i = 0; i < 100 && guest.hangups() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(guest.hangups(), 1) << "the channel must close once the VM runs on the destination";
  EXPECT_EQ(guest.requests(), (std::vector<std::string>{"SNAPSHOT", "ARM 120"}));
  hv_.Complete("vm1");
  WaitFor(manager.get(), started->id(), "completed");
}

TEST_F(EnlightenedMigrationTest, AFailedStartDisarmsTheGuest) {
  FakeGuest guest(FakeGuest::Mode::kNormal);
  auto reader = ReaderFor(&guest);
  auto manager = Manager(&reader);
  hv_.FailNextMigrateWith("unable to connect to server at '10.77.0.12:49152'");
  auto started = manager->Start(Request());
  EXPECT_EQ(started.status().code(), absl::StatusCode::kUnavailable);
  for (int i = 0; i < 100 && guest.hangups() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(guest.requests(), (std::vector<std::string>{"SNAPSHOT", "ARM 120", "DISARM"}));
  EXPECT_TRUE(reader.Read("vm1").ok()) << "the channel must be free again";
}

TEST_F(EnlightenedMigrationTest, FallsBackToPlainPostCopyWithTheReason) {
  for (auto mode :
       {FakeGuest::Mode::kNoModule, FakeGuest::Mode::kGarbage, FakeGuest::Mode::kSilent}) {
    FakeGuest guest(mode);
    auto reader = ReaderFor(&guest);
    auto manager = Manager(&reader);
    const auto start = std::chrono::steady_clock::now();
    auto started = manager->Start(Request());
    ASSERT_TRUE(started.ok()) << started.status();
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_EQ(started->mode(), "post-copy");
    EXPECT_NE(started->note().find("enlightenment unavailable, plain post-copy: "),
              std::string::npos)
        << started->note();
    WaitFor(manager.get(), started->id(), "postcopy");
    hv_.Complete("vm1");
    auto done = WaitFor(manager.get(), started->id(), "completed");
    EXPECT_EQ(done.note(), started->note());
    hv_.AddDomain("vm1", 256);  // back, for the next case
  }
  auto manager = Manager(nullptr);
  auto started = manager->Start(Request());
  ASSERT_TRUE(started.ok());
  EXPECT_NE(started->note().find("reads no enlightenment"), std::string::npos);
  hv_.Complete("vm1");
}

}  // namespace
}  // namespace convoy::agent
