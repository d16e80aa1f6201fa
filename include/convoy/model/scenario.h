// Reading and checking scenario files (a cluster and a request, proto/convoy/v1/request.proto).
#pragma once

#include <string>
#include <string_view>

#include "convoy/common/status.h"
#include "convoy/v1/request.pb.h"

namespace convoy::model {

// Parses a scenario from YAML or JSON text (JSON is read as YAML; both use the proto field
// names). Only syntax and types are checked here; see ValidateScenario for meaning.
StatusOr<v1::Scenario> ParseScenario(std::string_view text);

// Reads and parses a scenario file, then validates it. Errors name the file.
StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path);

// Checks that the scenario means something: names unique and non-empty, every reference (a VM's
// host, a traffic entry's VMs, the request's hosts and VMs) resolves (a link may name a switch
// no host is on, such as a core switch), numbers
// in range (no negative rate, a NIC faster than 0), the request's mode and strategy known.
// Returns INVALID_ARGUMENT listing every problem found, one per line, each starting with the
// field path, e.g. "vms[3].host: unknown host 'a9'".
Status ValidateScenario(const v1::Scenario& scenario);

// The request modes and strategies this version plans.
bool IsKnownMode(std::string_view mode);
bool IsKnownStrategy(std::string_view strategy);
inline constexpr const char* kModes = "auto, pre-copy, post-copy, enlightened";
inline constexpr const char* kStrategies =
    "convoy, sequential, parallel, comma-exact, comma-heuristic, solive";

}  // namespace convoy::model
