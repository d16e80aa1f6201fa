#include "agent/ovs/ovs_qos_programmer.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/ovs/ovsdb_ops.h"
#include "agent/run_program.h"

namespace convoy::agent::ovs {
namespace {

using nlohmann::json;

constexpr char kDb[] = "Open_vSwitch";
constexpr char kOwnerKey[] = "convoy-owner";
constexpr char kOwnerValue[] = "convoy-agent";
constexpr char kSavedPrefix[] = "convoy-saved-";  // + the other_config key it saved
constexpr char kNone[] = "none";
// The VMs' own traffic keeps at least this share of the uplink under any reservation.
constexpr double kMinVmShare = 0.01;

json Owner() { return StringMap({{kOwnerKey, kOwnerValue}}); }

bool Owned(const json& row) {
  const auto ids = ReadStringMap(row.value("external_ids", json()));
  const auto it = ids.find(kOwnerKey);
  return it != ids.end() && it->second == kOwnerValue;
}

std::string Bps(double bps) { return absl::StrCat(static_cast<int64_t>(std::llround(bps))); }

// Mutations that set other_config keys of a queue we do not own to `values` ("none": remove
// the key), leaving its other keys alone.
json SetConfigMutations(const std::map<std::string, std::string>& values) {
  json m = json::array();
  for (const auto& [key, value] : values) {
    m.push_back(DeleteMapKeys("other_config", {key}));
    if (value != kNone) m.push_back(InsertStringPair("other_config", key, value));
  }
  return m;
}

// Mutations that put back the other_config values a queue's external_ids `ids` saved, and
// forget them; empty when nothing was saved.
json RestoreMutations(const std::map<std::string, std::string>& ids) {
  std::map<std::string, std::string> saved;
  std::vector<json> saved_keys;
  for (const auto& [key, value] : ids) {
    if (key.rfind(kSavedPrefix, 0) != 0) continue;
    saved[key.substr(sizeof(kSavedPrefix) - 1)] = value;
    saved_keys.push_back(key);
  }
  if (saved.empty()) return json::array();
  json m = SetConfigMutations(saved);
  m.push_back(DeleteMapKeys("external_ids", saved_keys));
  return m;
}

StatusOr<uint32_t> ParseIpv4(const std::string& text) {
  in_addr a{};
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IPv4 address"));
  }
  return ntohl(a.s_addr);
}

std::string FormatIpv4(uint32_t ip) {
  in_addr a{};
  a.s_addr = htonl(ip);
  char buffer[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buffer, sizeof(buffer));
  return buffer;
}

}  // namespace

std::vector<std::pair<uint16_t, uint16_t>> PortRangeMasks(uint16_t lo, uint16_t hi) {
  std::vector<std::pair<uint16_t, uint16_t>> out;
  uint32_t start = lo;
  while (start <= hi) {
    // The largest aligned block that starts at `start` and stays within hi.
    uint32_t size = 1;
    while ((start & (size * 2 - 1)) == 0 && start + size * 2 - 1 <= hi && size < 65536) {
      size *= 2;
    }
    out.emplace_back(static_cast<uint16_t>(start), static_cast<uint16_t>(~(size - 1) & 0xffff));
    start += size;
  }
  return out;
}

OvsQosProgrammer::OvsQosProgrammer(OvsOptions options)
    : options_(std::move(options)),
      db_(options_.db, options_.timeout_ms),
      openflow_(options_.openflow.empty()
                    ? absl::StrCat("unix:/run/openvswitch/", options_.bridge, ".mgmt")
                    : options_.openflow,
                options_.timeout_ms) {}

StatusOr<json> OvsQosProgrammer::Select(const std::string& table, const json& where,
                                        const std::vector<std::string>& columns) {
  const json op = {{"op", "select"}, {"table", table}, {"where", where}, {"columns", columns}};
  CONVOY_ASSIGN_OR_RETURN(json results, db_.Transact(kDb, json::array({op})));
  return results[0].value("rows", json::array());
}

StatusOr<std::unique_ptr<OvsQosProgrammer>> OvsQosProgrammer::Open(OvsOptions options) {
  if (options.migration_port_min > options.migration_port_max) {
    return absl::InvalidArgumentError("migration port range is empty");
  }
  std::unique_ptr<OvsQosProgrammer> p(new OvsQosProgrammer(std::move(options)));
  CONVOY_ASSIGN_OR_RETURN(json bridges, p->Select("Bridge", Where("name", p->options_.bridge),
                                                  {"_uuid", "datapath_type"}));
  if (bridges.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("Open vSwitch at ", p->options_.db,
                                                      " has no bridge '", p->options_.bridge, "'"));
  }
  p->userspace_datapath_ = bridges[0].value("datapath_type", "") == "netdev";
  CONVOY_ASSIGN_OR_RETURN(json ports,
                          p->Select("Port", Where("name", p->options_.uplink), {"_uuid"}));
  if (ports.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("Open vSwitch bridge '", p->options_.bridge,
                                                      "' has no uplink port '", p->options_.uplink,
                                                      "'"));
  }
  return p;
}

StatusOr<double> OvsQosProgrammer::UplinkBps() {
  if (options_.uplink_bps > 0) return options_.uplink_bps;
  CONVOY_ASSIGN_OR_RETURN(json ports, Select("Port", Where("name", options_.uplink), {"qos"}));
  const auto qos = ports.empty() ? std::vector<std::string>{} : ReadUuids(ports[0]["qos"]);
  if (!qos.empty()) {
    CONVOY_ASSIGN_OR_RETURN(json rows, Select("QoS", WhereUuid(qos[0]), {"other_config"}));
    if (!rows.empty()) {
      const auto config = ReadStringMap(rows[0]["other_config"]);
      double bps = 0;
      if (auto it = config.find("max-rate");
          it != config.end() && absl::SimpleAtod(it->second, &bps) && bps > 0) {
        return bps;
      }
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the uplink '", options_.uplink,
                   "' has no QoS max-rate to take its speed from; give the agent --uplink-mbps"));
}

Status OvsQosProgrammer::MakeUplinkRows(double link_bps) {
  CONVOY_ASSIGN_OR_RETURN(json ports,
                          Select("Port", Where("name", options_.uplink), {"_uuid", "qos"}));
  if (ports.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no uplink port '", options_.uplink, "'"));
  }
  const std::string port = ReadUuids(ports[0]["_uuid"]).at(0);
  const auto existing = ReadUuids(ports[0]["qos"]);
  const json vm_queue_row = {{"other_config", StringMap({{"max-rate", Bps(link_bps)}})},
                             {"external_ids", Owner()}};
  const json migration_queue_row = {
      {"other_config", StringMap({{"min-rate", "1000"}, {"max-rate", Bps(link_bps)}})},
      {"external_ids", Owner()}};
  UplinkRows rows;
  if (existing.empty()) {
    const json queues = json::array({"map", json::array({json::array({0, NamedUuid("vmq")}),
                                                         json::array({1, NamedUuid("mq")})})});
    const json ops = json::array(
        {Insert("Queue", "vmq", vm_queue_row), Insert("Queue", "mq", migration_queue_row),
         Insert("QoS", "qos",
                {{"type", "linux-htb"},
                 {"other_config", StringMap({{"max-rate", Bps(link_bps)}})},
                 {"queues", queues},
                 {"external_ids", Owner()}}),
         Update("Port", port, {{"qos", NamedUuid("qos")}})});
    CONVOY_ASSIGN_OR_RETURN(json results, db_.Transact(kDb, ops));
    rows = {InsertedUuid(results, 2), true, InsertedUuid(results, 0), true,
            InsertedUuid(results, 1), 1};
    uplink_ = rows;
    return absl::OkStatus();
  }
  CONVOY_ASSIGN_OR_RETURN(json qos_rows, Select("QoS", WhereUuid(existing[0]), {"type", "queues"}));
  if (qos_rows.empty()) return absl::UnavailableError("the uplink's QoS row vanished");
  const std::string type = qos_rows[0].value("type", "");
  if (type != "linux-htb") {
    return absl::FailedPreconditionError(
        absl::StrCat("the uplink '", options_.uplink, "' has a QoS of type '", type,
                     "'; a reservation needs linux-htb (or no QoS at all)"));
  }
  const auto queues = ReadIntUuidMap(qos_rows[0]["queues"]);
  rows.qos = existing[0];
  rows.migration_queue_id = queues.empty() ? 1 : std::max<int64_t>(1, queues.rbegin()->first + 1);
  json ops = json::array({Insert("Queue", "mq", migration_queue_row)});
  json queue_mutations = json::array({json::array(
      {"queues", "insert",
       json::array(
           {"map", json::array({json::array({rows.migration_queue_id, NamedUuid("mq")})})})})});
  if (auto q0 = queues.find(0); q0 != queues.end()) {
    // Queue 0's rates are changed while the reservation holds: kept to be put back.
    CONVOY_ASSIGN_OR_RETURN(json q, Select("Queue", WhereUuid(q0->second), {"other_config"}));
    const auto config =
        q.empty() ? std::map<std::string, std::string>{} : ReadStringMap(q[0]["other_config"]);
    json keep = json::array();
    for (const char* key : {"min-rate", "max-rate"}) {
      auto it = config.find(key);
      keep.push_back(InsertStringPair("external_ids", absl::StrCat(kSavedPrefix, key),
                                      it == config.end() ? kNone : it->second));
    }
    rows.vm_queue = q0->second;
    ops.push_back(Mutate("Queue", WhereUuid(q0->second), keep));
  } else {
    ops.push_back(Insert("Queue", "vmq", vm_queue_row));
    queue_mutations.push_back(
        json::array({"queues", "insert",
                     json::array({"map", json::array({json::array({0, NamedUuid("vmq")})})})}));
    rows.own_vm_queue = true;
  }
  ops.push_back(Mutate("QoS", WhereUuid(rows.qos), queue_mutations));
  CONVOY_ASSIGN_OR_RETURN(json results, db_.Transact(kDb, ops));
  rows.migration_queue = InsertedUuid(results, 0);
  if (rows.own_vm_queue) rows.vm_queue = InsertedUuid(results, 1);
  uplink_ = rows;
  return absl::OkStatus();
}

Status OvsQosProgrammer::SetMigrationFlows(const std::set<uint32_t>& destinations,
                                           int64_t queue_id) {
  for (uint32_t ip : flow_destinations_) {
    if (destinations.count(ip) == 0) {
      CONVOY_RETURN_IF_ERROR(openflow_.DeleteFlows(kCookieMigration | ip, ~0ULL));
    }
  }
  std::vector<openflow::FlowSpec> flows;
  for (uint32_t ip : destinations) {
    if (flow_destinations_.count(ip) != 0) continue;
    for (const auto& [port, mask] :
         PortRangeMasks(options_.migration_port_min, options_.migration_port_max)) {
      openflow::FlowSpec f;
      f.cookie = kCookieMigration | ip;
      f.priority = 200;
      f.match.ipv4_dst = ip;
      f.match.tcp_dst = port;
      f.match.tcp_dst_mask = mask;
      f.queue = static_cast<uint32_t>(queue_id);
      flows.push_back(f);
    }
  }
  if (!flows.empty()) CONVOY_RETURN_IF_ERROR(openflow_.AddFlows(flows));
  flow_destinations_ = destinations;
  return absl::OkStatus();
}

Status OvsQosProgrammer::DeleteFilters() {
  filter_destinations_.clear();
  // No qdisc (the QoS went, and its filters with it) or no filter of ours: nothing to delete.
  std::string shown;
  const std::string prio = absl::StrCat(kFilterPriority);
  if (!RunProgram(
           {options_.tc, "filter", "show", "dev", options_.uplink, "parent", "1:", "prio", prio},
           10, &shown)
           .ok() ||
      absl::StripAsciiWhitespace(shown).empty()) {
    return absl::OkStatus();
  }
  return RunProgram(
      {options_.tc, "filter", "del", "dev", options_.uplink, "parent", "1:", "prio", prio});
}

Status OvsQosProgrammer::SetFilters(const std::set<uint32_t>& destinations, int64_t queue_id) {
  if (!userspace_datapath_ || destinations == filter_destinations_) return absl::OkStatus();
  CONVOY_RETURN_IF_ERROR(DeleteFilters());
  // OVS's linux-htb gives queue N the class 1:(N+1) (hex).
  const std::string flowid = absl::StrCat("1:", absl::Hex(queue_id + 1));
  for (uint32_t ip : destinations) {
    for (const auto& [port, mask] :
         PortRangeMasks(options_.migration_port_min, options_.migration_port_max)) {
      CONVOY_RETURN_IF_ERROR(RunProgram({options_.tc,
                                         "filter",
                                         "add",
                                         "dev",
                                         options_.uplink,
                                         "parent",
                                         "1:",
                                         "protocol",
                                         "ip",
                                         "prio",
                                         absl::StrCat(kFilterPriority),
                                         "u32",
                                         "match",
                                         "ip",
                                         "dst",
                                         absl::StrCat(FormatIpv4(ip), "/32"),
                                         "match",
                                         "ip",
                                         "dport",
                                         absl::StrCat(port),
                                         absl::StrCat("0x", absl::Hex(mask)),
                                         "flowid",
                                         flowid}));
    }
  }
  filter_destinations_ = destinations;
  return absl::OkStatus();
}

Status OvsQosProgrammer::SetUplinkReservation(const UplinkReservation& reservation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (reservation.reserved_bps <= 0) return ReleaseUplink();
  std::set<uint32_t> destinations;
  for (const auto& d : reservation.destinations) {
    CONVOY_ASSIGN_OR_RETURN(uint32_t ip, ParseIpv4(d));
    destinations.insert(ip);
  }
  CONVOY_ASSIGN_OR_RETURN(const double link_bps, UplinkBps());
  const double reserved = std::min(reservation.reserved_bps, link_bps * (1.0 - kMinVmShare));
  if (!uplink_) {
    CONVOY_RETURN_IF_ERROR(MakeUplinkRows(link_bps));
    applied_reserved_bps_ = -1;
  }
  if (std::abs(reserved - applied_reserved_bps_) > link_bps * 0.005) {
    const std::string rest = Bps(link_bps - reserved);
    json ops = json::array({Update("Queue", uplink_->migration_queue,
                                   {{"other_config", StringMap({{"min-rate", Bps(reserved)},
                                                                {"max-rate", Bps(link_bps)}})}})});
    // The VMs' queue gets the rest, guaranteed as well as capped: with only a cap, HTB would
    // lend the migration class all the spare bandwidth in proportion to its rate and leave the
    // VMs next to nothing (measured: 3 of the 18 Mb/s left to them).
    const std::map<std::string, std::string> vm_rates = {{"min-rate", rest}, {"max-rate", rest}};
    if (uplink_->own_vm_queue) {
      ops.push_back(Update("Queue", uplink_->vm_queue, {{"other_config", StringMap(vm_rates)}}));
    } else {
      ops.push_back(Mutate("Queue", WhereUuid(uplink_->vm_queue), SetConfigMutations(vm_rates)));
    }
    auto applied = db_.Transact(kDb, ops);
    if (!applied.ok()) {
      uplink_.reset();  // rows gone (someone removed them): made again on the next call
      return applied.status();
    }
    applied_reserved_bps_ = reserved;
  }
  CONVOY_RETURN_IF_ERROR(SetMigrationFlows(destinations, uplink_->migration_queue_id));
  return SetFilters(destinations, uplink_->migration_queue_id);
}

Status OvsQosProgrammer::ReleaseUplink() {
  if (!uplink_) return absl::OkStatus();
  const UplinkRows& r = *uplink_;
  json ops = json::array();
  if (r.own_qos) {
    ops.push_back(Mutate("Port", Where("name", options_.uplink),
                         json::array({json::array({"qos", "delete", Uuid(r.qos)})})));
    ops.push_back(Delete("QoS", r.qos));
    ops.push_back(Delete("Queue", r.vm_queue));
  } else {
    std::vector<json> keys = {r.migration_queue_id};
    if (r.own_vm_queue) {
      keys.push_back(0);
      ops.push_back(Delete("Queue", r.vm_queue));
    } else {
      CONVOY_ASSIGN_OR_RETURN(json q, Select("Queue", WhereUuid(r.vm_queue), {"external_ids"}));
      const json restore =
          q.empty() ? json::array() : RestoreMutations(ReadStringMap(q[0]["external_ids"]));
      if (!restore.empty()) ops.push_back(Mutate("Queue", WhereUuid(r.vm_queue), restore));
    }
    ops.push_back(Mutate("QoS", WhereUuid(r.qos), json::array({DeleteMapKeys("queues", keys)})));
  }
  ops.push_back(Delete("Queue", r.migration_queue));
  // Filters and flows first: once the rows go, OVS replaces the qdisc they hang on.
  if (userspace_datapath_) CONVOY_RETURN_IF_ERROR(DeleteFilters());
  CONVOY_RETURN_IF_ERROR(SetMigrationFlows({}, 0));
  CONVOY_RETURN_IF_ERROR(db_.Transact(kDb, ops).status());
  uplink_.reset();
  applied_reserved_bps_ = -1;
  return absl::OkStatus();
}

Status OvsQosProgrammer::SetGuestIngressCap(double cap_bps) {
  std::lock_guard<std::mutex> lock(mu_);
  json ops = json::array();
  std::map<std::string, CapRows> keep;
  if (cap_bps > 0) {
    CONVOY_ASSIGN_OR_RETURN(json interfaces,
                            Select("Interface", json::array(), {"name", "external_ids"}));
    std::set<std::string> guest_ports;
    for (const auto& i : interfaces) {
      const auto ids = ReadStringMap(i["external_ids"]);
      if (ids.count("vm-id") != 0 || ids.count("vm-uuid") != 0) {
        guest_ports.insert(i.value("name", ""));
      }
    }
    const bool changed = std::abs(cap_bps - applied_cap_bps_) > cap_bps * 0.01;
    for (const std::string& name : guest_ports) {
      if (name.empty() || name == options_.uplink) continue;
      if (auto it = caps_.find(name); it != caps_.end()) {
        if (changed) {
          const json config = StringMap({{"max-rate", Bps(cap_bps)}});
          ops.push_back(Update("QoS", it->second.qos, {{"other_config", config}}));
          ops.push_back(Update("Queue", it->second.queue, {{"other_config", config}}));
        }
        keep[name] = it->second;
        continue;
      }
      CONVOY_ASSIGN_OR_RETURN(json ports, Select("Port", Where("name", name), {"_uuid", "qos"}));
      if (ports.empty() || !ReadUuids(ports[0]["qos"]).empty()) continue;  // not ours to shape
      const std::string n = absl::StrCat(keep.size() + ops.size());
      const json config = StringMap({{"max-rate", Bps(cap_bps)}});
      json one = json::array(
          {Insert("Queue", "q" + n, {{"other_config", config}, {"external_ids", Owner()}}),
           Insert("QoS", "s" + n,
                  {{"type", "linux-htb"},
                   {"other_config", config},
                   {"queues",
                    json::array({"map", json::array({json::array({0, NamedUuid("q" + n)})})})},
                   {"external_ids", Owner()}}),
           Update("Port", ReadUuids(ports[0]["_uuid"]).at(0), {{"qos", NamedUuid("s" + n)}})});
      CONVOY_ASSIGN_OR_RETURN(json results, db_.Transact(kDb, one));
      keep[name] = {name, InsertedUuid(results, 1), InsertedUuid(results, 0)};
    }
  }
  for (const auto& [name, rows] : caps_) {
    if (keep.count(name) != 0) continue;
    ops.push_back(Mutate("Port", Where("name", name),
                         json::array({json::array({"qos", "delete", Uuid(rows.qos)})})));
    ops.push_back(Delete("QoS", rows.qos));
    ops.push_back(Delete("Queue", rows.queue));
  }
  if (!ops.empty()) CONVOY_RETURN_IF_ERROR(db_.Transact(kDb, ops).status());
  caps_ = std::move(keep);
  applied_cap_bps_ = cap_bps;
  return absl::OkStatus();
}

StatusOr<uint64_t> ParseTxBytes(const std::string& proc_net_dev, const std::string& device) {
  // "  eth0: rx_bytes rx_packets errs drop fifo frame compressed multicast tx_bytes ..."
  std::istringstream lines(proc_net_dev);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    if (absl::StripAsciiWhitespace(line.substr(0, colon)) != device) continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t value = 0;
    for (int i = 0; i < 9; ++i) {
      if (!(fields >> value)) {
        return absl::DataLossError(absl::StrCat("malformed /proc/net/dev line for ", device));
      }
    }
    return value;
  }
  return absl::NotFoundError(absl::StrCat("no device '", device, "' in /proc/net/dev"));
}

StatusOr<QosCounters> OvsQosProgrammer::ReadCounters() {
  QosCounters c;
  std::ifstream in(options_.proc_net_dev);
  std::stringstream text;
  text << in.rdbuf();
  CONVOY_ASSIGN_OR_RETURN(c.uplink_tx_bytes, ParseTxBytes(text.str(), options_.uplink));
  CONVOY_ASSIGN_OR_RETURN(auto flows, openflow_.DumpFlows(kCookieMigration, kCookieKindMask));
  for (const auto& f : flows) c.migration_tx_bytes += f.bytes;
  return c;
}

Status OvsQosProgrammer::SetTrafficPairs(const std::vector<std::string>& local_macs,
                                         const std::vector<std::string>& peer_macs) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::pair<std::string, std::string>> wanted;
  for (const auto& l : local_macs) {
    for (const auto& p : peer_macs) {
      const std::string a = absl::AsciiStrToLower(l), b = absl::AsciiStrToLower(p);
      if (a != b) wanted.insert({a, b});
    }
  }
  for (auto it = pairs_.begin(); it != pairs_.end();) {
    if (wanted.count(it->first) == 0) {
      CONVOY_RETURN_IF_ERROR(openflow_.DeleteFlows(kCookiePair | it->second, ~0ULL));
      it = pairs_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<openflow::FlowSpec> flows;
  for (const auto& pair : wanted) {
    if (pairs_.count(pair) != 0) continue;
    openflow::FlowSpec f;
    CONVOY_ASSIGN_OR_RETURN(f.match.eth_src, openflow::ParseMac(pair.first));
    CONVOY_ASSIGN_OR_RETURN(f.match.eth_dst, openflow::ParseMac(pair.second));
    const uint32_t index = next_pair_index_++;
    f.cookie = kCookiePair | index;
    f.priority = 100;
    flows.push_back(f);
    pairs_[pair] = index;
  }
  if (!flows.empty()) CONVOY_RETURN_IF_ERROR(openflow_.AddFlows(flows));
  return absl::OkStatus();
}

StatusOr<std::vector<PairCounter>> OvsQosProgrammer::ReadTrafficPairs() {
  CONVOY_ASSIGN_OR_RETURN(auto flows, openflow_.DumpFlows(kCookiePair, kCookieKindMask));
  std::vector<PairCounter> out;
  for (const auto& f : flows) {
    if (!f.match.eth_src || !f.match.eth_dst) continue;
    out.push_back({openflow::FormatMac(*f.match.eth_src), openflow::FormatMac(*f.match.eth_dst),
                   f.bytes, f.duration_s});
  }
  return out;
}

StatusOr<int> OvsQosProgrammer::RemoveAll() {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_ASSIGN_OR_RETURN(
      json queues, Select("Queue", json::array(), {"_uuid", "external_ids", "other_config"}));
  CONVOY_ASSIGN_OR_RETURN(json qoses,
                          Select("QoS", json::array(), {"_uuid", "queues", "external_ids"}));
  CONVOY_ASSIGN_OR_RETURN(json ports, Select("Port", json::array(), {"_uuid", "qos"}));
  std::set<std::string> owned_queues;
  json ops = json::array();
  int removed = 0;
  for (const auto& q : queues) {
    const std::string uuid = ReadUuids(q["_uuid"]).at(0);
    if (Owned(q)) {
      owned_queues.insert(uuid);
      ops.push_back(Delete("Queue", uuid));
      ++removed;
      continue;
    }
    const json restore = RestoreMutations(ReadStringMap(q["external_ids"]));
    if (!restore.empty()) {
      ops.push_back(Mutate("Queue", WhereUuid(uuid), restore));
      ++removed;
    }
  }
  for (const auto& s : qoses) {
    const std::string uuid = ReadUuids(s["_uuid"]).at(0);
    if (Owned(s)) {
      for (const auto& p : ports) {
        const auto refs = ReadUuids(p["qos"]);
        if (!refs.empty() && refs[0] == uuid) {
          ops.push_back(Mutate("Port", WhereUuid(ReadUuids(p["_uuid"]).at(0)),
                               json::array({json::array({"qos", "delete", Uuid(uuid)})})));
        }
      }
      ops.push_back(Delete("QoS", uuid));
      ++removed;
      continue;
    }
    std::vector<json> keys;
    for (const auto& [id, queue] : ReadIntUuidMap(s["queues"])) {
      if (owned_queues.count(queue) != 0) keys.push_back(id);
    }
    if (!keys.empty()) {
      ops.push_back(Mutate("QoS", WhereUuid(uuid), json::array({DeleteMapKeys("queues", keys)})));
    }
  }
  if (userspace_datapath_) CONVOY_RETURN_IF_ERROR(DeleteFilters());
  CONVOY_ASSIGN_OR_RETURN(auto flows, openflow_.DumpFlows(kCookieOwner, kCookieOwnerMask));
  if (!flows.empty()) {
    CONVOY_RETURN_IF_ERROR(openflow_.DeleteFlows(kCookieOwner, kCookieOwnerMask));
    removed += static_cast<int>(flows.size());
  }
  if (!ops.empty()) CONVOY_RETURN_IF_ERROR(db_.Transact(kDb, ops).status());
  uplink_.reset();
  applied_reserved_bps_ = -1;
  flow_destinations_.clear();
  caps_.clear();
  applied_cap_bps_ = 0;
  pairs_.clear();
  return removed;
}

}  // namespace convoy::agent::ovs
