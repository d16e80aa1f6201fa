// The Agent gRPC service (proto/convoy/v1/agent.proto) over an Inventory and a
// MigrationManager. Errors keep their codes (NOT_FOUND, FAILED_PRECONDITION, ...) and carry the
// hypervisor's own message.
#pragma once

#include <grpcpp/grpcpp.h>

#include "agent/inventory.h"
#include "agent/migration_manager.h"
#include "convoy/v1/agent.grpc.pb.h"

namespace convoy::agent {

class AgentService final : public v1::Agent::Service {
 public:
  AgentService(Inventory* inventory, MigrationManager* migrations,
               EnlightenmentReader* enlightenment = nullptr)
      : inventory_(inventory), migrations_(migrations), enlightenment_(enlightenment) {}

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
  grpc::Status GetEnlightenment(grpc::ServerContext*, const v1::EnlightenmentRequest*,
                                v1::Enlightenment*) override;

 private:
  Inventory* const inventory_;
  MigrationManager* const migrations_;
  EnlightenmentReader* const enlightenment_;
};

}  // namespace convoy::agent
