#include "convoy/model/scenario.h"

#include <fstream>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convoy/model/proto_yaml.h"

namespace convoy::model {
namespace {

// Collects problems as "path: problem" lines.
class Problems {
 public:
  void Add(std::string line) { lines_.push_back(std::move(line)); }
  void NonNegative(double value, const std::string& path) {
    if (value < 0) Add(absl::StrCat(path, ": must not be negative, got ", value));
  }
  void Positive(double value, const std::string& path) {
    if (value <= 0) Add(absl::StrCat(path, ": must be greater than 0, got ", value));
  }
  // Records `name` at `path`; reports an empty or repeated name.
  void Unique(const std::string& name, const std::string& path, const std::string& what,
              std::unordered_map<std::string, std::string>* seen) {
    if (name.empty()) {
      Add(absl::StrCat(path, ": ", what, " name must not be empty"));
      return;
    }
    auto [it, inserted] = seen->emplace(name, path);
    if (!inserted) {
      Add(absl::StrCat(path, ": duplicate ", what, " name '", name, "' (first at ", it->second,
                       ")"));
    }
  }
  Status ToStatus() const {
    if (lines_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

void ValidateHosts(const v1::Scenario& s, Problems* p,
                   std::unordered_map<std::string, std::string>* hosts) {
  for (int i = 0; i < s.hosts_size(); ++i) {
    const auto& h = s.hosts(i);
    const std::string path = absl::StrCat("hosts[", i, "]");
    p->Unique(h.name(), path + ".name", "host", hosts);
    if (h.switch_().empty()) p->Add(path + ".switch: must name the switch the host is on");
    p->Positive(h.nic_gbps(), path + ".nic_gbps");
    p->Positive(h.cpus(), path + ".cpus");
    p->Positive(h.memory_gib(), path + ".memory_gib");
    p->NonNegative(h.boot_s(), path + ".boot_s");
    p->NonNegative(h.shutdown_s(), path + ".shutdown_s");
    p->NonNegative(h.cpu_overcommit(), path + ".cpu_overcommit");
    p->NonNegative(h.reserved_mib(), path + ".reserved_mib");
    if (h.reserved_mib() >= h.memory_gib() * 1024 && h.memory_gib() > 0) {
      p->Add(path + ".reserved_mib: leaves no memory for VMs");
    }
    p->NonNegative(h.power().idle_w(), path + ".power.idle_w");
    p->NonNegative(h.power().max_w(), path + ".power.max_w");
    p->NonNegative(h.power().boot_w(), path + ".power.boot_w");
    if (h.power().max_w() > 0 && h.power().max_w() < h.power().idle_w()) {
      p->Add(absl::StrCat(path, ".power.max_w: ", h.power().max_w(), " is below idle_w ",
                          h.power().idle_w()));
    }
  }
  // Intermediaries are named after every host is known.
  for (int i = 0; i < s.hosts_size(); ++i) {
    const auto& h = s.hosts(i);
    for (int j = 0; j < h.stage_via_size(); ++j) {
      const std::string path = absl::StrCat("hosts[", i, "].stage_via[", j, "]");
      if (h.stage_via(j) == h.name()) {
        p->Add(path + ": a host cannot stage through itself");
      } else if (!hosts->contains(h.stage_via(j))) {
        p->Add(absl::StrCat(path, ": unknown host '", h.stage_via(j), "'"));
      }
    }
  }
}

// Switches need not carry hosts (a core switch has none), so a link may name a switch that
// appears nowhere else; a host left unreachable is reported when a plan needs a path to it.
void ValidateLinks(const v1::Scenario& s, Problems* p) {
  for (int i = 0; i < s.links_size(); ++i) {
    const auto& l = s.links(i);
    const std::string path = absl::StrCat("links[", i, "]");
    if (l.a().empty()) p->Add(path + ".a: must name a switch");
    if (l.b().empty()) p->Add(path + ".b: must name a switch");
    if (l.a() == l.b()) p->Add(absl::StrCat(path, ": a link joins two different switches"));
    p->Positive(l.gbps(), path + ".gbps");
  }
}

void ValidateVms(const v1::Scenario& s, const std::unordered_map<std::string, std::string>& hosts,
                 Problems* p, std::unordered_map<std::string, std::string>* vms) {
  for (int i = 0; i < s.vms_size(); ++i) {
    const auto& v = s.vms(i);
    const std::string path = absl::StrCat("vms[", i, "]");
    p->Unique(v.name(), path + ".name", "VM", vms);
    if (!hosts.contains(v.host())) {
      p->Add(absl::StrCat(path, ".host: unknown host '", v.host(), "'"));
    }
    p->Positive(v.vcpus(), path + ".vcpus");
    p->Positive(v.memory_gib(), path + ".memory_gib");
    if (v.has_used_mib()) {
      p->NonNegative(v.used_mib(), path + ".used_mib");
      if (v.used_mib() > v.memory_gib() * 1024) {
        p->Add(absl::StrCat(path, ".used_mib: ", v.used_mib(), " MiB exceeds memory_gib ",
                            v.memory_gib()));
      }
    }
    if (v.has_wws_mib()) p->NonNegative(v.wws_mib(), path + ".wws_mib");
    for (const auto& [has, mib, field] :
         {std::tuple{v.has_working_set_mib(), v.working_set_mib(), ".working_set_mib"},
          std::tuple{v.has_free_mib(), v.free_mib(), ".free_mib"}}) {
      if (!has) continue;
      p->NonNegative(mib, path + field);
      if (mib > v.memory_gib() * 1024) {
        p->Add(absl::StrCat(path, field, ": ", mib, " MiB exceeds memory_gib ", v.memory_gib()));
      }
    }
    p->NonNegative(v.dirty_mibps(), path + ".dirty_mibps");
    p->NonNegative(v.net_out_mbps(), path + ".net_out_mbps");
    p->NonNegative(v.net_in_mbps(), path + ".net_in_mbps");
    p->NonNegative(v.disk_gib(), path + ".disk_gib");
    p->NonNegative(v.disk_dirty_mibps(), path + ".disk_dirty_mibps");
    if (v.has_disk_wws_mib()) p->NonNegative(v.disk_wws_mib(), path + ".disk_wws_mib");
  }
}

void ValidateApps(const v1::Scenario& s, const std::unordered_map<std::string, std::string>& vms,
                  Problems* p) {
  std::unordered_map<std::string, std::string> apps;
  for (int i = 0; i < s.apps_size(); ++i) {
    const auto& a = s.apps(i);
    const std::string path = absl::StrCat("apps[", i, "]");
    p->Unique(a.name(), path + ".name", "app", &apps);
    for (int j = 0; j < a.traffic_size(); ++j) {
      const auto& t = a.traffic(j);
      const std::string tpath = absl::StrCat(path, ".traffic[", j, "]");
      if (!vms.contains(t.a())) p->Add(absl::StrCat(tpath, ".a: unknown VM '", t.a(), "'"));
      if (!vms.contains(t.b())) p->Add(absl::StrCat(tpath, ".b: unknown VM '", t.b(), "'"));
      if (t.a() == t.b()) p->Add(tpath + ": traffic joins two different VMs");
      p->NonNegative(t.kbps(), tpath + ".kbps");
    }
  }
  for (int i = 0; i < s.vms_size(); ++i) {
    if (!s.vms(i).app().empty() && !apps.contains(s.vms(i).app())) {
      p->Add(absl::StrCat("vms[", i, "].app: unknown app '", s.vms(i).app(), "'"));
    }
  }
}

// Explicit moves that go nowhere (to the VM's own host) or form a cycle (each move's destination
// is the source of the next, back to the first: each waits for room the other holds).
void ValidateMoveTargets(const v1::Scenario& s, Problems* p) {
  const auto& r = s.request();
  std::unordered_map<std::string, std::string> host_of;
  for (const auto& v : s.vms()) host_of.emplace(v.name(), v.host());
  // Host graph of the moves: source -> (destination, the move's index).
  std::unordered_map<std::string, std::vector<std::pair<std::string, int>>> edges;
  for (int i = 0; i < r.moves_size(); ++i) {
    const auto& m = r.moves(i);
    auto it = host_of.find(m.vm());
    if (it == host_of.end() || m.to().empty()) continue;
    if (it->second == m.to()) {
      p->Add(absl::StrCat("request.moves[", i, "].to: VM '", m.vm(), "' is already on ", m.to()));
      continue;
    }
    edges[it->second].push_back({m.to(), i});
    // Does a path of earlier moves lead from this move's destination back to its source?
    std::vector<std::pair<std::string, std::vector<int>>> frontier = {{m.to(), {i}}};
    std::unordered_set<std::string> seen = {m.to()};
    while (!frontier.empty()) {
      auto [host, path] = frontier.back();
      frontier.pop_back();
      if (host == it->second) {
        std::string cycle;
        for (int k : path) {
          const auto& mk = r.moves(k);
          absl::StrAppend(&cycle, cycle.empty() ? "" : ", ", mk.vm(), " ", host_of[mk.vm()],
                          "->", mk.to());
        }
        p->Add(absl::StrCat("request.moves[", i, "]: the explicit moves form a cycle (", cycle,
                            "): each waits for room another holds; move them one at a time or "
                            "through a third host"));
        break;
      }
      for (const auto& [next, k] : edges[host]) {
        if (k == i || !seen.insert(next).second) continue;
        auto longer = path;
        longer.push_back(k);
        frontier.push_back({next, std::move(longer)});
      }
    }
  }
}

void ValidateRequest(const v1::Scenario& s,
                     const std::unordered_map<std::string, std::string>& hosts,
                     const std::unordered_map<std::string, std::string>& vms, Problems* p) {
  const auto& r = s.request();
  std::unordered_set<std::string> evacuated;
  for (int i = 0; i < r.evacuate_size(); ++i) {
    const std::string path = absl::StrCat("request.evacuate[", i, "]");
    if (!hosts.contains(r.evacuate(i))) {
      p->Add(absl::StrCat(path, ": unknown host '", r.evacuate(i), "'"));
    } else if (!evacuated.insert(r.evacuate(i)).second) {
      p->Add(absl::StrCat(path, ": host '", r.evacuate(i), "' is listed twice"));
    }
  }
  for (int i = 0; i < r.to_size(); ++i) {
    const std::string path = absl::StrCat("request.to[", i, "]");
    if (!hosts.contains(r.to(i))) {
      p->Add(absl::StrCat(path, ": unknown host '", r.to(i), "'"));
    } else if (evacuated.contains(r.to(i))) {
      p->Add(absl::StrCat(path, ": host '", r.to(i), "' is also being evacuated"));
    }
  }
  std::unordered_set<std::string> moved;
  for (int i = 0; i < r.moves_size(); ++i) {
    const auto& m = r.moves(i);
    const std::string path = absl::StrCat("request.moves[", i, "]");
    if (!vms.contains(m.vm())) p->Add(absl::StrCat(path, ".vm: unknown VM '", m.vm(), "'"));
    if (!moved.insert(m.vm()).second) {
      p->Add(absl::StrCat(path, ".vm: VM '", m.vm(), "' is moved twice"));
    }
    if (!hosts.contains(m.to())) {
      p->Add(absl::StrCat(path, ".to: unknown host '", m.to(), "'"));
    } else if (evacuated.contains(m.to())) {
      p->Add(absl::StrCat(path, ".to: host '", m.to(), "' is being evacuated"));
    }
  }
  if (!r.mode().empty() && !IsKnownMode(r.mode())) {
    p->Add(absl::StrCat("request.mode: unknown mode '", r.mode(), "' (one of ", kModes, ")"));
  }
  if (!r.strategy().empty() && !IsKnownStrategy(r.strategy())) {
    p->Add(absl::StrCat("request.strategy: unknown strategy '", r.strategy(), "' (one of ",
                        kStrategies, ")"));
  }
  ValidateMoveTargets(s, p);
  p->NonNegative(r.downtime_ms(), "request.downtime_ms");
  p->NonNegative(r.deadline_s(), "request.deadline_s");
  p->NonNegative(r.power_budget_w(), "request.power_budget_w");
  if (r.urgency_pct() < 0 || r.urgency_pct() > 100) {
    p->Add(absl::StrCat("request.urgency_pct: must be within 0..100, got ", r.urgency_pct()));
  }
  if (!r.reservation().empty() && r.reservation() != "auto" && r.reservation() != "none" &&
      r.reservation() != "adaptive" && r.reservation() != "fixed") {
    p->Add(absl::StrCat("request.reservation: unknown reservation '", r.reservation(),
                        "' (one of auto, none, adaptive, fixed)"));
  }
}

}  // namespace

bool IsKnownMode(std::string_view mode) {
  return mode == "auto" || mode == "pre-copy" || mode == "post-copy" || mode == "enlightened";
}

bool IsKnownStrategy(std::string_view strategy) {
  return strategy == "convoy" || strategy == "sequential" || strategy == "parallel" ||
         strategy == "comma-exact" || strategy == "comma-heuristic" || strategy == "solive";
}

StatusOr<v1::Scenario> ParseScenario(std::string_view text) {
  v1::Scenario scenario;
  CONVOY_RETURN_IF_ERROR(ParseYamlInto(text, &scenario));
  return scenario;
}

Status ValidateScenario(const v1::Scenario& scenario) {
  Problems problems;
  std::unordered_map<std::string, std::string> hosts;
  std::unordered_map<std::string, std::string> vms;
  ValidateHosts(scenario, &problems, &hosts);
  ValidateLinks(scenario, &problems);
  ValidateVms(scenario, hosts, &problems, &vms);
  ValidateApps(scenario, vms, &problems);
  ValidateRequest(scenario, hosts, vms, &problems);
  return problems.ToStatus();
}

StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  std::stringstream text;
  text << in.rdbuf();
  auto scenario = ParseScenario(text.str());
  if (!scenario.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", scenario.status().message()));
  }
  Status valid = ValidateScenario(*scenario);
  if (!valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":\n", valid.message()));
  }
  return scenario;
}

}  // namespace convoy::model
