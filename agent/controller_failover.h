// Heartbeats to one of several convoyd replicas (controller/leader_election.h): the agent sends
// to the replica that answered last; one that is not the leader refuses with the leader's
// address (trailing metadata `convoy-leader`), which is tried at once; one that does not answer
// is left for the next in the list. So the agents follow the leader wherever it moves.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/controller_link.h"

namespace convoy::agent {

// "a:7600,b:7600" -> the addresses; INVALID_ARGUMENT naming a malformed one.
StatusOr<std::vector<std::string>> ParseControllerList(const std::string& list);

// A HeartbeatSender over the replicas at `addresses` (at least one), with `credentials`. Each
// call tries the current replica, then follows a redirect or moves on through the list, each
// replica at most once, within `timeout_ms` each.
HeartbeatSender FailoverHeartbeatSender(std::vector<std::string> addresses, int reconnect_ms,
                                        std::shared_ptr<grpc::ChannelCredentials> credentials);

}  // namespace convoy::agent
