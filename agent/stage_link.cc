#include "agent/stage_link.h"

#include <arpa/inet.h>
#include <endian.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "agent/controller_link.h"

namespace convoy::agent::stage {
namespace {

using Clock = std::chrono::steady_clock;

std::string Unbracket(const std::string& host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

StatusOr<addrinfo*> Resolve(const std::string& host, int port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* found = nullptr;
  const std::string bare = Unbracket(host);
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(bare.empty() ? nullptr : bare.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("address ", host, ": ", gai_strerror(rc)));
  }
  return found;
}

void NoDelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool SendFrame(int fd, Frame type, std::string_view payload) {
  char head[5];
  head[0] = static_cast<char>(type);
  const uint32_t length = htobe32(static_cast<uint32_t>(payload.size()));
  std::memcpy(head + 1, &length, 4);
  return WriteAll(fd, head, sizeof(head)) && WriteAll(fd, payload.data(), payload.size());
}

StatusOr<Message> ReadFrame(int fd) {
  char head[5];
  if (!ReadAll(fd, head, sizeof(head))) return absl::UnavailableError("the stage link closed");
  uint32_t length = 0;
  std::memcpy(&length, head + 1, 4);
  length = be32toh(length);
  if (length > kMaxFramePayload) {
    return absl::InvalidArgumentError(absl::StrCat("stage link: a frame of ", length, " bytes"));
  }
  Message m;
  m.type = static_cast<Frame>(head[0]);
  m.payload.resize(length);
  if (!ReadAll(fd, m.payload.data(), length)) {
    return absl::UnavailableError("the stage link closed within a frame");
  }
  return m;
}

std::string EncodeStored(uint64_t seq, uint32_t intermediary, uint32_t bytes) {
  std::string out(16, '\0');
  const uint64_t s = htobe64(seq);
  const uint32_t i = htobe32(intermediary);
  const uint32_t b = htobe32(bytes);
  std::memcpy(out.data(), &s, 8);
  std::memcpy(out.data() + 8, &i, 4);
  std::memcpy(out.data() + 12, &b, 4);
  return out;
}

bool DecodeStored(std::string_view payload, uint64_t* seq, uint32_t* intermediary,
                  uint32_t* bytes) {
  if (payload.size() != 16) return false;
  std::memcpy(seq, payload.data(), 8);
  std::memcpy(intermediary, payload.data() + 8, 4);
  std::memcpy(bytes, payload.data() + 12, 4);
  *seq = be64toh(*seq);
  *intermediary = be32toh(*intermediary);
  *bytes = be32toh(*bytes);
  return true;
}

std::string EncodeU64(uint64_t value) {
  std::string out(8, '\0');
  const uint64_t v = htobe64(value);
  std::memcpy(out.data(), &v, 8);
  return out;
}

bool DecodeU64(std::string_view payload, uint64_t* value) {
  if (payload.size() != 8) return false;
  std::memcpy(value, payload.data(), 8);
  *value = be64toh(*value);
  return true;
}

StatusOr<int> ListenTcp(const std::string& host, int port) {
  CONVOY_ASSIGN_OR_RETURN(addrinfo * found, Resolve(host, port, true));
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(found);
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const int rc = bind(fd, found->ai_addr, found->ai_addrlen);
  const int bind_errno = errno;
  freeaddrinfo(found);
  if (rc != 0 || listen(fd, 8) != 0) {
    const int err = rc != 0 ? bind_errno : errno;
    close(fd);
    const std::string where = absl::StrCat(host, ":", port);
    if (err == EADDRINUSE) {
      return absl::FailedPreconditionError(absl::StrCat("port ", port, " is taken on ", host));
    }
    if (err == EADDRNOTAVAIL) {
      return absl::InvalidArgumentError(absl::StrCat(host, " is not an address of this host"));
    }
    return absl::InternalError(absl::StrCat("listening on ", where, ": ", std::strerror(err)));
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

StatusOr<int> ConnectTcp(const std::string& address, int timeout_ms) {
  CONVOY_ASSIGN_OR_RETURN(HostPort where, ParseHostPort(address));
  CONVOY_ASSIGN_OR_RETURN(addrinfo * found, Resolve(where.host, where.port, false));
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int rc = fd < 0 ? -1 : connect(fd, found->ai_addr, found->ai_addrlen);
  int err = rc == 0 ? 0 : errno;
  freeaddrinfo(found);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(err)));
  if (rc != 0 && err == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) == 1) {
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    } else {
      err = ETIMEDOUT;
    }
  }
  if (err != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", address, ": ", std::strerror(err)));
  }
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  NoDelay(fd);
  return fd;
}

StatusOr<int> AcceptWithin(int listen_fd, int timeout_ms, const std::atomic<bool>& stop) {
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!stop.load()) {
    if (Clock::now() >= until) return absl::DeadlineExceededError("nobody connected");
    pollfd p{listen_fd, POLLIN, 0};
    if (poll(&p, 1, 100) != 1) continue;
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      NoDelay(fd);
      return fd;
    }
  }
  return absl::CancelledError("stopped");
}

StatusOr<std::string> ReadLine(int fd, size_t max_bytes, int timeout_ms) {
  const auto until = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string line;
  while (line.size() < max_bytes) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) != 1) {
      return absl::DeadlineExceededError("no complete line in time");
    }
    char c;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0) return absl::UnavailableError("closed before the end of the line");
    if (c == '\n') return line;
    line += c;
  }
  return absl::InvalidArgumentError("line too long");
}

void SetReadTimeout(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void Shutdown(int fd) {
  if (fd >= 0) shutdown(fd, SHUT_RDWR);
}

void Close(int fd) {
  if (fd >= 0) close(fd);
}

}  // namespace convoy::agent::stage
