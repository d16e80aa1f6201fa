// The Agent gRPC service (proto/convoy/v1/agent.proto) over an Inventory and a
// MigrationManager. Errors keep their codes (NOT_FOUND, FAILED_PRECONDITION, ...) and carry the
// hypervisor's own message.
#pragma once

#include <grpcpp/grpcpp.h>

#include "agent/host_switch.h"
#include "agent/destination_policy.h"
#include "agent/enlightenment.h"
#include "convoy/security/authenticator.h"
#include "agent/inventory.h"
#include "agent/migration_manager.h"
#include "agent/staging_service.h"
#include "convoy/v1/agent.grpc.pb.h"

namespace convoy::agent {

// What the service offers besides the inventory and the migrations; each part may be null (its
// calls then answer FAILED_PRECONDITION saying what is not configured).
struct AgentServiceParts {
  HostSwitch* host_switch = nullptr;           // traffic and QoS in reports, ReserveIncoming
  StagingService* staging = nullptr;           // PrepareStagedIncoming
  const DestinationPolicy* policy = nullptr;   // StartMigration refuses what it refuses
  // Who calls (null: no authentication, --insecure). Controllers may call everything; other
  // agents only the peer calls (ReserveIncoming, PrepareStagedIncoming).
  const security::Authenticator* authenticator = nullptr;
  EnlightenmentReader* enlightenment = nullptr;  // GetEnlightenment (null: UNIMPLEMENTED)
};

class AgentService final : public v1::Agent::Service {
 public:
  AgentService(Inventory* inventory, MigrationManager* migrations, AgentServiceParts parts = {})
      : inventory_(inventory), migrations_(migrations), parts_(parts) {}


  grpc::Status Describe(grpc::ServerContext*, const v1::DescribeRequest*, v1::HostReport*) override;
  grpc::Status StartMigration(grpc::ServerContext*, const v1::StartMigrationRequest*,
                              v1::MigrationProgress*) override;
  grpc::Status WatchMigration(grpc::ServerContext*, const v1::WatchRequest*,
                              grpc::ServerWriter<v1::MigrationProgress>*) override;
  grpc::Status GetMigration(grpc::ServerContext*, const v1::MigrationRef*,
                            v1::MigrationProgress*) override;
  grpc::Status ListMigrations(grpc::ServerContext*, const v1::ListMigrationsRequest*,
                              v1::ListMigrationsResponse*) override;
  grpc::Status SetMigrationSpeed(grpc::ServerContext*, const v1::SetSpeedRequest*,
                                 v1::MigrationProgress*) override;
  grpc::Status SwitchToPostCopy(grpc::ServerContext*, const v1::MigrationRef*,
                                v1::MigrationProgress*) override;
  grpc::Status AbortMigration(grpc::ServerContext*, const v1::MigrationRef*,
                              v1::MigrationProgress*) override;
  grpc::Status ProbeBandwidth(grpc::ServerContext*, const v1::ProbeRequest*,
                              v1::ProbeResult*) override;
  grpc::Status ReserveIncoming(grpc::ServerContext*, const v1::IncomingReservation*,
                               v1::IncomingReservation*) override;
  grpc::Status PrepareStagedIncoming(grpc::ServerContext*, const v1::StagedIncomingRequest*,
                                     v1::StagedIncomingReply*) override;
  grpc::Status GetEnlightenment(grpc::ServerContext*, const v1::EnlightenmentRequest*,
                                v1::Enlightenment*) override;

 private:
  Inventory* const inventory_;
  MigrationManager* const migrations_;
  // OK for a controller's call (or without authentication), PERMISSION_DENIED otherwise.
  grpc::Status ControllerOnly(const grpc::ServerContext& context) const;

  const AgentServiceParts parts_;
};

}  // namespace convoy::agent
