#include "tests/fakes/fake_agents.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace convoy::testing {
namespace {

class FakeChannel final : public controller::AgentChannel {
 public:
  FakeChannel(FakeAgents* agents, std::string host) : agents_(agents), host_(std::move(host)) {}
  StatusOr<v1::HostReport> Describe(const v1::DescribeRequest& request) override {
    return agents_->Describe(host_, request);
  }
  StatusOr<v1::MigrationProgress> StartMigration(const v1::StartMigrationRequest& r) override {
    return agents_->Start(host_, r);
  }
  StatusOr<v1::MigrationProgress> GetMigration(const std::string& id) override {
    return agents_->Get(host_, id);
  }
  StatusOr<v1::MigrationProgress> SetSpeed(const std::string& id, double mibps) override {
    return agents_->SetSpeed(host_, id, mibps);
  }
  StatusOr<v1::MigrationProgress> SwitchToPostCopy(const std::string& id) override {
    return agents_->Get(host_, id);
  }
  StatusOr<v1::MigrationProgress> Abort(const std::string& id) override {
    return agents_->Abort(host_, id);
  }
  StatusOr<v1::ProbeResult> Probe(const v1::ProbeRequest&) override {
    v1::ProbeResult r;
    r.set_mbps(900);
    return r;
  }

 private:
  FakeAgents* agents_;
  std::string host_;
};

}  // namespace

void FakeAgents::AddHost(const std::string& host, uint32_t cpus, double memory_mib) {
  Locked([&] {
    hosts_[host] = {cpus, memory_mib};
    vms_[host];
  });
}

void FakeAgents::AddVm(const std::string& host, const std::string& vm, double memory_mib) {
  Locked([&] { vms_[host][vm] = memory_mib; });
}

std::string FakeAgents::HostOf(const std::string& vm) {
  return Locked([&]() -> std::string {
    for (const auto& [host, vms] : vms_) {
      if (vms.count(vm) > 0) return host;
    }
    return "";
  });
}

void FakeAgents::SetUnreachable(const std::string& host, bool unreachable) {
  Locked([&] {
    if (unreachable) {
      unreachable_.insert(host);
    } else {
      unreachable_.erase(host);
    }
  });
}

Status FakeAgents::Reachable(const std::string& host) {
  if (unreachable_.count(host) > 0) {
    return absl::UnavailableError(absl::StrCat("agent ", host, " is not reachable"));
  }
  return absl::OkStatus();
}

std::shared_ptr<controller::AgentChannel> FakeAgents::Dial(const std::string& name,
                                                           const std::string&) {
  return std::make_shared<FakeChannel>(this, name);
}

StatusOr<v1::HostReport> FakeAgents::Describe(const std::string& host,
                                              const v1::DescribeRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(Reachable(host));
  v1::HostReport r;
  r.set_name(host);
  peer_macs_[host].assign(request.peer_macs().begin(), request.peer_macs().end());
  r.mutable_qos()->set_available(can_reserve_[host]);
  for (const auto& f : traffic_[host]) *r.add_traffic() = f;
  r.set_cpus(hosts_[host].first);
  r.set_memory_mib(hosts_[host].second);
  for (const auto& [vm, mib] : vms_[host]) {
    const auto& only = request.vms();
    if (!only.empty() && std::find(only.begin(), only.end(), vm) == only.end()) continue;
    auto* v = r.add_vms();
    v->set_name(vm);
    v->set_state("running");
    v->set_vcpus(1);
    v->set_memory_mib(mib);
    v->set_max_memory_mib(mib);
    if (macs_.count(vm) != 0) v->add_taps()->set_mac(macs_.at(vm));
    if (request.dirty_rate_period_s() > 0) {
      v->mutable_dirty_rate()->set_status("measured");
      v->mutable_dirty_rate()->set_mibps(dirty_.count(vm) > 0 ? dirty_.at(vm) : 0.0);
      v->mutable_dirty_rate()->set_period_s(request.dirty_rate_period_s());
    }
    if (auto e = enlightenment_.find(vm);
        e != enlightenment_.end() && request.enlightenment_max_age_s() > 0) {
      v->mutable_enlightenment()->set_vm(vm);
      v->mutable_enlightenment()->set_generation(1);
      v->mutable_enlightenment()->set_working_set_mib(e->second.first);
      v->mutable_enlightenment()->set_free_mib(e->second.second);
    }
  }
  // As libvirt shows a migration under way: the source's domain has an outgoing job, the
  // destination holds a paused domain of the same name.
  for (const auto& [id, m] : migrations_) {
    const auto& p = m.progress;
    if (p.state() != "running" && p.state() != "postcopy") continue;
    for (auto& v : *r.mutable_vms()) {
      if (m.source == host && v.name() == p.vm()) v.set_migrating(true);
    }
    if (m.request.destination().host() == host) {
      auto* v = r.add_vms();
      v->set_name(p.vm());
      v->set_state("paused");
      v->set_vcpus(1);
      v->set_memory_mib(vms_[m.source][p.vm()]);
      v->set_max_memory_mib(v->memory_mib());
    }
  }
  return r;
}

void FakeAgents::InjectRunning(const v1::StartMigrationRequest& request,
                               const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  Migration m;
  m.source = source;
  m.request = request;
  m.progress.set_id(request.id());
  m.progress.set_vm(request.vm());
  m.progress.set_destination_host(request.destination().host());
  m.progress.set_mode(request.mode());
  m.progress.set_state("running");
  m.progress.set_iteration(1);
  m.progress.set_data_total_mib(vms_[source][request.vm()]);
  m.progress.set_data_remaining_mib(vms_[source][request.vm()]);
  m.progress.set_speed_limit_mibps(request.bandwidth_mibps());
  migrations_[request.id()] = m;
}

StatusOr<v1::MigrationProgress> FakeAgents::Start(const std::string& host,
                                                  const v1::StartMigrationRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    CONVOY_RETURN_IF_ERROR(Reachable(host));
    auto it = migrations_.find(request.id());
    if (it != migrations_.end()) return it->second.progress;  // idempotent
    if (vms_[host].count(request.vm()) == 0) {
      return absl::NotFoundError(absl::StrCat("no VM '", request.vm(), "' on ", host));
    }
    ++starts_;
    started_ids_.push_back(request.id());
    speeds_[request.id()] = request.bandwidth_mibps();
    modes_[request.vm()] = request.mode();
    reservations_[request.vm()] = request.reservation();
    stagings_[request.vm()] = request.staging();
  }
  InjectRunning(request, host);
  return Get(host, request.id());
}

StatusOr<v1::MigrationProgress> FakeAgents::Get(const std::string& host, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(Reachable(host));
  auto it = migrations_.find(id);
  if (it == migrations_.end() || it->second.source != host) {
    return absl::NotFoundError(absl::StrCat("no migration '", id, "'"));
  }
  Migration& m = it->second;
  auto& p = m.progress;
  if (p.state() != "running" && p.state() != "postcopy") return p;
  if (fail_.count(p.vm()) > 0) {
    p.set_state("failed");
    p.set_error("injected failure");
    return p;
  }
  double step = step_mib_;
  if (seconds_per_get_ > 0) {
    auto e = efficiency_.find(p.vm());
    step = p.speed_limit_mibps() * seconds_per_get_ * (e == efficiency_.end() ? 1.0 : e->second);
  }
  p.set_data_processed_mib(std::min(p.data_total_mib(), p.data_processed_mib() + step));
  p.set_data_remaining_mib(p.data_total_mib() - p.data_processed_mib());
  p.set_elapsed_s(p.elapsed_s() + 1);
  p.set_bandwidth_mibps(p.speed_limit_mibps());
  if (p.data_remaining_mib() <= 0) {
    p.set_state("completed");
    const double mib = vms_[host][p.vm()];
    vms_[host].erase(p.vm());
    vms_[m.request.destination().host()][p.vm()] = mib;
  }
  return p;
}

StatusOr<v1::MigrationProgress> FakeAgents::SetSpeed(const std::string& host, const std::string& id,
                                                     double mibps) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(Reachable(host));
  auto it = migrations_.find(id);
  if (it == migrations_.end()) return absl::NotFoundError(id);
  it->second.progress.set_speed_limit_mibps(mibps);
  speeds_[id] = mibps;
  return it->second.progress;
}

StatusOr<v1::MigrationProgress> FakeAgents::Abort(const std::string& host, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_RETURN_IF_ERROR(Reachable(host));
  auto it = migrations_.find(id);
  if (it == migrations_.end()) return absl::NotFoundError(id);
  ++aborts_;
  it->second.progress.set_state("aborted");
  it->second.progress.set_error("aborted by request");
  return it->second.progress;
}

}  // namespace convoy::testing
