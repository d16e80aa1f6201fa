#include "agent/destination_policy.h"

#include "absl/strings/str_cat.h"

namespace convoy::agent {

Status DestinationPolicy::Check(const v1::StartMigrationRequest& request) const {
  const v1::Destination& d = request.destination();
  if (d.host().empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("migration of ", request.vm(), ": the request names no destination host"));
  }
  if (d.host() == self) {
    return absl::PermissionDeniedError(
        absl::StrCat("migration of ", request.vm(), ": the destination is this host, ", self));
  }
  if (allow_any) return absl::OkStatus();
  if (!peer_uris.Allows(d.libvirt_uri())) {
    return absl::PermissionDeniedError(
        absl::StrCat("migration of ", request.vm(), " to ", d.host(), ": libvirt URI '",
                     d.libvirt_uri(), "' is not allowed by this agent's --allow-peer-uri"));
  }
  if (!d.migration_address().empty() && !migration_addresses.Allows(d.migration_address())) {
    return absl::PermissionDeniedError(absl::StrCat(
        "migration of ", request.vm(), " to ", d.host(), ": migration address '",
        d.migration_address(), "' is not allowed by this agent's --allow-migration-address"));
  }
  // The destination agent the source tells of a reservation: at an allowed address too.
  if (!d.agent_address().empty()) {
    const auto colon = d.agent_address().rfind(':');
    const std::string host =
        colon == std::string::npos ? d.agent_address() : d.agent_address().substr(0, colon);
    if (!migration_addresses.Allows(host)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "migration of ", request.vm(), " to ", d.host(), ": destination agent '",
          d.agent_address(), "' is not at an address this agent's --allow-migration-address allows"));
    }
  }
  return absl::OkStatus();
}

}  // namespace convoy::agent
