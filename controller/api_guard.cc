#include "controller/api_guard.h"

#include "absl/strings/str_cat.h"

namespace convoy::controller {
namespace {

const char* Needs(security::Permission permission) {
  switch (permission) {
    case security::Permission::kRead:
      return "viewer or operator";
    case security::Permission::kOperate:
      return "operator";
    case security::Permission::kHeartbeat:
      return "agent";
  }
  return "?";
}

}  // namespace

security::Caller ApiGuard::CallerOf(const grpc::ServerContext& context) const {
  return authenticator_ == nullptr ? security::Caller{} : authenticator_->CallerOf(context);
}

grpc::Status ApiGuard::Allow(const grpc::ServerContext& context, security::Permission permission,
                             const std::string& call) const {
  if (authenticator_ == nullptr) return grpc::Status::OK;
  const security::Caller caller = CallerOf(context);
  if (security::Allows(caller.role, permission)) return grpc::Status::OK;
  return grpc::Status(
      grpc::StatusCode::PERMISSION_DENIED,
      absl::StrCat(call, ": ", caller.name, " is a ", security::RoleName(caller.role),
                   "; this call needs the role ", Needs(permission)));
}

grpc::Status ApiGuard::AllowHeartbeat(const grpc::ServerContext& context,
                                      const std::string& host) const {
  if (grpc::Status allowed = Allow(context, security::Permission::kHeartbeat, "Heartbeat");
      !allowed.ok()) {
    return allowed;
  }
  if (authenticator_ == nullptr) return grpc::Status::OK;
  const security::Caller caller = CallerOf(context);
  if (caller.name != host) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("Heartbeat: the certificate of agent ", caller.name,
                                     " does not speak for host ", host));
  }
  return grpc::Status::OK;
}

void ApiGuard::Audit(const grpc::ServerContext& context, const std::string& call,
                     const std::string& what, const grpc::Status& outcome,
                     const std::string& operation_id) const {
  if (audit_ == nullptr) return;
  security::AuditRecord record;
  record.caller = CallerOf(context);
  record.peer = context.peer();
  record.call = call;
  record.what = what;
  record.code = static_cast<int>(outcome.error_code());
  record.message = outcome.error_message();
  record.operation_id = operation_id;
  audit_->Record(record);
}

}  // namespace convoy::controller
