// RedisPageStager against a real redis-server (scripts/setup installs it), started by the test
// on a free loopback port with persistence off and a small maxmemory (noeviction).
#include "agent/redis_stager.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "agent/stage_link.h"

namespace convoy::agent {
namespace {

constexpr size_t kChunk = 63 * 4096;

std::string Bytes(size_t n, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(random());
  return s;
}

class RedisStagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const int probe = *stage::ListenTcp("127.0.0.1", 0);
    port_ = stage::LocalPort(probe);
    stage::Close(probe);
    const std::string port = std::to_string(port_);
    pid_ = fork();
    if (pid_ == 0) {
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--maxmemory", "8mb", "--maxmemory-policy",
             "noeviction", "--loglevel", "warning", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      auto s = RedisPageStager::Connect(Address(), "probe", RedisStagerOptions{});
      if (s.ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  static std::string Address() { return "127.0.0.1:" + std::to_string(port_); }

  std::unique_ptr<RedisPageStager> Connect(const std::string& migration, int window = 4) {
    RedisStagerOptions options;
    options.window = window;
    auto s = RedisPageStager::Connect(Address(), migration, options);
    EXPECT_TRUE(s.ok()) << s.status() << " (is redis-server installed? scripts/setup does it)";
    return s.ok() ? *std::move(s) : nullptr;
  }

  static int port_;
  static pid_t pid_;
};

int RedisStagerTest::port_ = 0;
pid_t RedisStagerTest::pid_ = -1;

TEST_F(RedisStagerTest, PipelinedPutsAreTakenInOrderAndDeleted) {
  auto s = Connect("put-take");
  ASSERT_NE(s, nullptr);
  std::vector<PutResult> answers;
  for (uint64_t seq = 0; seq < 20; ++seq) {
    auto some = s->Put(seq, Bytes(kChunk / 4, seq));
    answers.insert(answers.end(), some.begin(), some.end());
    // Never more than the window outstanding: the answers keep up with the puts.
    EXPECT_GE(answers.size() + 4, seq + 1);
  }
  auto rest = s->Drain();
  answers.insert(answers.end(), rest.begin(), rest.end());
  ASSERT_EQ(answers.size(), 20u);
  for (uint64_t seq = 0; seq < 20; ++seq) {
    EXPECT_EQ(answers[seq].seq, seq);
    EXPECT_TRUE(answers[seq].status.ok()) << answers[seq].status;
  }
  EXPECT_EQ(*s->Count(), 20u);
  auto taken = s->Take({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  ASSERT_TRUE(taken.ok()) << taken.status();
  for (uint64_t seq = 0; seq < 10; ++seq) EXPECT_EQ((*taken)[seq], Bytes(kChunk / 4, seq));
  EXPECT_EQ(*s->Count(), 10u) << "taken chunks are deleted";
  EXPECT_EQ(*s->DeleteAll(), 10u);
  EXPECT_EQ(*s->Count(), 0u);
}

TEST_F(RedisStagerTest, MissingChunkIsNamed) {
  auto s = Connect("missing");
  ASSERT_NE(s, nullptr);
  (void)s->Put(1, "x");
  (void)s->Drain();
  auto taken = s->Take({1, 2});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(taken.status().message().find("chunk 2"), std::string::npos) << taken.status();
  // The connection stays in step: the next take works.
  (void)s->Put(3, "y");
  auto again = s->Take({3});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[0], "y");
}

TEST_F(RedisStagerTest, FullServerAnswersResourceExhaustedNamingIt) {
  auto s = Connect("full", 8);
  ASSERT_NE(s, nullptr);
  Status full;
  for (uint64_t seq = 0; seq < 60 && full.ok(); ++seq) {
    for (const auto& answer : s->Put(seq, Bytes(kChunk, seq))) {
      if (!answer.status.ok() && full.ok()) full = answer.status;
    }
  }
  for (const auto& answer : s->Drain()) {
    if (!answer.status.ok() && full.ok()) full = answer.status;
  }
  ASSERT_FALSE(full.ok()) << "8 MiB of maxmemory took 60 chunks of 252 KiB";
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_NE(full.message().find(Address()), std::string::npos) << full;
  EXPECT_NE(full.message().find("full"), std::string::npos) << full;
  EXPECT_GT(*s->DeleteAll(), 0u);
  EXPECT_EQ(*s->Count(), 0u);
}

TEST_F(RedisStagerTest, CleanUpTouchesOnlyItsOwnMigration) {
  auto mine = Connect("mine");
  auto other = Connect("other");
  ASSERT_TRUE(mine && other);
  (void)mine->Put(0, "a");
  (void)other->Put(0, "b");
  (void)mine->Drain();
  (void)other->Drain();
  EXPECT_EQ(*mine->DeleteAll(), 1u);
  EXPECT_EQ(*other->Count(), 1u);
  EXPECT_EQ(*other->DeleteAll(), 1u);
}

TEST_F(RedisStagerTest, UnreachableServerIsNamed) {
  const int probe = *stage::ListenTcp("127.0.0.1", 0);
  const std::string nobody = "127.0.0.1:" + std::to_string(stage::LocalPort(probe));
  stage::Close(probe);
  auto s = RedisPageStager::Connect(nobody, "x", RedisStagerOptions{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find(nobody), std::string::npos) << s.status();
}

}  // namespace
}  // namespace convoy::agent
