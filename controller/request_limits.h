// The largest request the controller's API takes, and the check that names what made a request
// too large. gRPC is set to receive more than the limit (kGrpcMaxReceiveBytes) so that such a
// request reaches CheckRequestSize and is answered INVALID_ARGUMENT with the field at fault,
// rather than a bare RESOURCE_EXHAUSTED from the transport.
#pragma once

#include <google/protobuf/message.h>

#include <cstddef>

#include "convoy/common/status.h"

namespace convoy::controller {

inline constexpr size_t kMaxRequestBytes = size_t{4} << 20;
inline constexpr int kGrpcMaxReceiveBytes = 64 << 20;

// OK when `request` serializes to at most `limit` bytes; otherwise INVALID_ARGUMENT naming the
// field path that holds most of it ("apps[0].traffic: 9.9 MB of the 10.0 MB request, over the
// 4.0 MB limit").
Status CheckRequestSize(const google::protobuf::Message& request, size_t limit = kMaxRequestBytes);

}  // namespace convoy::controller
