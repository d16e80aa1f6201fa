#include "convoy/model/cluster_model.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "convoy/common/units.h"

namespace convoy::model {

StatusOr<ClusterModel> ClusterModel::Build(const v1::Scenario& s) {
  ClusterModel m;
  std::unordered_map<std::string, int> switch_index;
  auto switch_id = [&](const std::string& name) {
    auto [it, inserted] = switch_index.emplace(name, static_cast<int>(m.switches_.size()));
    if (inserted) m.switches_.push_back(name);
    return it->second;
  };
  m.hosts_.reserve(s.hosts_size());
  for (int i = 0; i < s.hosts_size(); ++i) {
    const auto& h = s.hosts(i);
    HostInfo info;
    info.name = h.name();
    info.switch_id = switch_id(h.switch_());
    info.nic_mbps = GbpsToMbps(h.nic_gbps());
    const double overcommit = h.cpu_overcommit() > 0 ? h.cpu_overcommit() : 1.0;
    info.vcpu_capacity = h.cpus() * overcommit;
    info.memory_mib = h.memory_gib() * kMibPerGib - h.reserved_mib();
    info.idle_w = h.power().idle_w();
    info.max_w = std::max(h.power().max_w(), info.idle_w);
    info.boot_w = h.power().boot_w() > 0 ? h.power().boot_w() : info.max_w;
    info.boot_s = h.boot_s();
    info.shutdown_s = h.shutdown_s();
    info.online = h.has_online() ? h.online() : true;
    info.hash_id = h.has_hash_id() ? h.hash_id() : static_cast<uint32_t>(i);
    m.host_index_.emplace(info.name, i);
    m.hosts_.push_back(std::move(info));
  }
  for (int i = 0; i < s.hosts_size(); ++i) {
    for (const auto& via : s.hosts(i).stage_via()) {
      if (auto j = m.FindHost(via); j && *j != i) m.hosts_[i].stage_via.push_back(*j);
    }
  }
  for (const auto& l : s.links()) {
    LinkInfo info;
    info.switch_a = switch_id(l.a());
    info.switch_b = switch_id(l.b());
    info.members = l.members() > 0 ? static_cast<int>(l.members()) : 1;
    info.member_mbps = GbpsToMbps(l.gbps()) / info.members;
    m.links_.push_back(info);
  }
  std::unordered_map<std::string, int> app_index;
  for (const auto& a : s.apps()) {
    app_index.emplace(a.name(), static_cast<int>(m.apps_.size()));
    m.apps_.push_back(a.name());
  }
  m.vms_.reserve(s.vms_size());
  for (int i = 0; i < s.vms_size(); ++i) {
    const auto& v = s.vms(i);
    auto host = m.host_index_.find(v.host());
    if (host == m.host_index_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("vms[", i, "].host: unknown host '", v.host(), "'"));
    }
    VmInfo info;
    info.name = v.name();
    info.host = host->second;
    info.vcpus = static_cast<int>(v.vcpus());
    info.memory_mib = v.memory_gib() * kMibPerGib;
    info.used_mib = v.has_used_mib() ? v.used_mib() : info.memory_mib;
    info.dirty_mibps = v.dirty_mibps();
    info.wws_mib = v.has_wws_mib() ? std::min(v.wws_mib(), info.used_mib) : info.used_mib;
    info.net_out_mbps = v.net_out_mbps();
    info.net_in_mbps = v.net_in_mbps();
    info.disk_mib = v.disk_gib() * kMibPerGib;
    info.disk_dirty_mibps = v.disk_dirty_mibps();
    info.disk_wws_mib =
        v.has_disk_wws_mib() ? std::min(v.disk_wws_mib(), info.disk_mib) : info.disk_mib;
    info.enlightened = v.has_working_set_mib();
    info.working_set_mib = std::min(v.working_set_mib(), info.used_mib);
    info.free_mib = std::min(v.free_mib(), info.used_mib);
    auto app = app_index.find(v.app());
    info.app = app == app_index.end() ? -1 : app->second;
    m.vm_index_.emplace(info.name, i);
    m.vms_.push_back(std::move(info));
  }
  for (const auto& a : s.apps()) {
    for (const auto& t : a.traffic()) {
      auto va = m.vm_index_.find(t.a());
      auto vb = m.vm_index_.find(t.b());
      if (va == m.vm_index_.end() || vb == m.vm_index_.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("apps.", a.name(), ".traffic: unknown VM ", t.a(), " or ", t.b()));
      }
      m.traffic_.push_back({va->second, vb->second, t.kbps()});
    }
  }

  // Resources: two NIC directions per host, then two directions per link member.
  m.resources_.reserve(2 * m.hosts_.size());
  for (const auto& h : m.hosts_) {
    m.resources_.push_back({h.name + " out", h.nic_mbps});
    m.resources_.push_back({h.name + " in", h.nic_mbps});
  }
  for (const auto& l : m.links_) {
    m.link_resource_base_.push_back(static_cast<int>(m.resources_.size()));
    const std::string name = absl::StrCat(m.switches_[l.switch_a], "<->", m.switches_[l.switch_b]);
    for (int member = 0; member < l.members; ++member) {
      const std::string tag = l.members > 1 ? absl::StrCat("#", member) : "";
      m.resources_.push_back(
          {absl::StrCat(name, tag, " ", m.switches_[l.switch_a], "->", m.switches_[l.switch_b]),
           l.member_mbps});
      m.resources_.push_back(
          {absl::StrCat(name, tag, " ", m.switches_[l.switch_b], "->", m.switches_[l.switch_a]),
           l.member_mbps});
    }
  }

  // Shortest paths (fewest hops) between every pair of switches, by BFS from each switch.
  const int n = static_cast<int>(m.switches_.size());
  std::vector<std::vector<Hop>> adjacency(n);
  for (int i = 0; i < static_cast<int>(m.links_.size()); ++i) {
    adjacency[m.links_[i].switch_a].push_back({i, 0});
    adjacency[m.links_[i].switch_b].push_back({i, 1});
  }
  m.paths_.assign(static_cast<std::size_t>(n) * n, {});
  m.reachable_.assign(static_cast<std::size_t>(n) * n, false);
  std::vector<Hop> parent(n);
  std::vector<int> parent_switch(n);
  for (int from = 0; from < n; ++from) {
    std::vector<bool> seen(n, false);
    std::deque<int> queue{from};
    seen[from] = true;
    while (!queue.empty()) {
      int at = queue.front();
      queue.pop_front();
      for (const Hop& hop : adjacency[at]) {
        const LinkInfo& l = m.links_[hop.link];
        int next = hop.dir == 0 ? l.switch_b : l.switch_a;
        if (seen[next]) continue;
        seen[next] = true;
        parent[next] = hop;
        parent_switch[next] = at;
        queue.push_back(next);
      }
    }
    for (int to = 0; to < n; ++to) {
      if (!seen[to]) continue;
      const std::size_t key = static_cast<std::size_t>(from) * n + to;
      m.reachable_[key] = true;
      std::vector<Hop> hops;
      for (int at = to; at != from; at = parent_switch[at]) hops.push_back(parent[at]);
      m.paths_[key].assign(hops.rbegin(), hops.rend());
    }
  }
  return m;
}

std::optional<int> ClusterModel::FindHost(std::string_view name) const {
  auto it = host_index_.find(std::string(name));
  if (it == host_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<int> ClusterModel::FindVm(std::string_view name) const {
  auto it = vm_index_.find(std::string(name));
  if (it == vm_index_.end()) return std::nullopt;
  return it->second;
}

const std::vector<ClusterModel::Hop>* ClusterModel::SwitchPath(int from, int to) const {
  const std::size_t key = static_cast<std::size_t>(from) * switches_.size() + to;
  return reachable_[key] ? &paths_[key] : nullptr;
}

int ClusterModel::MemberFor(int link, int src, int dst) const {
  return static_cast<int>((hosts_[src].hash_id ^ hosts_[dst].hash_id) %
                          static_cast<uint32_t>(links_[link].members));
}

Status ClusterModel::FlowResources(int src, int dst, std::vector<int>* out) const {
  out->clear();
  const auto* path = SwitchPath(hosts_[src].switch_id, hosts_[dst].switch_id);
  if (path == nullptr) {
    return absl::NotFoundError(absl::StrCat("no network path from host ", hosts_[src].name,
                                            " to host ", hosts_[dst].name, " (switches ",
                                            switches_[hosts_[src].switch_id], " and ",
                                            switches_[hosts_[dst].switch_id], ")"));
  }
  out->push_back(NicOut(src));
  for (const Hop& hop : *path) {
    int member = MemberFor(hop.link, src, dst);
    out->push_back(link_resource_base_[hop.link] + 2 * member + hop.dir);
  }
  out->push_back(NicIn(dst));
  return absl::OkStatus();
}

}  // namespace convoy::model
