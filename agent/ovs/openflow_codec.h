// The few OpenFlow 1.3 messages the agent needs, encoded and decoded (pure; no I/O): flow mods
// that forward normally (optionally through a QoS queue), flow-statistics requests and replies,
// hello, echo, barrier and error. Flows are told apart by their cookie.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::agent::ovs::openflow {

inline constexpr uint8_t kVersion = 0x04;  // OpenFlow 1.3

enum MessageType : uint8_t {
  kHello = 0,
  kError = 1,
  kEchoRequest = 2,
  kEchoReply = 3,
  kFlowMod = 14,
  kMultipartRequest = 18,
  kMultipartReply = 19,
  kBarrierRequest = 20,
  kBarrierReply = 21,
};

using Mac = std::array<uint8_t, 6>;

// What a flow matches; unset fields are wildcards. ipv4_dst and tcp_dst imply IPv4 (and TCP).
struct FlowMatch {
  std::optional<Mac> eth_src;
  std::optional<Mac> eth_dst;
  std::optional<uint32_t> ipv4_dst;  // host byte order
  std::optional<uint16_t> tcp_dst;
  uint16_t tcp_dst_mask = 0xffff;  // with tcp_dst: which bits must equal it
  bool operator==(const FlowMatch&) const = default;
};

// A flow in table 0 whose actions are: set_queue (when queue is set), then output NORMAL.
struct FlowSpec {
  uint64_t cookie = 0;
  uint16_t priority = 0;
  FlowMatch match;
  std::optional<uint32_t> queue;
};

struct FlowStats {
  uint64_t cookie = 0;
  uint16_t priority = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  double duration_s = 0;
  FlowMatch match;
};

struct Header {
  uint8_t version = 0;
  uint8_t type = 0;
  uint16_t length = 0;
  uint32_t xid = 0;
};

// The header at the start of `bytes`, or nullopt when fewer than 8 bytes are there.
std::optional<Header> ReadHeader(std::string_view bytes);

std::string EncodeHello(uint32_t xid);
std::string EncodeEchoReply(const Header& request, std::string_view body);
std::string EncodeBarrier(uint32_t xid);
std::string EncodeAddFlow(uint32_t xid, const FlowSpec& flow);
// Deletes every flow of every table whose cookie matches under `cookie_mask`.
std::string EncodeDeleteFlows(uint32_t xid, uint64_t cookie, uint64_t cookie_mask);
std::string EncodeFlowStatsRequest(uint32_t xid, uint64_t cookie, uint64_t cookie_mask);

// The flow statistics in one multipart reply message (header included); `more` tells whether
// another part follows. INVALID_ARGUMENT for a message that is not a well-formed flow-stats reply.
StatusOr<std::vector<FlowStats>> DecodeFlowStatsReply(std::string_view message, bool* more);
// A readable text for an OpenFlow error message (header included).
std::string DescribeError(std::string_view message);

// "aa:bb:cc:dd:ee:ff" to bytes; INVALID_ARGUMENT when it is not a MAC address.
StatusOr<Mac> ParseMac(std::string_view text);
std::string FormatMac(const Mac& mac);

}  // namespace convoy::agent::ovs::openflow
