// The public gRPC API (proto/convoy/v1/controller.proto) over Inventory and Operations.
#pragma once

#include <grpcpp/grpcpp.h>

#include "controller/api_guard.h"
#include "controller/inventory.h"
#include "controller/leader_forwarding.h"
#include "controller/operations.h"
#include "convoy/metrics/metrics.h"
#include "convoy/v1/controller.grpc.pb.h"

namespace convoy::controller {

class ControllerService final : public v1::Controller::Service {
 public:
  // `registry` (optional) counts heartbeats.
  ControllerService(controller::Inventory* inventory, Operations* operations,
                    int heartbeat_interval_ms, metrics::Registry* registry = nullptr)
      : inventory_(inventory),
        operations_(operations),
        heartbeat_interval_ms_(heartbeat_interval_ms),
        registry_(registry) {}

  // One of several replicas (leader_election.h): while this one does not lead, the calls only
  // the leader serves go through `forwarder`. Call before serving.
  void SetForwarder(LeaderForwarder* forwarder) { forwarder_ = forwarder; }
  // Checks every caller's role and audits mutating calls (api_guard.h); without a guard every
  // call is allowed. Call before serving.
  void SetGuard(const ApiGuard* guard) { guard_ = guard; }

  grpc::Status Heartbeat(grpc::ServerContext*, const v1::AgentHello* hello,
                         v1::HeartbeatReply* reply) override;
  grpc::Status Inventory(grpc::ServerContext*, const v1::InventoryRequest* request,
                         v1::InventoryResponse* response) override;
  grpc::Status Plan(grpc::ServerContext*, const v1::ControllerPlanRequest* request,
                    v1::PlanPreview* response) override;
  grpc::Status Submit(grpc::ServerContext*, const v1::SubmitRequest* request,
                      v1::Operation* response) override;
  grpc::Status GetOperation(grpc::ServerContext*, const v1::OperationRef* request,
                            v1::Operation* response) override;
  grpc::Status ListOperations(grpc::ServerContext*, const v1::ListOperationsRequest* request,
                              v1::ListOperationsResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchOperationRequest* request,
                     grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status Cancel(grpc::ServerContext*, const v1::OperationRef* request,
                      v1::Operation* response) override;

 private:
  grpc::Status Check(grpc::ServerContext* context, security::Permission permission,
                     const char* call) const;
  bool Forwarding() const;
  void Audit(grpc::ServerContext* context, const char* call, const std::string& what,
             const grpc::Status& outcome, const std::string& operation_id) const;

  controller::Inventory* inventory_;
  Operations* operations_;
  int heartbeat_interval_ms_;
  metrics::Registry* registry_;
  LeaderForwarder* forwarder_ = nullptr;
  const ApiGuard* guard_ = nullptr;
};

}  // namespace convoy::controller
