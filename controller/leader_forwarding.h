// What a follower replica does with the calls only the leader can serve (see
// leader_election.h): Plan, Submit, Cancel and Inventory are forwarded to the leader with the
// caller's deadline and identity; Heartbeat is refused with the leader's address, so that the
// agent sends its next heartbeats there. Reads (GetOperation, ListOperations, Watch) are served
// by every replica from the shared store.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "controller/leader_election.h"
#include "convoy/v1/controller.grpc.pb.h"

namespace convoy::controller {

// The trailing metadata key of a refused heartbeat that names the leader's address.
inline constexpr char kLeaderMetadata[] = "convoy-leader";
// Set on forwarded calls: a replica that is not the leader does not forward them again.
inline constexpr char kForwardedMetadata[] = "convoy-forwarded-by";

class LeaderForwarder {
 public:
  // `credentials` reach the other replicas (TLS with this replica's certificate, or insecure).
  LeaderForwarder(const Leadership* leadership, std::string self_address,
                  std::shared_ptr<grpc::ChannelCredentials> credentials);

  // Callers are vouched for to the leader as `guard` identifies them (null: not at all).
  void SetGuard(const class ApiGuard* guard) { guard_ = guard; }

  // Whether this replica must forward (it does not lead).
  bool MustForward() const { return !leadership_->IsLeader(); }

  // Forwards one unary call to the leader. UNAVAILABLE (naming why) when no leader is known or
  // the call was already forwarded once.
  template <typename Request, typename Response>
  grpc::Status Forward(grpc::ServerContext* context, const Request& request, Response* response,
                       grpc::Status (v1::Controller::Stub::*rpc)(grpc::ClientContext*,
                                                                 const Request&, Response*)) {
    v1::Controller::Stub* stub = nullptr;
    grpc::ClientContext client;
    if (grpc::Status ready = Prepare(context, &client, &stub); !ready.ok()) return ready;
    return (stub->*rpc)(&client, request, response);
  }

  // The refusal of a heartbeat sent to a follower: UNAVAILABLE, with the leader's address in
  // the trailing metadata when one is known.
  grpc::Status RedirectHeartbeat(grpc::ServerContext* context) const;

 private:
  grpc::Status Prepare(grpc::ServerContext* context, grpc::ClientContext* client,
                       v1::Controller::Stub** stub);

  const Leadership* leadership_;
  const std::string self_address_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const class ApiGuard* guard_ = nullptr;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<v1::Controller::Stub>> stubs_;  // by leader address
};

}  // namespace convoy::controller
