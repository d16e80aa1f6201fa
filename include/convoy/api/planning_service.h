// The Planning gRPC service (proto/convoy/v1/planning_service.proto): a scenario in, a plan
// out. Stateless and pure, so it can serve many calls at once; convoyd hosts it, and tests and
// tools can host it in-process.
#pragma once

#include <grpcpp/grpcpp.h>

#include "convoy/plan/planner.h"
#include "convoy/v1/planning_service.grpc.pb.h"

namespace convoy::api {

class PlanningService final : public v1::Planning::Service {
 public:
  explicit PlanningService(plan::PlannerOptions options = {}) : options_(std::move(options)) {}

  // INVALID_ARGUMENT (with every problem, one per line, each naming the field) for a malformed
  // scenario or request; OK with feasible = false for a request that cannot be satisfied.
  grpc::Status Plan(grpc::ServerContext* context, const v1::PlanRequest* request,
                    v1::Plan* response) override;

 private:
  plan::PlannerOptions options_;
};

// Converts a Convoy status to a gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const Status& status);
// And back: a gRPC status (a call's answer) as a Convoy status with its code and message.
Status FromGrpcStatus(const grpc::Status& status);

}  // namespace convoy::api
