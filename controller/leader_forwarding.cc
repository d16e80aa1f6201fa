#include "controller/leader_forwarding.h"

#include "absl/strings/str_cat.h"
#include "controller/api_guard.h"
#include "convoy/security/authenticator.h"

namespace convoy::controller {

LeaderForwarder::LeaderForwarder(const Leadership* leadership, std::string self_address,
                                 std::shared_ptr<grpc::ChannelCredentials> credentials)
    : leadership_(leadership),
      self_address_(std::move(self_address)),
      credentials_(std::move(credentials)) {}

grpc::Status LeaderForwarder::RedirectHeartbeat(grpc::ServerContext* context) const {
  const std::string leader = leadership_->LeaderAddress();
  if (leader.empty() || leader == self_address_) {
    return grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("convoyd ", self_address_, " is not the leader and no leader is elected yet"));
  }
  context->AddTrailingMetadata(kLeaderMetadata, leader);
  return grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      absl::StrCat("convoyd ", self_address_, " is not the leader; the leader is ", leader));
}

grpc::Status LeaderForwarder::Prepare(grpc::ServerContext* context, grpc::ClientContext* client,
                                      v1::Controller::Stub** stub) {
  if (context->client_metadata().count(kForwardedMetadata) > 0) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("convoyd ", self_address_,
                                     " was forwarded a call but does not lead (leadership is "
                                     "changing hands): try again"));
  }
  const std::string leader = leadership_->LeaderAddress();
  if (leader.empty() || leader == self_address_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("convoyd ", self_address_,
                                     " is a follower and no leader is elected yet: try again in "
                                     "a few seconds"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& s = stubs_[leader];
    if (s == nullptr) s = v1::Controller::NewStub(grpc::CreateChannel(leader, credentials_));
    *stub = s.get();
  }
  client->set_deadline(context->deadline());
  client->AddMetadata(kForwardedMetadata, self_address_);
  // This replica authenticated the caller; the leader trusts what a controller vouches for.
  const security::Caller caller =
      guard_ != nullptr ? guard_->CallerOf(*context) : security::Caller{};
  if (caller.role != security::Role::kNone) {
    client->AddMetadata(security::kForwardedForMetadata, security::ForwardedFor(caller));
  }
  return grpc::Status::OK;
}

}  // namespace convoy::controller
