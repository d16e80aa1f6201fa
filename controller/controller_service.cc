#include "controller/controller_service.h"

#include "controller/controller_metrics.h"
#include "convoy/api/planning_service.h"

namespace convoy::controller {
namespace {

using api::ToGrpcStatus;

template <typename T>
grpc::Status Assign(StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status ControllerService::Heartbeat(grpc::ServerContext* context, const v1::AgentHello* hello,
                                          v1::HeartbeatReply* reply) {
  if (forwarder_ != nullptr && forwarder_->MustForward()) {
    return forwarder_->RedirectHeartbeat(context);
  }
  reply->set_interval_ms(static_cast<uint32_t>(heartbeat_interval_ms_));
  const Status registered = inventory_->Heartbeat(*hello);
  if (registry_ != nullptr) CountHeartbeat(registry_, registered.ok());
  return ToGrpcStatus(registered);
}

grpc::Status ControllerService::Inventory(grpc::ServerContext* context,
                                          const v1::InventoryRequest* request,
                                          v1::InventoryResponse* response) {
  if (forwarder_ != nullptr && forwarder_->MustForward()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Inventory);
  }
  if (request->refresh() || request->dirty_rate_period_s() > 0) {
    inventory_->Refresh(request->dirty_rate_period_s());
  }
  *response = inventory_->Snapshot();
  return grpc::Status::OK;
}

grpc::Status ControllerService::Plan(grpc::ServerContext* context,
                                     const v1::ControllerPlanRequest* request,
                                     v1::PlanPreview* response) {
  if (forwarder_ != nullptr && forwarder_->MustForward()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Plan);
  }
  return Assign(operations_->Plan(*request), response);
}

grpc::Status ControllerService::Submit(grpc::ServerContext* context,
                                       const v1::SubmitRequest* request, v1::Operation* response) {
  if (forwarder_ != nullptr && forwarder_->MustForward()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Submit);
  }
  return Assign(operations_->Submit(*request), response);
}

grpc::Status ControllerService::GetOperation(grpc::ServerContext*, const v1::OperationRef* request,
                                             v1::Operation* response) {
  return Assign(operations_->Get(request->id()), response);
}

grpc::Status ControllerService::ListOperations(grpc::ServerContext*,
                                               const v1::ListOperationsRequest* request,
                                               v1::ListOperationsResponse* response) {
  auto listed = operations_->List(request->include_finished());
  if (!listed.ok()) return ToGrpcStatus(listed.status());
  for (auto& op : *listed) *response->add_operations() = std::move(op);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Watch(grpc::ServerContext* context,
                                      const v1::WatchOperationRequest* request,
                                      grpc::ServerWriter<v1::Event>* writer) {
  return ToGrpcStatus(operations_->Watch(
      request->id(), static_cast<int>(request->interval_ms()),
      [&](const v1::Event& e) { return !context->IsCancelled() && writer->Write(e); }));
}

grpc::Status ControllerService::Cancel(grpc::ServerContext* context,
                                       const v1::OperationRef* request, v1::Operation* response) {
  if (forwarder_ != nullptr && forwarder_->MustForward()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Cancel);
  }
  return Assign(operations_->Cancel(request->id()), response);
}

}  // namespace convoy::controller
