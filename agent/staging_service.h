// The agent's staging through Redis intermediaries, both roles: as the source it checks a
// staged StartMigrationRequest against its configuration, connects to the intermediaries,
// asks the destination agent to get ready (PrepareStagedIncoming) and runs the relay; as the
// destination it answers PrepareStagedIncoming and lets its StageServer gather the stream.
// Only intermediaries in the agent's stage-redis configuration are ever used.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/stage_relay.h"
#include "agent/stage_server.h"
#include "agent/staging.h"
#include "convoy/security/endpoint_policy.h"

namespace convoy::agent {

struct StagingConfig {
  std::vector<std::string> redis;  // the intermediaries this agent may use, host:port
  std::string stage_host;          // how other agents reach this one's stage link (host part)
  RelayOptions relay;
  int prepare_attempts = 5;     // ports tried when the destination has the chosen one taken
  int link_timeout_ms = 10000;  // connecting the stage link and its hello
  int expect_timeout_s = 60;    // how long a destination waits for the source's link
};

// Asks the destination agent at `agent_address` to expect a staged migration.
using PrepareIncomingCall = std::function<StatusOr<v1::StagedIncomingReply>(
    const std::string& agent_address, const v1::StagedIncomingRequest& request)>;

class StagingService final : public Staging {
 public:
  // `server` (may be null: the agent then cannot be a staged destination) must outlive this.
  StagingService(StagingConfig config, PageStagerFactory factory, PrepareIncomingCall prepare,
                 StageServer* server);

  Status Check(const v1::StartMigrationRequest& request) const override;
  StatusOr<std::unique_ptr<StagedSession>> Open(
      const v1::StartMigrationRequest& request, double started_at_unix_s,
      std::function<void(const Status&)> on_failure) override;
  Status Forget(const v1::StartMigrationRequest& request) override;

  // The destination's side of PrepareStagedIncoming.
  StatusOr<v1::StagedIncomingReply> PrepareIncoming(const v1::StagedIncomingRequest& request);

 private:
  // INVALID_ARGUMENT for no address or one named twice; PERMISSION_DENIED, naming the flag, for
  // an address outside this agent's --stage-redis (no request points the agent elsewhere).
  Status CheckIntermediaries(const google::protobuf::RepeatedPtrField<std::string>& addresses,
                             const std::string& field) const;

  const StagingConfig config_;
  // config_.redis as the allow-list that every other endpoint of a request goes through.
  security::EndpointAllowList allowed_redis_;
  const PageStagerFactory factory_;
  const PrepareIncomingCall prepare_;
  StageServer* const server_;
};

// A PrepareIncomingCall over the Agent gRPC API with `credentials` (this agent's, as a client of
// other agents), 10 s deadline.
PrepareIncomingCall GrpcPrepareIncoming(std::shared_ptr<grpc::ChannelCredentials> credentials);

}  // namespace convoy::agent
