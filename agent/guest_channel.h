// The host's end of a guest's enlightenment channel: a virtio-serial port (org.convoy.enlight.0)
// whose host side QEMU exposes as a unix socket, with the guest's responder (enlightd,
// tests/guest/enlightd.c) at the other end. Requests are lines; each answer is one line,
// "OK ..." or "ERR <why>", and "OK <n>" answers to SNAPSHOT and STATS are followed by n bytes.
//
// Guests are not trusted: every read is bounded in size and time, and an answer that is not the
// protocol is an error, never a partial result. After any error the connection is unusable
// (its bytes may be out of step) and the caller drops it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "convoy/common/status.h"

namespace convoy::agent {

class GuestChannel {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Connects to the unix socket at `path`. UNAVAILABLE when nothing listens there.
  static StatusOr<std::unique_ptr<GuestChannel>> Connect(const std::string& path);
  // Takes ownership of a connected stream socket (tests use a socketpair).
  explicit GuestChannel(int fd) : fd_(fd) {}
  ~GuestChannel();
  GuestChannel(const GuestChannel&) = delete;
  GuestChannel& operator=(const GuestChannel&) = delete;

  struct Reply {
    std::string line;     // after "OK", without the line end (e.g. "armed", "1234")
    std::string payload;  // the n bytes of an "OK <n>" answer, when a payload was expected
  };

  // Sends `request` and reads the answer by `deadline`. With `max_payload` > 0 the answer must
  // be "OK <n>" with n <= max_payload, followed by n bytes. Errors:
  //   FAILED_PRECONDITION  the guest answered "ERR <why>" (the message is the guest's)
  //   DEADLINE_EXCEEDED    no complete answer by the deadline
  //   DATA_LOSS            the answer is not the protocol (garbage, a payload too large)
  //   UNAVAILABLE          the connection failed or closed
  StatusOr<Reply> Call(const std::string& request, Deadline deadline, size_t max_payload = 0);

 private:
  Status Send(const std::string& bytes, Deadline deadline, const std::string& request);
  // Reads until `want` bytes are buffered (lines: until a newline) or the deadline.
  Status Fill(size_t want, bool line, Deadline deadline, const std::string& request);

  int fd_ = -1;
  std::string buffer_;  // bytes received and not consumed yet
};

}  // namespace convoy::agent
