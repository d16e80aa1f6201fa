#include "convoy/security/authenticator.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace convoy::security {
namespace {

std::string First(const grpc::AuthContext& context, const char* property) {
  auto values = context.FindPropertyValues(property);
  return values.empty() ? "" : std::string(values.front().data(), values.front().size());
}

}  // namespace

Role ParseRole(const std::string& name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "agent") return Role::kAgent;
  if (name == "controller") return Role::kController;
  return Role::kNone;
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAgent:
      return "agent";
    case Role::kController:
      return "controller";
    case Role::kNone:
      break;
  }
  return "none";
}

bool Allows(Role role, Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return role == Role::kViewer || role == Role::kOperator || role == Role::kController;
    case Permission::kOperate:
      return role == Role::kOperator || role == Role::kController;
    case Permission::kHeartbeat:
      return role == Role::kAgent;
  }
  return false;
}

Role RoleFromSubject(const std::string& subject) {
  // "CN=h1,OU=agent,O=Convoy" (or with '/' separators); escaped commas do not occur in roles.
  for (absl::string_view part : absl::StrSplit(subject, absl::ByAnyChar(",/"))) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, "OU=")) return ParseRole(std::string(part));
  }
  return Role::kNone;
}

std::string ForwardedFor(const Caller& caller) {
  return absl::StrCat(caller.name, " ", RoleName(caller.role));
}

StatusOr<std::map<std::string, Caller>> LoadTokens(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(absl::StrCat("--tokens-file ", path, ": cannot read it"));
  std::map<std::string, Caller> tokens;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string text(absl::StripAsciiWhitespace(line.substr(0, line.find('#'))));
    if (text.empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(text, ' ', absl::SkipWhitespace());
    const std::string where = absl::StrCat("--tokens-file ", path, " line ", n);
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected TOKEN NAME ROLE"));
    }
    if (fields[0].size() < 16) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the token is shorter than 16 characters"));
    }
    const Role role = ParseRole(fields[2]);
    if (role != Role::kViewer && role != Role::kOperator) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": role '", fields[2], "' (a token's role is viewer or operator)"));
    }
    tokens[fields[0]] = {fields[1], role, "token"};
  }
  return tokens;
}

StatusOr<Caller> Authenticator::Identify(
    const std::string& subject, const std::string& common_name,
    const std::multimap<std::string, std::string>& metadata) const {
  Caller caller;
  if (!subject.empty()) {
    caller = {common_name, RoleFromSubject(subject), "certificate"};
    if (caller.role == Role::kNone) {
      return absl::PermissionDeniedError(
          absl::StrCat("certificate '", subject,
                       "' names no Convoy role (OU=viewer|operator|agent|controller)"));
    }
    auto forwarded = metadata.find(kForwardedForMetadata);
    if (caller.role == Role::kController && forwarded != metadata.end()) {
      std::vector<std::string> fields = absl::StrSplit(forwarded->second, ' ');
      const Role role = fields.size() == 2 ? ParseRole(fields[1]) : Role::kNone;
      if (role != Role::kViewer && role != Role::kOperator) {
        return absl::PermissionDeniedError(
            absl::StrCat("forwarded caller '", forwarded->second, "' is not a client"));
      }
      caller = {fields[0], role, absl::StrCat("forwarded by ", common_name)};
    }
  } else {
    auto header = metadata.find("authorization");
    if (header == metadata.end()) {
      return absl::UnauthenticatedError(
          "no credentials: present a client certificate or `authorization: Bearer TOKEN`");
    }
    absl::string_view token = header->second;
    if (!absl::ConsumePrefix(&token, "Bearer ")) {
      return absl::UnauthenticatedError("the authorization header is not `Bearer TOKEN`");
    }
    auto known = tokens_.find(std::string(token));
    if (known == tokens_.end()) return absl::UnauthenticatedError("unknown bearer token");
    caller = known->second;
  }
  if (accepted_.count(caller.role) == 0) {
    return absl::PermissionDeniedError(absl::StrCat(caller.name, " (", RoleName(caller.role),
                                                    ") may not call this server at all"));
  }
  return caller;
}

grpc::Status Authenticator::Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                                    OutputMetadata*, OutputMetadata*) {
  std::multimap<std::string, std::string> metadata;
  for (const auto& [key, value] : auth_metadata) {
    metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  auto identified = Identify(First(*context, GRPC_X509_SUBJECT_PROPERTY_NAME),
                             First(*context, GRPC_X509_CN_PROPERTY_NAME), metadata);
  if (!identified.ok()) {
    return grpc::Status(identified.status().code() == absl::StatusCode::kUnauthenticated
                            ? grpc::StatusCode::UNAUTHENTICATED
                            : grpc::StatusCode::PERMISSION_DENIED,
                        std::string(identified.status().message()));
  }
  return grpc::Status::OK;
}

Caller Authenticator::CallerOf(const grpc::ServerContext& context) const {
  std::multimap<std::string, std::string> metadata;
  for (const auto& [key, value] : context.client_metadata()) {
    metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  auto auth = context.auth_context();
  const std::string subject = auth ? First(*auth, GRPC_X509_SUBJECT_PROPERTY_NAME) : "";
  const std::string cn = auth ? First(*auth, GRPC_X509_CN_PROPERTY_NAME) : "";
  auto identified = Identify(subject, cn, metadata);
  return identified.ok() ? *identified : Caller{};
}

}  // namespace convoy::security
