#include "controller/operations.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "controller/action_graph.h"
#include "controller/live_scenario.h"
#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"

namespace convoy::controller {
namespace {

// "PREFIX-YYYYmmdd-HHMMSS-xxxx": sortable, readable, unique enough for one controller.
std::string NewId(const std::string& prefix) {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::lock_guard<std::mutex> lock(mu);
  return absl::StrFormat("%s-%s-%04x", prefix, stamp, static_cast<unsigned>(rng() & 0xffff));
}

double Now(const ExecutorOptions& options) { return options.now_unix_s(); }

bool Unfinished(const std::string& state) {
  return state == "planned" || state == "running" || state == "cancelling";
}

}  // namespace

Operations::Operations(Inventory* inventory, PowerDriver* power, store::StateStore* store,
                       ExecutorOptions executor_options, plan::PlannerOptions planner_options,
                       uint32_t plan_dirty_rate_s)
    : inventory_(inventory),
      power_(power),
      store_(store),
      executor_options_(std::move(executor_options)),
      planner_options_(std::move(planner_options)),
      plan_dirty_rate_s_(plan_dirty_rate_s),
      events_(store) {
  if (!executor_options_.replan && executor_options_.replan_interval_s > 0) {
    executor_options_.replan = [this](const v1::ControllerPlanRequest& request,
                                      const std::map<std::string, double>& measured_nic_mbps) {
      return Replan(request, measured_nic_mbps);
    };
  }
  if (!executor_options_.now_unix_s) {
    executor_options_.now_unix_s = [] {
      return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

Operations::~Operations() { JoinAll(); }

StatusOr<v1::PlanPreview> Operations::Plan(const v1::ControllerPlanRequest& request) {
  const v1::EvacuationRequest& r = request.request();
  if (!r.strategy().empty() && !model::IsKnownStrategy(r.strategy())) {
    return absl::InvalidArgumentError(
        absl::StrCat("request.strategy: unknown strategy '", r.strategy(), "'"));
  }
  if (!r.mode().empty() && !model::IsKnownMode(r.mode())) {
    return absl::InvalidArgumentError(absl::StrCat("request.mode: unknown mode '", r.mode(), "'"));
  }
  // Fresh reports, with the dirty rates the predictions need.
  inventory_->Refresh(plan_dirty_rate_s_);
  CONVOY_RETURN_IF_ERROR(
      CheckRequestAgainstInventory(inventory_->Snapshot(), r, Now(executor_options_)));
  if (request.probe_bandwidth()) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::set<std::string> sources(r.evacuate().begin(), r.evacuate().end());
    const v1::InventoryResponse now = inventory_->Snapshot();
    for (const auto& agent : now.agents()) {
      if (agent.health() != "up") continue;
      for (const auto& s : sources) {
        if (s != agent.name()) pairs.emplace_back(s, agent.name());
      }
    }
    inventory_->ProbeBandwidth(pairs);
  }
  const v1::InventoryResponse snapshot = inventory_->Snapshot();
  v1::ControllerPlanRequest asked = request;
  const std::vector<std::string> traffic_notes =
      TakeMeasuredTraffic(snapshot.measured_traffic(), &asked);
  CONVOY_ASSIGN_OR_RETURN(v1::Plan plan, PlanOn(snapshot.cluster(), asked));
  for (const auto& note : traffic_notes) plan.add_notes(note);
  v1::PlanPreview preview;
  preview.set_plan_id(NewId("plan"));
  *preview.mutable_plan() = std::move(plan);
  *preview.mutable_cluster() = snapshot.cluster();
  *preview.mutable_request() = asked;
  CONVOY_RETURN_IF_ERROR(store_->PutPlanPreview(preview));
  return preview;
}

StatusOr<v1::Plan> Operations::PlanOn(const v1::Cluster& cluster,
                                      const v1::ControllerPlanRequest& request) {
  CONVOY_ASSIGN_OR_RETURN(v1::Scenario scenario, LiveScenario(cluster, request));
  CONVOY_RETURN_IF_ERROR(model::ValidateScenario(scenario));
  CONVOY_ASSIGN_OR_RETURN(model::ClusterModel model, model::ClusterModel::Build(scenario));
  const std::string& strategy = request.request().strategy();
  return plan::MakePlanWithStrategy(model, request.request(),
                                    strategy.empty() ? "convoy" : strategy, planner_options_);
}

StatusOr<v1::Plan> Operations::Replan(const v1::ControllerPlanRequest& request,
                                      const std::map<std::string, double>& measured_nic_mbps) {
  // Fresh dirty rates of the VMs still to move, on their hosts.
  std::map<std::string, std::vector<std::string>> vms_by_host;
  for (const auto& move : request.request().moves()) {
    const std::string host = inventory_->HostOf(move.vm());
    if (!host.empty()) vms_by_host[host].push_back(move.vm());
  }
  if (plan_dirty_rate_s_ > 0) inventory_->MeasureDirtyRates(vms_by_host, plan_dirty_rate_s_);
  v1::Cluster cluster = inventory_->Snapshot().cluster();
  for (auto& host : *cluster.mutable_hosts()) {
    auto it = measured_nic_mbps.find(host.name());
    if (it != measured_nic_mbps.end() && it->second > 0) {
      host.set_nic_gbps(std::min(host.nic_gbps(), it->second / 1000.0));
    }
  }
  return PlanOn(cluster, request);
}

StatusOr<v1::Operation> Operations::Submit(const v1::SubmitRequest& submit) {
  v1::PlanPreview preview;
  v1::ControllerPlanRequest request;
  if (submit.has_request()) {
    request = submit.request();
    CONVOY_ASSIGN_OR_RETURN(preview, Plan(request));
  } else if (!submit.plan_id().empty()) {
    auto stored = store_->GetPlanPreview(submit.plan_id());
    if (!stored.ok()) {
      if (stored.status().code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(
            absl::StrCat("no plan '", submit.plan_id(), "': plan again with Plan"));
      }
      return stored.status();
    }
    preview = *std::move(stored);
    request = preview.request();
  } else {
    return absl::InvalidArgumentError("submit: give a plan_id or a request");
  }
  const v1::Plan& plan = preview.plan();
  if (!plan.feasible()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the plan is infeasible: ", absl::StrJoin(plan.reasons(), "; ")));
  }
  // Nothing stale, nothing down, nothing another operation is moving.
  inventory_->Refresh();
  std::set<std::string> booted;
  for (const auto& p : plan.power()) {
    if (p.action() == "boot") booted.insert(p.host());
  }
  std::set<std::string> busy_vms;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, executor] : executors_) {
      if (executor->Finished()) continue;
      const v1::Operation running = executor->Snapshot();
      for (const auto& a : running.actions()) {
        if (a.kind() == "migrate" && !IsTerminal(a.state())) busy_vms.insert(a.vm());
      }
    }
  }
  for (const auto& m : plan.migrations()) {
    const std::string where = inventory_->HostOf(m.vm());
    if (where != m.from()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the plan is stale: VM ", m.vm(),
                       where.empty() ? " is not running on any host" : " now runs on " + where,
                       ", the plan moves it from ", m.from(), "; plan again"));
    }
    if (busy_vms.count(m.vm()) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("VM ", m.vm(), " is being moved by another running operation"));
    }
    for (const std::string& host : {m.from(), m.to()}) {
      const std::string health = inventory_->Health(host);
      if (health != "up" && !(health == "off" && booted.count(host) > 0)) {
        return absl::FailedPreconditionError(
            absl::StrCat("host ", host, " is ", health, "; the plan needs it"));
      }
    }
  }
  v1::Operation op;
  op.set_id(NewId("op"));
  op.set_state("planned");
  *op.mutable_request() = request;
  *op.mutable_plan() = plan;
  op.set_created_unix_s(Now(executor_options_));
  *op.mutable_actions() = BuildActions(plan);
  // Written before anything is done.
  CONVOY_RETURN_IF_ERROR(store_->PutOperation(op));
  spdlog::info("operation {}: {} migrations, {} power actions, predicted makespan {:.1f} s",
               op.id(), plan.migrations_size(), plan.power_size(), plan.makespan_s());
  auto executor =
      std::make_unique<Executor>(op, inventory_, power_, store_, &events_, executor_options_);
  executor->Start();
  std::lock_guard<std::mutex> lock(mu_);
  executors_[op.id()] = std::move(executor);
  return op;
}

StatusOr<v1::Operation> Operations::Get(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executors_.find(id);
    if (it != executors_.end()) return it->second->Snapshot();
  }
  auto stored = store_->GetOperation(id);
  if (!stored.ok() && stored.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrCat("no operation '", id, "'"));
  }
  return stored;
}

StatusOr<std::vector<v1::Operation>> Operations::List(bool include_finished) {
  CONVOY_ASSIGN_OR_RETURN(auto stored, store_->ListOperations(include_finished));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& op : stored) {
    auto it = executors_.find(op.id());
    if (it != executors_.end()) op = it->second->Snapshot();
  }
  return stored;
}

StatusOr<v1::Operation> Operations::Cancel(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executors_.find(id);
    if (it != executors_.end() && !it->second->Finished()) {
      it->second->RequestCancel();
      return it->second->Snapshot();
    }
  }
  CONVOY_ASSIGN_OR_RETURN(v1::Operation op, Get(id));
  return absl::FailedPreconditionError(
      absl::StrCat("operation ", id, " already ended (", op.state(), ")"));
}

bool Operations::IsLive(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executors_.find(id);
    if (it != executors_.end()) return !it->second->Finished();
  }
  // Not executed here (a follower replica, or before Resume): live while the store says so.
  auto stored = store_->GetOperation(id);
  return stored.ok() && Unfinished(stored->state());
}

Status Operations::Watch(const std::string& id, int interval_ms,
                         const std::function<bool(const v1::Event&)>& send) {
  CONVOY_RETURN_IF_ERROR(Get(id).status());
  if (interval_ms <= 0) interval_ms = 1000;
  uint64_t sent_seq = 0;
  auto last_progress = std::chrono::steady_clock::now();
  uint64_t version = events_.Version();
  while (true) {
    // Whether it ended is read before the events, so the last events are never missed.
    const bool live = IsLive(id);
    CONVOY_ASSIGN_OR_RETURN(auto events, store_->EventsAfter(id, sent_seq, 0));
    for (const auto& e : events) {
      if (!send(e)) return absl::OkStatus();
      sent_seq = e.seq();
    }
    if (!live) return absl::OkStatus();
    const auto now = std::chrono::steady_clock::now();
    if (now - last_progress >= std::chrono::milliseconds(interval_ms)) {
      last_progress = now;
      CONVOY_ASSIGN_OR_RETURN(v1::Operation op, Get(id));
      for (const auto& a : op.actions()) {
        if (a.kind() != "migrate" || !IsActive(a.state())) continue;
        v1::Event e;
        e.set_operation_id(id);
        e.set_kind("progress");
        e.set_at_unix_s(Now(executor_options_));
        e.set_operation_state(op.state());
        *e.mutable_action() = a;
        if (!send(e)) return absl::OkStatus();
      }
    }
    version = events_.Wait(version, interval_ms);
  }
}

Status Operations::Resume() {
  CONVOY_ASSIGN_OR_RETURN(auto stored, store_->ListOperations(false));
  for (auto& op : stored) {
    if (!Unfinished(op.state())) continue;
    const bool cancelling = op.state() == "cancelling";
    spdlog::info("operation {}: resuming ({} actions)", op.id(), op.actions_size());
    auto executor =
        std::make_unique<Executor>(op, inventory_, power_, store_, &events_, executor_options_);
    if (cancelling) executor->RequestCancel();
    executor->Start();
    std::lock_guard<std::mutex> lock(mu_);
    executors_[op.id()] = std::move(executor);
  }
  return absl::OkStatus();
}

void Operations::JoinAll() {
  std::map<std::string, Executor*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, e] : executors_) all[id] = e.get();
  }
  for (auto& [id, e] : all) e->Join();
}

}  // namespace convoy::controller
