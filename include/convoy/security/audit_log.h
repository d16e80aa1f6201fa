// The controller's audit log: one JSON object per line for every mutating call (Plan, Submit,
// Cancel), allowed or refused: when (UTC, ms), who (name, role, how authenticated, from where),
// what (the call and its subject: hosts evacuated, plan or operation id), and the outcome (gRPC
// code, message, the operation created). Appended and flushed line by line; thread-safe.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "convoy/common/status.h"
#include "convoy/security/authenticator.h"

namespace convoy::security {

struct AuditRecord {
  Caller caller;
  std::string peer;  // the connection's address, as gRPC reports it
  std::string call;  // "Submit", ...
  std::string what;  // e.g. "evacuate h1,h2 to h3" or "plan plan-..."
  int code = 0;      // gRPC status code
  std::string message;
  std::string operation_id;
};

class AuditLog {
 public:
  // Appends to `path` (created 0600 if missing). INVALID_ARGUMENT naming it when it cannot.
  static StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();

  void Record(const AuditRecord& record);
  // The line Record writes (without the newline), at `unix_ms`. Exposed for tests.
  static std::string Line(const AuditRecord& record, int64_t unix_ms);

 private:
  explicit AuditLog(std::FILE* file) : file_(file) {}
  std::mutex mu_;
  std::FILE* file_;
};

}  // namespace convoy::security
