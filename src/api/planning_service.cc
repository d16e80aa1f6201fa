#include "convoy/api/planning_service.h"

#include "convoy/model/cluster_model.h"
#include "convoy/model/scenario.h"

namespace convoy::api {

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

grpc::Status PlanningService::Plan(grpc::ServerContext* /*context*/, const v1::PlanRequest* request,
                                   v1::Plan* response) {
  Status valid = model::ValidateScenario(request->scenario());
  if (!valid.ok()) return ToGrpcStatus(valid);
  auto cluster = model::ClusterModel::Build(request->scenario());
  if (!cluster.ok()) return ToGrpcStatus(cluster.status());
  auto plan = plan::MakePlan(*cluster, request->scenario().request(), options_);
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  *response = *std::move(plan);
  return grpc::Status::OK;
}

}  // namespace convoy::api
