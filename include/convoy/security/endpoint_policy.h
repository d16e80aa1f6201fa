// Allow-lists of the endpoints an agent may be pointed at by a request (libvirt URIs of
// migration destinations, migration addresses, the Redis intermediaries of a staged migration;
// no request names an OVSDB, which is only the agent's own configuration): a request naming
// anything else is refused, so no request can send the agent to an arbitrary endpoint.
//
// An entry is either a glob over the whole endpoint ('*' any run of characters, '?' one), e.g.
// "qemu+tcp://10.77.0.*/system" or "redis-*.dc1:6379", or an IPv4 network "10.77.0.0/24",
// which matches an address, or the host of host:port, inside it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "convoy/common/status.h"

namespace convoy::security {

bool GlobMatch(std::string_view pattern, std::string_view text);

class EndpointAllowList {
 public:
  // INVALID_ARGUMENT naming `flag` and the entry for an empty entry or a malformed network.
  static StatusOr<EndpointAllowList> Parse(const std::vector<std::string>& entries,
                                           const std::string& flag);
  bool Allows(const std::string& endpoint) const;
  bool empty() const { return globs_.empty() && networks_.empty(); }

 private:
  struct Network {
    uint32_t address = 0;
    uint32_t mask = 0;
  };
  std::vector<std::string> globs_;
  std::vector<Network> networks_;
};

}  // namespace convoy::security
