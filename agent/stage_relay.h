// The source side of a staged migration. The source QEMU sends its migration stream to the
// relay (libvirt was told the destination is 127.0.0.1:<port>); the relay cuts it into chunks,
// stores them on the intermediaries as fast as they take them (each chunk on the intermediary
// with the least outstanding, pipelined), tells the destination's gatherer over the stage link
// which chunk is stored where, and writes what the destination sends back (QEMU's return path)
// into the source QEMU's socket. The relay reads from QEMU only while every intermediary has
// room in its window, so QEMU runs at the rate the intermediaries take, not the destination's.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/page_stager.h"
#include "agent/stage_link.h"

namespace convoy::agent {

struct RelayOptions {
  size_t chunk_bytes = 63 * 4096;  // just under jemalloc's 256 KiB size class (docs/agent.md)
  // Per intermediary: chunks queued or unanswered. Twice the stager's window keeps its pipeline
  // full (it answers one put as it takes the next).
  int window_chunks = 16;
  int flush_idle_ms = 2;           // a partial chunk is stored after QEMU is silent this long
  int accept_timeout_ms = 120000;  // the source QEMU must connect within this
  int full_retry_ms = 200;         // once the migration cannot be aborted: a full store's retry
  int evicted_idle_ms = 500;       // silence after QEMU has nothing left: evicted
};

struct RelayFigures {
  uint64_t staged_bytes = 0;     // stored on the intermediaries
  uint64_t gathered_bytes = 0;   // fed to the destination QEMU (its gatherer's last report)
  bool evicted = false;          // the source's stream is all stored
  double evicted_at_unix_s = 0;  // when its last byte was
};

class StageRelay {
 public:
  // Takes `listen_fd` (where QEMU connects; one connection is accepted), `stagers` (one per
  // intermediary, connected) and `link_fd` (the stage link, its hello done), and starts at once.
  // `on_failure` is called once, from a relay thread, when the relay cannot go on (an
  // intermediary full or gone, the destination gone): the caller aborts the migration. It must
  // not call Finish. `factory` reconnects for the clean-up when a stager's connection broke.
  StageRelay(std::string migration_id, int listen_fd,
             std::vector<std::unique_ptr<PageStager>> stagers, int link_fd, RelayOptions options,
             PageStagerFactory factory, std::function<void(const Status&)> on_failure);
  // Finish(false) if it was not called.
  ~StageRelay();

  // false once the migration can no longer be abandoned (post-copy started): a full
  // intermediary is then waited for instead of failing the migration.
  void SetAbortable(bool abortable);
  // Whether QEMU reports nothing left to send (its job's remaining data is 0).
  void NoteNothingLeft(bool nothing_left);
  RelayFigures Figures() const;

  // Stops the relay and tells the destination the migration `succeeded` (or that it is given
  // up), then deletes whatever of the migration is left on the intermediaries. Returns the first
  // clean-up error (naming the intermediary), OK when nothing is left. Call once.
  Status Finish(bool succeeded);

 private:
  struct Chunk {
    uint64_t seq = 0;
    std::string bytes;
  };
  struct Lane {  // one intermediary
    std::unique_ptr<PageStager> stager;
    std::deque<Chunk> queue;
    int pending = 0;  // queued or unanswered
    std::thread thread;
  };

  void ReadQemu();
  void Send(size_t lane);
  void ReadLink();
  // Queues a chunk on the least busy lane, waiting for room; false when stopping.
  bool Dispatch(std::string bytes);
  void Fail(const Status& status);
  void SendLink(stage::Frame type, std::string_view payload);

  const std::string migration_id_;
  const RelayOptions options_;
  const PageStagerFactory factory_;
  const std::function<void(const Status&)> on_failure_;
  std::atomic<int> listen_fd_;
  std::atomic<int> qemu_fd_{-1};
  const int link_fd_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> abortable_{true};
  std::atomic<bool> nothing_left_{false};
  bool finished_ = false;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Lane> lanes_;
  uint64_t next_seq_ = 0;
  uint64_t stored_chunks_ = 0;
  uint64_t staged_bytes_ = 0;
  uint64_t gathered_bytes_ = 0;
  size_t partial_bytes_ = 0;  // read from QEMU, not yet queued
  bool qemu_eof_ = false;
  double last_stored_unix_s_ = 0;
  double last_input_steady_s_ = 0;
  bool failed_ = false;

  std::mutex link_mu_;  // one writer at a time on the stage link
  std::thread qemu_thread_;
  std::thread link_thread_;
};

}  // namespace convoy::agent
