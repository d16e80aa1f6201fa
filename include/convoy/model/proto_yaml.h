// Fills a protobuf message from YAML (or JSON, which yaml-cpp reads as YAML) using the
// message's own descriptor, so scenario files use exactly the proto field names.
#pragma once

#include <string_view>

#include <google/protobuf/message.h>

#include "convoy/common/status.h"

namespace convoy::model {

// Parses `text` and fills `message` (which is cleared first). Keys are proto field names
// (snake_case; the lowerCamelCase JSON names are accepted too). A null value leaves the field at
// its default. Errors are INVALID_ARGUMENT with the field path and the problem, for example
// "hosts[2].nic_gbps: expected a number, got 'fast'" or "vms[0]: unknown field 'cpu'".
Status ParseYamlInto(std::string_view text, google::protobuf::Message* message);

}  // namespace convoy::model
