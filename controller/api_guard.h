// Who may call what on the controller's API, and the audit of mutating calls. The caller was
// authenticated before the call reached the service (security/authenticator.h); here its role
// is checked against the call: viewers read and watch, operators also plan, submit and cancel,
// agents only heartbeat (as the host their certificate names). Every Plan, Submit and Cancel,
// allowed or not, is written to the audit log with who, what, when and the outcome.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "convoy/security/audit_log.h"
#include "convoy/security/authenticator.h"

namespace convoy::controller {

class ApiGuard {
 public:
  // `authenticator`: who calls; null under --insecure (every call is allowed, callers are
  // anonymous). `audit` may be null (no audit log). Both must outlive the guard.
  ApiGuard(const security::Authenticator* authenticator, security::AuditLog* audit)
      : authenticator_(authenticator), audit_(audit) {}

  // The caller (anonymous, role none, under --insecure).
  security::Caller CallerOf(const grpc::ServerContext& context) const;

  // OK, or PERMISSION_DENIED naming the caller, its role and what the call needs.
  grpc::Status Allow(const grpc::ServerContext& context, security::Permission permission,
                     const std::string& call) const;
  // Heartbeats: an agent, whose certificate names the host it speaks for.
  grpc::Status AllowHeartbeat(const grpc::ServerContext& context, const std::string& host) const;

  void Audit(const grpc::ServerContext& context, const std::string& call, const std::string& what,
             const grpc::Status& outcome, const std::string& operation_id = "") const;

 private:
  const security::Authenticator* const authenticator_;
  security::AuditLog* const audit_;
};

}  // namespace convoy::controller
