// Where a staged migration's stream waits between the source and the destination (SOLive's
// scatter-gather): numbered chunks of QEMU's migration stream in one intermediary's store.
// One PageStager is one connection to one intermediary, for one migration (its keys); it is not
// thread-safe: one thread uses it at a time.
// Implementations: RedisPageStager (redis_stager.h, the real one), FakePageStager (tests/fakes).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::agent {

// The answer to one Put: OK once the chunk is stored; RESOURCE_EXHAUSTED when the intermediary
// is full (Redis at maxmemory refuses writes); UNAVAILABLE when the connection broke (every
// outstanding put gets it); INTERNAL for any other refusal, with the store's text.
struct PutResult {
  uint64_t seq = 0;
  Status status;
};

class PageStager {
 public:
  virtual ~PageStager() = default;

  // The intermediary, host:port.
  virtual const std::string& address() const = 0;

  // Starts storing `bytes` as chunk `seq` and returns at once with the answers that arrived
  // meanwhile, in the order of the puts. At most the stager's window of puts is outstanding:
  // when that many are, Put first waits for the oldest one's answer.
  virtual std::vector<PutResult> Put(uint64_t seq, std::string_view bytes) = 0;
  // Waits for the answer of every outstanding put and returns them in order.
  virtual std::vector<PutResult> Drain() = 0;

  // Fetches and deletes chunks `seqs`, in that order, in one pipelined round trip. NOT_FOUND
  // naming the first chunk that is not there; UNAVAILABLE when the connection broke.
  virtual StatusOr<std::vector<std::string>> Take(const std::vector<uint64_t>& seqs) = 0;

  // Deletes every chunk of this migration the intermediary still holds; returns how many.
  virtual StatusOr<uint64_t> DeleteAll() = 0;
  // How many chunks of this migration the intermediary holds.
  virtual StatusOr<uint64_t> Count() = 0;
};

// Connects a stager to `address` (host:port) for the migration `migration_id`.
using PageStagerFactory = std::function<StatusOr<std::unique_ptr<PageStager>>(
    const std::string& address, const std::string& migration_id)>;

// The key of chunk `seq` of migration `migration_id`, and the pattern matching all of them.
std::string StageKey(const std::string& migration_id, uint64_t seq);
std::string StageKeyPattern(const std::string& migration_id);

}  // namespace convoy::agent
