#include "controller/measured_plan.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "convoy/common/units.h"

namespace convoy::controller {

v1::Plan MeasuredPlan(const v1::Operation& op) {
  v1::Plan out;
  out.set_strategy(op.plan().strategy());
  out.set_feasible(op.state() == "succeeded");
  const double t0 = op.started_unix_s();
  std::map<std::string, double> finish_s;
  double sum = 0, sum_sq = 0, makespan = 0, sent = 0;
  int n = 0;
  for (const auto& a : op.actions()) {
    if (a.started_unix_s() <= 0 || a.finished_unix_s() <= 0) continue;
    const double start = a.started_unix_s() - t0;
    const double end = a.finished_unix_s() - t0;
    makespan = std::max(makespan, end);
    if (a.kind() != "migrate") {
      v1::PowerAction* p = out.add_power();
      p->set_host(a.host());
      p->set_action(a.kind());
      p->set_start_s(start);
      p->set_end_s(end);
      continue;
    }
    if (a.state() != "done") continue;
    v1::Migration* m = out.add_migrations();
    *m = a.planned();
    m->set_start_s(start);
    m->set_end_s(end);
    const auto& p = a.progress();
    const double duration = end - start;
    m->set_bandwidth_mbps(duration > 0 ? MibpsToMbps(p.data_processed_mib() / duration) : 0);
    m->set_sent_mib(p.data_processed_mib());
    m->set_downtime_ms(p.downtime_ms());
    m->set_rounds(std::max<uint32_t>(p.iteration(), 1));
    m->set_converges(true);
    m->set_note("");
    sum += duration;
    sum_sq += duration * duration;
    sent += p.data_processed_mib();
    ++n;
    finish_s[a.vm()] = end;
    // A staged migration left its source when the last byte was in Redis.
    const bool staged = p.staging().evicted();
    if (staged) m->set_eviction_s(p.staging().evicted_at_unix_s() - t0);
    auto& eviction = (*out.mutable_eviction_s())[a.host()];
    eviction = std::max(eviction, staged ? m->eviction_s() : end);
  }
  out.set_makespan_s(makespan);
  out.set_total_sent_mib(sent);
  if (n > 0) {
    const double mean = sum / n;
    out.set_mean_migration_s(mean);
    out.set_stddev_migration_s(std::sqrt(std::max(0.0, sum_sq / n - mean * mean)));
  }
  double impact = 0;
  for (const auto& app : op.request().apps()) {
    for (const auto& t : app.traffic()) {
      auto a = finish_s.find(t.a());
      auto b = finish_s.find(t.b());
      if (a == finish_s.end() || b == finish_s.end()) continue;
      impact += KbpsSecondsToMb(t.kbps(), std::abs(a->second - b->second));
    }
  }
  out.set_impact_mb(impact);
  return out;
}

}  // namespace convoy::controller
