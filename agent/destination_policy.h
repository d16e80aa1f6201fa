// What a StartMigration request may point the agent at: a destination host the controller
// named (not this host, not nameless), reached through a libvirt URI and a migration address
// that this agent's configuration allows (--allow-peer-uri, --allow-migration-address). Anything
// else is refused with PERMISSION_DENIED naming the flag, before libvirt is touched.
#pragma once

#include <string>

#include "convoy/security/endpoint_policy.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::agent {

struct DestinationPolicy {
  std::string self;  // this host's name
  security::EndpointAllowList peer_uris;
  security::EndpointAllowList migration_addresses;
  // No lists given under --insecure: any destination (as before there was a policy).
  bool allow_any = false;

  Status Check(const v1::StartMigrationRequest& request) const;
};

}  // namespace convoy::agent
