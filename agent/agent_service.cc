#include "agent/agent_service.h"

#include "agent/bandwidth_probe.h"
#include "convoy/api/planning_service.h"

namespace convoy::agent {
namespace {

using api::ToGrpcStatus;

// Copies an OK StatusOr's value into `out`, or converts its error.
template <typename T>
grpc::Status Reply(StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status AgentService::Describe(grpc::ServerContext*, const v1::DescribeRequest* request,
                                    v1::HostReport* response) {
  return Reply(inventory_->Describe(*request), response);
}

grpc::Status AgentService::StartMigration(grpc::ServerContext*,
                                          const v1::StartMigrationRequest* request,
                                          v1::MigrationProgress* response) {
  return Reply(migrations_->Start(*request), response);
}

grpc::Status AgentService::WatchMigration(grpc::ServerContext* context,
                                          const v1::WatchRequest* request,
                                          grpc::ServerWriter<v1::MigrationProgress>* writer) {
  Status status = migrations_->Watch(request->id(), static_cast<int>(request->interval_ms()),
                                     [&](const v1::MigrationProgress& progress) {
                                       return !context->IsCancelled() && writer->Write(progress);
                                     });
  if (status.code() == absl::StatusCode::kCancelled) return grpc::Status::CANCELLED;
  return ToGrpcStatus(status);
}

grpc::Status AgentService::GetMigration(grpc::ServerContext*, const v1::MigrationRef* request,
                                        v1::MigrationProgress* response) {
  return Reply(migrations_->Get(request->id()), response);
}

grpc::Status AgentService::ListMigrations(grpc::ServerContext*,
                                          const v1::ListMigrationsRequest* request,
                                          v1::ListMigrationsResponse* response) {
  for (auto& m : migrations_->List(request->include_finished())) {
    *response->add_migrations() = std::move(m);
  }
  return grpc::Status::OK;
}

grpc::Status AgentService::SetMigrationSpeed(grpc::ServerContext*,
                                             const v1::SetSpeedRequest* request,
                                             v1::MigrationProgress* response) {
  return Reply(migrations_->SetSpeed(request->id(), request->bandwidth_mibps()), response);
}

grpc::Status AgentService::SwitchToPostCopy(grpc::ServerContext*, const v1::MigrationRef* request,
                                            v1::MigrationProgress* response) {
  return Reply(migrations_->SwitchToPostCopy(request->id()), response);
}

grpc::Status AgentService::AbortMigration(grpc::ServerContext*, const v1::MigrationRef* request,
                                          v1::MigrationProgress* response) {
  return Reply(migrations_->Abort(request->id()), response);
}

grpc::Status AgentService::ProbeBandwidth(grpc::ServerContext*, const v1::ProbeRequest* request,
                                          v1::ProbeResult* response) {
  auto figures = RunProbe(request->target(), request->max_bytes(), request->max_seconds());
  if (!figures.ok()) return ToGrpcStatus(figures.status());
  response->set_mbps(figures->mbps);
  response->set_bytes(figures->bytes);
  response->set_seconds(figures->seconds);
  return grpc::Status::OK;
}

grpc::Status AgentService::GetEnlightenment(grpc::ServerContext*,
                                            const v1::EnlightenmentRequest* request,
                                            v1::Enlightenment* response) {
  if (enlightenment_ == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this agent reads no enlightenment");
  }
  if (request->timeout_ms() > 60000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout_ms: at most 60000");
  }
  return Reply(enlightenment_->Read(request->vm(), static_cast<int>(request->timeout_ms()),
                                    request->include_raw()),
               response);
}

}  // namespace convoy::agent
