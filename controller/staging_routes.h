// Where a staged migration's intermediaries are: agents say which Redis servers they may stage
// through (AgentHello.stage_redis, addresses); the planner knows hosts (Host.stage_via, names);
// the executor gives the source agent addresses again (StartMigrationRequest.staging). A Redis
// server is on a host when its address's host part is that agent's API or migration address.
// Pure functions over hellos.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "convoy/common/status.h"
#include "convoy/v1/controller.pb.h"

namespace convoy::controller {

// The hosts (agent names, other than `hello`'s own) that run one of `hello`'s stage_redis
// servers, in the order of its configuration.
std::vector<std::string> StageViaHosts(const v1::AgentHello& hello,
                                       const std::map<std::string, v1::AgentHello>& agents);

// The staging of a migration from `source` to `destination` through the hosts `via`: for each,
// the Redis address in the source's configuration, which the destination must have too.
// FAILED_PRECONDITION naming the host or address otherwise.
StatusOr<v1::Staging> StagingFor(const v1::AgentHello& source, const v1::AgentHello& destination,
                                 const std::map<std::string, v1::AgentHello>& agents,
                                 const std::vector<std::string>& via);

}  // namespace convoy::controller
