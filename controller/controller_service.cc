#include "controller/controller_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/controller_metrics.h"
#include "controller/request_limits.h"
#include "convoy/api/planning_service.h"

namespace convoy::controller {
namespace {

using api::ToGrpcStatus;
using security::Permission;

template <typename T>
grpc::Status Assign(StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = *std::move(result);
  return grpc::Status::OK;
}

// What a plan request asks, for the audit log.
std::string Describe(const v1::ControllerPlanRequest& request) {
  const v1::EvacuationRequest& r = request.request();
  std::string what = absl::StrCat("evacuate ", absl::StrJoin(r.evacuate(), ","));
  if (r.to_size() > 0) absl::StrAppend(&what, " to ", absl::StrJoin(r.to(), ","));
  if (r.moves_size() > 0) absl::StrAppend(&what, ", ", r.moves_size(), " explicit moves");
  if (!r.strategy().empty()) absl::StrAppend(&what, ", strategy ", r.strategy());
  if (!r.mode().empty()) absl::StrAppend(&what, ", mode ", r.mode());
  return what;
}

}  // namespace

grpc::Status ControllerService::Check(grpc::ServerContext* context, Permission permission,
                                      const char* call) const {
  return guard_ == nullptr ? grpc::Status::OK : guard_->Allow(*context, permission, call);
}

bool ControllerService::Forwarding() const {
  return forwarder_ != nullptr && forwarder_->MustForward();
}

void ControllerService::Audit(grpc::ServerContext* context, const char* call,
                              const std::string& what, const grpc::Status& outcome,
                              const std::string& operation_id) const {
  if (guard_ != nullptr) guard_->Audit(*context, call, what, outcome, operation_id);
}

grpc::Status ControllerService::Heartbeat(grpc::ServerContext* context, const v1::AgentHello* hello,
                                          v1::HeartbeatReply* reply) {
  if (guard_ != nullptr) {
    if (grpc::Status allowed = guard_->AllowHeartbeat(*context, hello->name()); !allowed.ok()) {
      return allowed;
    }
  }
  if (Forwarding()) return forwarder_->RedirectHeartbeat(context);
  reply->set_interval_ms(static_cast<uint32_t>(heartbeat_interval_ms_));
  const Status registered = inventory_->Heartbeat(*hello);
  if (registry_ != nullptr) CountHeartbeat(registry_, registered.ok());
  return ToGrpcStatus(registered);
}

grpc::Status ControllerService::Inventory(grpc::ServerContext* context,
                                          const v1::InventoryRequest* request,
                                          v1::InventoryResponse* response) {
  if (grpc::Status allowed = Check(context, Permission::kRead, "Inventory"); !allowed.ok()) {
    return allowed;
  }
  if (Forwarding()) {
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
  grpc::Status outcome = Check(context, Permission::kOperate, "Plan");
  if (outcome.ok()) outcome = ToGrpcStatus(CheckRequestSize(*request));
  if (outcome.ok() && Forwarding()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Plan);
  }
  if (outcome.ok()) outcome = Assign(operations_->Plan(*request), response);
  Audit(context, "Plan", Describe(*request), outcome,
        outcome.ok() ? "plan " + response->plan_id() : "");
  return outcome;
}

grpc::Status ControllerService::Submit(grpc::ServerContext* context,
                                       const v1::SubmitRequest* request, v1::Operation* response) {
  grpc::Status outcome = Check(context, Permission::kOperate, "Submit");
  if (outcome.ok()) outcome = ToGrpcStatus(CheckRequestSize(*request));
  if (outcome.ok() && Forwarding()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Submit);
  }
  if (outcome.ok()) outcome = Assign(operations_->Submit(*request), response);
  Audit(context, "Submit",
        request->has_request() ? Describe(request->request()) : "plan " + request->plan_id(),
        outcome, outcome.ok() ? response->id() : "");
  return outcome;
}

grpc::Status ControllerService::GetOperation(grpc::ServerContext* context,
                                             const v1::OperationRef* request,
                                             v1::Operation* response) {
  if (grpc::Status allowed = Check(context, Permission::kRead, "GetOperation"); !allowed.ok()) {
    return allowed;
  }
  return Assign(operations_->Get(request->id()), response);
}

grpc::Status ControllerService::ListOperations(grpc::ServerContext* context,
                                               const v1::ListOperationsRequest* request,
                                               v1::ListOperationsResponse* response) {
  if (grpc::Status allowed = Check(context, Permission::kRead, "ListOperations"); !allowed.ok()) {
    return allowed;
  }
  auto listed = operations_->List(request->include_finished());
  if (!listed.ok()) return ToGrpcStatus(listed.status());
  for (auto& op : *listed) *response->add_operations() = std::move(op);
  return grpc::Status::OK;
}

grpc::Status ControllerService::Watch(grpc::ServerContext* context,
                                      const v1::WatchOperationRequest* request,
                                      grpc::ServerWriter<v1::Event>* writer) {
  if (grpc::Status allowed = Check(context, Permission::kRead, "Watch"); !allowed.ok()) {
    return allowed;
  }
  return ToGrpcStatus(operations_->Watch(
      request->id(), static_cast<int>(request->interval_ms()),
      [&](const v1::Event& e) { return !context->IsCancelled() && writer->Write(e); }));
}

grpc::Status ControllerService::Cancel(grpc::ServerContext* context,
                                       const v1::OperationRef* request, v1::Operation* response) {
  grpc::Status outcome = Check(context, Permission::kOperate, "Cancel");
  if (outcome.ok() && Forwarding()) {
    return forwarder_->Forward(context, *request, response, &v1::Controller::Stub::Cancel);
  }
  if (outcome.ok()) outcome = Assign(operations_->Cancel(request->id()), response);
  Audit(context, "Cancel", "operation " + request->id(), outcome, request->id());
  return outcome;
}

}  // namespace convoy::controller
