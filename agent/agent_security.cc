#include "agent/agent_security.h"

#include "convoy/security/authenticator.h"

namespace convoy::agent {

void AddAgentSecurityFlags(CLI::App& app, AgentSecurityFlags* flags) {
  security::AddDaemonTlsFlags(app, &flags->tls);
  app.add_option("--allow-peer-uri", flags->allow_peer_uri,
                 "libvirt URIs of destinations this agent may migrate to: globs "
                 "(qemu+tcp://10.0.1.*/system) or IPv4 networks; repeatable");
  app.add_option("--allow-migration-address", flags->allow_migration_address,
                 "Addresses migration streams may go to: globs or IPv4 networks (10.0.1.0/24); "
                 "repeatable");
}

StatusOr<AgentSecurity> ResolveAgentSecurity(const AgentSecurityFlags& flags,
                                             const std::string& self_name) {
  AgentSecurity out;
  CONVOY_ASSIGN_OR_RETURN(auto tls, security::ResolveDaemonTls(flags.tls, "convoy-agent"));
  CONVOY_ASSIGN_OR_RETURN(out.policy.peer_uris, security::EndpointAllowList::Parse(
                                                    flags.allow_peer_uri, "--allow-peer-uri"));
  CONVOY_ASSIGN_OR_RETURN(out.policy.migration_addresses,
                          security::EndpointAllowList::Parse(flags.allow_migration_address,
                                                             "--allow-migration-address"));
  out.policy.self = self_name;
  if (!tls.has_value()) {
    out.server = grpc::InsecureServerCredentials();
    out.controller = grpc::InsecureChannelCredentials();
    out.policy.allow_any = out.policy.peer_uris.empty();
    return out;
  }
  if (out.policy.peer_uris.empty()) {
    return absl::InvalidArgumentError(
        "--allow-peer-uri: not given: with TLS the agent migrates only to the destinations its "
        "configuration allows");
  }
  out.authenticator = std::make_shared<security::Authenticator>(
      std::map<std::string, security::Caller>(),
      std::set<security::Role>{security::Role::kController, security::Role::kAgent});
  out.server = security::ServerCredentials(*tls, security::ClientCertificates::kRequire,
                                           out.authenticator);
  out.controller = security::ChannelCredentials(*tls);
  return out;
}

}  // namespace convoy::agent
