#include "agent/ovs/ovsdb_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace convoy::agent::ovs {

using nlohmann::json;

size_t JsonValueLength(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        ++depth;
        started = true;
        break;
      case '}':
      case ']':
        if (--depth == 0 && started) return i + 1;
        break;
      default:
        break;
    }
  }
  return 0;
}

OvsdbClient::OvsdbClient(std::string endpoint, int timeout_ms)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms) {}

StatusOr<json> OvsdbClient::ReadMessage() {
  for (;;) {
    // Whitespace between messages is not part of either.
    size_t skip = 0;
    while (skip < buffer_.size() && std::isspace(static_cast<unsigned char>(buffer_[skip]))) {
      ++skip;
    }
    buffer_.erase(0, skip);
    if (!buffer_.empty() && buffer_[0] != '{') {
      return absl::DataLossError(absl::StrCat(endpoint_, " sent something that is not JSON-RPC"));
    }
    if (const size_t length = JsonValueLength(buffer_); length > 0) {
      json message = json::parse(buffer_.substr(0, length), nullptr, /*allow_exceptions=*/false);
      buffer_.erase(0, length);
      if (message.is_discarded() || !message.is_object()) {
        return absl::DataLossError(absl::StrCat(endpoint_, " sent malformed JSON"));
      }
      return message;
    }
    if (buffer_.size() > (64u << 20)) {
      return absl::ResourceExhaustedError(absl::StrCat(endpoint_, " sent a message over 64 MiB"));
    }
    CONVOY_RETURN_IF_ERROR(stream_->ReadSome(&buffer_, timeout_ms_));
  }
}

StatusOr<json> OvsdbClient::Call(const std::string& method, const json& params) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stream_ == nullptr) {
    CONVOY_ASSIGN_OR_RETURN(stream_, Stream::Connect(endpoint_, timeout_ms_));
    buffer_.clear();
  }
  const uint64_t id = next_id_++;
  const json request = {{"method", method}, {"params", params}, {"id", id}};
  auto answer = [&]() -> StatusOr<json> {
    CONVOY_RETURN_IF_ERROR(stream_->WriteAll(request.dump(), timeout_ms_));
    for (;;) {
      CONVOY_ASSIGN_OR_RETURN(json message, ReadMessage());
      if (message.contains("method")) {
        // The server's own requests: answer echo (it closes idle clients that do not), ignore
        // notifications.
        if (message["method"] == "echo" && message.contains("id") && !message["id"].is_null()) {
          const json reply = {{"id", message["id"]},
                              {"result", message.value("params", json::array())},
                              {"error", nullptr}};
          CONVOY_RETURN_IF_ERROR(stream_->WriteAll(reply.dump(), timeout_ms_));
        }
        continue;
      }
      if (!message.contains("id") || message["id"] != id) continue;  // a late answer
      if (message.contains("error") && !message["error"].is_null()) {
        return absl::FailedPreconditionError(
            absl::StrCat(endpoint_, " refused ", method, ": ", message["error"].dump()));
      }
      return message.value("result", json());
    }
  }();
  // After a failure the stream may hold half a message: start afresh next time. A refused
  // request leaves the connection in order.
  if (!answer.ok() && !absl::IsFailedPrecondition(answer.status())) stream_.reset();
  return answer;
}

StatusOr<json> OvsdbClient::Transact(const std::string& database, const json& operations) {
  json params = json::array({database});
  for (const auto& op : operations) params.push_back(op);
  CONVOY_ASSIGN_OR_RETURN(json results, Call("transact", params));
  if (!results.is_array()) {
    return absl::DataLossError(absl::StrCat(endpoint_, " answered a transaction without results"));
  }
  for (size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    if (r.is_object() && r.contains("error") && !r["error"].is_null()) {
      const std::string which =
          i < operations.size()
              ? absl::StrCat("operation ", i, " (", operations[i].value("op", "?"), " on ",
                             operations[i].value("table", "?"), ")")
              : std::string("the commit");
      return absl::FailedPreconditionError(absl::StrCat(
          "OVSDB ", endpoint_, ": ", which, " failed: ", r["error"].get<std::string>(),
          r.contains("details") ? absl::StrCat(": ", r["details"].dump()) : std::string()));
    }
  }
  return results;
}

}  // namespace convoy::agent::ovs
