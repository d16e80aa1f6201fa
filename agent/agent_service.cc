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

grpc::Status AgentService::ControllerOnly(const grpc::ServerContext& context) const {
  if (parts_.authenticator == nullptr) return grpc::Status::OK;
  const security::Caller caller = parts_.authenticator->CallerOf(context);
  if (caller.role == security::Role::kController) return grpc::Status::OK;
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      caller.name + " (" + security::RoleName(caller.role) +
                          ") may call only the peer calls of an agent (ReserveIncoming, "
                          "PrepareStagedIncoming)");
}

grpc::Status AgentService::Describe(grpc::ServerContext* context, const v1::DescribeRequest* request,
                                    v1::HostReport* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  auto report = inventory_->Describe(*request);
  if (report.ok() && parts_.host_switch != nullptr) parts_.host_switch->FillReport(*request, &*report);
  return Reply(std::move(report), response);
}

grpc::Status AgentService::StartMigration(grpc::ServerContext* context,
                                          const v1::StartMigrationRequest* request,
                                          v1::MigrationProgress* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  if (parts_.policy != nullptr) {
    if (Status allowed = parts_.policy->Check(*request); !allowed.ok()) {
      return ToGrpcStatus(allowed);
    }
  }
  return Reply(migrations_->Start(*request), response);
}

grpc::Status AgentService::WatchMigration(grpc::ServerContext* context,
                                          const v1::WatchRequest* request,
                                          grpc::ServerWriter<v1::MigrationProgress>* writer) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  Status status = migrations_->Watch(request->id(), static_cast<int>(request->interval_ms()),
                                     [&](const v1::MigrationProgress& progress) {
                                       return !context->IsCancelled() && writer->Write(progress);
                                     });
  if (status.code() == absl::StatusCode::kCancelled) return grpc::Status::CANCELLED;
  return ToGrpcStatus(status);
}

grpc::Status AgentService::GetMigration(grpc::ServerContext* context, const v1::MigrationRef* request,
                                        v1::MigrationProgress* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  return Reply(migrations_->Get(request->id()), response);
}

grpc::Status AgentService::ListMigrations(grpc::ServerContext* context,
                                          const v1::ListMigrationsRequest* request,
                                          v1::ListMigrationsResponse* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  for (auto& m : migrations_->List(request->include_finished())) {
    *response->add_migrations() = std::move(m);
  }
  return grpc::Status::OK;
}

grpc::Status AgentService::SetMigrationSpeed(grpc::ServerContext* context,
                                             const v1::SetSpeedRequest* request,
                                             v1::MigrationProgress* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  return Reply(migrations_->SetSpeed(request->id(), request->bandwidth_mibps()), response);
}

grpc::Status AgentService::SwitchToPostCopy(grpc::ServerContext* context, const v1::MigrationRef* request,
                                            v1::MigrationProgress* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  return Reply(migrations_->SwitchToPostCopy(request->id()), response);
}

grpc::Status AgentService::AbortMigration(grpc::ServerContext* context, const v1::MigrationRef* request,
                                          v1::MigrationProgress* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  return Reply(migrations_->Abort(request->id()), response);
}

grpc::Status AgentService::ProbeBandwidth(grpc::ServerContext* context, const v1::ProbeRequest* request,
                                          v1::ProbeResult* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  auto figures = RunProbe(request->target(), request->max_bytes(), request->max_seconds());
  if (!figures.ok()) return ToGrpcStatus(figures.status());
  response->set_mbps(figures->mbps);
  response->set_bytes(figures->bytes);
  response->set_seconds(figures->seconds);
  return grpc::Status::OK;
}

grpc::Status AgentService::ReserveIncoming(grpc::ServerContext*,
                                           const v1::IncomingReservation* request,
                                           v1::IncomingReservation* response) {
  if (parts_.host_switch == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this agent drives no switch and cannot reserve bandwidth");
  }
  if (Status held = parts_.host_switch->ReserveIncoming(*request); !held.ok()) {
    return ToGrpcStatus(held);
  }
  *response = *request;
  return grpc::Status::OK;
}

grpc::Status AgentService::PrepareStagedIncoming(grpc::ServerContext*,
                                                 const v1::StagedIncomingRequest* request,
                                                 v1::StagedIncomingReply* response) {
  if (parts_.staging == nullptr) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        "this agent has no Redis intermediaries configured (stage-redis): it cannot gather a "
        "staged migration"));
  }
  return Reply(parts_.staging->PrepareIncoming(*request), response);
}

grpc::Status AgentService::GetEnlightenment(grpc::ServerContext* context,
                                            const v1::EnlightenmentRequest* request,
                                            v1::Enlightenment* response) {
  if (grpc::Status denied = ControllerOnly(*context); !denied.ok()) return denied;
  if (parts_.enlightenment == nullptr) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "this agent reads no enlightenment");
  }
  if (request->timeout_ms() > 60000) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "timeout_ms: at most 60000");
  }
  return Reply(parts_.enlightenment->Read(request->vm(), static_cast<int>(request->timeout_ms()),
                                          request->include_raw()),
               response);
}

}  // namespace convoy::agent
