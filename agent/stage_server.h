// The destination agent's end of stage links: listens (--stage-listen), and hands each link
// whose hello names a migration the agent was told to expect (PrepareStagedIncoming) and proves
// its token to a StageGatherer. Expectations not claimed in time are dropped; finished gatherers
// are reaped. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/stage_gather.h"

namespace convoy::agent {

struct ExpectedStage {
  std::string migration_id;
  std::string token;
  std::vector<std::string> intermediaries;
  std::string qemu_address;  // host:port the destination QEMU listens on
  std::chrono::steady_clock::time_point deadline;
};

class StageServer {
 public:
  // Listens on `address` (host:port; port 0 picks one).
  static StatusOr<std::unique_ptr<StageServer>> Start(const std::string& address,
                                                      PageStagerFactory factory,
                                                      GatherOptions options);
  ~StageServer();
  int port() const { return port_; }

  // Expects the source of `expected.migration_id` before its deadline (replaces an earlier
  // expectation of the same migration).
  void Expect(ExpectedStage expected);
  // Gatherers running now (tests).
  size_t active() const;

 private:
  StageServer() = default;
  void Serve();
  void Handle(int fd);
  void Reap();

  PageStagerFactory factory_;
  GatherOptions options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::map<std::string, ExpectedStage> expected_;
  std::vector<std::unique_ptr<StageGatherer>> gatherers_;
  std::thread thread_;
};

}  // namespace convoy::agent
