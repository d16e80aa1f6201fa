#include "convoy/security/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace convoy::security {
namespace {

StatusOr<std::string> ReadPem(const std::string& path, const char* flag, const char* marker) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, ": cannot read it"));
  std::stringstream text;
  text << in.rdbuf();
  if (!absl::StrContains(text.str(), marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": not a PEM file (no '", marker, "')"));
  }
  return text.str();
}

}  // namespace

StatusOr<TlsMaterial> LoadTls(const TlsFiles& files, bool need_identity) {
  TlsMaterial tls;
  if (files.ca_file.empty()) return absl::InvalidArgumentError("--tls-ca: not given");
  CONVOY_ASSIGN_OR_RETURN(tls.ca_pem, ReadPem(files.ca_file, "--tls-ca", "-----BEGIN CERTIFICATE"));
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (files.cert_file.empty()) {
    if (need_identity) return absl::InvalidArgumentError("--tls-cert and --tls-key: not given");
    return tls;
  }
  CONVOY_ASSIGN_OR_RETURN(tls.cert_pem,
                          ReadPem(files.cert_file, "--tls-cert", "-----BEGIN CERTIFICATE"));
  CONVOY_ASSIGN_OR_RETURN(tls.key_pem, ReadPem(files.key_file, "--tls-key", "PRIVATE KEY-----"));
  return tls;
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const TlsMaterial& tls, ClientCertificates clients,
    std::shared_ptr<grpc::AuthMetadataProcessor> processor) {
  grpc::SslServerCredentialsOptions options(
      clients == ClientCertificates::kRequire
          ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = tls.ca_pem;
  options.pem_key_cert_pairs.push_back({tls.key_pem, tls.cert_pem});
  auto credentials = grpc::SslServerCredentials(options);
  if (processor != nullptr) credentials->SetAuthMetadataProcessor(std::move(processor));
  return credentials;
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const TlsMaterial& tls) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls.ca_pem;
  options.pem_cert_chain = tls.cert_pem;
  options.pem_private_key = tls.key_pem;
  return grpc::SslCredentials(options);
}

}  // namespace convoy::security
