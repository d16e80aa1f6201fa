#include "convoy/security/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::security {

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  std::FILE* file = fd >= 0 ? fdopen(fd, "a") : nullptr;
  if (file == nullptr) {
    if (fd >= 0) close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("--audit-log ", path, ": cannot open it for appending"));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file));
}

AuditLog::~AuditLog() { std::fclose(file_); }

std::string AuditLog::Line(const AuditRecord& r, int64_t unix_ms) {
  const std::time_t s = unix_ms / 1000;
  std::tm tm{};
  gmtime_r(&s, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  nlohmann::json line = {
      {"at", absl::StrFormat("%s.%03dZ", stamp, static_cast<int>(unix_ms % 1000))},
      {"who", r.caller.name.empty() ? "anonymous (insecure)" : r.caller.name},
      {"role", RoleName(r.caller.role)},
      {"via", r.caller.via.empty() ? "none" : r.caller.via},
      {"peer", r.peer},
      {"call", r.call},
      {"what", r.what},
      {"code", r.code},
      {"allowed", r.code != 7 && r.code != 16},  // PERMISSION_DENIED, UNAUTHENTICATED
  };
  if (!r.message.empty()) line["message"] = r.message;
  if (!r.operation_id.empty()) line["operation"] = r.operation_id;
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AuditLog::Record(const AuditRecord& record) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string line = Line(record, now_ms) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace convoy::security
