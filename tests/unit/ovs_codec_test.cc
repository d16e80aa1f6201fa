// The pure parts of the Open vSwitch clients: OpenFlow 1.3 encoding and decoding, OVSDB's
// message framing, the port-range masks and the /proc/net/dev reader. Malformed input gives an
// error, never a crash or a read past the end.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "agent/ovs/openflow_codec.h"
#include "agent/ovs/ovs_qos_programmer.h"
#include "agent/ovs/ovsdb_client.h"

namespace convoy::agent::ovs {
namespace {

using namespace openflow;

uint16_t U16At(const std::string& s, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}

// A flow-stats reply holding the match of `flow` (as the switch echoes it) and its counters.
std::string Reply(uint32_t xid, const FlowSpec& flow, uint64_t packets, uint64_t bytes, bool more) {
  // The flow mod's match starts after the 48-byte fixed part; reuse its encoding.
  const std::string mod = EncodeAddFlow(xid, flow);
  const uint16_t match_length = U16At(mod, 50);
  const size_t padded = (match_length + 7u) / 8u * 8u;
  const std::string match = mod.substr(48, padded);
  std::string entry;
  auto put16 = [&](uint16_t v) {
    entry.push_back(static_cast<char>(v >> 8));
    entry.push_back(static_cast<char>(v));
  };
  auto put32 = [&](uint32_t v) {
    put16(static_cast<uint16_t>(v >> 16));
    put16(static_cast<uint16_t>(v));
  };
  auto put64 = [&](uint64_t v) {
    put32(static_cast<uint32_t>(v >> 32));
    put32(static_cast<uint32_t>(v));
  };
  put16(0);  // length, below
  entry += std::string(2, '\0');
  put32(12);         // duration s
  put32(500000000);  // ns
  put16(flow.priority);
  entry += std::string(2 + 2 + 2 + 4, '\0');
  put64(flow.cookie);
  put64(packets);
  put64(bytes);
  entry += match;
  entry += std::string(8, '\x01');  // an instruction we do not read
  entry[0] = static_cast<char>(entry.size() >> 8);
  entry[1] = static_cast<char>(entry.size());
  std::string message(8, '\0');
  message[0] = kVersion;
  message[1] = kMultipartReply;
  message += std::string("\x00\x01", 2);  // flow stats
  message += more ? std::string("\x00\x01", 2) : std::string(2, '\0');
  message += std::string(4, '\0');
  message += entry;
  message[2] = static_cast<char>(message.size() >> 8);
  message[3] = static_cast<char>(message.size());
  message[4] = static_cast<char>(xid >> 24);
  message[7] = static_cast<char>(xid);
  return message;
}

TEST(OpenFlowCodecTest, HeadersCarryVersionTypeLengthAndXid) {
  const std::string hello = EncodeHello(7);
  ASSERT_EQ(hello.size(), 8u);
  auto h = ReadHeader(hello);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->version, kVersion);
  EXPECT_EQ(h->type, kHello);
  EXPECT_EQ(h->length, 8);
  EXPECT_EQ(h->xid, 7u);
  EXPECT_FALSE(ReadHeader(hello.substr(0, 7)).has_value());
  const std::string barrier = EncodeBarrier(9);
  EXPECT_EQ(ReadHeader(barrier)->type, kBarrierRequest);
}

TEST(OpenFlowCodecTest, FlowModsAreWhole8ByteAlignedMessages) {
  FlowSpec f;
  f.cookie = 0xC0A7000100000001ULL;
  f.priority = 200;
  f.match.ipv4_dst = 0x0a4d000c;
  f.match.tcp_dst = 49152;
  f.match.tcp_dst_mask = 0xffc0;
  f.queue = 1;
  const std::string mod = EncodeAddFlow(3, f);
  auto h = ReadHeader(mod);
  EXPECT_EQ(h->type, kFlowMod);
  EXPECT_EQ(h->length, mod.size());
  EXPECT_EQ(mod.size() % 8, 0u);
  const std::string del = EncodeDeleteFlows(4, 0xC0A7ULL << 48, 0xFFFFULL << 48);
  EXPECT_EQ(ReadHeader(del)->length, del.size());
  EXPECT_EQ(del.size() % 8, 0u);
  const std::string stats = EncodeFlowStatsRequest(5, 0, 0);
  EXPECT_EQ(ReadHeader(stats)->length, stats.size());
}

TEST(OpenFlowCodecTest, FlowStatsRoundTripTheMatchAndCounters) {
  FlowSpec f;
  f.cookie = 0xC0A7000200000005ULL;
  f.priority = 100;
  f.match.eth_src = *ParseMac("52:54:00:aa:bb:01");
  f.match.eth_dst = *ParseMac("52:54:00:aa:bb:02");
  bool more = true;
  auto stats = DecodeFlowStatsReply(Reply(11, f, 42, 123456, false), &more);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_FALSE(more);
  ASSERT_EQ(stats->size(), 1u);
  const FlowStats& s = (*stats)[0];
  EXPECT_EQ(s.cookie, f.cookie);
  EXPECT_EQ(s.priority, 100);
  EXPECT_EQ(s.packets, 42u);
  EXPECT_EQ(s.bytes, 123456u);
  EXPECT_NEAR(s.duration_s, 12.5, 1e-9);
  EXPECT_EQ(s.match, f.match);

  FlowSpec m;
  m.match.ipv4_dst = 0x0a4d000c;
  m.match.tcp_dst = 49152;
  m.match.tcp_dst_mask = 0xffc0;
  stats = DecodeFlowStatsReply(Reply(12, m, 1, 2, true), &more);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_TRUE(more);
  EXPECT_EQ((*stats)[0].match, m.match);
}

TEST(OpenFlowCodecTest, TruncatedOrForeignRepliesAreErrorsAtEveryLength) {
  FlowSpec f;
  f.match.eth_src = *ParseMac("52:54:00:aa:bb:01");
  const std::string good = Reply(1, f, 1, 1, false);
  bool more = false;
  for (size_t n = 0; n < good.size(); ++n) {
    std::string cut = good.substr(0, n);
    if (n >= 4) {  // keep the header's length honest, so the body is what is short
      cut[2] = static_cast<char>(n >> 8);
      cut[3] = static_cast<char>(n);
    }
    auto r = DecodeFlowStatsReply(cut, &more);
    if (r.ok()) {
      EXPECT_TRUE(r->empty()) << "length " << n;  // a reply cut before any entry
    }
  }
  std::mt19937 random(5);
  for (int i = 0; i < 2000; ++i) {
    std::string noise = good;
    for (int k = 0; k < 4; ++k)
      noise[16 + random() % (noise.size() - 16)] = static_cast<char>(random());
    (void)DecodeFlowStatsReply(noise, &more);  // must not crash or read out of bounds
  }
  std::string other = good;
  other[1] = kEchoReply;
  EXPECT_FALSE(DecodeFlowStatsReply(other, &more).ok());
}

TEST(OpenFlowCodecTest, MacAddresses) {
  auto mac = ParseMac("52:54:00:0A:bb:ff");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(FormatMac(*mac), "52:54:00:0a:bb:ff");
  EXPECT_FALSE(ParseMac("52:54:00:0a:bb").ok());
  EXPECT_FALSE(ParseMac("52:54:00:0a:bb:ff:00").ok());
  EXPECT_FALSE(ParseMac("zz:54:00:0a:bb:ff").ok());
}

TEST(OvsdbFramingTest, FindsTheEndOfOneJsonValue) {
  EXPECT_EQ(JsonValueLength(R"({"id":1})"), 8u);
  EXPECT_EQ(JsonValueLength(R"({"a":"}"}{"b":2})"), 9u);  // a brace inside a string
  EXPECT_EQ(JsonValueLength(R"({"a":"\"}"})"), 11u);      // an escaped quote
  EXPECT_EQ(JsonValueLength(R"({"a":[1,{"b":2}]})"), 17u);
  EXPECT_EQ(JsonValueLength(R"({"a":[1,{"b":2})"), 0u);  // incomplete
  EXPECT_EQ(JsonValueLength(""), 0u);
}

TEST(PortRangeMasksTest, CoverExactlyTheRange) {
  const auto libvirt = PortRangeMasks(49152, 49215);
  ASSERT_EQ(libvirt.size(), 1u);
  EXPECT_EQ(libvirt[0].first, 49152);
  EXPECT_EQ(libvirt[0].second, 0xffc0);
  for (auto [lo, hi] : {std::pair<int, int>{1000, 1010}, {1, 1}, {65000, 65535}, {5, 300}}) {
    const auto masks = PortRangeMasks(static_cast<uint16_t>(lo), static_cast<uint16_t>(hi));
    for (int port = 0; port < 65536; ++port) {
      int covered = 0;
      for (auto [value, mask] : masks) covered += (port & mask) == value;
      EXPECT_EQ(covered, port >= lo && port <= hi ? 1 : 0) << lo << "-" << hi << " port " << port;
      if (covered != (port >= lo && port <= hi ? 1 : 0)) break;
    }
  }
}

TEST(ParseTxBytesTest, ReadsTheNinthField) {
  const std::string text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets\n"
      "    lo:     100       1    0    0    0     0          0         0      100       1 0 0 0 0 "
      "0 0\n"
      "  eth0: 5000 10 0 0 0 0 0 0 777777 20 0 0 0 0 0 0\n";
  EXPECT_EQ(*ParseTxBytes(text, "eth0"), 777777u);
  EXPECT_EQ(*ParseTxBytes(text, "lo"), 100u);
  EXPECT_EQ(ParseTxBytes(text, "eth1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(ParseTxBytes("  eth0: 1 2 3\n", "eth0").ok());
}

}  // namespace
}  // namespace convoy::agent::ovs
