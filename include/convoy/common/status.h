// Error handling: Convoy returns Status / StatusOr<T> across module boundaries and never throws
// across them. These are absl's types (gRPC already depends on absl), named in our namespace.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace convoy {

using Status = absl::Status;
template <typename T>
using StatusOr = absl::StatusOr<T>;

}  // namespace convoy

#define CONVOY_STATUS_CONCAT_INNER_(a, b) a##b
#define CONVOY_STATUS_CONCAT_(a, b) CONVOY_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (a Status) is not OK.
#define CONVOY_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status convoy_status_ = (expr);          \
    if (!convoy_status_.ok()) return convoy_status_; \
  } while (0)

// `lhs = value of expr` when `expr` (a StatusOr) is OK; returns its status otherwise.
#define CONVOY_ASSIGN_OR_RETURN(lhs, expr) \
  CONVOY_ASSIGN_OR_RETURN_IMPL_(CONVOY_STATUS_CONCAT_(convoy_statusor_, __LINE__), lhs, expr)
#define CONVOY_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
