// How the controller talks to one agent: the Agent API of proto/convoy/v1/agent.proto behind an
// interface, so that the executor and the inventory are tested against in-memory agents and run
// against real ones over gRPC.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "convoy/common/status.h"
#include "convoy/v1/agent.pb.h"

namespace convoy::controller {

class AgentChannel {
 public:
  virtual ~AgentChannel() = default;
  // Every call returns the agent's own status (NOT_FOUND, FAILED_PRECONDITION, ...) or
  // UNAVAILABLE / DEADLINE_EXCEEDED when the agent cannot be reached; messages name the agent.
  virtual StatusOr<v1::HostReport> Describe(const v1::DescribeRequest& request) = 0;
  // Idempotent for a given request.id(): a second start returns the first migration.
  virtual StatusOr<v1::MigrationProgress> StartMigration(
      const v1::StartMigrationRequest& request) = 0;
  virtual StatusOr<v1::MigrationProgress> GetMigration(const std::string& id) = 0;
  virtual StatusOr<v1::MigrationProgress> SetSpeed(const std::string& id,
                                                   double bandwidth_mibps) = 0;
  virtual StatusOr<v1::MigrationProgress> SwitchToPostCopy(const std::string& id) = 0;
  virtual StatusOr<v1::MigrationProgress> Abort(const std::string& id) = 0;
  virtual StatusOr<v1::ProbeResult> Probe(const v1::ProbeRequest& request) = 0;
};

// Makes channels to agents by address ("host:port"). Thread-safe.
class AgentDialer {
 public:
  virtual ~AgentDialer() = default;
  virtual std::shared_ptr<AgentChannel> Dial(const std::string& name,
                                             const std::string& address) = 0;
};

// Plaintext gRPC; each call has `call_timeout_ms` (Describe with dirty-rate measurement gets
// its period on top).
// `credentials`: how the agents are reached (TLS with the controller's certificate); null:
// plaintext.
std::unique_ptr<AgentDialer> MakeGrpcAgentDialer(
    int call_timeout_ms = 10000, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace convoy::controller
