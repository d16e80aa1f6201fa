// A client of an OVSDB server over its JSON-RPC protocol (RFC 7047), as ovs-vsctl speaks it:
// one "transact" at a time on one connection, made when first needed and made again after an
// error (so a restarted ovsdb-server is found again). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/ovs/stream.h"
#include "convoy/common/status.h"

namespace convoy::agent::ovs {

// The end of the first complete JSON value at the start of `text` (its length), or 0 when `text`
// holds only part of one. OVSDB frames messages only by their JSON syntax.
size_t JsonValueLength(std::string_view text);

class OvsdbClient {
 public:
  // `endpoint`: "unix:/run/openvswitch/db.sock" or "tcp:HOST:PORT". Each call waits at most
  // `timeout_ms` for the server.
  explicit OvsdbClient(std::string endpoint, int timeout_ms = 5000);

  // Runs `operations` (a JSON array of RFC 7047 operations) as one transaction on `database`
  // and returns the array of their results. FAILED_PRECONDITION when an operation fails (its
  // index, error and details in the message; the transaction changed nothing); UNAVAILABLE when
  // the server cannot be reached; DEADLINE_EXCEEDED when it does not answer in time.
  StatusOr<nlohmann::json> Transact(const std::string& database, const nlohmann::json& operations);

  const std::string& endpoint() const { return endpoint_; }

 private:
  // Sends one request and waits for its answer, answering the server's echo requests meanwhile.
  StatusOr<nlohmann::json> Call(const std::string& method, const nlohmann::json& params);
  StatusOr<nlohmann::json> ReadMessage();  // with mu_ held

  const std::string endpoint_;
  const int timeout_ms_;
  std::mutex mu_;
  std::unique_ptr<Stream> stream_;  // null until connected, and after an error
  std::string buffer_;              // received bytes not yet parsed
  uint64_t next_id_ = 1;
};

}  // namespace convoy::agent::ovs
