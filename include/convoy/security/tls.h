// TLS material and gRPC credentials for Convoy's daemons and clients: mutual TLS between the
// controller and the agents, TLS (with a client certificate or a bearer token) for clients.
// deploy/make-certs makes a CA and the certificates with openssl.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include <memory>
#include <string>

#include "convoy/common/status.h"

namespace convoy::security {

// PEM files: the CA that signs every Convoy certificate, and this party's certificate and key.
struct TlsFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool empty() const { return ca_file.empty() && cert_file.empty() && key_file.empty(); }
};

// The files' contents. INVALID_ARGUMENT naming the flag and file that is missing, unreadable or
// not PEM; `need_identity` requires the certificate and key (a daemon), otherwise they are
// optional but go together (a client may authenticate with a token instead).
struct TlsMaterial {
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
};
StatusOr<TlsMaterial> LoadTls(const TlsFiles& files, bool need_identity);

enum class ClientCertificates {
  kRequire,          // every client presents a certificate signed by the CA (the agent's API)
  kVerifyIfPresent,  // clients may authenticate by token instead (the controller's API)
};

// Server credentials; `processor` (optional) authenticates every call (authenticator.h).
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const TlsMaterial& tls, ClientCertificates clients,
    std::shared_ptr<grpc::AuthMetadataProcessor> processor);

// Channel credentials that verify the server against the CA and present this party's
// certificate when it has one.
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const TlsMaterial& tls);

}  // namespace convoy::security
