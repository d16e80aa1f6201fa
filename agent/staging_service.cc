#include "agent/staging_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/controller_link.h"
#include "convoy/v1/agent.grpc.pb.h"

namespace convoy::agent {
namespace {

constexpr double kMiB = 1048576.0;

std::string RandomToken() {
  std::random_device random;
  std::string token;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&token, absl::Hex(random(), absl::kZeroPad8));
  return token;
}

// host:port with an IPv6 host in brackets.
std::string JoinHostPort(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return v6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

class RelaySession final : public StagedSession {
 public:
  RelaySession(std::unique_ptr<StageRelay> relay, int port, std::string listen_address,
               std::vector<std::string> intermediaries, double started_at_unix_s)
      : relay_(std::move(relay)),
        port_(port),
        listen_address_(std::move(listen_address)),
        intermediaries_(std::move(intermediaries)),
        started_at_unix_s_(started_at_unix_s) {}

  void Apply(MigrateOptions* options) const override {
    options->migration_uri = absl::StrCat("tcp://127.0.0.1:", port_);
    options->listen_address = listen_address_;
    options->parallel_connections = 0;
  }

  void OnJobStats(const JobStats& stats) override {
    if (stats.postcopy) relay_->SetAbortable(false);
    relay_->NoteNothingLeft(stats.active && stats.memory_iteration >= 1 && stats.data_total > 0 &&
                            stats.data_remaining == 0);
  }

  v1::StagingProgress Progress() const override {
    const RelayFigures f = relay_->Figures();
    v1::StagingProgress p;
    for (const auto& address : intermediaries_) p.add_intermediaries(address);
    p.set_staged_mib(static_cast<double>(f.staged_bytes) / kMiB);
    p.set_gathered_mib(static_cast<double>(f.gathered_bytes) / kMiB);
    p.set_backlog_mib(std::max(0.0, p.staged_mib() - p.gathered_mib()));
    p.set_evicted(f.evicted);
    if (f.evicted) {
      p.set_evicted_at_unix_s(f.evicted_at_unix_s);
      p.set_eviction_s(std::max(0.0, f.evicted_at_unix_s - started_at_unix_s_));
    }
    return p;
  }

  Status Finish(bool succeeded) override { return relay_->Finish(succeeded); }

 private:
  std::unique_ptr<StageRelay> relay_;
  const int port_;
  const std::string listen_address_;
  const std::vector<std::string> intermediaries_;
  const double started_at_unix_s_;
};

}  // namespace

StagingService::StagingService(StagingConfig config, PageStagerFactory factory,
                               PrepareIncomingCall prepare, StageServer* server)
    : config_(std::move(config)),
      factory_(std::move(factory)),
      prepare_(std::move(prepare)),
      server_(server) {
  // Entries were checked as host:port at start-up; one that is not a valid allow-list entry
  // leaves the list empty, which refuses every intermediary.
  if (auto allowed = security::EndpointAllowList::Parse(config_.redis, "--stage-redis");
      allowed.ok()) {
    allowed_redis_ = *std::move(allowed);
  }
}

Status StagingService::CheckIntermediaries(
    const google::protobuf::RepeatedPtrField<std::string>& addresses,
    const std::string& field) const {
  if (addresses.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": name at least one intermediary"));
  }
  std::set<std::string> seen;
  for (const auto& address : addresses) {
    if (!seen.insert(address).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": intermediary ", address, " is named twice"));
    }
    if (!allowed_redis_.Allows(address)) {
      return absl::PermissionDeniedError(absl::StrCat(
          field, ": intermediary ", address, " is not in this agent's stage-redis configuration",
          config_.redis.empty() ? std::string(" (none configured)")
                                : absl::StrCat(" (", absl::StrJoin(config_.redis, ", "), ")")));
    }
  }
  return absl::OkStatus();
}

Status StagingService::Check(const v1::StartMigrationRequest& request) const {
  const auto& staging = request.staging();
  CONVOY_RETURN_IF_ERROR(CheckIntermediaries(staging.intermediaries(), "staging.intermediaries"));
  if (staging.destination_agent().empty()) {
    return absl::InvalidArgumentError(
        "staging.destination_agent: must name the destination agent's API (host:port)");
  }
  if (auto where = ParseHostPort(staging.destination_agent()); !where.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("staging.destination_agent: ", where.status().message()));
  }
  if (request.destination().migration_address().empty()) {
    return absl::InvalidArgumentError(
        "destination.migration_address: a staged migration needs the address the destination "
        "QEMU listens on");
  }
  if (request.parallel_connections() > 1) {
    return absl::InvalidArgumentError(
        "parallel_connections: a staged migration is a single stream");
  }
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<StagedSession>> StagingService::Open(
    const v1::StartMigrationRequest& request, double started_at_unix_s,
    std::function<void(const Status&)> on_failure) {
  CONVOY_RETURN_IF_ERROR(Check(request));
  const auto& staging = request.staging();
  std::vector<std::unique_ptr<PageStager>> stagers;
  std::vector<std::string> intermediaries(staging.intermediaries().begin(),
                                          staging.intermediaries().end());
  for (const auto& address : intermediaries) {
    CONVOY_ASSIGN_OR_RETURN(auto stager, factory_(address, request.id()));
    stagers.push_back(std::move(stager));
  }
  // The relay's port is the one the destination QEMU listens on too (libvirt uses the port of
  // the migration URI on both ends): free here on loopback, and checked free there.
  v1::StagedIncomingRequest incoming;
  incoming.set_id(request.id());
  incoming.set_vm(request.vm());
  *incoming.mutable_intermediaries() = staging.intermediaries();
  incoming.set_listen_address(request.destination().migration_address());
  incoming.set_token(RandomToken());
  int listen_fd = -1;
  StatusOr<v1::StagedIncomingReply> ready = absl::UnknownError("not asked");
  for (int attempt = 0; attempt < std::max(1, config_.prepare_attempts); ++attempt) {
    CONVOY_ASSIGN_OR_RETURN(listen_fd, stage::ListenTcp("127.0.0.1", 0));
    incoming.set_port(static_cast<uint32_t>(stage::LocalPort(listen_fd)));
    ready = prepare_(staging.destination_agent(), incoming);
    if (ready.ok()) break;
    stage::Close(listen_fd);
    listen_fd = -1;
    if (ready.status().code() != absl::StatusCode::kAlreadyExists) break;
  }
  if (!ready.ok()) {
    return Status(ready.status().code(),
                  absl::StrCat("destination agent ", staging.destination_agent(),
                               " cannot gather the staged migration: ", ready.status().message()));
  }
  auto link = stage::ConnectTcp(ready->stage_address(), config_.link_timeout_ms);
  if (!link.ok()) {
    stage::Close(listen_fd);
    return Status(link.status().code(),
                  absl::StrCat("stage link to the destination: ", link.status().message()));
  }
  const std::string hello =
      absl::StrCat(std::string(stage::kHelloPrefix), request.id(), " ", incoming.token(), "\n");
  auto answer = stage::WriteAll(*link, hello.data(), hello.size())
                    ? stage::ReadLine(*link, 512, config_.link_timeout_ms)
                    : StatusOr<std::string>(absl::UnavailableError("the stage link closed"));
  if (!answer.ok() || *answer != "OK") {
    stage::Close(*link);
    stage::Close(listen_fd);
    return absl::UnavailableError(
        absl::StrCat("the destination refused the stage link: ",
                     answer.ok() ? answer->substr(answer->rfind("ERR ", 0) == 0 ? 4 : 0)
                                 : std::string(answer.status().message())));
  }
  const int port = static_cast<int>(incoming.port());
  auto relay = std::make_unique<StageRelay>(request.id(), listen_fd, std::move(stagers), *link,
                                            config_.relay, factory_, std::move(on_failure));
  // Only a pre-copy can always be abandoned; a migration that may switch to post-copy waits
  // for room on a full intermediary instead of failing (the VM could not come back).
  relay->SetAbortable(request.mode() == "pre-copy" || request.mode().empty());
  return std::unique_ptr<StagedSession>(std::make_unique<RelaySession>(
      std::move(relay), port, request.destination().migration_address(), std::move(intermediaries),
      started_at_unix_s));
}

Status StagingService::Forget(const v1::StartMigrationRequest& request) {
  Status first;
  for (const auto& address : request.staging().intermediaries()) {
    if (!allowed_redis_.Allows(address)) continue;  // never used: Check refuses it
    auto stager = factory_(address, request.id());
    auto deleted = stager.ok() ? (*stager)->DeleteAll() : StatusOr<uint64_t>(stager.status());
    if (!deleted.ok() && first.ok()) first = deleted.status();
  }
  return first;
}

StatusOr<v1::StagedIncomingReply> StagingService::PrepareIncoming(
    const v1::StagedIncomingRequest& request) {
  if (server_ == nullptr) {
    return absl::FailedPreconditionError(
        "this agent does not gather staged migrations (no stage link listening)");
  }
  CONVOY_RETURN_IF_ERROR(CheckIntermediaries(request.intermediaries(), "intermediaries"));
  if (request.id().empty() || request.token().empty() || request.listen_address().empty() ||
      request.port() == 0 || request.port() > 65535) {
    return absl::InvalidArgumentError("id, token, listen_address and port (1..65535) are needed");
  }
  const auto valid_id = std::all_of(request.id().begin(), request.id().end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (!valid_id || request.id().size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat("id: '", request.id(), "' is not valid"));
  }
  // The destination QEMU will listen there: the address must be this host's, the port free.
  auto probe = stage::ListenTcp(request.listen_address(), static_cast<int>(request.port()));
  if (!probe.ok()) {
    if (probe.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::AlreadyExistsError(probe.status().message());
    }
    return probe.status();
  }
  stage::Close(*probe);
  ExpectedStage expected;
  expected.migration_id = request.id();
  expected.token = request.token();
  expected.intermediaries.assign(request.intermediaries().begin(), request.intermediaries().end());
  expected.qemu_address = JoinHostPort(request.listen_address(), static_cast<int>(request.port()));
  expected.deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.expect_timeout_s);
  server_->Expect(std::move(expected));
  v1::StagedIncomingReply reply;
  reply.set_stage_address(JoinHostPort(config_.stage_host, server_->port()));
  return reply;
}

PrepareIncomingCall GrpcPrepareIncoming(std::shared_ptr<grpc::ChannelCredentials> credentials) {
  return [credentials](const std::string& address, const v1::StagedIncomingRequest& request)
             -> StatusOr<v1::StagedIncomingReply> {
    auto stub = v1::Agent::NewStub(grpc::CreateChannel(address, credentials));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::StagedIncomingReply reply;
    const grpc::Status s = stub->PrepareStagedIncoming(&context, request, &reply);
    if (!s.ok()) return Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return reply;
  };
}

}  // namespace convoy::agent
