// The agent's security flags and what they make: mutual TLS on its API (certificates with
// OU=controller may call it, OU=agent only its peer calls), TLS with its own certificate towards the controller, and the
// destinations a migration request may name (destination_policy.h).
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/destination_policy.h"
#include "convoy/security/authenticator.h"
#include "convoy/security/daemon_tls.h"

namespace convoy::agent {

struct AgentSecurityFlags {
  security::DaemonTlsFlags tls;
  std::vector<std::string> allow_peer_uri;
  std::vector<std::string> allow_migration_address;
};

// --tls-ca, --tls-cert, --tls-key, --insecure, --allow-peer-uri, --allow-migration-address.
void AddAgentSecurityFlags(CLI::App& app, AgentSecurityFlags* flags);

struct AgentSecurity {
  std::shared_ptr<grpc::ServerCredentials> server;
  // This agent's credentials as a client: towards the controller and towards other agents (the
  // peer calls of a reservation or a staged migration).
  std::shared_ptr<grpc::ChannelCredentials> controller;
  DestinationPolicy policy;
  // Who calls the API (null without TLS): controllers, and other agents for the peer calls.
  std::shared_ptr<security::Authenticator> authenticator;
};

// INVALID_ARGUMENT naming the flag at fault (no TLS and no --insecure, a bad file or entry, TLS
// without --allow-peer-uri: the agent could migrate nowhere).
StatusOr<AgentSecurity> ResolveAgentSecurity(const AgentSecurityFlags& flags,
                                             const std::string& self_name);

}  // namespace convoy::agent
