#include "agent/ovs/openflow_codec.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::agent::ovs::openflow {
namespace {

constexpr uint16_t kOxmClassBasic = 0x8000;
constexpr uint8_t kOxmEthDst = 3, kOxmEthSrc = 4, kOxmEthType = 5, kOxmIpProto = 10,
                  kOxmIpv4Dst = 12, kOxmTcpDst = 14;
constexpr uint16_t kMatchTypeOxm = 1;
constexpr uint16_t kMultipartFlow = 1;
constexpr uint16_t kMultipartReplyMore = 1;
constexpr uint8_t kFlowModAdd = 0, kFlowModDelete = 3;
constexpr uint8_t kAllTables = 0xff;
constexpr uint32_t kPortAny = 0xffffffff, kGroupAny = 0xffffffff, kNoBuffer = 0xffffffff;
constexpr uint32_t kPortNormal = 0xfffffffa;
constexpr uint16_t kInstructionApplyActions = 4;
constexpr uint16_t kActionOutput = 0, kActionSetQueue = 21;

// Big-endian writer.
class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) {
    U8(static_cast<uint8_t>(v >> 8));
    U8(static_cast<uint8_t>(v));
  }
  void U32(uint32_t v) {
    U16(static_cast<uint16_t>(v >> 16));
    U16(static_cast<uint16_t>(v));
  }
  void U64(uint64_t v) {
    U32(static_cast<uint32_t>(v >> 32));
    U32(static_cast<uint32_t>(v));
  }
  void Bytes(const uint8_t* p, size_t n) { out_.append(reinterpret_cast<const char*>(p), n); }
  void Zeros(size_t n) { out_.append(n, '\0'); }
  void PadTo8() { Zeros((8 - out_.size() % 8) % 8); }
  void Put16At(size_t at, uint16_t v) {
    out_[at] = static_cast<char>(v >> 8);
    out_[at + 1] = static_cast<char>(v);
  }
  size_t size() const { return out_.size(); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Big-endian reader over a bounded view; every read past the end sets `bad`.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint8_t U8() {
    if (pos_ + 1 > in_.size()) return Fail();
    return static_cast<uint8_t>(in_[pos_++]);
  }
  uint16_t U16() {
    const uint16_t hi = U8();
    return static_cast<uint16_t>((hi << 8) | U8());
  }
  uint32_t U32() {
    const uint32_t hi = U16();
    return (hi << 16) | U16();
  }
  uint64_t U64() {
    const uint64_t hi = U32();
    return (hi << 32) | U32();
  }
  void Skip(size_t n) {
    if (pos_ + n > in_.size()) {
      Fail();
      return;
    }
    pos_ += n;
  }
  std::string_view Take(size_t n) {
    if (pos_ + n > in_.size()) {
      Fail();
      return {};
    }
    std::string_view v = in_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  size_t pos() const { return pos_; }
  size_t left() const { return in_.size() - pos_; }
  bool bad() const { return bad_; }

 private:
  uint8_t Fail() {
    bad_ = true;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool bad_ = false;
};

void WriteHeader(Writer& w, uint8_t type, uint32_t xid) {
  w.U8(kVersion);
  w.U8(type);
  w.U16(0);  // length, filled by Finish
  w.U32(xid);
}

std::string Finish(Writer& w) {
  w.Put16At(2, static_cast<uint16_t>(w.size()));
  return w.Take();
}

void OxmHeader(Writer& w, uint8_t field, bool has_mask, uint8_t length) {
  w.U32((uint32_t{kOxmClassBasic} << 16) | (uint32_t{field} << 9) | (has_mask ? 0x100u : 0u) |
        length);
}

void WriteMatch(Writer& w, const FlowMatch& m) {
  const size_t start = w.size();
  w.U16(kMatchTypeOxm);
  w.U16(0);  // length without padding, below
  if (m.eth_dst) {
    OxmHeader(w, kOxmEthDst, false, 6);
    w.Bytes(m.eth_dst->data(), 6);
  }
  if (m.eth_src) {
    OxmHeader(w, kOxmEthSrc, false, 6);
    w.Bytes(m.eth_src->data(), 6);
  }
  if (m.ipv4_dst || m.tcp_dst) {
    OxmHeader(w, kOxmEthType, false, 2);
    w.U16(0x0800);
  }
  if (m.tcp_dst) {
    OxmHeader(w, kOxmIpProto, false, 1);
    w.U8(6);
  }
  if (m.ipv4_dst) {
    OxmHeader(w, kOxmIpv4Dst, false, 4);
    w.U32(*m.ipv4_dst);
  }
  if (m.tcp_dst) {
    const bool masked = m.tcp_dst_mask != 0xffff;
    OxmHeader(w, kOxmTcpDst, masked, masked ? 4 : 2);
    w.U16(*m.tcp_dst);
    if (masked) w.U16(m.tcp_dst_mask);
  }
  w.Put16At(start + 2, static_cast<uint16_t>(w.size() - start));
  w.PadTo8();
}

void WriteEmptyMatch(Writer& w) { WriteMatch(w, FlowMatch{}); }

// Reads an OXM match (its padding included) into `m`; unknown fields are skipped.
bool ReadMatch(Reader& r, FlowMatch* m) {
  const size_t start = r.pos();
  const uint16_t type = r.U16();
  const uint16_t length = r.U16();
  if (r.bad() || type != kMatchTypeOxm || length < 4) return false;
  std::string_view fields = r.Take(length - 4u);
  r.Skip((8 - length % 8) % 8);
  if (r.bad()) return false;
  Reader f(fields);
  while (f.left() > 0) {
    const uint32_t header = f.U32();
    const uint8_t field_length = static_cast<uint8_t>(header & 0xff);
    const bool has_mask = (header & 0x100) != 0;
    const uint16_t oxm_class = static_cast<uint16_t>(header >> 16);
    const uint8_t field = static_cast<uint8_t>((header >> 9) & 0x7f);
    std::string_view value = f.Take(field_length);
    if (f.bad()) return false;
    if (oxm_class != kOxmClassBasic) continue;
    Reader v(value);
    if ((field == kOxmEthDst || field == kOxmEthSrc) && field_length >= 6) {
      Mac mac;
      for (auto& b : mac) b = v.U8();
      (field == kOxmEthDst ? m->eth_dst : m->eth_src) = mac;
    } else if (field == kOxmIpv4Dst && field_length >= 4) {
      m->ipv4_dst = v.U32();
    } else if (field == kOxmTcpDst && field_length >= 2) {
      m->tcp_dst = v.U16();
      if (has_mask && field_length >= 4) m->tcp_dst_mask = v.U16();
    }
  }
  return r.pos() - start >= 8;
}

// The fixed part of a flow mod, through out_group..pad.
void WriteFlowModFixed(Writer& w, uint64_t cookie, uint64_t cookie_mask, uint8_t table,
                       uint8_t command, uint16_t priority) {
  w.U64(cookie);
  w.U64(cookie_mask);
  w.U8(table);
  w.U8(command);
  w.U16(0);  // idle timeout
  w.U16(0);  // hard timeout
  w.U16(priority);
  w.U32(kNoBuffer);
  w.U32(kPortAny);
  w.U32(kGroupAny);
  w.U16(0);  // flags
  w.Zeros(2);
}

}  // namespace

std::optional<Header> ReadHeader(std::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  Reader r(bytes);
  Header h;
  h.version = r.U8();
  h.type = r.U8();
  h.length = r.U16();
  h.xid = r.U32();
  return h;
}

std::string EncodeHello(uint32_t xid) {
  Writer w;
  WriteHeader(w, kHello, xid);
  return Finish(w);
}

std::string EncodeEchoReply(const Header& request, std::string_view body) {
  Writer w;
  WriteHeader(w, kEchoReply, request.xid);
  w.Bytes(reinterpret_cast<const uint8_t*>(body.data()), body.size());
  return Finish(w);
}

std::string EncodeBarrier(uint32_t xid) {
  Writer w;
  WriteHeader(w, kBarrierRequest, xid);
  return Finish(w);
}

std::string EncodeAddFlow(uint32_t xid, const FlowSpec& flow) {
  Writer w;
  WriteHeader(w, kFlowMod, xid);
  WriteFlowModFixed(w, flow.cookie, 0, 0, kFlowModAdd, flow.priority);
  WriteMatch(w, flow.match);
  const uint16_t actions_length = static_cast<uint16_t>((flow.queue ? 8 : 0) + 16);
  w.U16(kInstructionApplyActions);
  w.U16(static_cast<uint16_t>(8 + actions_length));
  w.Zeros(4);
  if (flow.queue) {
    w.U16(kActionSetQueue);
    w.U16(8);
    w.U32(*flow.queue);
  }
  w.U16(kActionOutput);
  w.U16(16);
  w.U32(kPortNormal);
  w.U16(0);  // max_len
  w.Zeros(6);
  return Finish(w);
}

std::string EncodeDeleteFlows(uint32_t xid, uint64_t cookie, uint64_t cookie_mask) {
  Writer w;
  WriteHeader(w, kFlowMod, xid);
  WriteFlowModFixed(w, cookie, cookie_mask, kAllTables, kFlowModDelete, 0);
  WriteEmptyMatch(w);
  return Finish(w);
}

std::string EncodeFlowStatsRequest(uint32_t xid, uint64_t cookie, uint64_t cookie_mask) {
  Writer w;
  WriteHeader(w, kMultipartRequest, xid);
  w.U16(kMultipartFlow);
  w.U16(0);  // flags
  w.Zeros(4);
  w.U8(kAllTables);
  w.Zeros(3);
  w.U32(kPortAny);
  w.U32(kGroupAny);
  w.Zeros(4);
  w.U64(cookie);
  w.U64(cookie_mask);
  WriteEmptyMatch(w);
  return Finish(w);
}

StatusOr<std::vector<FlowStats>> DecodeFlowStatsReply(std::string_view message, bool* more) {
  const auto header = ReadHeader(message);
  if (!header || header->type != kMultipartReply || header->length != message.size()) {
    return absl::InvalidArgumentError("not a whole OpenFlow multipart reply");
  }
  Reader r(message.substr(8));
  const uint16_t type = r.U16();
  const uint16_t flags = r.U16();
  r.Skip(4);
  if (r.bad() || type != kMultipartFlow) {
    return absl::InvalidArgumentError("multipart reply is not flow statistics");
  }
  *more = (flags & kMultipartReplyMore) != 0;
  std::vector<FlowStats> out;
  while (r.left() > 0) {
    const size_t start = r.pos();
    const uint16_t length = r.U16();
    if (r.bad() || length < 56 || length > r.left() + 2) {
      return absl::InvalidArgumentError("flow statistics entry with a bad length");
    }
    FlowStats s;
    r.Skip(2);  // table id, pad
    const uint32_t seconds = r.U32();
    const uint32_t nanoseconds = r.U32();
    s.duration_s = seconds + nanoseconds / 1e9;
    s.priority = r.U16();
    r.Skip(2 + 2 + 2 + 4);  // timeouts, flags, pad
    s.cookie = r.U64();
    s.packets = r.U64();
    s.bytes = r.U64();
    if (!ReadMatch(r, &s.match) || r.pos() - start > length) {
      return absl::InvalidArgumentError("flow statistics entry with a bad match");
    }
    r.Skip(length - (r.pos() - start));  // the instructions
    if (r.bad()) return absl::InvalidArgumentError("truncated flow statistics entry");
    out.push_back(s);
  }
  return out;
}

std::string DescribeError(std::string_view message) {
  Reader r(message.substr(std::min<size_t>(8, message.size())));
  const uint16_t type = r.U16();
  const uint16_t code = r.U16();
  if (r.bad()) return "a truncated OpenFlow error";
  return absl::StrCat("OpenFlow error type ", type, " code ", code);
}

StatusOr<Mac> ParseMac(std::string_view text) {
  Mac mac{};
  unsigned v[6];
  char tail = 0;
  const std::string s(text);
  if (text.size() != 17 || std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
                                       &v[3], &v[4], &v[5], &tail) != 6) {
    return absl::InvalidArgumentError(absl::StrCat("'", s, "' is not a MAC address"));
  }
  for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(v[i]);
  return mac;
}

std::string FormatMac(const Mac& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

}  // namespace convoy::agent::ovs::openflow
