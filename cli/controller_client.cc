#include "cli/controller_client.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "convoy/security/tls.h"

namespace convoy::cli {

std::string DefaultControllerAddress() {
  const char* env = std::getenv("CONVOY_CONTROLLER");
  if (env != nullptr && *env != '\0') return env;
  return "127.0.0.1:7600";
}

std::string ControllerOptions::EnvOr(const char* name) {
  const char* env = std::getenv(name);
  return env != nullptr ? env : "";
}

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const ControllerOptions& options) {
  const auto fail = [](const std::string& why) {
    std::fprintf(stderr, "convoy: %s\n", why.c_str());
    std::exit(2);
  };
  if (options.tls_ca.empty()) {
    if (!options.insecure) {
      fail(
          "no TLS CA to verify convoyd with: give --tls-ca (or $CONVOY_TLS_CA) with a client "
          "certificate (--tls-cert/--tls-key) or --token-file, or --insecure for a controller "
          "run with --insecure");
    }
    if (!options.token_file.empty()) fail("--token-file needs TLS (--tls-ca)");
    return grpc::InsecureChannelCredentials();
  }
  auto tls = security::LoadTls({options.tls_ca, options.tls_cert, options.tls_key},
                               /*need_identity=*/false);
  if (!tls.ok()) fail(std::string(tls.status().message()));
  auto credentials = security::ChannelCredentials(*tls);
  if (!options.token_file.empty()) {
    std::ifstream in(options.token_file);
    std::string token;
    if (!in || !std::getline(in, token) || token.empty()) {
      fail("--token-file " + options.token_file + ": cannot read a token from it");
    }
    credentials =
        grpc::CompositeChannelCredentials(credentials, grpc::AccessTokenCredentials(token));
  }
  return credentials;
}

void AddControllerOptions(CLI::App* command, ControllerOptions* options) {
  command->add_option("--controller", options->address,
                      "The controller's address, HOST:PORT (default: $CONVOY_CONTROLLER, else "
                      "127.0.0.1:7600)");
  command->add_option("--timeout-s", options->timeout_s, "Deadline of each call to the controller")
      ->check(CLI::PositiveNumber);
  command->add_option("--tls-ca", options->tls_ca,
                      "CA of convoyd's certificate (PEM; default: $CONVOY_TLS_CA)");
  command->add_option("--tls-cert", options->tls_cert,
                      "This client's certificate (PEM; OU=viewer|operator; $CONVOY_TLS_CERT)");
  command->add_option("--tls-key", options->tls_key, "The key of --tls-cert ($CONVOY_TLS_KEY)");
  command->add_option("--token-file", options->token_file,
                      "A file holding a bearer token, instead of a certificate "
                      "($CONVOY_TOKEN_FILE)");
  command->add_flag("--insecure", options->insecure,
                    "Plaintext, no credentials: for a convoyd run with --insecure "
                    "($CONVOY_INSECURE=1)");
}

ControllerClient::ControllerClient(const ControllerOptions& options)
    : options_(options),
      stub_(v1::Controller::NewStub(grpc::CreateChannel(options.address, ClientCredentials(options)))) {}

void ControllerClient::SetDeadline(grpc::ClientContext* context, double extra_s) const {
  const double seconds = options_.timeout_s + extra_s;
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
}

std::string ControllerClient::Describe(const grpc::Status& status, const std::string& what) const {
  const std::string code = StatusCodeName(status.error_code());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StrCat("convoyd at ", options_.address, " is not reachable (", code,
                          status.error_message().empty() ? "" : ": ", status.error_message(), ")");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrFormat("convoyd at %s did not answer within %g s (%s)", options_.address,
                             options_.timeout_s, code);
    default:
      return absl::StrCat(what, ": ",
                          status.error_message().empty() ? "failed" : status.error_message(), " (",
                          code, ")");
  }
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrCat("code ", static_cast<int>(code));
  }
}

}  // namespace convoy::cli
