#include "src/plan/problem.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "convoy/common/units.h"
#include "convoy/model/scenario.h"

namespace convoy::plan {
namespace {

StatusOr<ModeRequest> ParseMode(const std::string& mode) {
  if (mode.empty() || mode == "auto") return ModeRequest::kAuto;
  if (mode == "pre-copy") return ModeRequest::kPreCopy;
  if (mode == "post-copy") return ModeRequest::kPostCopy;
  if (mode == "enlightened") return ModeRequest::kEnlightened;
  return absl::InvalidArgumentError(
      absl::StrCat("request.mode: unknown mode '", mode, "' (one of ", model::kModes, ")"));
}

// Usable migration capacity of every resource: nominal speed times goodput, less the VMs' own
// traffic in the same direction (at a source the traffic of the VMs there now; at a destination
// that of the VMs there now and of all those that will arrive: the most it will carry). Never
// below a tenth of the nominal speed: the VMs' traffic is elastic and gives way that far.
void ComputeCapacities(Problem* p) {
  const auto& m = *p->model;
  p->capacity_mbps.resize(m.resources().size());
  for (std::size_t r = 0; r < m.resources().size(); ++r) {
    p->capacity_mbps[r] = m.resources()[r].capacity_mbps * p->options.goodput_fraction;
  }
  std::vector<double> out_mbps(m.hosts().size(), 0);
  std::vector<double> in_mbps(m.hosts().size(), 0);
  for (const auto& vm : m.vms()) {
    out_mbps[vm.host] += vm.net_out_mbps;
    in_mbps[vm.host] += vm.net_in_mbps;
  }
  for (const auto& mover : p->movers) {
    if (mover.dst >= 0) in_mbps[mover.dst] += m.vms()[mover.vm].net_in_mbps;
  }
  for (std::size_t h = 0; h < m.hosts().size(); ++h) {
    const int host = static_cast<int>(h);
    const double nominal = m.hosts()[h].nic_mbps * p->options.goodput_fraction;
    p->capacity_mbps[model::ClusterModel::NicOut(host)] =
        std::max(nominal - out_mbps[h], 0.1 * nominal);
    p->capacity_mbps[model::ClusterModel::NicIn(host)] =
        std::max(nominal - in_mbps[h], 0.1 * nominal);
  }
}

void ComputePaths(Problem* p) {
  const auto& m = *p->model;
  for (auto& mover : p->movers) {
    if (mover.dst < 0) continue;
    Status path = m.FlowResources(mover.src, mover.dst, &mover.resources);
    if (!path.ok()) {
      p->reasons.push_back(absl::StrCat("VM ", m.vms()[mover.vm].name, ": ", path.message()));
      mover.path_mbps = 0;
      continue;
    }
    mover.path_mbps = std::numeric_limits<double>::infinity();
    for (int r : mover.resources) mover.path_mbps = std::min(mover.path_mbps, p->capacity_mbps[r]);
    mover.min_converging_mbps =
        MibpsToMbps(predict::MinConvergingBandwidth(mover.profile, p->predictor));
  }
}

}  // namespace

StatusOr<Problem> BuildProblem(const model::ClusterModel& model,
                               const v1::EvacuationRequest& request,
                               const PlannerOptions& options) {
  Problem p;
  p.model = &model;
  p.options = options;
  p.predictor = options.predictor;
  p.predictor.downtime_ms = request.downtime_ms() > 0 ? request.downtime_ms() : 300.0;
  CONVOY_ASSIGN_OR_RETURN(p.mode, ParseMode(request.mode()));
  p.power_off = request.has_power_off() ? request.power_off() : true;
  p.deadline_s = request.deadline_s();
  p.max_online_hosts = static_cast<int>(request.max_online_hosts());
  p.power_budget_w = request.power_budget_w();
  p.urgency_pct = request.urgency_pct() > 0 ? request.urgency_pct() : 75;

  const auto& hosts = model.hosts();
  p.evacuated.assign(hosts.size(), false);
  p.needs_boot.assign(hosts.size(), false);
  for (int i = 0; i < request.evacuate_size(); ++i) {
    auto h = model.FindHost(request.evacuate(i));
    if (!h) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.evacuate[", i, "]: unknown host '", request.evacuate(i), "'"));
    }
    if (!p.evacuated[*h]) p.evacuation_order.push_back(*h);
    p.evacuated[*h] = true;
  }
  std::vector<int> candidates;
  for (int i = 0; i < request.to_size(); ++i) {
    auto h = model.FindHost(request.to(i));
    if (!h) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.to[", i, "]: unknown host '", request.to(i), "'"));
    }
    if (p.evacuated[*h]) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.to[", i, "]: host '", request.to(i), "' is being evacuated"));
    }
    candidates.push_back(*h);
  }
  if (candidates.empty()) {
    for (int h = 0; h < static_cast<int>(hosts.size()); ++h) {
      if (!p.evacuated[h]) candidates.push_back(h);
    }
  }

  std::unordered_set<int> explicitly_moved;
  for (int i = 0; i < request.moves_size(); ++i) {
    const auto& move = request.moves(i);
    auto vm = model.FindVm(move.vm());
    if (!vm) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.moves[", i, "].vm: unknown VM '", move.vm(), "'"));
    }
    auto to = model.FindHost(move.to());
    if (!to) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.moves[", i, "].to: unknown host '", move.to(), "'"));
    }
    if (p.evacuated[*to]) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.moves[", i, "].to: host '", move.to(), "' is being evacuated"));
    }
    if (!explicitly_moved.insert(*vm).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("request.moves[", i, "].vm: VM '", move.vm(), "' is moved twice"));
    }
    if (model.vms()[*vm].host == *to) continue;  // already there: nothing to do
    Mover mover;
    mover.vm = *vm;
    mover.src = model.vms()[*vm].host;
    mover.dst = *to;
    mover.fixed_destination = true;
    p.movers.push_back(std::move(mover));
  }
  // Every other VM of an evacuated host, host by host in request order.
  std::vector<std::vector<int>> vms_on(hosts.size());
  for (int v = 0; v < static_cast<int>(model.vms().size()); ++v) {
    vms_on[model.vms()[v].host].push_back(v);
  }
  for (int h : p.evacuation_order) {
    for (int v : vms_on[h]) {
      if (explicitly_moved.contains(v)) continue;
      Mover mover;
      mover.vm = v;
      mover.src = h;
      p.movers.push_back(std::move(mover));
    }
  }
  for (auto& mover : p.movers) {
    const auto& vm = model.vms()[mover.vm];
    mover.profile = {vm.used_mib,         vm.dirty_mibps,  vm.wws_mib,         vm.disk_mib,
                     vm.disk_dirty_mibps, vm.disk_wws_mib, vm.working_set_mib, vm.free_mib};
    mover.enlightened = vm.enlightened;
  }

  PlaceMovers(&p, candidates);
  ComputeCapacities(&p);
  ComputePaths(&p);
  if (p.max_online_hosts > 0) {
    int online = 0;
    for (const auto& h : hosts) online += h.online ? 1 : 0;
    if (online > p.max_online_hosts) {
      p.reasons.push_back(
          absl::StrFormat("max_online_hosts: %d hosts are online already, above the cap of %d",
                          online, p.max_online_hosts));
    }
  }
  return p;
}

}  // namespace convoy::plan
