#include "controller/executor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "controller/measured_plan.h"
#include "controller/replan.h"
#include "convoy/common/units.h"

namespace convoy::controller {
namespace {

double RealNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The agent's mode for a planned migration. A pre-copy under `auto` may be switched to
// post-copy by the executor when it stalls, so it starts as pre-then-post. Enlightened stays
// enlightened: the agent falls back to post-copy itself when the guest cannot help.
std::string AgentMode(const v1::Migration& m, const std::string& requested_mode) {
  if (m.mode() == "enlightened") return "enlightened";
  if (m.mode() == "post-copy") return "post-copy";
  if (requested_mode == "pre-copy") return "pre-copy";
  return "pre-then-post";
}

// The agent's id of a migration: OPERATION.VM, with what its ids do not allow made '_'.
std::string AgentMigrationId(const std::string& operation_id, const std::string& vm) {
  std::string id = absl::StrCat(operation_id, ".", vm);
  for (char& c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return id.substr(0, 128);
}

bool Unreachable(const Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded;
}

bool GroupKey(const v1::Action& a, std::string* key) {
  if (a.kind() != "migrate" || a.planned().coordinated_app().empty()) return false;
  *key = absl::StrCat(a.planned().coordinated_app(), "#", a.planned().group());
  return true;
}

}  // namespace

Executor::Executor(v1::Operation op, Inventory* inventory, PowerDriver* power,
                   store::StateStore* store, EventBus* events, ExecutorOptions options)
    : inventory_(inventory),
      power_(power),
      store_(store),
      events_(events),
      options_(std::move(options)),
      op_(std::move(op)) {
  if (!options_.now_unix_s) options_.now_unix_s = RealNow;
}

Executor::~Executor() { Join(); }

void Executor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Executor::RequestCancel() { cancel_ = true; }

void Executor::Join() {
  if (thread_.joinable()) thread_.join();
  for (auto& t : power_threads_) {
    if (t.joinable()) t.join();
  }
  power_threads_.clear();
}

v1::Operation Executor::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return op_;
}

v1::Action* Executor::Find(const std::string& id) {
  for (auto& a : *op_.mutable_actions()) {
    if (a.id() == id) return &a;
  }
  return nullptr;
}

bool Executor::Save(const v1::Action& a) {
  Status s = store_->PutAction(op_.id(), a);
  if (!s.ok()) {
    spdlog::error("operation {}: cannot persist {}: {}", op_.id(), a.id(),
                  std::string(s.message()));
    store_failed_ = true;
    return false;
  }
  return true;
}

void Executor::Publish(const std::string& kind, const std::string& message, const v1::Action* a) {
  v1::Event e;
  e.set_operation_id(op_.id());
  e.set_at_unix_s(Now());
  e.set_kind(kind);
  e.set_message(message);
  e.set_operation_state(op_.state());
  if (a != nullptr) *e.mutable_action() = *a;
  auto seq = events_->Publish(std::move(e));
  if (!seq.ok()) {
    spdlog::warn("operation {}: event not persisted: {}", op_.id(),
                 std::string(seq.status().message()));
  }
}

bool Executor::SetState(v1::Action* a, const std::string& state, const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    a->set_state(state);
    if (IsActive(state) && a->started_unix_s() == 0) a->set_started_unix_s(Now());
    if (IsTerminal(state)) {
      if (a->finished_unix_s() == 0) a->set_finished_unix_s(Now());
      if (a->started_unix_s() > 0) a->set_measured_s(a->finished_unix_s() - a->started_unix_s());
      if (state == kFailed || state == kSkipped || state == kCancelled) a->set_error(message);
    }
  }
  if (!Save(*a)) return false;
  spdlog::info("operation {}: {} {}{}{}", op_.id(), a->id(), state, message.empty() ? "" : ": ",
               message);
  Publish("action",
          message.empty() ? absl::StrCat(a->id(), " ", state)
                          : absl::StrCat(a->id(), " ", state, ": ", message),
          a);
  return true;
}

void Executor::Note(v1::Action* a, const std::string& note) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    a->add_notes(note);
  }
  Save(*a);
  Publish("note", absl::StrCat(a->id(), ": ", note), a);
}

void Executor::Run() {
  if (op_.state() == "planned") {
    {
      std::lock_guard<std::mutex> lock(mu_);
      op_.set_state("running");
      op_.set_started_unix_s(Now());
    }
    v1::Operation header = op_;
    header.clear_actions();
    if (!store_->PutOperation(header).ok()) store_failed_ = true;
    Publish("operation", "operation started", nullptr);
  } else {
    Publish("operation", "operation resumed by a restarted controller", nullptr);
    WaitForAgents();
  }
  // Capacity: the NIC speeds the plan was made with, refreshed from the inventory.
  auto snapshot = inventory_->Snapshot();
  for (const auto& h : snapshot.cluster().hosts()) {
    capacity_.host_mbps[h.name()] = GbpsToMbps(h.nic_gbps());
  }
  // The plan was made from fresh figures: the first revision waits one interval.
  last_replan_unix_s_ = Now();
  // Power actions that were running when the controller stopped are run again (booting a
  // host that is on, or shutting down one that is off, is harmless).
  for (auto& a : *op_.mutable_actions()) {
    if (a.kind() != "migrate" && IsActive(a.state())) StartPower(&a);
  }
  Loop();
  Finish();
}

void Executor::WaitForAgents() {
  // A restarted controller knows no agent until each calls in: wait for the hosts this
  // operation touches (bounded), then read where every VM is.
  std::set<std::string> hosts;
  for (const auto& a : op_.actions()) {
    if (!IsTerminal(a.state())) hosts.insert(a.host());
    if (a.kind() == "migrate" && !IsTerminal(a.state())) hosts.insert(a.to());
  }
  const double deadline = Now() + options_.resume_wait_s;
  while (Now() < deadline) {
    const bool all_known = std::all_of(hosts.begin(), hosts.end(), [&](const std::string& h) {
      return inventory_->Health(h) == "up";
    });
    if (all_known) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  inventory_->Refresh();
}

void Executor::Loop() {
  bool cancelling = false;
  while (!store_failed_) {
    if (cancel_ && !cancelling) {
      cancelling = true;
      Cancel();
    }
    for (auto& a : *op_.mutable_actions()) {
      if (a.kind() == "migrate" && IsActive(a.state())) PollMigration(&a);
    }
    CollectPowerResults();
    for (const auto& [id, why] : ActionsToSkip(op_.actions())) {
      SetState(Find(id), kSkipped, absl::StrCat("not run: ", why));
    }
    if (Now() - last_tick_unix_s_ >= options_.tick_ms / 1000.0) {
      last_tick_unix_s_ = Now();
      Adapt();
    }
    if (!cancelling && options_.replan &&
        Now() - last_replan_unix_s_ >= options_.replan_interval_s) {
      last_replan_unix_s_ = Now();
      Replan();
    }
    if (!cancelling) {
      for (const auto& id : ReadyActions(op_.actions(), capacity_)) {
        if (!StartAction(id)) break;
      }
    }
    const bool all_done = std::all_of(op_.actions().begin(), op_.actions().end(),
                                      [](const auto& a) { return IsTerminal(a.state()); });
    if (all_done) return;
    events_->Poke();
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.poll_ms));
  }
}

bool Executor::StartAction(const std::string& id) {
  v1::Action* a = Find(id);
  if (a->kind() == "migrate") return StartMigration(a);
  if (!SetState(a, kRunning, "")) return false;
  StartPower(a);
  return true;
}

bool Executor::StartMigration(v1::Action* a) {
  // Where is the VM now? Already on the destination (a restarted controller, or an operator
  // who moved it): nothing to do. Anywhere else but the source: refuse, never move it twice.
  const std::string where = inventory_->HostOf(a->vm());
  if (where == a->to()) return SetState(a, kDone, "already on the destination");
  if (where != a->host()) {
    return SetState(a, kFailed,
                    where.empty()
                        ? absl::StrCat("VM ", a->vm(), " is not running on any known host")
                        : absl::StrCat("VM ", a->vm(), " runs on ", where, ", not on ", a->host(),
                                       " as planned"));
  }
  auto destination = inventory_->DestinationOf(a->to());
  if (!destination.ok()) return SetState(a, kFailed, std::string(destination.status().message()));
  auto channel = inventory_->Channel(a->host());
  if (!channel.ok()) return SetState(a, kFailed, std::string(channel.status().message()));

  v1::StartMigrationRequest request;
  request.set_id(AgentMigrationId(op_.id(), a->vm()));
  request.set_vm(a->vm());
  *request.mutable_destination() = *destination;
  request.set_mode(AgentMode(a->planned(), op_.request().request().mode()));
  request.set_bandwidth_mibps(MbpsToMibps(a->planned().bandwidth_mbps()));
  // Enlightened is planned at its bandwidth in post-copy too (unlimited, QEMU would fill the
  // link's queues and every page the guest asks for would wait behind them).
  if (request.mode() == "enlightened") {
    request.set_postcopy_bandwidth_mibps(request.bandwidth_mibps());
  }
  request.set_downtime_ms(
      op_.request().request().downtime_ms() > 0 ? op_.request().request().downtime_ms() : 300);
  request.set_auto_converge(request.mode() == "pre-copy" && !a->planned().converges());
  request.set_timeout_s(options_.migration_timeout_s);
  if (a->planned().stage_via_size() > 0) {
    // Staged as planned when both agents' configurations allow it; an urgent eviction still
    // goes, directly, when they do not.
    auto staging = inventory_->StagingFor(
        a->host(), a->to(), {a->planned().stage_via().begin(), a->planned().stage_via().end()});
    if (staging.ok()) {
      *request.mutable_staging() = *staging;
    } else {
      Note(a, absl::StrCat("not staged, migrating directly: ", staging.status().message()));
    }
  }
  // SOLive's reservation on the source's switch (and, through its agent, the destination's).
  const v1::EvacuationRequest& asked = op_.request().request();
  const std::string reservation = asked.reservation().empty() || asked.reservation() == "auto"
                                      ? (inventory_->CanReserve(a->host()) ? "adaptive" : "none")
                                      : asked.reservation();
  // A staged stream goes to the intermediaries' Redis, not to the port range a reservation
  // matches: it is not reserved.
  if (reservation != "none" && !request.has_staging()) {
    request.mutable_reservation()->set_policy(reservation);
    request.mutable_reservation()->set_urgency_pct(asked.urgency_pct() > 0 ? asked.urgency_pct()
                                                                           : 75);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    a->set_agent_migration_id(request.id());
  }
  // Persisted before the agent hears of it: a restart finds the id and asks the agent.
  if (!SetState(a, kRunning,
                absl::StrFormat("%s to %s, %s at %.0f Mb/s", a->host(), a->to(), request.mode(),
                                a->planned().bandwidth_mbps()))) {
    return false;
  }
  auto started = (*channel)->StartMigration(request);
  if (!started.ok() && Unreachable(started.status())) {
    // The agent may have started it before the answer was lost: the polls ask it by id, and
    // start it (idempotently) if it never heard of it.
    Note(a, absl::StrCat("start unconfirmed, will ask again: ", started.status().message()));
    return true;
  }
  if (!started.ok()) return SetState(a, kFailed, std::string(started.status().message()));
  std::lock_guard<std::mutex> lock(mu_);
  *a->mutable_progress() = *started;
  return true;
}

void Executor::PollMigration(v1::Action* a) {
  auto channel = inventory_->Channel(a->host());
  StatusOr<v1::MigrationProgress> progress =
      channel.ok() ? (*channel)->GetMigration(a->agent_migration_id())
                   : StatusOr<v1::MigrationProgress>(channel.status());
  // The source's agent is away: libvirt goes on without it, and a restarted agent adopts the
  // migration. Wait for it, but not forever.
  if (!progress.ok() && Unreachable(progress.status())) {
    auto [it, first] = unreachable_since_.try_emplace(a->id(), Now());
    if (first) Note(a, absl::StrCat("lost touch with the source: ", progress.status().message()));
    if (Now() - it->second > options_.agent_lost_s) {
      SetState(a, kFailed,
               absl::StrFormat("the agent of %s did not answer for %.0f s: the migration's "
                               "outcome is unknown; see where %s runs",
                               a->host(), options_.agent_lost_s, a->vm()));
    }
    return;
  }
  unreachable_since_.erase(a->id());
  if (!progress.ok()) {
    if (progress.status().code() == absl::StatusCode::kNotFound) {
      // Persisted as running but the agent never heard of it (the controller stopped between
      // the two): start it now, with the same id.
      spdlog::info("operation {}: {} unknown to the agent, starting it", op_.id(), a->id());
      {
        std::lock_guard<std::mutex> lock(mu_);
        a->set_state(kPending);
      }
      StartMigration(a);
    }
    return;
  }
  const std::string previous = a->state();
  {
    std::lock_guard<std::mutex> lock(mu_);
    *a->mutable_progress() = *progress;
  }
  const std::string& s = progress->state();
  if (s == "completed") {
    // The agent's clock times the migration itself, not this poll.
    if (progress->started_at_unix_s() > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      a->set_started_unix_s(progress->started_at_unix_s());
      a->set_finished_unix_s(progress->started_at_unix_s() + progress->elapsed_s());
    }
    SetState(a, kDone,
             absl::StrFormat("%.1f s (predicted %.1f s), %.0f MiB sent", progress->elapsed_s(),
                             a->predicted_s(), progress->data_processed_mib()));
  } else if (s == "failed" || s == "aborted") {
    SetState(a, cancel_ ? kCancelled : kFailed, progress->error().empty() ? s : progress->error());
  } else if (s == "postcopy" && previous != kPostCopy) {
    SetState(a, kPostCopy, "executing on the destination, pages follow");
  }
}

void Executor::StartPower(v1::Action* a) {
  const std::string id = a->id();
  const std::string host = a->host();
  const std::string kind = a->kind();
  power_threads_.emplace_back([this, id, host, kind] {
    Status result;
    if (kind == "boot") {
      result = power_->Boot(host);
      // On when its agent calls in.
      const double deadline = Now() + options_.boot_wait_s;
      while (result.ok() && inventory_->Health(host) != "up") {
        if (Now() > deadline) {
          result = absl::DeadlineExceededError(
              absl::StrFormat("host %s booted but its agent did not register within %.0f s", host,
                              options_.boot_wait_s));
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    } else {
      // Never power off a host that still runs a VM.
      inventory_->Refresh();
      auto snapshot = inventory_->Snapshot();
      std::string left;
      for (const auto& vm : snapshot.cluster().vms()) {
        if (vm.host() == host) absl::StrAppend(&left, left.empty() ? "" : ", ", vm.name());
      }
      result = left.empty() ? power_->Shutdown(host)
                            : absl::FailedPreconditionError(absl::StrCat(
                                  "host ", host, " still runs ", left, ": not powered off"));
      if (result.ok()) inventory_->MarkOff(host);
    }
    std::lock_guard<std::mutex> lock(power_mu_);
    power_results_[id] = result;
  });
}

void Executor::CollectPowerResults() {
  std::map<std::string, Status> results;
  {
    std::lock_guard<std::mutex> lock(power_mu_);
    results.swap(power_results_);
  }
  for (const auto& [id, status] : results) {
    v1::Action* a = Find(id);
    if (status.ok()) {
      SetState(a, kDone, "");
    } else {
      SetState(a, kFailed, std::string(status.message()));
    }
  }
}

void Executor::Adapt() {
  std::map<std::string, std::vector<v1::Action*>> groups;
  for (auto& a : *op_.mutable_actions()) {
    if (a.kind() != "migrate" || a.state() != kRunning) continue;
    const auto& p = a.progress();
    std::string key;
    if (GroupKey(a, &key)) groups[key].push_back(&a);
    // Bandwidth drop: the achieved rate stays well under the limit the plan set.
    const double limit = p.speed_limit_mibps();
    if (limit > 0 && p.elapsed_s() > options_.tick_ms / 1000.0 && p.bandwidth_mibps() > 0 &&
        p.bandwidth_mibps() < options_.bandwidth_drop_fraction * limit) {
      if (++slow_ticks_[a.id()] >= 2) {
        const double achieved_mbps = MibpsToMbps(p.bandwidth_mibps());
        for (const std::string& h : {a.host(), a.to()}) {
          auto [it, fresh] = measured_nic_mbps_.emplace(h, achieved_mbps);
          if (!fresh) it->second = std::min(it->second, achieved_mbps);
        }
      }
      if (slow_ticks_[a.id()] == 2 && capacity_.sequential_hosts.count(a.host()) == 0) {
        capacity_.sequential_hosts.insert(a.host());
        capacity_.sequential_hosts.insert(a.to());
        Note(&a, absl::StrFormat("achieves %.1f MiB/s of the %.1f MiB/s planned: from now on one "
                                 "migration at a time on %s and %s",
                                 p.bandwidth_mibps(), limit, a.host(), a.to()));
      }
    } else {
      slow_ticks_[a.id()] = 0;
    }
    // A pre-copy that stopped making progress: switch it to post-copy where the mode allows.
    const bool late_round = p.iteration() >= std::max<uint32_t>(a.planned().rounds() + 2, 4);
    const double remaining = p.data_remaining_mib();
    auto last = last_remaining_mib_.find(a.id());
    const bool not_shrinking = last != last_remaining_mib_.end() && remaining >= 0.9 * last->second;
    last_remaining_mib_[a.id()] = remaining;
    // Not when what is left would fit the downtime anyway (the switch-over is under way).
    const double fits_mib =
        std::max(1.0, 2 * p.speed_limit_mibps() * op_.request().request().downtime_ms() / 1000.0);
    if (late_round && not_shrinking && remaining > fits_mib) {
      if (++stalled_ticks_[a.id()] == 2 && p.mode() == "pre-then-post") {
        auto channel = inventory_->Channel(a.host());
        if (channel.ok()) {
          auto switched = (*channel)->SwitchToPostCopy(a.agent_migration_id());
          Note(&a, switched.ok()
                       ? absl::StrFormat("stalled at round %u with %.0f MiB left: switched to "
                                         "post-copy",
                                         p.iteration(), remaining)
                       : absl::StrCat("stalled; the switch to post-copy failed: ",
                                      switched.status().message()));
        }
      }
    } else {
      stalled_ticks_[a.id()] = 0;
    }
  }
  for (auto& [key, members] : groups) Repace(key, members);
}

void Executor::Replan() {
  const std::vector<std::string> ids = ReplannableMigrations(op_.actions());
  if (ids.empty()) return;
  v1::ControllerPlanRequest request = op_.request();
  *request.mutable_request() = ReplanRequest(op_.request().request(), op_.actions(), ids);
  auto plan = options_.replan(request, measured_nic_mbps_);
  std::vector<ReplanChange> changes;
  Status failed = plan.status();
  if (plan.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto applied = ApplyReplan(*plan, ids, options_.replan_change_fraction, op_.mutable_actions());
    failed = applied.status();
    if (applied.ok()) changes = *std::move(applied);
  }
  if (!failed.ok()) {
    // The current plan stays; say why once, not at every interval.
    if (std::string(failed.message()) != last_replan_error_) {
      last_replan_error_ = std::string(failed.message());
      spdlog::warn("operation {}: pending migrations not re-planned: {}", op_.id(),
                   last_replan_error_);
      Publish("note", absl::StrCat("pending migrations not re-planned: ", last_replan_error_),
              nullptr);
    }
    return;
  }
  for (const auto& change : changes) {
    Note(Find(change.id), absl::StrCat("re-planned with measured figures: ", change.what));
  }
}

void Executor::Repace(const std::string& group_key, std::vector<v1::Action*> members) {
  // COMMA (seed 001): the migrations of one group share the group's bandwidth so that they
  // finish together.
  // - Stage 1, while every member is in its first pass (the bulk copy): the plan splits the
  //   bandwidth in proportion to size (eq. 2). Here, every tick, each member's efficiency is
  //   measured (how many MiB of its remaining data clear per MiB/s of limit: zero pages clear
  //   almost for free) and the group's total is re-split in proportion to the time each needs,
  //   remaining / efficiency, so that all bulk copies end at the same time.
  // - Stage 2, once one has moved on (dirty iterations, or done): the group's bandwidth is
  //   split evenly between the members still running, so the spare of those that ended goes to
  //   the others (section 3.4).
  double group_mibps = 0;
  int group_size = 0;
  for (const auto& a : op_.actions()) {
    std::string key;
    if (GroupKey(a, &key) && key == group_key) {
      group_mibps += MbpsToMibps(a.planned().bandwidth_mbps());
      ++group_size;
    }
  }
  if (members.empty() || group_mibps <= 0) return;
  bool stage1 = static_cast<int>(members.size()) == group_size && members.size() >= 2;
  for (const auto* a : members) {
    if (a->progress().iteration() > 1 || a->progress().speed_limit_mibps() <= 0) stage1 = false;
  }
  const double now = Now();
  std::vector<double> share(members.size(), group_mibps / static_cast<double>(members.size()));
  std::string why = "stage 2: the group's bandwidth split between the members still running";
  if (stage1) {
    bool measured = true;
    double need_total = 0;
    std::vector<double> need(members.size(), 0);
    for (std::size_t k = 0; k < members.size(); ++k) {
      const auto& p = members[k]->progress();
      Pace& pace = pace_[members[k]->id()];
      if (pace.at_unix_s == 0) {
        pace = {now, p.data_remaining_mib(), 0};
      } else if (now - pace.at_unix_s >= options_.pace_window_s) {
        const double cleared_mibps =
            (pace.remaining_mib - p.data_remaining_mib()) / (now - pace.at_unix_s);
        const double efficiency = std::max(cleared_mibps, 0.0) / p.speed_limit_mibps();
        pace.efficiency =
            pace.efficiency == 0 ? efficiency : 0.5 * pace.efficiency + 0.5 * efficiency;
        pace.at_unix_s = now;
        pace.remaining_mib = p.data_remaining_mib();
      }
      if (pace.efficiency <= 0) measured = false;
      need[k] = pace.efficiency > 0 ? p.data_remaining_mib() / pace.efficiency : 0;
      need_total += need[k];
    }
    if (!measured || need_total <= 0) return;  // keep the plan's split until measured
    for (std::size_t k = 0; k < members.size(); ++k) {
      share[k] = group_mibps * need[k] / need_total;
    }
    why = "stage 1: bulk copies paced to end together";
  }
  for (std::size_t k = 0; k < members.size(); ++k) {
    v1::Action* a = members[k];
    const double current = a->progress().speed_limit_mibps();
    if (current > 0 && std::abs(share[k] - current) < 0.05 * current) continue;
    auto channel = inventory_->Channel(a->host());
    if (!channel.ok()) continue;
    auto set = (*channel)->SetSpeed(a->agent_migration_id(), share[k]);
    if (set.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      *a->mutable_progress() = *set;
    }
    Note(a, set.ok()
                ? absl::StrFormat("%s re-paced %.1f -> %.1f MiB/s, %.0f MiB left (%s)", group_key,
                                  current, share[k], a->progress().data_remaining_mib(), why)
                : absl::StrCat("re-pacing failed: ", set.status().message()));
  }
}

void Executor::Cancel() {
  Publish("operation", "cancel requested", nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    op_.set_state("cancelling");
  }
  v1::Operation header = op_;
  header.clear_actions();
  if (!store_->PutOperation(header).ok()) store_failed_ = true;
  for (auto& a : *op_.mutable_actions()) {
    if (a.state() == kPending) {
      SetState(&a, kCancelled, "cancelled before it started");
    } else if (a.kind() == "migrate" && a.state() == kRunning) {
      auto channel = inventory_->Channel(a.host());
      if (!channel.ok()) continue;
      auto aborted = (*channel)->Abort(a.agent_migration_id());
      if (!aborted.ok()) {
        Note(&a, absl::StrCat("could not abort (it goes on): ", aborted.status().message()));
      }
    }
  }
}

void Executor::Finish() {
  // Power threads first: their results are part of the outcome.
  for (auto& t : power_threads_) {
    if (t.joinable()) t.join();
  }
  power_threads_.clear();
  CollectPowerResults();
  int failed = 0, done = 0;
  std::string first_error;
  for (const auto& a : op_.actions()) {
    if (a.state() == kDone) ++done;
    if (a.state() == kFailed) {
      if (first_error.empty()) first_error = absl::StrCat(a.id(), ": ", a.error());
      ++failed;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    op_.set_finished_unix_s(Now());
    if (store_failed_) {
      op_.set_state("failed");
      op_.set_error("the state store failed: the operation was stopped (see the log)");
    } else if (cancel_) {
      op_.set_state("cancelled");
    } else if (failed > 0) {
      op_.set_state("failed");
      op_.set_error(absl::StrCat(failed, " of ", op_.actions_size(),
                                 " actions failed; first: ", first_error));
    } else {
      op_.set_state("succeeded");
    }
    *op_.mutable_measured() = MeasuredPlan(op_);
  }
  v1::Operation header = op_;
  header.clear_actions();
  (void)store_->PutOperation(header);
  Publish("operation",
          absl::StrFormat("operation %s: %d of %d actions done, makespan %.1f s (predicted "
                          "%.1f s)",
                          op_.state(), done, op_.actions_size(), op_.measured().makespan_s(),
                          op_.plan().makespan_s()),
          nullptr);
  finished_ = true;
  events_->Poke();
}

}  // namespace convoy::controller
