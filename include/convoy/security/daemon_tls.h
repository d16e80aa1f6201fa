// The TLS flags both daemons take (--tls-ca, --tls-cert, --tls-key, --insecure) and what they
// resolve to: TLS material, or plaintext without authentication only when --insecure says so
// (with a warning in the log).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>

#include "convoy/security/tls.h"

namespace convoy::security {

struct DaemonTlsFlags {
  TlsFiles files;
  bool insecure = false;
};

void AddDaemonTlsFlags(CLI::App& app, DaemonTlsFlags* flags);

// The material (with this daemon's certificate and key), or nullopt under --insecure (logged at
// warning as `program`). INVALID_ARGUMENT when neither TLS files nor --insecure are given, when
// both are, or when a file is wrong (naming it).
StatusOr<std::optional<TlsMaterial>> ResolveDaemonTls(const DaemonTlsFlags& flags,
                                                      const char* program);

}  // namespace convoy::security
