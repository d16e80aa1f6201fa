// The convoy strategy's scheduler: an event-driven list scheduler over units of work.
//
// A unit is one migration, or (with COMMA on) every moving VM of an app whose VMs talk, planned
// together by COMMA (src/plan/comma.h) and run as one block that holds the app's bottleneck
// bandwidth on every resource its flows cross. Units are taken in priority order: apps first,
// then sources with the most work first, each source's VMs in SOLive's order (or longest
// first). A unit starts when its destinations are online and every resource on its path has at
// least `need` bandwidth left: for one migration max(min_share * the path's capacity, what its
// pre-copy needs to converge), and it then takes all that is left on its bottleneck; for an app,
// its whole bottleneck bandwidth. A unit that cannot start waits on the resource (or boot) that
// blocked it and is retried only when that frees up, so planning costs O(events * path length).
//
// Boots start as early as the online-host and power caps allow, in the order their hosts are
// first needed; a source host shuts down when its last VM has left.
#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <set>
#include <tuple>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "convoy/common/units.h"
#include "src/plan/comma.h"
#include "src/plan/host_power.h"
#include "src/plan/mode_choice.h"
#include "src/plan/schedule.h"
#include "src/plan/solive_order.h"

namespace convoy::plan {
namespace {

constexpr double kEps = 1e-6;

enum class EventKind { kUnitEnd, kBootEnd, kShutdownEnd };

struct Event {
  double t;
  EventKind kind;
  int id;  // unit, or host
  bool operator>(const Event& o) const {
    return std::tie(t, kind, id) > std::tie(o.t, o.kind, o.id);
  }
};

struct Unit {
  std::vector<int> movers;
  std::vector<int> resources;  // union of the movers' paths
  std::vector<int> destinations;
  double work_s = 0;  // for priority
  // An app planned by COMMA.
  bool app = false;
  std::string app_name;
  double app_mbps = 0;
  comma::CommaApp comma_app;
  comma::CommaSchedule comma;
  std::vector<double> bulk_mib;  // per member, stage 1
  // What an app holds on each of its resources (its share of the app's bandwidth), by
  // position in `resources`; singles hold their bandwidth on every resource.
  std::vector<double> app_hold_mbps;
  // While running.
  std::vector<double> held_mbps;
};

class ConvoyScheduler {
 public:
  ConvoyScheduler(const Problem& p, const ScheduleSettings& settings)
      : p_(p), m_(*p.model), settings_(settings), power_(p) {}

  Schedule Run() {
    schedule_.strategy = settings_.strategy;
    Init();
    std::vector<int> all(units_.size());
    for (std::size_t i = 0; i < units_.size(); ++i) all[i] = static_cast<int>(i);
    StartShutdowns(0);
    StartBoots(0);
    TryStart(all, 0);
    while (!events_.empty()) {
      const double t = events_.top().t;
      std::vector<int> woken;
      while (!events_.empty() && events_.top().t <= t + kEps) {
        Event e = events_.top();
        events_.pop();
        Apply(e, &woken);
      }
      StartShutdowns(t);
      StartBoots(t);
      std::sort(woken.begin(), woken.end());
      woken.erase(std::unique(woken.begin(), woken.end()), woken.end());
      TryStart(woken, t);
    }
    ReportStuck();
    return std::move(schedule_);
  }

 private:
  static double Work(const Mover& mv) { return mv.profile.used_mib / std::max(mv.path_mbps, 1e-9); }

  bool Placed(const Mover& mv) const { return mv.dst >= 0 && !mv.resources.empty(); }

  // Apps whose moving VMs talk to each other, by app index: their movers.
  std::map<int, std::vector<int>> CoupledApps() const {
    std::map<int, std::vector<int>> apps;
    if (settings_.comma == ScheduleSettings::Comma::kOff) return apps;
    std::vector<int> mover_of(m_.vms().size(), -1);
    for (std::size_t i = 0; i < p_.movers.size(); ++i) {
      if (Placed(p_.movers[i])) mover_of[p_.movers[i].vm] = static_cast<int>(i);
    }
    std::set<int> coupled;
    for (const auto& t : m_.traffic()) {
      if (t.kbps > 0 && mover_of[t.vm_a] >= 0 && mover_of[t.vm_b] >= 0) {
        coupled.insert(m_.vms()[t.vm_a].app);
      }
    }
    for (std::size_t i = 0; i < p_.movers.size(); ++i) {
      const int app = m_.vms()[p_.movers[i].vm].app;
      if (Placed(p_.movers[i]) && app >= 0 && coupled.contains(app)) {
        apps[app].push_back(static_cast<int>(i));
      }
    }
    return apps;
  }

  Unit MakeAppUnit(int app, const std::vector<int>& movers) {
    Unit u;
    u.app = true;
    u.app_name = m_.apps()[app];
    u.movers = movers;
    std::set<int> resources, destinations;
    for (int i : movers) {
      resources.insert(p_.movers[i].resources.begin(), p_.movers[i].resources.end());
      destinations.insert(p_.movers[i].dst);
    }
    u.resources.assign(resources.begin(), resources.end());
    u.destinations.assign(destinations.begin(), destinations.end());
    comma::CommaApp ca;
    ca.headroom = p_.options.convergence_margin;
    std::map<int, int> index;  // vm -> position
    for (int i : movers) {
      const auto& vm = m_.vms()[p_.movers[i].vm];
      index[p_.movers[i].vm] = static_cast<int>(ca.vms.size());
      comma::CommaVm cv;
      cv.name = vm.name;
      const bool disk = vm.disk_mib > 0;
      cv.bulk_mib = disk ? vm.disk_mib : vm.used_mib;
      cv.memory_mib = disk ? vm.used_mib : 0;
      cv.max_dirty_mibps = vm.dirty_mibps + vm.disk_dirty_mibps;
      cv.dirty_set_bound_mib = disk ? vm.disk_wws_mib + vm.wws_mib : vm.wws_mib;
      ca.vms.push_back(cv);
      u.bulk_mib.push_back(cv.bulk_mib);
    }
    // COMMA treats the app's migrations as sharing one bandwidth. Stage 1 gives each a share in
    // proportion to its bulk (eq. 2), so the app may have as much as keeps every resource's
    // part, sum of its flows' bulk shares, within the resource's capacity: one host's NIC when
    // all the app sits there, the slow link when the app is spread over several hosts.
    double total_bulk = 0;
    for (double b : u.bulk_mib) total_bulk += b;
    std::map<int, double> bulk_on;  // resource -> bulk of the flows crossing it
    for (std::size_t k = 0; k < movers.size(); ++k) {
      for (int r : p_.movers[movers[k]].resources) bulk_on[r] += u.bulk_mib[k];
    }
    u.app_mbps = std::numeric_limits<double>::infinity();
    for (const auto& [r, bulk] : bulk_on) {
      if (bulk > 0) u.app_mbps = std::min(u.app_mbps, p_.capacity_mbps[r] * total_bulk / bulk);
    }
    for (int r : u.resources) {
      u.app_hold_mbps.push_back(total_bulk > 0 ? u.app_mbps * bulk_on[r] / total_bulk : u.app_mbps);
    }
    ca.bandwidth_mibps = MbpsToMibps(u.app_mbps);
    ca.traffic_kbps.assign(ca.vms.size(), std::vector<double>(ca.vms.size(), 0));
    for (const auto& t : m_.traffic()) {
      auto a = index.find(t.vm_a), b = index.find(t.vm_b);
      if (a == index.end() || b == index.end()) continue;
      ca.traffic_kbps[a->second][b->second] += t.kbps;
      ca.traffic_kbps[b->second][a->second] += t.kbps;
    }
    const bool exact = settings_.comma == ScheduleSettings::Comma::kExact ||
                       (settings_.comma == ScheduleSettings::Comma::kAuto &&
                        static_cast<int>(ca.vms.size()) <= kExactCommaVms);
    u.comma = exact ? comma::ScheduleExact(ca) : comma::ScheduleHeuristic(ca);
    u.comma_app = ca;
    u.work_s = u.comma.makespan_s;
    for (const auto& note : u.comma.notes) {
      schedule_.notes.push_back(absl::StrFormat("app %s: %s", u.app_name, note));
    }
    schedule_.notes.push_back(absl::StrFormat(
        "app %s: %d VMs coordinated by COMMA (%s) over %.0f Mb/s in %d groups, predicted impact "
        "%.2f MB",
        u.app_name, static_cast<int>(movers.size()), exact ? "exact" : "heuristic", u.app_mbps,
        static_cast<int>(u.comma.groups.size()), u.comma.impact_mb));
    return u;
  }

  void Init() {
    const std::size_t hosts = m_.hosts().size();
    residual_ = p_.capacity_mbps;
    waiters_.assign(residual_.size(), {});
    boot_waiters_.assign(hosts, {});
    ready_.assign(hosts, false);
    remaining_out_.assign(hosts, 0);
    shut_.assign(hosts, false);
    for (std::size_t h = 0; h < hosts; ++h) {
      ready_[h] = m_.hosts()[h].online;
      if (m_.hosts()[h].online) {
        ++online_;
        power_w_ += power_.SteadyW(static_cast<int>(h));
      }
    }
    // Apps first: their units are long and must hold their bandwidth together.
    std::vector<bool> in_app(p_.movers.size(), false);
    for (const auto& [app, movers] : CoupledApps()) {
      for (int i : movers) in_app[i] = true;
      units_.push_back(MakeAppUnit(app, movers));
    }
    // Then single migrations, source by source.
    std::map<int, std::vector<int>> by_source;
    std::vector<double> work_s(hosts, 0);
    for (std::size_t i = 0; i < p_.movers.size(); ++i) {
      const Mover& mv = p_.movers[i];
      if (!Placed(mv)) continue;
      ++remaining_out_[mv.src];
      if (in_app[i]) continue;
      by_source[mv.src].push_back(static_cast<int>(i));
      work_s[mv.src] += Work(mv);
    }
    std::vector<int> sources;
    for (const auto& [src, movers] : by_source) sources.push_back(src);
    std::stable_sort(sources.begin(), sources.end(),
                     [&](int a, int b) { return work_s[a] > work_s[b]; });
    for (int src : sources) {
      for (int i : OrderSource(src, by_source[src], in_app)) {
        Unit u;
        u.movers = {i};
        u.resources = p_.movers[i].resources;
        u.destinations = {p_.movers[i].dst};
        u.work_s = Work(p_.movers[i]);
        units_.push_back(std::move(u));
      }
    }
    // Boots in the order their hosts are first needed.
    std::vector<bool> queued(hosts, false);
    for (const Unit& u : units_) {
      for (int dst : u.destinations) {
        if (p_.needs_boot[dst] && !queued[dst]) {
          queued[dst] = true;
          boot_queue_.push_back(dst);
        }
      }
    }
  }

  // The order in which `movers` leave `src`: SOLive's, or the longest first.
  std::vector<int> OrderSource(int src, std::vector<int> movers, const std::vector<bool>& in_app) {
    if (!settings_.solive_order) {
      std::stable_sort(movers.begin(), movers.end(),
                       [&](int a, int b) { return Work(p_.movers[a]) > Work(p_.movers[b]); });
      return movers;
    }
    std::vector<SoliveVm> vms;
    for (int i : movers) {
      const auto& vm = m_.vms()[p_.movers[i].vm];
      vms.push_back({i, vm.used_mib, vm.net_out_mbps, vm.net_in_mbps, vm.dirty_mibps});
    }
    const SoliveMode mode = p_.mode == ModeRequest::kPreCopy || p_.mode == ModeRequest::kAuto
                                ? SoliveMode::kPreCopy
                                : SoliveMode::kPostCopy;
    SoliveOrder order = OrderForEviction(vms, mode);
    std::vector<std::string> names;
    for (int i : order.ids) names.push_back(m_.vms()[p_.movers[i].vm].name);
    std::vector<std::string> coupled;
    for (std::size_t i = 0; i < p_.movers.size(); ++i) {
      if (in_app[i] && p_.movers[i].src == src) coupled.push_back(m_.vms()[p_.movers[i].vm].name);
    }
    schedule_.notes.push_back(absl::StrFormat(
        "host %s empties in SOLive's %s order: %s%s", m_.hosts()[src].name,
        mode == SoliveMode::kPreCopy ? "pre-copy" : "post-copy", absl::StrJoin(names, ", "),
        coupled.empty() ? ""
                        : absl::StrFormat("; %s move with their app (COMMA wins over SOLive's "
                                          "order: the app's VMs must finish together)",
                                          absl::StrJoin(coupled, ", "))));
    return order.ids;
  }

  void StartBoots(double t) {
    while (next_boot_ < boot_queue_.size()) {
      const int h = boot_queue_[next_boot_];
      if (p_.max_online_hosts > 0 && online_ + 1 > p_.max_online_hosts) return;
      const double boot_w = power_.BootW(h);
      if (p_.power_budget_w > 0 && power_w_ + boot_w > p_.power_budget_w + kEps) return;
      ++online_;
      power_w_ += boot_w;
      const double end = t + m_.hosts()[h].boot_s;
      schedule_.power.push_back({h, true, t, end});
      events_.push({end, EventKind::kBootEnd, h});
      ++next_boot_;
    }
  }

  void StartShutdowns(double t) {
    if (!p_.power_off) return;
    for (int h : p_.evacuation_order) {
      if (shut_[h] || remaining_out_[h] > 0 || !m_.hosts()[h].online) continue;
      shut_[h] = true;
      power_w_ += power_.ShutdownW(h) - power_.SteadyW(h);
      const double end = t + m_.hosts()[h].shutdown_s;
      schedule_.power.push_back({h, false, t, end});
      events_.push({end, EventKind::kShutdownEnd, h});
    }
  }

  void Apply(const Event& e, std::vector<int>* woken) {
    switch (e.kind) {
      case EventKind::kUnitEnd: {
        Unit& u = units_[e.id];
        for (std::size_t k = 0; k < u.resources.size(); ++k) {
          const int r = u.resources[k];
          residual_[r] += u.held_mbps[k];
          woken->insert(woken->end(), waiters_[r].begin(), waiters_[r].end());
          waiters_[r].clear();
        }
        for (int i : u.movers) --remaining_out_[p_.movers[i].src];
        return;
      }
      case EventKind::kBootEnd:
        ready_[e.id] = true;
        power_w_ += power_.SteadyW(e.id) - power_.BootW(e.id);
        woken->insert(woken->end(), boot_waiters_[e.id].begin(), boot_waiters_[e.id].end());
        boot_waiters_[e.id].clear();
        return;
      case EventKind::kShutdownEnd:
        --online_;
        power_w_ -= power_.ShutdownW(e.id);
        return;
    }
  }

  // The bandwidth a unit may start with now, or -1 (having queued it as a waiter).
  double Admit(int id) {
    Unit& u = units_[id];
    for (int dst : u.destinations) {
      if (!ready_[dst]) {
        boot_waiters_[dst].push_back(id);
        return -1;
      }
    }
    if (u.app) {
      for (std::size_t k = 0; k < u.resources.size(); ++k) {
        const int r = u.resources[k];
        if (residual_[r] + kEps < u.app_hold_mbps[k]) {
          waiters_[r].push_back(id);
          return -1;
        }
      }
      return u.app_mbps;
    }
    int bottleneck = u.resources.front();
    for (int r : u.resources) {
      if (residual_[r] < residual_[bottleneck]) bottleneck = r;
    }
    const double avail = residual_[bottleneck];
    const Mover& mv = p_.movers[u.movers[0]];
    const double need = std::max(settings_.min_share * mv.path_mbps, RequiredMbps(p_, mv));
    if (avail + kEps < need || avail <= kEps) {
      waiters_[bottleneck].push_back(id);
      return -1;
    }
    return avail;
  }

  void StartSingle(Unit& u, double mbps, double t) {
    schedule_.migrations.push_back(PlanMigration(p_, u.movers[0], t, mbps, group_ - 1));
  }

  void StartApp(Unit& u, double t) {
    double total_bulk = 0;
    for (double b : u.bulk_mib) total_bulk += b;
    std::vector<int> group_of(u.movers.size(), 0);
    for (std::size_t g = 0; g < u.comma.groups.size(); ++g) {
      for (int member : u.comma.groups[g]) group_of[member] = static_cast<int>(g);
    }
    for (std::size_t k = 0; k < u.movers.size(); ++k) {
      const auto& timing = u.comma.vms[k];
      ScheduledMigration sm;
      sm.mover = u.movers[k];
      sm.mode = timing.postcopy ? "post-copy" : "pre-copy";
      sm.group = group_ - 1 + group_of[k];
      sm.start_s = t;
      sm.end_s = t + timing.finish_s;
      // Stage 1 shares the app's bandwidth in proportion to size (eq. 2).
      sm.bandwidth_mbps = total_bulk > 0 ? u.app_mbps * u.bulk_mib[k] / total_bulk : u.app_mbps;
      sm.prediction.converges = true;
      sm.prediction.total_s = timing.finish_s;
      sm.prediction.downtime_ms = p_.predictor.switchover_ms;
      sm.prediction.rounds = 2;  // the bulk copy, then the dirty iteration
      // The bulk, what stage 1 left dirty (and the memory, after a disk), and what was dirtied
      // again during the dirty iteration.
      const auto& cv = u.comma_app.vms[k];
      sm.prediction.sent_mib =
          cv.bulk_mib + cv.memory_mib +
          std::min(cv.max_dirty_mibps * u.comma.stage1_end_s, cv.dirty_set_bound_mib) +
          (timing.postcopy ? 0 : cv.max_dirty_mibps * (timing.finish_s - timing.stage2_start_s));
      sm.execution_transfer_s = timing.postcopy
                                    ? timing.stage2_start_s + p_.predictor.switchover_ms / 1000.0
                                    : timing.finish_s;
      sm.coordinated_app = u.app_name;
      sm.note = absl::StrFormat(
          "COMMA group %d of app %s: bulk at %.0f Mb/s (eq. 2) until %.1f s, dirty iteration from "
          "%.1f s, all of the group finish at %.1f s%s",
          group_of[k], u.app_name, sm.bandwidth_mbps, t + u.comma.stage1_end_s,
          t + timing.stage2_start_s, sm.end_s,
          timing.postcopy ? "; post-copy: cannot converge alone" : "");
      schedule_.migrations.push_back(std::move(sm));
    }
    group_ += static_cast<int>(u.comma.groups.size()) - 1;
  }

  void TryStart(const std::vector<int>& ids, double t) {
    bool started_any = false;
    for (int id : ids) {
      const double mbps = Admit(id);
      if (mbps < 0) continue;
      if (!started_any) {
        ++group_;
        started_any = true;
      }
      Unit& u = units_[id];
      u.held_mbps = u.app ? u.app_hold_mbps : std::vector<double>(u.resources.size(), mbps);
      for (std::size_t k = 0; k < u.resources.size(); ++k) {
        residual_[u.resources[k]] -= u.held_mbps[k];
      }
      double end = t;
      if (u.app) {
        StartApp(u, t);
        end = t + u.comma.makespan_s;
      } else {
        StartSingle(u, mbps, t);
        end = schedule_.migrations.back().end_s;
      }
      ++started_;
      events_.push({end, EventKind::kUnitEnd, id});
    }
  }

  void ReportStuck() {
    if (started_ == static_cast<int>(units_.size())) return;
    const int waiting_boot = static_cast<int>(boot_queue_.size() - next_boot_);
    if (waiting_boot > 0) {
      schedule_.reasons.push_back(absl::StrFormat(
          "%d destination hosts could never boot: the cap of %s leaves no room while the hosts "
          "to evacuate are still on (raise max_online_hosts or power_budget_w, or name online "
          "destinations with 'to')",
          waiting_boot,
          p_.max_online_hosts > 0 && online_ + 1 > p_.max_online_hosts
              ? absl::StrFormat("%d online hosts", p_.max_online_hosts)
              : absl::StrFormat("%.0f W", p_.power_budget_w)));
    } else {
      schedule_.reasons.push_back(absl::StrFormat("%d migrations could not be scheduled",
                                                  static_cast<int>(units_.size()) - started_));
    }
  }

  const Problem& p_;
  const model::ClusterModel& m_;
  const ScheduleSettings settings_;
  HostPower power_;
  Schedule schedule_;
  std::vector<Unit> units_;
  int started_ = 0;
  std::vector<double> residual_;
  std::vector<std::vector<int>> waiters_;
  std::vector<std::vector<int>> boot_waiters_;
  std::vector<bool> ready_;
  std::vector<int> remaining_out_;
  std::vector<bool> shut_;
  std::vector<int> boot_queue_;
  std::size_t next_boot_ = 0;
  int online_ = 0;
  double power_w_ = 0;
  int group_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
};

}  // namespace

Schedule ScheduleConvoy(const Problem& problem, const ScheduleSettings& settings) {
  return ConvoyScheduler(problem, settings).Run();
}

}  // namespace convoy::plan
