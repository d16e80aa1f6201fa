// PageStager on a Redis server (hiredis 0.14: RESP2, no TLS). A chunk is the string key
// convoy:stage:<migration id>:<seq>; puts are pipelined (SET, at most `window` outstanding) and
// written straight from the caller's buffer; takes are pipelined GETDELs (Redis >= 6.2); the
// clean-up is SCAN MATCH + UNLINK. A server at maxmemory with noeviction answers OOM, which
// becomes RESOURCE_EXHAUSTED naming the server.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "agent/page_stager.h"

struct redisContext;

namespace convoy::agent {

struct RedisStagerOptions {
  int window = 8;          // puts outstanding at once
  int timeout_ms = 10000;  // connecting, and waiting for any one answer
};

class RedisPageStager final : public PageStager {
 public:
  // UNAVAILABLE naming `address` when the server cannot be reached or does not answer PING.
  static StatusOr<std::unique_ptr<RedisPageStager>> Connect(const std::string& address,
                                                            const std::string& migration_id,
                                                            const RedisStagerOptions& options);
  ~RedisPageStager() override;

  const std::string& address() const override { return address_; }
  std::vector<PutResult> Put(uint64_t seq, std::string_view bytes) override;
  std::vector<PutResult> Drain() override;
  StatusOr<std::vector<std::string>> Take(const std::vector<uint64_t>& seqs) override;
  StatusOr<uint64_t> DeleteAll() override;
  StatusOr<uint64_t> Count() override;

 private:
  RedisPageStager(std::string address, std::string migration_id, RedisStagerOptions options)
      : address_(std::move(address)), migration_id_(std::move(migration_id)), options_(options) {}
  // Reads the answer to the oldest outstanding put.
  PutResult Answer();
  // UNAVAILABLE for a broken connection (every later call fails the same way).
  Status Broken(const std::string& what);
  // Calls `visit` with every batch of this migration's keys; stops at its first error.
  Status Scan(const std::function<Status(const std::vector<std::string>&)>& visit);

  const std::string address_;
  const std::string migration_id_;
  const RedisStagerOptions options_;
  redisContext* context_ = nullptr;
  std::deque<uint64_t> outstanding_;
  Status broken_;
};

// A PageStagerFactory of RedisPageStagers with these options.
PageStagerFactory RedisStagerFactory(RedisStagerOptions options);

}  // namespace convoy::agent
