#include "controller/staging_routes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace convoy::controller {
namespace {

std::string HostPart(const std::string& address) {
  const auto colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

bool IsOn(const std::string& redis, const v1::AgentHello& agent) {
  const std::string host = HostPart(redis);
  return host == HostPart(agent.address()) ||
         (!agent.migration_address().empty() && host == agent.migration_address());
}

}  // namespace

std::vector<std::string> StageViaHosts(const v1::AgentHello& hello,
                                       const std::map<std::string, v1::AgentHello>& agents) {
  std::vector<std::string> hosts;
  for (const auto& redis : hello.stage_redis()) {
    for (const auto& [name, agent] : agents) {
      if (name == hello.name() || !IsOn(redis, agent)) continue;
      if (std::find(hosts.begin(), hosts.end(), name) == hosts.end()) hosts.push_back(name);
    }
  }
  return hosts;
}

StatusOr<v1::Staging> StagingFor(const v1::AgentHello& source, const v1::AgentHello& destination,
                                 const std::map<std::string, v1::AgentHello>& agents,
                                 const std::vector<std::string>& via) {
  v1::Staging staging;
  for (const auto& host : via) {
    auto agent = agents.find(host);
    const auto& redis = source.stage_redis();
    auto address = agent == agents.end()
                       ? redis.end()
                       : std::find_if(redis.begin(), redis.end(),
                                      [&](const std::string& r) { return IsOn(r, agent->second); });
    if (address == redis.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          source.name(), " has no Redis intermediary on ", host, " in its stage-redis"));
    }
    const auto& theirs = destination.stage_redis();
    if (std::find(theirs.begin(), theirs.end(), *address) == theirs.end()) {
      return absl::FailedPreconditionError(absl::StrCat(destination.name(), " may not gather from ",
                                                        *address, " (not in its stage-redis)"));
    }
    staging.add_intermediaries(*address);
  }
  staging.set_destination_agent(destination.address());
  return staging;
}

}  // namespace convoy::controller
