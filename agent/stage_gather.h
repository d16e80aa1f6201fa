// The destination side of a staged migration. The source's relay says over the stage link which
// chunk is stored on which intermediary; the gatherer takes them (pipelined GETDELs, one fetcher
// per intermediary, never more than a window ahead of what QEMU needs next) and writes them in
// order into the destination QEMU's incoming socket, at the pace this host can take them. What
// QEMU sends back (its return path) goes to the source over the stage link. The gatherer ends
// when the source says the migration is done or given up, or the link closes; when it was not
// done, it deletes whatever of the migration is left on the intermediaries.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/page_stager.h"
#include "agent/stage_link.h"

namespace convoy::agent {

struct GatherOptions {
  int window_chunks = 16;          // chunks fetched ahead of the one QEMU needs next
  int batch_chunks = 4;            // chunks per pipelined take
  int connect_timeout_ms = 30000;  // for the destination QEMU's socket to accept
  int gathered_every_chunks = 4;   // how often the source hears how far the gatherer is
};

class StageGatherer {
 public:
  // Takes `link_fd` (the stage link, hello answered) and `stagers` (one per intermediary, in the
  // order of the staging request), and starts. `qemu_address` is where the destination QEMU
  // listens for the stream (host:port).
  StageGatherer(std::string migration_id, int link_fd,
                std::vector<std::unique_ptr<PageStager>> stagers, std::string qemu_address,
                GatherOptions options, PageStagerFactory factory);
  // Stops (as if the source gave up, when it had not said) and joins.
  ~StageGatherer();

  // The source said done or gave up, or the link broke.
  bool Done() const { return done_.load(); }
  uint64_t gathered_bytes() const;

 private:
  void ReadLink();
  void Fetch(size_t lane);
  void Write();
  void ReadQemu(int fd);
  // Ends the gathering because of `why` (sent to the source as an error unless empty).
  void Stop(const std::string& why);
  void SendLink(stage::Frame type, std::string_view payload);

  const std::string migration_id_;
  const int link_fd_;
  const std::string qemu_address_;
  const GatherOptions options_;
  const PageStagerFactory factory_;
  std::vector<std::unique_ptr<PageStager>> stagers_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::set<uint64_t>> stored_;  // per intermediary: stored, not yet taken
  std::map<uint64_t, std::string> taken_;   // taken, not yet written
  uint64_t next_write_ = 0;
  uint64_t gathered_bytes_ = 0;
  bool source_done_ = false;  // the source said the migration completed
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<int> qemu_fd_{-1};

  std::mutex link_mu_;
  std::vector<std::thread> fetchers_;
  std::thread writer_;
  std::thread qemu_reader_;
  std::thread link_reader_;
};

}  // namespace convoy::agent
