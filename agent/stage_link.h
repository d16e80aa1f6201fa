// The stage link: the direct TCP connection between the two agents of a staged migration, and
// the socket helpers both ends use. The source opens it with one line,
// "CONVOY-STAGE/1 <migration id> <token>\n", the destination answers "OK\n" or "ERR <why>\n";
// then both send frames: a type byte, a 4-byte big-endian length, the payload.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "convoy/common/status.h"

namespace convoy::agent::stage {

enum class Frame : char {
  kStored =
      'S',       // source to destination: chunk seq (u64) is on intermediary i (u32), n bytes (u32)
  kDone = 'D',   // source to destination: the migration completed, nothing more comes
  kAbort = 'A',  // source to destination: the migration is given up (payload: why)
  kReturn = 'R',    // destination to source: bytes the destination QEMU sent back
  kGathered = 'G',  // destination to source: bytes fed to the destination QEMU so far (u64)
  kError = 'E',     // destination to source: the gatherer failed (payload: why)
};

struct Message {
  Frame type = Frame::kError;
  std::string payload;
};

inline constexpr size_t kMaxFramePayload = 16u << 20;
inline constexpr std::string_view kHelloPrefix = "CONVOY-STAGE/1 ";

// Writes one frame, all of it (the caller serialises writers). False when the socket failed.
bool SendFrame(int fd, Frame type, std::string_view payload);
// Reads one frame. UNAVAILABLE at end of stream or on error; INVALID_ARGUMENT for a frame over
// kMaxFramePayload.
StatusOr<Message> ReadFrame(int fd);

std::string EncodeStored(uint64_t seq, uint32_t intermediary, uint32_t bytes);
bool DecodeStored(std::string_view payload, uint64_t* seq, uint32_t* intermediary, uint32_t* bytes);
std::string EncodeU64(uint64_t value);
bool DecodeU64(std::string_view payload, uint64_t* value);

// A listening TCP socket on host:port (port 0: any free one; `host` may have IPv6 brackets).
// FAILED_PRECONDITION when the port is taken; INVALID_ARGUMENT when the address is not local.
StatusOr<int> ListenTcp(const std::string& host, int port);
int LocalPort(int fd);
// Connects to `address` (host:port) within `timeout_ms`; UNAVAILABLE naming it when it cannot.
StatusOr<int> ConnectTcp(const std::string& address, int timeout_ms);
// Accepts one connection on `listen_fd`; DEADLINE_EXCEEDED after `timeout_ms`, CANCELLED once
// `stop` is set (checked every 100 ms).
StatusOr<int> AcceptWithin(int listen_fd, int timeout_ms, const std::atomic<bool>& stop);
// Blocking, whole buffers; false when the socket failed or closed.
bool WriteAll(int fd, const void* data, size_t size);
bool ReadAll(int fd, void* data, size_t size);
// One line (without its '\n'), at most `max_bytes`, within `timeout_ms`.
StatusOr<std::string> ReadLine(int fd, size_t max_bytes, int timeout_ms);
// Sets SO_RCVTIMEO so that blocking reads give up after `timeout_ms` (0: never).
void SetReadTimeout(int fd, int timeout_ms);
// Unblocks every thread reading or writing `fd` (both directions shut down); -1 is ignored. The
// owner closes it once those threads are joined.
void Shutdown(int fd);
// close(), -1 ignored.
void Close(int fd);

}  // namespace convoy::agent::stage
