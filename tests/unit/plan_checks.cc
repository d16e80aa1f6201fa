#include "tests/unit/plan_checks.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_format.h"
#include "convoy/common/units.h"
#include "convoy/predict/predictor.h"

namespace convoy::testing {
namespace {

constexpr double kTol = 1e-6;

std::set<std::string> Evacuated(const v1::EvacuationRequest& r) {
  return {r.evacuate().begin(), r.evacuate().end()};
}

}  // namespace

std::vector<std::string> CheckBandwidth(const model::ClusterModel& m, const v1::Plan& plan) {
  std::vector<std::string> out;
  std::vector<std::vector<int>> paths;
  for (const auto& mig : plan.migrations()) {
    std::vector<int> path;
    if (!m.FlowResources(*m.FindHost(mig.from()), *m.FindHost(mig.to()), &path).ok()) {
      out.push_back("no path for " + mig.vm());
    }
    paths.push_back(path);
  }
  // The load on a resource is highest just after some migration starts.
  for (const auto& at : plan.migrations()) {
    const double t = at.start_s();
    std::map<int, double> load;
    for (int i = 0; i < plan.migrations_size(); ++i) {
      const auto& mig = plan.migrations(i);
      if (mig.start_s() <= t + kTol && mig.end_s() > t + kTol) {
        for (int r : paths[i]) load[r] += mig.bandwidth_mbps();
      }
    }
    for (const auto& [r, mbps] : load) {
      if (mbps > m.resources()[r].capacity_mbps * (1 + 1e-9) + kTol) {
        out.push_back(absl::StrFormat("t=%.3f: %s carries %.1f Mb/s, more than its %.1f Mb/s", t,
                                      m.resources()[r].label, mbps,
                                      m.resources()[r].capacity_mbps));
      }
    }
  }
  return out;
}

std::vector<std::string> CheckConvergence(const model::ClusterModel& m,
                                          const v1::EvacuationRequest& request,
                                          const v1::Plan& plan) {
  std::vector<std::string> out;
  predict::PredictorConfig config;
  config.downtime_ms = request.downtime_ms() > 0 ? request.downtime_ms() : 300;
  for (const auto& mig : plan.migrations()) {
    // Migrations coordinated with their app follow COMMA's model (comma_test checks it).
    if (mig.mode() != "pre-copy" || !mig.coordinated_app().empty()) continue;
    const auto& vm = m.vms()[*m.FindVm(mig.vm())];
    predict::MigrationProfile profile{vm.used_mib, vm.dirty_mibps,      vm.wws_mib,
                                      vm.disk_mib, vm.disk_dirty_mibps, vm.disk_wws_mib};
    auto p = predict::PredictPreCopy(profile, MbpsToMibps(mig.bandwidth_mbps()), config);
    if (!p.converges) {
      out.push_back(absl::StrFormat("%s: pre-copy at %.1f Mb/s does not converge", mig.vm(),
                                    mig.bandwidth_mbps()));
    }
    if (std::abs((mig.end_s() - mig.start_s()) - p.total_s) > 1e-6 * (1 + p.total_s)) {
      out.push_back(absl::StrFormat("%s: lasts %.3f s, the predictor says %.3f s", mig.vm(),
                                    mig.end_s() - mig.start_s(), p.total_s));
    }
  }
  return out;
}

std::vector<std::string> CheckPlacement(const model::ClusterModel& m,
                                        const v1::EvacuationRequest& request,
                                        const v1::Plan& plan) {
  std::vector<std::string> out;
  const auto evacuated = Evacuated(request);
  const std::set<std::string> allowed(request.to().begin(), request.to().end());
  std::map<std::string, int> moves;
  std::vector<int> where(m.vms().size());
  for (std::size_t v = 0; v < m.vms().size(); ++v) where[v] = m.vms()[v].host;
  for (const auto& mig : plan.migrations()) {
    ++moves[mig.vm()];
    const int v = *m.FindVm(mig.vm());
    if (m.hosts()[where[v]].name != mig.from()) out.push_back(mig.vm() + ": wrong source");
    if (evacuated.contains(mig.to())) out.push_back(mig.vm() + ": moved to an evacuated host");
    where[v] = *m.FindHost(mig.to());
  }
  std::map<std::string, std::string> explicit_to;
  for (const auto& mv : request.moves()) explicit_to[mv.vm()] = mv.to();
  for (const auto& vm : m.vms()) {
    const bool must =
        evacuated.contains(m.hosts()[vm.host].name) ||
        (explicit_to.contains(vm.name) && explicit_to[vm.name] != m.hosts()[vm.host].name);
    const int n = moves[vm.name];
    if (must && n != 1) out.push_back(absl::StrFormat("%s moves %d times, not once", vm.name, n));
    if (!must && n != 0) out.push_back(vm.name + " moves but did not have to");
    if (n == 1 && explicit_to.contains(vm.name) &&
        m.hosts()[where[*m.FindVm(vm.name)]].name != explicit_to[vm.name]) {
      out.push_back(vm.name + ": not moved where the request said");
    }
    if (n == 1 && !explicit_to.contains(vm.name) && !allowed.empty() &&
        !allowed.contains(m.hosts()[where[*m.FindVm(vm.name)]].name)) {
      out.push_back(vm.name + ": moved to a host not in 'to'");
    }
  }
  std::vector<double> vcpus(m.hosts().size(), 0), memory(m.hosts().size(), 0);
  for (std::size_t v = 0; v < m.vms().size(); ++v) {
    vcpus[where[v]] += m.vms()[v].vcpus;
    memory[where[v]] += m.vms()[v].memory_mib;
  }
  for (std::size_t h = 0; h < m.hosts().size(); ++h) {
    if (vcpus[h] > m.hosts()[h].vcpu_capacity + kTol ||
        memory[h] > m.hosts()[h].memory_mib + kTol) {
      // Only a host that receives VMs is the plan's doing.
      bool receives = false;
      for (const auto& mig : plan.migrations()) receives |= mig.to() == m.hosts()[h].name;
      if (receives) out.push_back(m.hosts()[h].name + ": holds more than it has room for");
    }
  }
  return out;
}

std::vector<std::string> CheckPowerAndCaps(const model::ClusterModel& m,
                                           const v1::EvacuationRequest& request,
                                           const v1::Plan& plan) {
  std::vector<std::string> out;
  const auto evacuated = Evacuated(request);
  const std::size_t n = m.hosts().size();
  std::vector<double> before(n, 0), after(n, 0);
  for (const auto& vm : m.vms()) before[vm.host] += vm.vcpus, after[vm.host] += vm.vcpus;
  for (const auto& mig : plan.migrations()) {
    const int vcpus = m.vms()[*m.FindVm(mig.vm())].vcpus;
    after[*m.FindHost(mig.from())] -= vcpus;
    after[*m.FindHost(mig.to())] += vcpus;
  }
  // Instants at which something changes, and each host's state as a function of time.
  std::set<double> instants{0};
  std::vector<const v1::PowerAction*> boot(n, nullptr), shutdown(n, nullptr);
  for (const auto& a : plan.power()) {
    const int h = *m.FindHost(a.host());
    instants.insert(a.start_s());
    instants.insert(a.end_s());
    if (a.action() == "boot") {
      if (m.hosts()[h].online) out.push_back(a.host() + ": boots but is on already");
      boot[h] = &a;
    } else {
      if (!evacuated.contains(a.host())) out.push_back(a.host() + ": shut down, not evacuated");
      shutdown[h] = &a;
    }
  }
  for (const auto& mig : plan.migrations()) {
    const int dst = *m.FindHost(mig.to());
    const int src = *m.FindHost(mig.from());
    if (!m.hosts()[dst].online &&
        (boot[dst] == nullptr || boot[dst]->end_s() > mig.start_s() + kTol)) {
      out.push_back(mig.vm() + ": starts before its destination " + mig.to() + " is up");
    }
    if (shutdown[src] != nullptr && shutdown[src]->start_s() < mig.end_s() - kTol) {
      out.push_back(mig.from() + ": shuts down before " + mig.vm() + " has left");
    }
  }
  for (double t : instants) {
    // State just after t.
    const double at = t + 1e-7;
    int online = 0;
    double watts = 0;
    for (std::size_t h = 0; h < n; ++h) {
      const auto& host = m.hosts()[h];
      const double util = host.vcpu_capacity > 0
                              ? std::min(1.0, std::max(before[h], after[h]) / host.vcpu_capacity)
                              : 0;
      const double steady = host.idle_w + (host.max_w - host.idle_w) * util;
      bool on = host.online;
      double draw = on ? steady : 0;
      if (boot[h] && at >= boot[h]->start_s()) {
        on = true;
        draw = at < boot[h]->end_s() ? std::max(host.boot_w, steady) : steady;
      }
      if (shutdown[h] && at >= shutdown[h]->start_s()) {
        on = at < shutdown[h]->end_s();
        draw = on ? std::min(host.idle_w, steady) : 0;
      }
      online += on ? 1 : 0;
      watts += draw;
    }
    if (request.max_online_hosts() > 0 && online > static_cast<int>(request.max_online_hosts())) {
      out.push_back(absl::StrFormat("t=%.1f: %d hosts online, cap %d", t, online,
                                    request.max_online_hosts()));
    }
    if (request.power_budget_w() > 0 && watts > request.power_budget_w() + kTol) {
      out.push_back(
          absl::StrFormat("t=%.1f: %.0f W, budget %.0f W", t, watts, request.power_budget_w()));
    }
  }
  return out;
}

std::vector<std::string> CheckPlan(const model::ClusterModel& m,
                                   const v1::EvacuationRequest& request, const v1::Plan& plan) {
  std::vector<std::string> all;
  for (auto part : {CheckBandwidth(m, plan), CheckConvergence(m, request, plan),
                    CheckPlacement(m, request, plan), CheckPowerAndCaps(m, request, plan)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

}  // namespace convoy::testing
