#include "agent/migration_manager.h"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

namespace convoy::agent {
namespace {

namespace fs = std::filesystem;
constexpr double kMiB = 1048576.0;

double NowUnixS() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool AllowsPostCopy(const std::string& mode) {
  return mode == "post-copy" || mode == "pre-then-post" || mode == "enlightened";
}

// Whether a post-copy migration switches now: post-copy as soon as the job moves data, and
// enlightened too unless a bounded pre-copy (precopy_s) comes first.
bool SwitchNow(const v1::StartMigrationRequest& r, double elapsed_s) {
  return r.mode() == "post-copy" || (r.mode() == "enlightened" && elapsed_s >= r.precopy_s());
}

}  // namespace

MigrationManager::MigrationManager(Hypervisor* hypervisor, MigrationManagerOptions options)
    : hypervisor_(hypervisor), options_(std::move(options)) {
  hypervisor_->SetIterationCallback(
      [this](const std::string& vm, int iteration) { OnIteration(vm, iteration); });
  hypervisor_->SetJobCompletedCallback(
      [this](const std::string& vm, const JobStats& stats) { OnJobCompleted(vm, stats); });
}

MigrationManager::~MigrationManager() {
  hypervisor_->SetIterationCallback(nullptr);
  hypervisor_->SetJobCompletedCallback(nullptr);
  std::vector<std::shared_ptr<Migration>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, m] : migrations_) all.push_back(m);
  }
  changed_.notify_all();
  for (auto& m : all) {
    if (m->monitor.joinable()) m->monitor.join();
    if (m->runner.joinable()) m->runner.join();
  }
}

bool MigrationManager::Final(const std::string& state) {
  return state == "completed" || state == "failed" || state == "aborted";
}

StatusOr<std::shared_ptr<MigrationManager::Migration>> MigrationManager::Find(
    const std::string& id) const {
  auto it = migrations_.find(id);
  if (it == migrations_.end()) {
    return absl::NotFoundError(absl::StrCat("no migration with id '", id, "' on this agent"));
  }
  return it->second;
}

StatusOr<std::shared_ptr<MigrationManager::Migration>> MigrationManager::FindActive(
    const std::string& id) const {
  CONVOY_ASSIGN_OR_RETURN(auto m, Find(id));
  if (Final(m->progress.state())) {
    return absl::FailedPreconditionError(
        absl::StrCat("migration ", id, " is ", m->progress.state(), " already"));
  }
  return m;
}

void MigrationManager::Persist(const Migration& m) {
  if (options_.state_dir.empty()) return;
  v1::MigrationRecord record;
  *record.mutable_request() = m.request;
  *record.mutable_progress() = m.progress;
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(record, &json, print).ok()) return;
  const fs::path dir = fs::path(options_.state_dir) / "migrations";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path file = dir / (m.progress.id() + ".json");
  const fs::path tmp = dir / (m.progress.id() + ".json.tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json << "\n";
    out.flush();
    if (!out) return;
  }
  fs::rename(tmp, file, ec);
}

void MigrationManager::Changed(Migration& m) {
  ++m.version;
  Persist(m);
  changed_.notify_all();
}

void MigrationManager::Finish(Migration& m, const std::string& state, const std::string& error) {
  if (Final(m.progress.state())) return;
  m.progress.set_state(state);
  m.progress.set_error(error);
  if (state == "completed" && m.progress.execution_transfer_s() == 0) {
    m.progress.set_execution_transfer_s(NowUnixS() - m.progress.started_at_unix_s());
  }
  if (state == "completed") {
    m.progress.set_data_remaining_mib(0);
    if (m.progress.data_total_mib() > 0 && m.progress.data_processed_mib() == 0) {
      m.progress.set_data_processed_mib(m.progress.data_total_mib());
    }
  }
  m.progress.set_elapsed_s(NowUnixS() - m.progress.started_at_unix_s());
  if (options_.listener != nullptr) {
    options_.listener->Annotate(&m.progress);
    options_.listener->OnMigrationEnd(m.progress.id());
  }
  Changed(m);
}

StatusOr<v1::MigrationProgress> MigrationManager::Start(const v1::StartMigrationRequest& in) {
  v1::StartMigrationRequest request = in;
  if (request.mode().empty()) request.set_mode("pre-copy");
  if (request.mode() != "pre-copy" && request.mode() != "post-copy" &&
      request.mode() != "pre-then-post" && request.mode() != "enlightened") {
    return absl::InvalidArgumentError(
        absl::StrCat("mode: unknown mode '", request.mode(),
                     "' (one of pre-copy, post-copy, pre-then-post, enlightened)"));
  }
  if (request.destination().libvirt_uri().empty()) {
    return absl::InvalidArgumentError("destination.libvirt_uri: must name the destination");
  }
  // The id names the record file in the state directory: no path separators, no dot files.
  const bool id_ok = request.id().size() <= 128 &&
                     (request.id().empty() || request.id()[0] != '.') &&
                     std::all_of(request.id().begin(), request.id().end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                     });
  if (!id_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("id: '", request.id(),
                     "' is not a valid migration id (letters, digits, - _ and ., at "
                     "most 128, not starting with a dot)"));
  }
  if (request.bandwidth_mibps() < 0 || request.downtime_ms() < 0 || request.timeout_s() < 0 ||
      request.postcopy_bandwidth_mibps() < 0 || request.precopy_s() < 0) {
    return absl::InvalidArgumentError(
        "bandwidth_mibps, postcopy_bandwidth_mibps, precopy_s, downtime_ms and timeout_s must "
        "not be negative");
  }
  if (request.has_staging()) {
    if (options_.staging == nullptr) {
      return absl::FailedPreconditionError(
          "staging: this agent has no Redis intermediaries configured (stage-redis)");
    }
    CONVOY_RETURN_IF_ERROR(options_.staging->Check(request));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!request.id().empty() && migrations_.contains(request.id())) {
      return migrations_[request.id()]->progress;  // idempotent start
    }
    for (const auto& [id, m] : migrations_) {
      if (m->request.vm() == request.vm() && !Final(m->progress.state())) {
        return absl::FailedPreconditionError(
            absl::StrCat("VM '", request.vm(), "' is already migrating (migration ", id, ")"));
      }
    }
  }
  CONVOY_ASSIGN_OR_RETURN(DomainFacts domain, hypervisor_->GetDomain(request.vm()));
  if (domain.state != "running" && domain.state != "paused") {
    return absl::FailedPreconditionError(
        absl::StrCat("VM '", request.vm(), "' is ", domain.state, ", not running"));
  }
  if (domain.migrating_out) {
    return absl::FailedPreconditionError(
        absl::StrCat("VM '", request.vm(), "' is already migrating"));
  }

  if (request.id().empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    request.set_id(
        absl::StrFormat("m-%d-%d", static_cast<long long>(NowUnixS() * 1000), next_id_++));
  }
  if (options_.listener != nullptr) {
    CONVOY_RETURN_IF_ERROR(options_.listener->OnMigrationStart(request));
  }
  // Enlightened: the guest's snapshot and its armed trigger first, or plain post-copy and why.
  std::unique_ptr<EnlightenmentReader::Session> enlightened;
  std::string note;
  double enlightenment_ms = 0;
  if (request.mode() == "enlightened") {
    const auto asked = std::chrono::steady_clock::now();
    auto armed = enlightenment_ != nullptr
                     ? enlightenment_->Arm(request.vm())
                     : StatusOr<std::unique_ptr<EnlightenmentReader::Session>>(
                           absl::FailedPreconditionError("this agent reads no enlightenment"));
    enlightenment_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked).count();
    if (armed.ok()) {
      enlightened = *std::move(armed);
    } else {
      note = absl::StrCat("enlightenment unavailable, plain post-copy: ", armed.status().message());
    }
  }

  auto m = std::make_shared<Migration>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (migrations_.contains(request.id())) {
      return migrations_[request.id()]->progress;  // a concurrent start with the same id won
    }
    m->request = request;
    m->progress.set_id(request.id());
    m->progress.set_vm(request.vm());
    m->progress.set_destination_host(request.destination().host());
    m->progress.set_mode(request.mode() == "enlightened" && !enlightened ? "post-copy"
                                                                         : request.mode());
    m->progress.set_note(note);
    m->progress.set_enlightenment_ms(enlightenment_ms);
    m->enlightened = std::move(enlightened);
    m->progress.set_state("starting");
    m->progress.set_speed_limit_mibps(request.bandwidth_mibps());
    m->progress.set_started_at_unix_s(NowUnixS());
    m->progress.set_data_total_mib(domain.memory_mib);
    migrations_[request.id()] = m;
    Changed(*m);
    m->runner = std::thread([this, m] { Run(m); });
    m->monitor = std::thread([this, m] { Monitor(m); });
  }
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, std::chrono::milliseconds(options_.start_timeout_ms),
                    [&] { return m->job_seen || Final(m->progress.state()) || stopping_; });
  if (m->progress.state() == "failed") {
    return absl::UnavailableError(absl::StrCat("migration of '", request.vm(), "' to ",
                                               request.destination().host(),
                                               " failed to start: ", m->progress.error()));
  }
  return m->progress;
}

void MigrationManager::Run(const std::shared_ptr<Migration>& m) {
  MigrateOptions options;
  options.dest_libvirt_uri = m->request.destination().libvirt_uri();
  if (!m->request.destination().migration_address().empty()) {
    options.migration_uri = absl::StrCat("tcp://", m->request.destination().migration_address());
  }
  options.allow_postcopy = AllowsPostCopy(m->request.mode());
  options.bandwidth_mibps = m->request.bandwidth_mibps();
  options.auto_converge = m->request.auto_converge();
  options.parallel_connections = m->request.parallel_connections();
  options.persist_destination = m->request.persist_destination();
  options.postcopy_bandwidth_mibps = m->request.postcopy_bandwidth_mibps();
  if (Status staged = OpenStaging(m, &options); !staged.ok()) {
    if (m->enlightened) m->enlightened->Disarm();
    std::lock_guard<std::mutex> lock(mu_);
    Finish(*m, "failed", std::string(staged.message()));
    return;
  }
  Status result = hypervisor_->Migrate(m->request.vm(), options);
  if (m->enlightened) {
    // Done, or it stayed here: either way the guest is told nothing more, or to stop waiting.
    if (result.ok()) {
      m->enlightened->Release();
    } else {
      m->enlightened->Disarm();
    }
  }
  std::shared_ptr<StagedSession> staged;
  {
    std::lock_guard<std::mutex> lock(mu_);
    staged = m->staged;
  }
  const Status cleaned = staged ? staged->Finish(result.ok()) : absl::OkStatus();
  std::unique_lock<std::mutex> lock(mu_);
  if (result.ok()) {
    changed_.wait_for(lock, std::chrono::milliseconds(options_.completed_event_wait_ms),
                      [&] { return m->completed_event || stopping_; });
  }
  if (staged) *m->progress.mutable_staging() = staged->Progress();
  const std::string unclean =
      cleaned.ok() ? "" : absl::StrCat("; staged data left behind: ", cleaned.message());
  if (result.ok()) {
    Finish(*m, "completed", unclean.empty() ? "" : unclean.substr(2));
  } else if (!m->fail_reason.empty()) {
    const bool stays = m->progress.state() != "postcopy";
    Finish(*m, "failed",
           absl::StrCat(m->fail_reason, stays ? "; the VM stays on this host" : "",
                        " (libvirt: ", result.message(), ")", unclean));
  } else if (m->abort_requested) {
    Finish(*m, "aborted",
           absl::StrCat(m->abort_reason.empty()
                            ? std::string(result.message())
                            : absl::StrCat(m->abort_reason, " (", result.message(), ")"),
                        unclean));
  } else {
    Finish(*m, "failed", absl::StrCat(result.message(), unclean));
  }
}

void MigrationManager::Monitor(const std::shared_ptr<Migration>& m) {
  bool switched = false;
  bool switch_refused = false;
  bool aborted = false;
  bool downtime_set = false;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms),
                        [&] { return stopping_ || Final(m->progress.state()); });
      if (stopping_ || Final(m->progress.state())) return;
    }
    auto stats = hypervisor_->GetJobStats(m->request.vm(), false);
    enum class Action { kNone, kDowntime, kPostCopy, kAbort, kSettle } action = Action::kNone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (Final(m->progress.state())) return;
      auto& p = m->progress;
      const double elapsed_s = NowUnixS() - p.started_at_unix_s();
      p.set_elapsed_s(elapsed_s);
      if (stats.ok() && stats->active) {
        if (stats->data_total > 0 || stats->memory_iteration > 0) m->job_seen = true;
        if (m->job_seen && p.state() == "starting") p.set_state("running");
        if (stats->postcopy) {
          p.set_state("postcopy");
          if (p.execution_transfer_s() == 0) p.set_execution_transfer_s(elapsed_s);
          // The VM runs on the destination: the guest saw the hangup there.
          if (m->enlightened) m->enlightened->Release();
        }
        if (stats->data_total > 0)
          p.set_data_total_mib(static_cast<double>(stats->data_total) / kMiB);
        p.set_data_processed_mib(static_cast<double>(stats->data_processed) / kMiB);
        p.set_data_remaining_mib(static_cast<double>(stats->data_remaining) / kMiB);
        if (stats->memory_iteration > p.iteration()) {
          p.set_iteration(static_cast<uint32_t>(stats->memory_iteration));
        }
        p.set_dirty_rate_mibps(stats->dirty_rate_pages_per_s *
                               static_cast<double>(stats->page_size) / kMiB);
        p.set_bandwidth_mibps(stats->memory_bytes_per_s / kMiB);
        if (options_.listener != nullptr) options_.listener->Annotate(&p);
        if (m->staged) {
          m->staged->OnJobStats(*stats);
          *p.mutable_staging() = m->staged->Progress();
        }
        const auto& r = m->request;
        const bool timed_out = r.timeout_s() > 0 && elapsed_s > r.timeout_s();
        const bool switch_due =
            !switched && !stats->postcopy && m->job_seen && AllowsPostCopy(r.mode()) &&
            (SwitchNow(r, elapsed_s) || m->switch_requested || timed_out ||
             (r.postcopy_after_iterations() > 0 &&
              p.iteration() >= r.postcopy_after_iterations()));
        // A due switch first: setting the downtime limit can wait behind libvirt's job.
        if (switch_due) {
          action = Action::kPostCopy;
        } else if (!downtime_set && r.downtime_ms() > 0) {
          action = Action::kDowntime;
        } else if (!aborted && timed_out && r.mode() == "pre-copy") {
          m->abort_requested = true;
          m->abort_reason =
              absl::StrFormat("pre-copy did not converge within %.0f s", r.timeout_s());
          action = Action::kAbort;
        }
        Changed(*m);
      } else if (m->adopted) {
        action = Action::kSettle;
      }
    }
    switch (action) {
      case Action::kNone:
        break;
      case Action::kDowntime:
        // A refusal is not retried every poll; the migration goes on with QEMU's limit.
        (void)hypervisor_->SetMaxDowntime(m->request.vm(), m->request.downtime_ms());
        downtime_set = true;
        break;
      case Action::kPostCopy: {
        Status result = hypervisor_->StartPostCopy(m->request.vm());
        switched = result.ok();
        if (switched) {
          spdlog::info("migration {} of {}: switching to post-copy", m->progress.id(),
                       m->request.vm());
        } else if (!switch_refused) {
          switch_refused = true;  // retried every poll; said once
          spdlog::info("migration {} of {}: post-copy refused for now: {}", m->progress.id(),
                       m->request.vm(), std::string(result.message()));
        }
        break;
      }
      case Action::kAbort:
        aborted = hypervisor_->AbortJob(m->request.vm()).ok();
        break;
      case Action::kSettle:
        Settle(m);
        return;
    }
  }
}

void MigrationManager::Settle(const std::shared_ptr<Migration>& m) {
  auto domain = hypervisor_->GetDomain(m->request.vm());
  std::lock_guard<std::mutex> lock(mu_);
  if (!domain.ok() && domain.status().code() == absl::StatusCode::kNotFound) {
    Finish(*m, "completed", "");  // the VM left this host
  } else if (domain.ok() && domain->state == "shutoff") {
    Finish(*m, "completed", "");  // a persistent source stays defined, shut off
  } else if (domain.ok()) {
    Finish(*m, "failed",
           absl::StrCat("the migration ended while the agent was not following it and the VM "
                        "is still ",
                        domain->state, " on this host"));
  } else {
    Finish(*m, "failed", std::string(domain.status().message()));
  }
}

Status MigrationManager::OpenStaging(const std::shared_ptr<Migration>& m, MigrateOptions* options) {
  v1::StartMigrationRequest request;
  double started_at_unix_s = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!m->request.has_staging()) return absl::OkStatus();
    request = m->request;
    started_at_unix_s = m->progress.started_at_unix_s();
  }
  std::weak_ptr<Migration> weak = m;
  CONVOY_ASSIGN_OR_RETURN(
      std::unique_ptr<StagedSession> session,
      options_.staging->Open(request, started_at_unix_s, [this, weak](const Status& status) {
        if (auto migration = weak.lock()) OnStageFailure(migration, status);
      }));
  session->Apply(options);
  std::lock_guard<std::mutex> lock(mu_);
  m->staged = std::move(session);
  *m->progress.mutable_staging() = m->staged->Progress();
  Changed(*m);
  return absl::OkStatus();
}

void MigrationManager::OnStageFailure(const std::shared_ptr<Migration>& m, const Status& status) {
  std::string vm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // After an abort the destination's half goes away too: that is no failure of its own.
    if (Final(m->progress.state()) || !m->fail_reason.empty() || m->abort_requested) return;
    m->fail_reason = std::string(status.message());
    vm = m->request.vm();
  }
  (void)hypervisor_->AbortJob(vm);  // refused in post-copy; the relay then closes the stream
}

void MigrationManager::OnJobCompleted(const std::string& vm, const JobStats& stats) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, m] : migrations_) {
    if (m->request.vm() != vm || Final(m->progress.state())) continue;
    m->progress.set_downtime_ms(static_cast<double>(stats.downtime_ms));
    if (stats.data_processed > 0) {
      m->progress.set_data_processed_mib(static_cast<double>(stats.data_processed) / kMiB);
    }
    m->completed_event = true;
    Changed(*m);
  }
}

void MigrationManager::OnIteration(const std::string& vm, int iteration) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, m] : migrations_) {
    if (m->request.vm() != vm || Final(m->progress.state())) continue;
    if (iteration > static_cast<int>(m->progress.iteration())) {
      m->progress.set_iteration(static_cast<uint32_t>(iteration));
      m->job_seen = true;
      if (m->progress.state() == "starting") m->progress.set_state("running");
      Changed(*m);
    }
  }
}

v1::MigrationProgress MigrationManager::Current(const Migration& m) const {
  v1::MigrationProgress p = m.progress;
  if (Final(p.state())) return p;
  // The relay's figures and the reservation move even while libvirt is slow to answer the
  // monitor's polls.
  if (m.staged) *p.mutable_staging() = m.staged->Progress();
  if (options_.listener != nullptr) options_.listener->Annotate(&p);
  return p;
}

StatusOr<v1::MigrationProgress> MigrationManager::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_ASSIGN_OR_RETURN(auto m, Find(id));
  return Current(*m);
}

std::vector<v1::MigrationProgress> MigrationManager::List(bool include_finished) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<v1::MigrationProgress> out;
  for (const auto& [id, m] : migrations_) {
    if (include_finished || !Final(m->progress.state())) out.push_back(Current(*m));
  }
  return out;
}

Status MigrationManager::Watch(
    const std::string& id, int interval_ms,
    const std::function<bool(const v1::MigrationProgress&)>& on_progress) {
  if (interval_ms <= 0) interval_ms = 1000;
  std::shared_ptr<Migration> m;
  v1::MigrationProgress snapshot;
  uint64_t seen = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CONVOY_ASSIGN_OR_RETURN(m, Find(id));
    snapshot = Current(*m);
    seen = m->version;
  }
  while (true) {
    if (!on_progress(snapshot)) return absl::CancelledError("the watcher went away");
    if (Final(snapshot.state())) return absl::OkStatus();
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, std::chrono::milliseconds(interval_ms),
                      [&] { return stopping_ || m->version != seen; });
    if (stopping_) return absl::UnavailableError("the agent is shutting down");
    snapshot = Current(*m);
    seen = m->version;
  }
}

StatusOr<v1::MigrationProgress> MigrationManager::SetSpeed(const std::string& id, double mibps) {
  if (mibps < 0) return absl::InvalidArgumentError("bandwidth_mibps: must not be negative");
  std::string vm;
  bool postcopy = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CONVOY_ASSIGN_OR_RETURN(auto m, FindActive(id));
    vm = m->request.vm();
    postcopy = m->progress.state() == "postcopy";
  }
  CONVOY_RETURN_IF_ERROR(hypervisor_->SetMaxSpeed(vm, mibps, postcopy));
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_ASSIGN_OR_RETURN(auto m, Find(id));
  m->progress.set_speed_limit_mibps(mibps);
  Changed(*m);
  return m->progress;
}

StatusOr<v1::MigrationProgress> MigrationManager::SwitchToPostCopy(const std::string& id) {
  std::string vm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CONVOY_ASSIGN_OR_RETURN(auto m, FindActive(id));
    if (!AllowsPostCopy(m->request.mode())) {
      return absl::FailedPreconditionError(
          absl::StrCat("migration ", id, " was started in ", m->request.mode(),
                       " mode, without post-copy; start it as pre-then-post to be able to switch"));
    }
    if (m->progress.state() == "postcopy") return m->progress;
    m->switch_requested = true;
    vm = m->request.vm();
  }
  CONVOY_RETURN_IF_ERROR(hypervisor_->StartPostCopy(vm));
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_ASSIGN_OR_RETURN(auto m, Find(id));
  if (!Final(m->progress.state())) m->progress.set_state("postcopy");
  Changed(*m);
  return m->progress;
}

StatusOr<v1::MigrationProgress> MigrationManager::Abort(const std::string& id) {
  std::string vm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CONVOY_ASSIGN_OR_RETURN(auto m, FindActive(id));
    if (m->progress.state() == "postcopy") {
      return absl::FailedPreconditionError(
          absl::StrCat("migration ", id, " is in post-copy: the VM already runs on ",
                       m->request.destination().host(), " and cannot come back; let it finish"));
    }
    m->abort_requested = true;
    m->abort_reason = "aborted by request";
    vm = m->request.vm();
  }
  Status aborted = hypervisor_->AbortJob(vm);
  std::lock_guard<std::mutex> lock(mu_);
  CONVOY_ASSIGN_OR_RETURN(auto m, Find(id));
  if (!aborted.ok()) {
    if (Final(m->progress.state())) return m->progress;  // it ended on its own meanwhile
    m->abort_requested = false;
    return aborted;
  }
  return m->progress;
}

void MigrationManager::Adopt(v1::StartMigrationRequest request, v1::MigrationProgress progress) {
  auto m = std::make_shared<Migration>();
  m->request = std::move(request);
  m->progress = std::move(progress);
  m->progress.set_adopted(true);
  m->adopted = true;
  m->job_seen = true;
  if (m->progress.state() == "starting") m->progress.set_state("running");
  if (options_.listener != nullptr && !Final(m->progress.state())) {
    // A restarted agent cleared its reservations; a migration that asked for one gets it back.
    if (Status again = options_.listener->OnMigrationStart(m->request); !again.ok()) {
      m->progress.set_error(absl::StrCat("adopted without its reservation: ", again.message()));
    }
  }
  migrations_[m->progress.id()] = m;
  Changed(*m);
  m->monitor = std::thread([this, m] { Monitor(m); });
}

Status MigrationManager::Recover() {
  std::map<std::string, v1::MigrationRecord> records;
  if (!options_.state_dir.empty()) {
    const fs::path dir = fs::path(options_.state_dir) / "migrations";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      v1::MigrationRecord record;
      if (google::protobuf::util::JsonStringToMessage(text.str(), &record).ok()) {
        records[record.progress().id()] = record;
      }
    }
  }
  // A staged migration that was running lost its relay with the previous run (so libvirt's
  // migration failed): what it left on the intermediaries goes now.
  for (const auto& [id, record] : records) {
    if (record.request().has_staging() && !Final(record.progress().state()) &&
        options_.staging != nullptr) {
      (void)options_.staging->Forget(record.request());
    }
  }
  CONVOY_ASSIGN_OR_RETURN(auto domains, hypervisor_->ListDomains());
  std::map<std::string, const DomainFacts*> migrating;
  for (const auto& d : domains) {
    if (d.migrating_out) migrating[d.name] = &d;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, record] : records) {
    const std::string vm = record.request().vm();
    if (Final(record.progress().state())) {
      auto m = std::make_shared<Migration>();
      m->request = record.request();
      m->progress = record.progress();
      migrations_[id] = m;
      continue;
    }
    migrating.erase(vm);
    // Still running, or ended while nobody followed it: the monitor settles it either way.
    Adopt(record.request(), record.progress());
  }
  for (const auto& [vm, facts] : migrating) {
    // A migration this agent did not start (or whose record was lost).
    v1::StartMigrationRequest request;
    request.set_vm(vm);
    request.set_id(absl::StrFormat("adopted-%s-%d", vm, static_cast<long long>(NowUnixS())));
    v1::MigrationProgress progress;
    progress.set_id(request.id());
    progress.set_vm(vm);
    progress.set_mode("unknown");
    progress.set_state("running");
    progress.set_started_at_unix_s(NowUnixS());
    progress.set_data_total_mib(facts->memory_mib);
    Adopt(request, progress);
  }
  return absl::OkStatus();
}

}  // namespace convoy::agent
