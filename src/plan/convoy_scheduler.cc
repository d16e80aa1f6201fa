// The convoy strategy's scheduler: an event-driven list scheduler.
//
// Migrations are taken in priority order (sources with the most work first, then the longest
// migration first). One starts when its destination is online and every resource on its path
// (source NIC, aggregate members, destination NIC) has at least `need` bandwidth left, where
// need = max(min_share * the path's capacity, what its pre-copy needs to converge); it then
// takes all the bandwidth left on its bottleneck for its whole duration. A migration that cannot
// start waits on the resource that blocked it and is retried only when that resource frees up,
// so planning costs O(events * path length), not O(events * migrations).
//
// Boots start as early as the online-host and power caps allow, in the order their hosts are
// first needed; a source host shuts down when its last VM has left.
#include <algorithm>
#include <cmath>
#include <queue>
#include <tuple>

#include "absl/strings/str_format.h"
#include "src/plan/host_power.h"
#include "src/plan/mode_choice.h"
#include "src/plan/schedule.h"

namespace convoy::plan {
namespace {

constexpr double kEps = 1e-6;

enum class EventKind { kMigrationEnd, kBootEnd, kShutdownEnd };

struct Event {
  double t;
  EventKind kind;
  int id;  // migration index in schedule, or host
  bool operator>(const Event& o) const {
    return std::tie(t, kind, id) > std::tie(o.t, o.kind, o.id);
  }
};

class ConvoyScheduler {
 public:
  ConvoyScheduler(const Problem& p, double min_share)
      : p_(p), m_(*p.model), min_share_(min_share), power_(p) {}

  Schedule Run() {
    schedule_.strategy = "convoy";
    Init();
    // t = 0: power actions first (boots, shutdowns of hosts with nothing to move), then every
    // migration in priority order.
    StartShutdowns(0);
    StartBoots(0);
    TryStart(order_, 0);
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
      std::sort(woken.begin(), woken.end(), [&](int a, int b) { return rank_[a] < rank_[b]; });
      woken.erase(std::unique(woken.begin(), woken.end()), woken.end());
      TryStart(woken, t);
    }
    ReportStuck();
    return std::move(schedule_);
  }

 private:
  void Init() {
    const std::size_t hosts = m_.hosts().size();
    residual_ = p_.capacity_mbps;
    waiters_.assign(residual_.size(), {});
    boot_waiters_.assign(hosts, {});
    ready_.assign(hosts, false);
    remaining_out_.assign(hosts, 0);
    shut_.assign(hosts, false);
    online_ = 0;
    power_w_ = 0;
    for (std::size_t h = 0; h < hosts; ++h) {
      ready_[h] = m_.hosts()[h].online;
      if (m_.hosts()[h].online) {
        ++online_;
        power_w_ += power_.SteadyW(static_cast<int>(h));
      }
    }
    std::vector<double> work_s(hosts, 0);
    for (std::size_t i = 0; i < p_.movers.size(); ++i) {
      const Mover& mv = p_.movers[i];
      if (mv.dst < 0 || mv.resources.empty()) continue;
      order_.push_back(static_cast<int>(i));
      ++remaining_out_[mv.src];
      work_s[mv.src] += Work(mv);
    }
    std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) {
      const Mover& x = p_.movers[a];
      const Mover& y = p_.movers[b];
      if (work_s[x.src] != work_s[y.src]) return work_s[x.src] > work_s[y.src];
      if (x.src != y.src) return x.src < y.src;
      return Work(x) > Work(y);
    });
    rank_.assign(p_.movers.size(), 0);
    for (std::size_t i = 0; i < order_.size(); ++i) rank_[order_[i]] = static_cast<int>(i);
    // Boots in the order their hosts are first needed.
    std::vector<bool> queued(hosts, false);
    for (int i : order_) {
      const int dst = p_.movers[i].dst;
      if (p_.needs_boot[dst] && !queued[dst]) {
        queued[dst] = true;
        boot_queue_.push_back(dst);
      }
    }
  }

  static double Work(const Mover& mv) { return mv.profile.used_mib / std::max(mv.path_mbps, 1e-9); }

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
      case EventKind::kMigrationEnd: {
        const ScheduledMigration& sm = schedule_.migrations[e.id];
        const Mover& mv = p_.movers[sm.mover];
        for (int r : mv.resources) {
          residual_[r] += sm.bandwidth_mbps;
          woken->insert(woken->end(), waiters_[r].begin(), waiters_[r].end());
          waiters_[r].clear();
        }
        --remaining_out_[mv.src];
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

  void TryStart(const std::vector<int>& movers, double t) {
    bool started_any = false;
    for (int i : movers) {
      const Mover& mv = p_.movers[i];
      if (!ready_[mv.dst]) {
        boot_waiters_[mv.dst].push_back(i);
        continue;
      }
      const double need = std::max(min_share_ * mv.path_mbps, RequiredMbps(p_, mv));
      int bottleneck = mv.resources.front();
      for (int r : mv.resources) {
        if (residual_[r] < residual_[bottleneck]) bottleneck = r;
      }
      const double avail = residual_[bottleneck];
      if (avail + kEps < need || avail <= kEps) {
        waiters_[bottleneck].push_back(i);
        continue;
      }
      if (!started_any) {
        ++group_;
        started_any = true;
      }
      ModeChoice choice = ChooseMode(p_, mv, avail);
      ScheduledMigration sm;
      sm.mover = i;
      sm.mode = choice.mode;
      sm.group = group_ - 1;
      sm.start_s = t;
      sm.end_s = t + choice.prediction.total_s;
      sm.bandwidth_mbps = avail;
      sm.prediction = choice.prediction;
      sm.note = choice.note;
      for (int r : mv.resources) residual_[r] -= avail;
      events_.push(
          {sm.end_s, EventKind::kMigrationEnd, static_cast<int>(schedule_.migrations.size())});
      schedule_.migrations.push_back(std::move(sm));
    }
  }

  void ReportStuck() {
    if (schedule_.migrations.size() == order_.size()) return;
    int waiting_boot = 0;
    for (std::size_t h = next_boot_; h < boot_queue_.size(); ++h) ++waiting_boot;
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
                                                  order_.size() - schedule_.migrations.size()));
    }
  }

  const Problem& p_;
  const model::ClusterModel& m_;
  const double min_share_;
  HostPower power_;
  Schedule schedule_;
  std::vector<double> residual_;
  std::vector<std::vector<int>> waiters_;
  std::vector<std::vector<int>> boot_waiters_;
  std::vector<bool> ready_;
  std::vector<int> remaining_out_;
  std::vector<bool> shut_;
  std::vector<int> order_;
  std::vector<int> rank_;
  std::vector<int> boot_queue_;
  std::size_t next_boot_ = 0;
  int online_ = 0;
  double power_w_ = 0;
  int group_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
};

}  // namespace

Schedule ScheduleConvoy(const Problem& problem, double min_share) {
  return ConvoyScheduler(problem, min_share).Run();
}

}  // namespace convoy::plan
