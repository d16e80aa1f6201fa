#include "src/sim/dispatcher.h"

#include <simgrid/plugins/energy.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "convoy/common/units.h"
#include "src/sim/migration.h"

namespace convoy::sim {
namespace sg4 = simgrid::s4u;

namespace {

double Now() { return sg4::Engine::get_clock(); }

}  // namespace

Dispatcher::Dispatcher(RunContext* ctx, const StrategyRun& run)
    : ctx_(ctx),
      run_(run),
      actions_(controller::BuildActions(run.plan)),
      admission_(run.policy, ctx->model()) {
  const auto& model = ctx->model();
  std::map<std::string, double> power_start;
  for (const auto& p : run.plan.power()) power_start[p.action() + ":" + p.host()] = p.start_s();
  info_.resize(actions_.size());
  in_view_.assign(actions_.size(), 0);
  for (int i = 0; i < actions_.size(); ++i) {
    const v1::Action& a = actions_[i];
    index_[a.id()] = i;
    Info& info = info_[i];
    info.host = *model.FindHost(a.host());
    if (a.kind() == "migrate") {
      info.kind = Kind::kMigrate;
      info.to = *model.FindHost(a.to());
      info.vm = *model.FindVm(a.vm());
      info.planned_start_s = a.planned().start_s();
      info.item.migration = true;
      info.item.src = info.host;
      info.item.mbps = a.planned().bandwidth_mbps();
      info.item.path = &ctx->platform().Path(info.host, info.to);
      if (!a.planned().coordinated_app().empty()) {
        info.group = absl::StrCat(a.planned().coordinated_app(), "#", a.planned().group());
        groups_[info.group].push_back(i);
      }
    } else {
      info.kind = a.kind() == "boot" ? Kind::kBoot : Kind::kShutdown;
      info.planned_start_s = power_start[a.id()];
    }
  }
  for (int i = 0; i < actions_.size(); ++i) {
    for (const auto& d : actions_[i].depends_on()) {
      auto it = index_.find(d);
      if (it == index_.end()) continue;
      ++info_[i].deps_left;
      info_[it->second].dependents.push_back(i);
    }
  }
  if (run.policy.admit_by_bandwidth) {
    for (const auto& h : model.hosts()) capacity_.host_mbps[h.name] = h.nic_mbps;
  }
  trace_.set_strategy(run.strategy);
}

void Dispatcher::Setup() {
  const auto& model = ctx_->model();
  for (std::size_t h = 0; h < model.hosts().size(); ++h) {
    if (!model.hosts()[h].online) ctx_->platform().host(static_cast<int>(h))->turn_off();
  }
  for (std::size_t h = 0; h < model.hosts().size(); ++h) {
    if (model.hosts()[h].online) ctx_->loads().StartHost(static_cast<int>(h));
  }
  for (std::size_t v = 0; v < model.vms().size(); ++v) {
    const int host = model.vms()[v].host;
    if (model.hosts()[host].online) ctx_->loads().Place(static_cast<int>(v), host);
  }
  ctx_->meter().Start(ctx_->platform().control());
  for (int i = 0; i < actions_.size(); ++i) {
    if (info_[i].deps_left == 0) pool_.insert({info_[i].planned_start_s, i});
  }
}

void Dispatcher::Main() {
  Setup();
  while (true) {
    StartReady();
    if (running_.empty()) break;
    for (const Event& e : ctx_->WaitEvents()) Handle(e);
  }
  measures_.completion_s = actions_.empty() ? 0 : Now();
  for (int i = 0; i < actions_.size(); ++i) {
    if (actions_[i].state() != controller::kPending) continue;
    actions_[i].set_state(controller::kSkipped);
    if (info_[i].kind == Kind::kMigrate) {
      measures_.failures[actions_[i].vm()] = "never started: its dependencies never completed";
    }
  }
  const auto& model = ctx_->model();
  for (std::size_t h = 0; h < model.hosts().size(); ++h) {
    measures_.energy_j += sg_host_get_consumed_energy(ctx_->platform().host(static_cast<int>(h)));
  }
  ctx_->meter().Stop();
  measures_.peak_power_w = ctx_->meter().peak_w();
  ctx_->loads().ReleaseAll();
}

std::vector<v1::Action*> Dispatcher::Candidates(const std::vector<int>& pending) {
  std::vector<v1::Action*> view;
  std::vector<int> added;
  auto add = [&](int i) {
    if (in_view_[i]) return;
    in_view_[i] = 1;
    added.push_back(i);
    view.push_back(&actions_[i]);
  };
  for (int i : running_) {
    if (info_[i].kind == Kind::kMigrate) add(i);
  }
  for (int i : pending) add(i);
  for (int i : pending) {
    if (info_[i].group.empty()) continue;
    for (int j : groups_[info_[i].group]) {
      if (actions_[j].state() != controller::kPending) continue;
      add(j);
      for (const auto& d : actions_[j].depends_on()) {
        auto it = index_.find(d);
        if (it != index_.end() && actions_[it->second].state() != controller::kDone) {
          add(it->second);
        }
      }
    }
  }
  for (int i : added) in_view_[i] = 0;
  return view;
}

void Dispatcher::StartReady() {
  if (pool_.empty()) return;  // nothing waits: nothing can start
  // The pending actions with their dependencies done, in the plan's order, but those the
  // policy's caps hold back now (a coordinated group is always asked about whole: the caps
  // never split one).
  std::vector<int> pending;
  for (const auto& [start, i] : pool_) {
    if (!info_[i].group.empty() || admission_.MayStart(info_[i].item)) pending.push_back(i);
  }
  // Under a cap on how many run, only so many can start: ask about that many at a time.
  std::size_t next = 0;
  while (next < pending.size()) {
    int actions = admission_.ActionSlots();
    int migrations = admission_.MigrationSlots();
    std::vector<int> chunk;
    while (next < pending.size() && actions > 0) {
      const int i = pending[next++];
      const bool migration = info_[i].kind == Kind::kMigrate;
      if (migration && migrations == 0) continue;  // none of them can start now
      chunk.push_back(i);
      --actions;
      if (migration) --migrations;
    }
    if (chunk.empty()) return;
    Admit(chunk);
  }
}

void Dispatcher::Admit(const std::vector<int>& pending) {
  std::vector<std::string> ready;
  {
    // A view of the candidates for ReadyActions, without copying them: the field holds the
    // pointers and gives them back before it goes.
    controller::Actions view;
    for (v1::Action* a : Candidates(pending)) view.UnsafeArenaAddAllocated(a);
    ready = controller::ReadyActions(view, capacity_);
    while (!view.empty()) view.UnsafeArenaReleaseLast();
  }
  for (std::size_t k = 0; k < ready.size();) {
    std::vector<int> unit = {index_.at(ready[k++])};
    const std::string& key = info_[unit[0]].group;
    while (!key.empty() && k < ready.size() && info_[index_.at(ready[k])].group == key) {
      unit.push_back(index_.at(ready[k++]));
    }
    std::vector<AdmissionItem> items;
    for (int i : unit) items.push_back(info_[i].item);
    if (actions_[unit[0]].state() != controller::kPending || !admission_.Fits(items)) continue;
    admission_.Start(items);
    for (int i : unit) Start(i);
  }
}

void Dispatcher::Start(int i) {
  actions_[i].set_state(controller::kRunning);
  info_[i].started_s = Now();
  pool_.erase({info_[i].planned_start_s, i});
  running_.insert(i);
  if (info_[i].kind == Kind::kMigrate) {
    StartMigration(i);
  } else {
    StartPower(i);
  }
}

void Dispatcher::StartPower(int i) {
  const Info& info = info_[i];
  const auto& host = ctx_->model().hosts()[info.host];
  const bool boot = info.kind == Kind::kBoot;
  const double duration_s =
      (boot ? host.boot_s : host.shutdown_s) * ctx_->host_variation(info.host).Next();
  if (!boot) {
    // As the controller: never power off a host a VM still runs on.
    for (std::size_t v = 0; v < ctx_->model().vms().size(); ++v) {
      if (ctx_->loads().host_of(static_cast<int>(v)) != info.host) continue;
      Event refused;
      refused.action = i;
      refused.outcome.note =
          absl::StrCat("refused: VM ", ctx_->model().vms()[v].name, " still runs on ", host.name);
      refused.outcome.converged = false;
      ctx_->Post(std::move(refused));
      return;
    }
  }
  RunContext* ctx = ctx_;
  const int h = info.host;
  sg4::Actor::create(actions_[i].id(), ctx->platform().control(), [ctx, i, h, boot, duration_s] {
    sg4::Host* machine = ctx->platform().host(h);
    if (boot) {
      machine->turn_on();
      machine->set_pstate(1);  // boot_w while booting
      ctx->meter().Touch(h);
      sg4::this_actor::sleep_for(duration_s);
      machine->set_pstate(0);
    } else {
      sg4::this_actor::sleep_for(duration_s);
      ctx->loads().ReleaseHost(h);
      machine->turn_off();
    }
    ctx->meter().Touch(h);
    Event done;
    done.action = i;
    ctx->Post(std::move(done));
  });
}

void Dispatcher::StartMigration(int i) {
  const Info& info = info_[i];
  const v1::Migration& planned = actions_[i].planned();
  MigrationTask task;
  task.action = i;
  task.vm = info.vm;
  task.src = info.host;
  task.dst = info.to;
  task.mode = run_.policy.mode.empty() ? planned.mode() : run_.policy.mode;
  double bottleneck_mbps = 0;
  for (int r : *info.item.path) {
    const double c = ctx_->model().resources()[r].capacity_mbps;
    bottleneck_mbps = bottleneck_mbps == 0 ? c : std::min(bottleneck_mbps, c);
  }
  if (run_.policy.cap_at_planned && planned.bandwidth_mbps() > 0) {
    task.limit_bytes_per_s = planned.bandwidth_mbps() * 1e6 / 8.0;
    task.initial_rate_mibps = MbpsToMibps(planned.bandwidth_mbps());
    if (!planned.coordinated_app().empty()) {
      task.app = planned.coordinated_app();
      task.group = static_cast<int>(planned.group());
      for (const auto& a : actions_) {
        if (a.kind() == "migrate" && a.planned().coordinated_app() == task.app) {
          task.app_bytes_per_s += a.planned().bandwidth_mbps() * 1e6 / 8.0;
        }
      }
    }
  } else {
    task.initial_rate_mibps = MbpsToMibps(bottleneck_mbps * ctx_->options().goodput_fraction);
  }
  RunContext* ctx = ctx_;
  sg4::Actor::create(actions_[i].id(), ctx->platform().control(),
                     [ctx, task] { RunMigration(ctx, task); });
}

void Dispatcher::Handle(const Event& e) {
  const int i = e.action;
  const Info& info = info_[i];
  running_.erase(i);
  admission_.Finish(info.item);
  const v1::Action& a = actions_[i];
  std::string state = controller::kDone;
  if (info.kind == Kind::kMigrate) {
    const MigrationOutcome& o = e.outcome;
    v1::Migration m = a.planned();
    m.set_mode(run_.policy.mode.empty() ? m.mode() : run_.policy.mode);
    m.set_start_s(o.start_s);
    m.set_end_s(o.end_s);
    const double d = o.end_s - o.start_s;
    m.set_bandwidth_mbps(d > 0 ? MibpsToMbps(o.sent_mib / d) : 0);
    m.set_converges(o.converged);
    m.set_downtime_ms(o.downtime_ms);
    m.set_sent_mib(o.sent_mib);
    m.set_rounds(o.rounds);
    m.set_execution_transfer_s(o.execution_transfer_s);
    m.set_note(o.note);
    *trace_.add_migrations() = std::move(m);
    if (o.timed_out) state = controller::kFailed;
    if (!o.converged) measures_.failures[a.vm()] = o.note;
  } else {
    if (!e.outcome.note.empty()) {
      state = controller::kFailed;
      trace_.add_notes(absl::StrCat(a.id(), ": ", e.outcome.note));
    } else {
      // A host that is on computes its VMs' load (the computation is this actor's).
      if (info.kind == Kind::kBoot) ctx_->loads().StartHost(info.host);
      auto* p = trace_.add_power();
      p->set_host(a.host());
      p->set_action(a.kind());
      p->set_start_s(info.started_s);
      p->set_end_s(Now());
    }
  }
  Finished(i, state);
}

void Dispatcher::Finished(int i, const std::string& state) {
  actions_[i].set_state(state);
  if (state == controller::kDone) {
    for (int d : info_[i].dependents) {
      if (--info_[d].deps_left == 0 && actions_[d].state() == controller::kPending) {
        pool_.insert({info_[d].planned_start_s, d});
      }
    }
    return;
  }
  SkipUnreachable();
}

void Dispatcher::SkipUnreachable() {
  for (const auto& [id, why] : controller::ActionsToSkip(actions_)) {
    const int j = index_.at(id);
    actions_[j].set_state(controller::kSkipped);
    pool_.erase({info_[j].planned_start_s, j});
    if (info_[j].kind == Kind::kMigrate) measures_.failures[actions_[j].vm()] = "not run: " + why;
  }
}

v1::SimulatedStrategy Dispatcher::Result() const {
  v1::SimulatedStrategy out = Summarise(ctx_->model(), run_.plan, trace_, measures_);
  out.set_strategy(run_.strategy);
  out.set_plan_strategy(run_.plan.strategy());
  out.set_dispatch(run_.policy.name);
  return out;
}

}  // namespace convoy::sim
