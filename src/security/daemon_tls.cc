#include "convoy/security/daemon_tls.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace convoy::security {

void AddDaemonTlsFlags(CLI::App& app, DaemonTlsFlags* flags) {
  app.add_option("--tls-ca", flags->files.ca_file,
                 "CA certificate (PEM) that signs every Convoy certificate (deploy/make-certs)");
  app.add_option("--tls-cert", flags->files.cert_file,
                 "This daemon's certificate (PEM; CN = its name, OU = its role)");
  app.add_option("--tls-key", flags->files.key_file, "The key of --tls-cert (PEM)");
  app.add_flag("--insecure", flags->insecure,
               "Plaintext gRPC without authentication (tests, a trusted lab network only)");
}

StatusOr<std::optional<TlsMaterial>> ResolveDaemonTls(const DaemonTlsFlags& flags,
                                                      const char* program) {
  if (flags.insecure) {
    if (!flags.files.empty()) {
      return absl::InvalidArgumentError("--insecure and --tls-* exclude each other");
    }
    spdlog::warn(
        "{}: --insecure: plaintext gRPC, no authentication: anyone who reaches this port can "
        "drive it",
        program);
    return std::optional<TlsMaterial>();
  }
  if (flags.files.empty()) {
    return absl::InvalidArgumentError(
        "no TLS material: give --tls-ca, --tls-cert and --tls-key (deploy/make-certs makes "
        "them), or --insecure for plaintext without authentication");
  }
  CONVOY_ASSIGN_OR_RETURN(TlsMaterial tls, LoadTls(flags.files, /*need_identity=*/true));
  return std::optional<TlsMaterial>(std::move(tls));
}

}  // namespace convoy::security
