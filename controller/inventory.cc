#include "controller/inventory.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/staging_routes.h"

namespace convoy::controller {
namespace {

double RealNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Host part of "host:port".
std::string HostPart(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// How well a report places a VM on its host: 3 the source of a migration under way (the VM
// is there until it completes), 2 running, 1 paused (e.g. the incoming copy on a migration's
// destination), 0 not there (shut off, crashed...).
int VmRank(const v1::VmReport& vm) {
  if (vm.state() != "running" && vm.state() != "paused") return 0;
  if (vm.migrating()) return 3;
  return vm.state() == "running" ? 2 : 1;
}

}  // namespace

Inventory::Inventory(AgentDialer* dialer, InventoryOptions options)
    : dialer_(dialer), options_(std::move(options)) {
  if (!options_.now_unix_s) options_.now_unix_s = RealNow;
}

bool Inventory::IsUp(const Entry& e, double now) const {
  return !e.off && now - e.last_heartbeat_unix_s <= options_.heartbeat_timeout_ms / 1000.0;
}

Status Inventory::Heartbeat(const v1::AgentHello& hello) {
  if (hello.name().empty() || hello.address().empty()) {
    return absl::InvalidArgumentError("heartbeat: the agent's name and address are required");
  }
  const double now = options_.now_unix_s();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(hello.name());
  if (it != agents_.end() && it->second.hello.address() != hello.address() &&
      IsUp(it->second, now)) {
    return absl::FailedPreconditionError(
        absl::StrCat("host name ", hello.name(), " is already held by the agent at ",
                     it->second.hello.address(), " (this one is at ", hello.address(), ")"));
  }
  Entry& e = agents_[hello.name()];
  e.hello = hello;
  e.last_heartbeat_unix_s = now;
  e.off = false;
  return absl::OkStatus();
}

void Inventory::DescribeEach(
    const std::map<std::string, v1::DescribeRequest>& requests,
    const std::function<void(Entry* entry, StatusOr<v1::HostReport> report)>& apply) {
  std::vector<std::pair<std::string, std::string>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const double now = options_.now_unix_s();
    for (const auto& [name, request] : requests) {
      auto it = agents_.find(name);
      if (it != agents_.end() && IsUp(it->second, now)) {
        targets.emplace_back(name, it->second.hello.address());
      }
    }
  }
  std::vector<std::thread> workers;
  for (const auto& [name, address] : targets) {
    workers.emplace_back([this, &requests, &apply, name = name, address = address] {
      auto report = dialer_->Dial(name, address)->Describe(requests.at(name));
      std::lock_guard<std::mutex> lock(mu_);
      auto it = agents_.find(name);
      if (it != agents_.end()) apply(&it->second, std::move(report));
    });
  }
  for (auto& w : workers) w.join();
}

void Inventory::Refresh(uint32_t dirty_rate_period_s) {
  std::map<std::string, v1::DescribeRequest> requests;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Every host measures its VMs' traffic to every VM of the cluster (where it has a switch).
    std::set<std::string> macs;
    for (const auto& [name, e] : agents_) {
      for (const auto& vm : e.report.vms()) {
        for (const auto& tap : vm.taps()) {
          if (!tap.mac().empty()) macs.insert(tap.mac());
        }
      }
    }
    for (const auto& [name, e] : agents_) {
      requests[name].set_dirty_rate_period_s(dirty_rate_period_s);
      for (const auto& mac : macs) requests[name].add_peer_macs(mac);
      requests[name].set_enlightenment_max_age_s(options_.enlightenment_max_age_s);
    }
  }
  DescribeEach(requests, [](Entry* e, StatusOr<v1::HostReport> report) {
    if (!report.ok()) {
      e->error = std::string(report.status().message());
      return;
    }
    // A report without a dirty-rate measurement keeps the last one measured.
    for (auto& vm : *report->mutable_vms()) {
      if (vm.dirty_rate().status() == "measured") continue;
      for (const auto& old : e->report.vms()) {
        if (old.name() == vm.name() && old.dirty_rate().status() == "measured") {
          *vm.mutable_dirty_rate() = old.dirty_rate();
        }
      }
    }
    e->report = *std::move(report);
    e->has_report = true;
    e->error.clear();
  });
}

void Inventory::MeasureDirtyRates(const std::map<std::string, std::vector<std::string>>& vms,
                                  uint32_t period_s) {
  std::map<std::string, v1::DescribeRequest> requests;
  for (const auto& [host, names] : vms) {
    auto& r = requests[host];
    r.set_dirty_rate_period_s(period_s);
    for (const auto& vm : names) r.add_vms(vm);
  }
  DescribeEach(requests, [](Entry* e, StatusOr<v1::HostReport> report) {
    if (!report.ok()) {
      e->error = std::string(report.status().message());
      return;
    }
    for (const auto& measured : report->vms()) {
      if (measured.dirty_rate().status() != "measured") continue;
      for (auto& vm : *e->report.mutable_vms()) {
        if (vm.name() == measured.name()) *vm.mutable_dirty_rate() = measured.dirty_rate();
      }
    }
  });
}

v1::InventoryResponse Inventory::Snapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  const double now = options_.now_unix_s();
  v1::InventoryResponse out;
  // A VM under migration is reported by both hosts (the destination holds a paused copy): the
  // cluster has it once, where it is reported best (VmRank).
  std::map<std::string, std::pair<int, v1::Vm>> vms;
  std::vector<std::string> vm_order;
  std::map<std::string, v1::AgentHello> hellos;
  for (const auto& [name, e] : agents_) hellos[name] = e.hello;
  for (const auto& [name, e] : agents_) {
    v1::AgentState* s = out.add_agents();
    s->set_name(name);
    s->set_address(e.hello.address());
    s->set_health(e.off ? "off" : IsUp(e, now) ? "up" : "down");
    s->set_last_heartbeat_unix_s(e.last_heartbeat_unix_s);
    s->set_error(e.error);
    *s->mutable_report() = e.report;
    if (!e.off && !IsUp(e, now)) continue;  // a down host is neither source nor destination
    if (!e.has_report && !e.off) continue;
    v1::Host* h = out.mutable_cluster()->add_hosts();
    *h = e.hello.host();
    h->set_name(name);
    if (h->switch_().empty()) h->set_switch_("default");
    if (h->nic_gbps() <= 0) h->set_nic_gbps(1);
    h->set_cpus(e.report.cpus());
    h->set_memory_gib(e.report.memory_mib() / 1024.0);
    h->set_online(!e.off);
    for (const auto& via : StageViaHosts(e.hello, hellos)) h->add_stage_via(via);
    // The NIC is what the probe measured, when that is less than what the agent declared.
    double measured = 0;
    for (const auto& [pair, mbps] : bandwidth_mbps_) {
      if (pair.rfind(name + "->", 0) == 0) measured = std::max(measured, mbps);
    }
    if (measured > 0) h->set_nic_gbps(std::min(h->nic_gbps(), measured / 1000.0));
    if (e.off) continue;
    for (const auto& vm : e.report.vms()) {
      const int rank = VmRank(vm);
      if (rank == 0) continue;
      auto [slot, fresh] = vms.try_emplace(vm.name(), 0, v1::Vm{});
      if (fresh) vm_order.push_back(vm.name());
      if (rank <= slot->second.first) continue;
      slot->second.first = rank;
      v1::Vm* v = &slot->second.second;
      v->Clear();
      v->set_name(vm.name());
      v->set_host(name);
      v->set_vcpus(vm.vcpus());
      v->set_memory_gib(std::max(vm.max_memory_mib(), vm.memory_mib()) / 1024.0);
      if (vm.dirty_rate().status() == "measured") v->set_dirty_mibps(vm.dirty_rate().mibps());
      // The guest module's figures, when it answered (agent/enlightenment.h).
      if (vm.has_enlightenment() && vm.enlightenment().error().empty() &&
          vm.enlightenment().generation() > 0) {
        v->set_working_set_mib(vm.enlightenment().working_set_mib());
        v->set_free_mib(vm.enlightenment().free_mib());
      }
      // The host sees the guest's sends as the tap's receives.
      double out_mbps = 0, in_mbps = 0;
      for (const auto& tap : vm.taps()) {
        out_mbps += tap.rx_mbps();
        in_mbps += tap.tx_mbps();
      }
      v->set_net_out_mbps(out_mbps);
      v->set_net_in_mbps(in_mbps);
    }
  }
  for (const auto& name : vm_order) *out.mutable_cluster()->add_vms() = vms[name].second;
  for (const auto& [pair, mbps] : bandwidth_mbps_) (*out.mutable_bandwidth_mbps())[pair] = mbps;
  for (auto& t : MeasuredTraffic()) *out.add_measured_traffic() = std::move(t);
  return out;
}

StatusOr<std::shared_ptr<AgentChannel>> Inventory::Channel(const std::string& host) {
  std::string address;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = agents_.find(host);
    if (it == agents_.end()) {
      return absl::UnavailableError(absl::StrCat("host ", host, " has no agent registered"));
    }
    if (!IsUp(it->second, options_.now_unix_s())) {
      return absl::UnavailableError(
          absl::StrFormat("host %s is %s: its agent's last heartbeat was %.0f s ago", host,
                          it->second.off ? "off" : "down",
                          options_.now_unix_s() - it->second.last_heartbeat_unix_s));
    }
    address = it->second.hello.address();
  }
  return dialer_->Dial(host, address);
}

StatusOr<v1::Destination> Inventory::DestinationOf(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  if (it == agents_.end()) {
    return absl::UnavailableError(absl::StrCat("host ", host, " has no agent registered"));
  }
  const auto& hello = it->second.hello;
  if (hello.libvirt_uri().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "host ", host, "'s agent does not say how to reach its libvirtd (--peer-libvirt-uri)"));
  }
  v1::Destination d;
  d.set_host(host);
  d.set_libvirt_uri(hello.libvirt_uri());
  d.set_migration_address(hello.migration_address().empty() ? HostPart(hello.address())
                                                            : hello.migration_address());
  d.set_agent_address(hello.address());
  return d;
}

bool Inventory::CanReserve(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  return it != agents_.end() && it->second.report.qos().available();
}

std::vector<v1::Traffic> Inventory::MeasuredTraffic() const {
  std::map<std::string, std::string> vm_by_mac;
  for (const auto& [name, e] : agents_) {
    for (const auto& vm : e.report.vms()) {
      if (vm.state() != "running") continue;  // not a migration's paused copy
      for (const auto& tap : vm.taps()) vm_by_mac[absl::AsciiStrToLower(tap.mac())] = vm.name();
    }
  }
  // Both directions of a pair together, as the apps' traffic is given.
  std::map<std::pair<std::string, std::string>, double> kbps;
  for (const auto& [name, e] : agents_) {
    for (const auto& f : e.report.traffic()) {
      auto dst = vm_by_mac.find(absl::AsciiStrToLower(f.dst_mac()));
      if (f.src_vm().empty() || dst == vm_by_mac.end() || dst->second == f.src_vm()) continue;
      auto key = std::minmax(f.src_vm(), dst->second);
      kbps[{key.first, key.second}] += f.mbps() * 1000;
    }
  }
  std::vector<v1::Traffic> out;
  for (const auto& [pair, rate] : kbps) {
    if (rate <= 0) continue;  // a flow that counted nothing: no traffic seen, not a measurement
    v1::Traffic t;
    t.set_a(pair.first);
    t.set_b(pair.second);
    t.set_kbps(rate);
    out.push_back(t);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const v1::Traffic& x, const v1::Traffic& y) { return x.kbps() > y.kbps(); });
  return out;
}

StatusOr<v1::Staging> Inventory::StagingFor(const std::string& source,
                                             const std::string& destination,
                                             const std::vector<std::string>& via) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, v1::AgentHello> hellos;
  for (const auto& [name, e] : agents_) hellos[name] = e.hello;
  auto from = hellos.find(source);
  auto to = hellos.find(destination);
  if (from == hellos.end() || to == hellos.end()) {
    return absl::UnavailableError(absl::StrCat("host ", from == hellos.end() ? source : destination,
                                               " has no agent registered"));
  }
  return controller::StagingFor(from->second, to->second, hellos, via);
}

std::string Inventory::HostOf(const std::string& vm) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string best;
  int best_rank = 0;
  for (const auto& [name, e] : agents_) {
    for (const auto& v : e.report.vms()) {
      if (v.name() == vm && VmRank(v) > best_rank) {
        best = name;
        best_rank = VmRank(v);
      }
    }
  }
  return best;
}

std::string Inventory::Health(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  if (it == agents_.end()) return "unknown";
  if (it->second.off) return "off";
  return IsUp(it->second, options_.now_unix_s()) ? "up" : "down";
}

void Inventory::MarkOff(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = agents_.find(host);
  if (it != agents_.end()) it->second.off = true;
}

void Inventory::ProbeBandwidth(const std::vector<std::pair<std::string, std::string>>& pairs,
                               double seconds_each) {
  // One probe at a time: probes that share a NIC would measure each other.
  for (const auto& [from, to] : pairs) {
    std::string target;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = agents_.find(to);
      if (it == agents_.end()) continue;
      target = it->second.hello.probe_address();
    }
    auto channel = Channel(from);
    if (!channel.ok() || target.empty()) continue;
    v1::ProbeRequest request;
    request.set_target(target);
    request.set_max_seconds(seconds_each);
    auto result = (*channel)->Probe(request);
    std::lock_guard<std::mutex> lock(mu_);
    if (result.ok()) {
      bandwidth_mbps_[from + "->" + to] = result->mbps();
    } else {
      agents_[from].error = absl::StrCat("probe to ", to, ": ", result.status().message());
    }
  }
}

}  // namespace convoy::controller
