// RenderJson: the plan as proto JSON, re-indented to 2 spaces.
#include <string>

#include "absl/strings/str_cat.h"
#include "convoy/report/render.h"
#include "google/protobuf/util/json_util.h"

namespace convoy::report {
namespace {

// Protobuf indents nested values by one space per level; every line's leading spaces are
// indentation (string values escape their newlines), so doubling them gives 2 per level.
std::string DoubleIndent(const std::string& json) {
  std::string out;
  out.reserve(json.size() * 3 / 2);
  bool at_line_start = true;
  for (char c : json) {
    if (at_line_start && c == ' ') {
      out += "  ";
      continue;
    }
    at_line_start = c == '\n';
    out += c;
  }
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

// A JSON string literal of `text` (quotes, backslashes and control characters escaped).
std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

std::string RenderJson(const v1::Plan& plan) { return RenderMessageJson(plan); }

std::string RenderMessageJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    // Not expected for our messages; still return valid JSON that says what went wrong.
    return absl::StrCat("{\n  \"error\": ", JsonQuote(std::string(status.message())), "\n}\n");
  }
  return DoubleIndent(json);
}

}  // namespace convoy::report
