#include "agent/bandwidth_probe.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace convoy::agent {
namespace {

using Clock = std::chrono::steady_clock;

StatusOr<std::pair<std::string, std::string>> SplitHostPort(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' is not host:port"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, address.substr(colon + 1));
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Waits until `fd` is readable or writable (per `events`) or `deadline` passes.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(left.count())) > 0;
}

void Handle(int fd) {
  const auto deadline =
      Clock::now() + std::chrono::seconds(static_cast<int>(ProbeServer::kMaxProbeSeconds) + 5);
  std::vector<char> buffer(1 << 16);
  uint64_t received = 0;
  while (received < ProbeServer::kMaxProbeBytes && WaitFor(fd, POLLIN, deadline)) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n <= 0) break;
    received += static_cast<uint64_t>(n);
  }
  uint64_t network = htobe64(received);
  (void)!write(fd, &network, sizeof(network));
  close(fd);
}

}  // namespace

StatusOr<std::unique_ptr<ProbeServer>> ProbeServer::Start(const std::string& address) {
  CONVOY_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const char* host = host_port.first.empty() ? nullptr : host_port.first.c_str();
  if (int rc = getaddrinfo(host, host_port.second.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("probe address ", address, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<ProbeServer> server(new ProbeServer());
  server->listen_fd_ = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(server->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const bool ok = server->listen_fd_ >= 0 &&
                  bind(server->listen_fd_, found->ai_addr, found->ai_addrlen) == 0 &&
                  listen(server->listen_fd_, 16) == 0;
  freeaddrinfo(found);
  if (!ok) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for probes on ", address, ": ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(server->listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  server->port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  ProbeServer* self = server.get();
  server->thread_ = std::thread([self] { self->Serve(); });
  return server;
}

ProbeServer::~ProbeServer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void ProbeServer::Serve() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread(Handle, fd).detach();  // each connection bounds itself in bytes and time
  }
}

StatusOr<ProbeFigures> RunProbe(const std::string& target, uint64_t max_bytes, double max_seconds) {
  if (max_bytes == 0) max_bytes = 64ULL << 20;
  if (max_seconds <= 0) max_seconds = 3;
  max_seconds = std::min(max_seconds, ProbeServer::kMaxProbeSeconds);
  max_bytes = std::min(max_bytes, ProbeServer::kMaxProbeBytes);
  CONVOY_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(target));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host_port.first.c_str(), host_port.second.c_str(), &hints, &found);
      rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("probe target ", target, ": ", gai_strerror(rc)));
  }
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool connected = fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!connected) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) close(fd);
    return absl::UnavailableError(absl::StrCat("cannot reach the probe at ", target, ": ", why));
  }
  const auto start = Clock::now();
  const auto send_until =
      start + std::chrono::milliseconds(static_cast<int64_t>(max_seconds * 1000));
  std::vector<char> buffer(1 << 16, 'c');
  uint64_t sent = 0;
  while (sent < max_bytes && WaitFor(fd, POLLOUT, send_until)) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(buffer.size(), max_bytes - sent));
    const ssize_t n = send(fd, buffer.data(), chunk, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<uint64_t>(n);
  }
  shutdown(fd, SHUT_WR);
  // The receiver answers once it has read everything: the time includes data in flight.
  uint64_t network = 0;
  const bool confirmed = WaitFor(fd, POLLIN, Clock::now() + std::chrono::seconds(10)) &&
                         read(fd, &network, sizeof(network)) == sizeof(network);
  const double seconds = Seconds(start);
  close(fd);
  if (!confirmed) {
    return absl::DeadlineExceededError(
        absl::StrCat("the probe at ", target, " did not confirm what it received"));
  }
  ProbeFigures figures;
  figures.bytes = be64toh(network);
  figures.seconds = seconds;
  figures.mbps = seconds > 0 ? static_cast<double>(figures.bytes) * 8.0 / 1e6 / seconds : 0;
  return figures;
}

}  // namespace convoy::agent
