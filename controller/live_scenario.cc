#include "controller/live_scenario.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace convoy::controller {

Status CheckRequestAgainstInventory(const v1::InventoryResponse& inventory,
                                    const v1::EvacuationRequest& request, double now_unix_s) {
  std::map<std::string, const v1::AgentState*> agents;
  for (const auto& a : inventory.agents()) agents[a.name()] = &a;
  std::set<std::string> vms;
  for (const auto& v : inventory.cluster().vms()) vms.insert(v.name());
  auto known_hosts = [&] {
    std::vector<std::string> names;
    for (const auto& [name, a] : agents) names.push_back(name);
    return names.empty() ? std::string("none: no agent has registered")
                         : absl::StrJoin(names, ", ");
  };
  auto check_host = [&](const std::string& host, const std::string& field) -> Status {
    auto it = agents.find(host);
    if (it == agents.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": unknown host '", host, "' (known: ", known_hosts(), ")"));
    }
    if (it->second->health() == "down") {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: host %s is down: its agent was last heard from %.0f s ago", field,
                          host, now_unix_s - it->second->last_heartbeat_unix_s()));
    }
    return absl::OkStatus();
  };
  if (request.evacuate().empty() && request.moves().empty()) {
    return absl::InvalidArgumentError("request: name hosts to evacuate or VMs to move");
  }
  for (int i = 0; i < request.evacuate_size(); ++i) {
    CONVOY_RETURN_IF_ERROR(check_host(request.evacuate(i), absl::StrCat("evacuate[", i, "]")));
  }
  for (int i = 0; i < request.to_size(); ++i) {
    CONVOY_RETURN_IF_ERROR(check_host(request.to(i), absl::StrCat("to[", i, "]")));
  }
  for (int i = 0; i < request.moves_size(); ++i) {
    const auto& m = request.moves(i);
    if (vms.count(m.vm()) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("moves[", i, "].vm: unknown VM '", m.vm(), "' (not running on any host)"));
    }
    if (!m.to().empty()) {
      CONVOY_RETURN_IF_ERROR(check_host(m.to(), absl::StrCat("moves[", i, "].to")));
    }
  }
  return absl::OkStatus();
}

StatusOr<v1::Scenario> LiveScenario(const v1::Cluster& cluster,
                                    const v1::ControllerPlanRequest& request) {
  v1::Scenario scenario;
  *scenario.mutable_hosts() = cluster.hosts();
  *scenario.mutable_links() = cluster.links();
  *scenario.mutable_vms() = cluster.vms();
  std::map<std::string, v1::Vm*> by_name;
  for (auto& v : *scenario.mutable_vms()) by_name[v.name()] = &v;
  for (int i = 0; i < request.apps_size(); ++i) {
    const auto& app = request.apps(i);
    for (int j = 0; j < app.traffic_size(); ++j) {
      for (const std::string& vm : {app.traffic(j).a(), app.traffic(j).b()}) {
        auto it = by_name.find(vm);
        if (it == by_name.end()) {
          return absl::InvalidArgumentError(absl::StrCat("apps[", i, "].traffic[", j, "]: VM '", vm,
                                                         "' of app '", app.name(),
                                                         "' is not running on any host"));
        }
        it->second->set_app(app.name());
      }
    }
    *scenario.add_apps() = app;
  }
  *scenario.mutable_request() = request.request();
  return scenario;
}

std::vector<std::string> TakeMeasuredTraffic(
    const google::protobuf::RepeatedPtrField<v1::Traffic>& measured,
    v1::ControllerPlanRequest* request) {
  std::map<std::pair<std::string, std::string>, double> kbps;
  for (const auto& t : measured) kbps[std::minmax(t.a(), t.b())] = t.kbps();
  std::vector<std::string> notes;
  for (auto& app : *request->mutable_apps()) {
    for (auto& t : *app.mutable_traffic()) {
      auto it = kbps.find(std::minmax(t.a(), t.b()));
      if (it == kbps.end()) continue;
      if (std::abs(it->second - t.kbps()) > 0.5) {
        notes.push_back(absl::StrFormat(
            "app %s: traffic %s<->%s measured at %.0f kb/s (%s)", app.name(), t.a(), t.b(),
            it->second,
            t.kbps() > 0 ? absl::StrFormat("given %.0f", t.kbps()) : std::string("none given")));
      }
      t.set_kbps(it->second);
    }
  }
  return notes;
}

}  // namespace convoy::controller
