// How the `convoy` commands reach the controller (convoyd): the address, the channel, deadlines,
// and one-line messages for failed calls.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "convoy/v1/controller.grpc.pb.h"

namespace convoy::cli {

// Exit codes of the controller's commands, next to those of plan_command.h (0 ok, 2 error,
// 3 infeasible).
inline constexpr int kExitDeclined = 1;         // the operator answered no: nothing ran
inline constexpr int kExitOperationFailed = 4;  // the operation failed or was cancelled
inline constexpr int kExitDetached = 130;       // Ctrl-C: stopped watching, it goes on

// The address used when --controller is not given: $CONVOY_CONTROLLER when set and not empty,
// else 127.0.0.1:7600.
std::string DefaultControllerAddress();

// The options every controller command takes.
struct ControllerOptions {
  std::string address = DefaultControllerAddress();  // host:port
  double timeout_s = 30;                             // deadline of each unary call
  // TLS (defaults from $CONVOY_TLS_CA, $CONVOY_TLS_CERT, $CONVOY_TLS_KEY): the CA of the
  // controller's certificate, and this client's certificate and key (its name and role).
  std::string tls_ca = EnvOr("CONVOY_TLS_CA");
  std::string tls_cert = EnvOr("CONVOY_TLS_CERT");
  std::string tls_key = EnvOr("CONVOY_TLS_KEY");
  // A file holding a bearer token, instead of a client certificate ($CONVOY_TOKEN_FILE).
  std::string token_file = EnvOr("CONVOY_TOKEN_FILE");
  // Plaintext without credentials ($CONVOY_INSECURE=1), for a controller run with --insecure.
  bool insecure = EnvOr("CONVOY_INSECURE") == "1";

  static std::string EnvOr(const char* name);
};

// Adds --controller, --timeout-s, --tls-ca, --tls-cert, --tls-key, --token-file and --insecure to
// `command`, bound to *options (which must outlive parsing).
void AddControllerOptions(CLI::App* command, ControllerOptions* options);

// The channel credentials `options` ask for: TLS verifying the server against tls_ca, with the
// client certificate or the bearer token, or plaintext with `insecure`. Credentials that cannot
// be read end the program with a message and exit code 2.
std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const ControllerOptions& options);

// A client of one controller: TLS with a client certificate or a bearer token, or plaintext
// under --insecure. Creating it does not connect; the first call does, and fails with
// UNAVAILABLE when nothing answers. Credentials that cannot be read end the program with a
// message and exit code 2.
class ControllerClient {
 public:
  explicit ControllerClient(const ControllerOptions& options);

  v1::Controller::Stub* stub() { return stub_.get(); }
  const ControllerOptions& options() const { return options_; }

  // Sets the deadline of a unary call: options().timeout_s plus `extra_s` from now.
  void SetDeadline(grpc::ClientContext* context, double extra_s = 0) const;

  // One line (no newline, no "convoy: " prefix) saying why a call failed, with the status code:
  //   UNAVAILABLE        "convoyd at ADDR is not reachable (UNAVAILABLE: <details>)"
  //   DEADLINE_EXCEEDED  "convoyd at ADDR did not answer within N s (DEADLINE_EXCEEDED)"
  //   anything else      "<what>: <the controller's message> (<CODE>)"
  // `what` names the call, e.g. "plan" or "operation op-1".
  std::string Describe(const grpc::Status& status, const std::string& what) const;

 private:
  ControllerOptions options_;
  std::unique_ptr<v1::Controller::Stub> stub_;
};

// The name of a gRPC status code as the gRPC documentation spells it: "NOT_FOUND", ...
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace convoy::cli
