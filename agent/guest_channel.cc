#include "agent/guest_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::agent {
namespace {

constexpr size_t kMaxLine = 512;

int MillisLeft(GuestChannel::Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

// The first bytes of a bad answer, printable.
std::string Quote(std::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 48)) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(c));
    }
  }
  return bytes.size() > 48 ? out + "..." : out;
}

}  // namespace

StatusOr<std::unique_ptr<GuestChannel>> GuestChannel::Connect(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("channel path too long: ", path));
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connecting to the guest channel ", path, ": ", std::strerror(err)));
  }
  return std::make_unique<GuestChannel>(fd);
}

GuestChannel::~GuestChannel() {
  if (fd_ >= 0) close(fd_);
}

Status GuestChannel::Send(const std::string& bytes, Deadline deadline, const std::string& request) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      const int left = MillisLeft(deadline);
      if (left == 0 || poll(&p, 1, left) == 0) {
        return absl::DeadlineExceededError(
            absl::StrCat("the guest channel did not take ", request, " in time"));
      }
      continue;
    }
    return absl::UnavailableError(
        absl::StrCat("sending ", request, " to the guest: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

Status GuestChannel::Fill(size_t want, bool line, Deadline deadline, const std::string& request) {
  while (line ? buffer_.find('\n') == std::string::npos : buffer_.size() < want) {
    if (line && buffer_.size() >= kMaxLine) {
      return absl::DataLossError(absl::StrCat("the guest answered ", request,
                                              " with no line end in ", kMaxLine, " bytes: \"",
                                              Quote(buffer_), "\""));
    }
    pollfd p{fd_, POLLIN, 0};
    const int left = MillisLeft(deadline);
    const int ready = left == 0 ? 0 : poll(&p, 1, left);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      return absl::DeadlineExceededError(
          buffer_.empty() ? absl::StrCat("the guest did not answer ", request, " in time")
                          : absl::StrFormat("the guest's answer to %s stopped after %d bytes",
                                            request, buffer_.size()));
    }
    char chunk[65536];
    const size_t room = line ? kMaxLine : std::min(sizeof(chunk), want - buffer_.size());
    const ssize_t n = recv(fd_, chunk, std::min(sizeof(chunk), room), 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      return absl::UnavailableError(
          absl::StrCat("reading the guest's answer to ", request, ": ", std::strerror(errno)));
    }
    if (n == 0) {
      return absl::UnavailableError(
          absl::StrCat("the guest channel closed before answering ", request));
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

StatusOr<GuestChannel::Reply> GuestChannel::Call(const std::string& request, Deadline deadline,
                                                 size_t max_payload) {
  CONVOY_RETURN_IF_ERROR(Send(request + "\n", deadline, request));
  CONVOY_RETURN_IF_ERROR(Fill(0, /*line=*/true, deadline, request));
  const size_t end = buffer_.find('\n');
  std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 1);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.rfind("ERR ", 0) == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the guest refused ", request, ": ", Quote(line.substr(4))));
  }
  if (line != "OK" && line.rfind("OK ", 0) != 0) {
    return absl::DataLossError(
        absl::StrCat("the guest answered ", request, " with garbage: \"", Quote(line), "\""));
  }
  Reply reply;
  reply.line = line.size() > 3 ? line.substr(3) : "";
  if (max_payload == 0) return reply;
  size_t n = 0;
  const bool digits = !reply.line.empty() && reply.line.size() <= 12 &&
                      reply.line.find_first_not_of("0123456789") == std::string::npos;
  if (digits) n = std::stoull(reply.line);
  if (!digits || n > max_payload) {
    return absl::DataLossError(
        absl::StrFormat("the guest answered %s with \"OK %s\", not a payload length up to %d bytes",
                        request, Quote(reply.line), max_payload));
  }
  CONVOY_RETURN_IF_ERROR(Fill(n, /*line=*/false, deadline, request));
  reply.payload = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return reply;
}

}  // namespace convoy::agent
