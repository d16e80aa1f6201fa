#include "controller/controller_security.h"

#include <set>

#include "controller/request_limits.h"

namespace convoy::controller {

void AddControllerSecurityFlags(CLI::App& app, ControllerSecurityFlags* flags) {
  security::AddDaemonTlsFlags(app, &flags->tls);
  app.add_option("--tokens-file", flags->tokens_file,
                 "Bearer tokens of clients without a certificate: lines `TOKEN NAME ROLE` "
                 "(ROLE viewer or operator)");
  app.add_option("--audit-log", flags->audit_log,
                 "Append every Plan, Submit and Cancel (who, what, when, outcome) to this file "
                 "as JSON lines");
}

StatusOr<ControllerSecurity> ResolveControllerSecurity(const ControllerSecurityFlags& flags) {
  ControllerSecurity out;
  CONVOY_ASSIGN_OR_RETURN(auto tls, security::ResolveDaemonTls(flags.tls, "convoyd"));
  if (!flags.audit_log.empty()) {
    CONVOY_ASSIGN_OR_RETURN(out.audit, security::AuditLog::Open(flags.audit_log));
  }
  if (!tls.has_value()) {
    out.guard = std::make_unique<ApiGuard>(nullptr, out.audit.get());
    if (!flags.tokens_file.empty()) {
      return absl::InvalidArgumentError(
          "--tokens-file needs TLS: a bearer token sent in plaintext is anyone's");
    }
    out.server = grpc::InsecureServerCredentials();
    out.peers = grpc::InsecureChannelCredentials();
    return out;
  }
  std::map<std::string, security::Caller> tokens;
  if (!flags.tokens_file.empty()) {
    CONVOY_ASSIGN_OR_RETURN(tokens, security::LoadTokens(flags.tokens_file));
  }
  out.authenticator = std::make_shared<security::Authenticator>(
      std::move(tokens),
      std::set<security::Role>{security::Role::kViewer, security::Role::kOperator,
                               security::Role::kAgent, security::Role::kController});
  out.guard = std::make_unique<ApiGuard>(out.authenticator.get(), out.audit.get());
  out.server = security::ServerCredentials(*tls, security::ClientCertificates::kVerifyIfPresent,
                                           out.authenticator);
  out.peers = security::ChannelCredentials(*tls);
  return out;
}

grpc::Status GuardedPlanningService::Plan(grpc::ServerContext* context,
                                          const v1::PlanRequest* request, v1::Plan* response) {
  if (grpc::Status allowed = guard_->Allow(*context, security::Permission::kRead, "Planning.Plan");
      !allowed.ok()) {
    return allowed;
  }
  if (Status size = CheckRequestSize(*request); !size.ok()) return api::ToGrpcStatus(size);
  return planning_.Plan(context, request, response);
}

}  // namespace convoy::controller
