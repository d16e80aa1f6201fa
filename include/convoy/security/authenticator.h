// Who calls a Convoy daemon, and with which role. Certificates say it in their subject: the
// common name is the party's name (an agent's: its host name) and the organisational unit its
// role: controller, agent, operator or viewer (deploy/make-certs). Clients without a certificate
// send `authorization: Bearer TOKEN`, looked up in a tokens file (lines `TOKEN NAME ROLE`).
//
// The Authenticator runs before every call (gRPC's AuthMetadataProcessor): it refuses a call
// with neither (UNAUTHENTICATED) or whose role is not accepted on this server at all
// (PERMISSION_DENIED; the agent accepts only controllers). Handlers ask it who called
// (CallerOf): from the connection's certificate and the call's own metadata, so that two calls
// on one connection with different tokens are two callers (gRPC's AuthContext is per
// connection). A controller replica that forwards a call for a client vouches for that client
// with `convoy-forwarded-for: NAME ROLE`, trusted only from a peer whose certificate says
// controller.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include <map>
#include <set>
#include <string>

#include "convoy/common/status.h"

namespace convoy::security {

enum class Role { kNone, kViewer, kOperator, kAgent, kController };

// "viewer" -> kViewer ...; kNone for anything else.
Role ParseRole(const std::string& name);
std::string RoleName(Role role);

// What a call may do; which roles may (Allows): read = viewer, operator, controller;
// operate = operator, controller; heartbeat = agent.
enum class Permission { kRead, kOperate, kHeartbeat };
bool Allows(Role role, Permission permission);

struct Caller {
  std::string name;
  Role role = Role::kNone;
  std::string via;  // "certificate", "token", "forwarded by NAME"
};

// The role in an X.509 subject as gRPC reports it ("CN=h1,OU=agent,O=Convoy"): its OU.
Role RoleFromSubject(const std::string& subject);

// The metadata key of a forwarded caller, and its value.
inline constexpr char kForwardedForMetadata[] = "convoy-forwarded-for";
std::string ForwardedFor(const Caller& caller);

// Token -> caller, from a file of `TOKEN NAME ROLE` lines ('#' comments). INVALID_ARGUMENT
// naming the line of a malformed entry, an unknown role, or a token too short (< 16 chars).
StatusOr<std::map<std::string, Caller>> LoadTokens(const std::string& path);

class Authenticator final : public grpc::AuthMetadataProcessor {
 public:
  // `accepted`: the roles this server serves at all.
  Authenticator(std::map<std::string, Caller> tokens, std::set<Role> accepted)
      : tokens_(std::move(tokens)), accepted_(std::move(accepted)) {}

  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // The caller of a call that Process let through.
  Caller CallerOf(const grpc::ServerContext& context) const;

  // The caller of a call with this certificate subject (empty: none) and metadata; the status
  // Process answers with. Exposed for tests.
  StatusOr<Caller> Identify(const std::string& subject, const std::string& common_name,
                            const std::multimap<std::string, std::string>& metadata) const;

 private:
  const std::map<std::string, Caller> tokens_;
  const std::set<Role> accepted_;
};

}  // namespace convoy::security
