#include "src/sim/platform.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

double MbpsToBytesPerS(double mbps) { return mbps * 1e6 / 8.0; }

// The energy plugin's profile: power state 0 draws idle_w idle and rises linearly to max_w at
// full load (Idle:Epsilon:AllCores with Epsilon = Idle), power state 1 (booting) draws boot_w.
std::string Wattage(const model::HostInfo& h) {
  return absl::StrFormat("%.6f:%.6f:%.6f, %.6f:%.6f:%.6f", h.idle_w, h.idle_w, h.max_w, h.boot_w,
                         h.boot_w, h.boot_w);
}

}  // namespace

StatusOr<std::unique_ptr<Platform>> Platform::Build(const model::ClusterModel& model,
                                                    const std::vector<std::pair<int, int>>& pairs,
                                                    sg4::NetZone* root, const std::string& prefix) {
  std::unique_ptr<Platform> p(new Platform());
  // Every flow path first: a pair without one is the caller's error, found before SimGrid
  // is given anything.
  for (const auto& pair : pairs) {
    if (p->paths_.count(pair) > 0) continue;
    std::vector<int> path;
    Status s = model.FlowResources(pair.first, pair.second, &path);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no network path from ", model.hosts()[pair.first].name, " to ",
                       model.hosts()[pair.second].name, ": ", s.message()));
    }
    p->paths_.emplace(pair, std::move(path));
  }

  sg4::NetZone* zone = sg4::create_full_zone(prefix + "zone");
  zone->set_parent(root);
  for (const auto& h : model.hosts()) {
    const double speed = std::max(1.0, h.vcpu_capacity);
    sg4::Host* host = zone->create_host(prefix + h.name, std::vector<double>{speed, speed});
    host->set_core_count(1);
    host->set_property("wattage_per_state", Wattage(h));
    host->set_property("wattage_off", "0");
    host->seal();
    p->hosts_.push_back(host);
  }
  for (const char* name : {"outside", "control"}) {
    sg4::Host* host = zone->create_host(prefix + name, 1.0);
    host->set_property("wattage_per_state", "0:0:0");
    host->set_property("wattage_off", "0");
    host->seal();
    (std::string(name) == "outside" ? p->world_ : p->control_) = host;
  }
  std::vector<sg4::Link*> links;
  links.reserve(model.resources().size());
  for (std::size_t r = 0; r < model.resources().size(); ++r) {
    const auto& res = model.resources()[r];
    sg4::Link* link = zone->create_link(absl::StrCat(prefix, "r", r, " ", res.label),
                                        MbpsToBytesPerS(res.capacity_mbps));
    link->seal();
    links.push_back(link);
  }
  auto route = [&](sg4::Host* from, sg4::Host* to, const std::vector<int>& resources) {
    std::vector<sg4::LinkInRoute> in_route;
    in_route.reserve(resources.size());
    for (int r : resources) in_route.emplace_back(links[r]);
    zone->add_route(from->get_netpoint(), to->get_netpoint(), nullptr, nullptr, in_route, false);
  };
  for (const auto& [pair, path] : p->paths_) {
    if (pair.first == pair.second) continue;
    route(p->hosts_[pair.first], p->hosts_[pair.second], path);
  }
  for (std::size_t h = 0; h < model.hosts().size(); ++h) {
    const int id = static_cast<int>(h);
    route(p->hosts_[h], p->world_, {model::ClusterModel::NicOut(id)});
    route(p->world_, p->hosts_[h], {model::ClusterModel::NicIn(id)});
  }
  zone->seal();
  return p;
}

}  // namespace convoy::sim
