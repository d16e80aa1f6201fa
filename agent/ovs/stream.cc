#include "agent/ovs/stream.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace convoy::agent::ovs {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on `fd` until `deadline`; false when it passed first.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, MillisLeft(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return true;  // let the read or write report the error
  }
}

// Connects the non-blocking socket `fd` to `address`, waiting until `deadline`.
Status ConnectBounded(int fd, const sockaddr* address, socklen_t length, const std::string& what,
                      Clock::time_point deadline) {
  if (connect(fd, address, length) == 0) return absl::OkStatus();
  if (errno != EINPROGRESS && errno != EAGAIN) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", what, ": ", strerror(errno)));
  }
  if (!WaitFor(fd, POLLOUT, deadline)) {
    return absl::UnavailableError(absl::StrCat("no answer from ", what));
  }
  int error = 0;
  socklen_t size = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
  if (error != 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", what, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

StatusOr<int> ConnectUnix(const std::string& path, const std::string& what,
                          Clock::time_point deadline) {
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("bad Unix socket path in ", what));
  }
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  Status connected = ConnectBounded(fd, reinterpret_cast<const sockaddr*>(&address),
                                    sizeof(address), what, deadline);
  if (!connected.ok()) {
    close(fd);
    return connected;
  }
  return fd;
}

StatusOr<int> ConnectTcp(const std::string& host_port, const std::string& what,
                         Clock::time_point deadline) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", what, "' is not tcp:HOST:PORT"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", what));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  }
  Status connected = ConnectBounded(fd, found->ai_addr, found->ai_addrlen, what, deadline);
  freeaddrinfo(found);
  if (!connected.ok()) {
    close(fd);
    return connected;
  }
  return fd;
}

}  // namespace

StatusOr<std::unique_ptr<Stream>> Stream::Connect(const std::string& endpoint, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  StatusOr<int> fd = absl::InvalidArgumentError(
      absl::StrCat("'", endpoint, "' is neither unix:PATH nor tcp:HOST:PORT"));
  if (absl::StartsWith(endpoint, "unix:")) {
    fd = ConnectUnix(endpoint.substr(5), endpoint, deadline);
  } else if (absl::StartsWith(endpoint, "tcp:")) {
    fd = ConnectTcp(endpoint.substr(4), endpoint, deadline);
  }
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<Stream>(new Stream(*fd, endpoint));
}

Stream::~Stream() { close(fd_); }

Status Stream::WriteAll(std::string_view data, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!data.empty()) {
    const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd_, POLLOUT, deadline)) {
        return absl::DeadlineExceededError(absl::StrCat(endpoint_, " does not take data"));
      }
      continue;
    }
    return absl::UnavailableError(absl::StrCat("writing to ", endpoint_, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

Status Stream::ReadSome(std::string* out, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buffer[16384];
  for (;;) {
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::UnavailableError(absl::StrCat(endpoint_, " closed the connection"));
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(
          absl::StrCat("reading from ", endpoint_, ": ", strerror(errno)));
    }
    if (!WaitFor(fd_, POLLIN, deadline)) {
      return absl::DeadlineExceededError(absl::StrCat("no answer from ", endpoint_));
    }
  }
}

}  // namespace convoy::agent::ovs
