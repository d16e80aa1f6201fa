// A connected stream socket (Unix or TCP) whose every read and write is bounded in time: the
// transport of the OVSDB and OpenFlow clients.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "convoy/common/status.h"

namespace convoy::agent::ovs {

class Stream {
 public:
  // `endpoint` is "unix:PATH" or "tcp:HOST:PORT" (OVS's own notation). UNAVAILABLE when nothing
  // answers there within `timeout_ms`; INVALID_ARGUMENT for another notation.
  static StatusOr<std::unique_ptr<Stream>> Connect(const std::string& endpoint, int timeout_ms);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Writes all of `data`; DEADLINE_EXCEEDED when the peer does not take it within `timeout_ms`,
  // UNAVAILABLE when the connection is gone.
  Status WriteAll(std::string_view data, int timeout_ms);
  // Appends at least one byte to `out`; DEADLINE_EXCEEDED when none arrives within
  // `timeout_ms`, UNAVAILABLE at end of stream or on error.
  Status ReadSome(std::string* out, int timeout_ms);

  const std::string& endpoint() const { return endpoint_; }

 private:
  Stream(int fd, std::string endpoint) : fd_(fd), endpoint_(std::move(endpoint)) {}
  int fd_;
  std::string endpoint_;
};

}  // namespace convoy::agent::ovs
