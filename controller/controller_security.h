// convoyd's security flags and what they make: TLS on the API (client certificates verified
// when presented, bearer tokens otherwise), the credentials it reaches agents and the other
// replicas with (its own certificate), the role checks and the audit log (api_guard.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "controller/api_guard.h"
#include "convoy/api/planning_service.h"
#include "convoy/security/audit_log.h"
#include "convoy/security/daemon_tls.h"

namespace convoy::controller {

struct ControllerSecurityFlags {
  security::DaemonTlsFlags tls;
  std::string tokens_file;
  std::string audit_log;
};

// --tls-ca, --tls-cert, --tls-key, --insecure, --tokens-file, --audit-log.
void AddControllerSecurityFlags(CLI::App& app, ControllerSecurityFlags* flags);

struct ControllerSecurity {
  std::shared_ptr<grpc::ServerCredentials> server;
  std::shared_ptr<grpc::ChannelCredentials> peers;
  std::unique_ptr<security::AuditLog> audit;
  std::shared_ptr<security::Authenticator> authenticator;  // null under --insecure
  std::unique_ptr<ApiGuard> guard;
};

// INVALID_ARGUMENT naming the flag at fault.
StatusOr<ControllerSecurity> ResolveControllerSecurity(const ControllerSecurityFlags& flags);

// The Planning API (offline planning of a scenario) for viewers and operators.
class GuardedPlanningService final : public v1::Planning::Service {
 public:
  explicit GuardedPlanningService(const ApiGuard* guard) : guard_(guard) {}
  grpc::Status Plan(grpc::ServerContext* context, const v1::PlanRequest* request,
                    v1::Plan* response) override;

 private:
  const ApiGuard* guard_;
  api::PlanningService planning_;
};

}  // namespace convoy::controller
