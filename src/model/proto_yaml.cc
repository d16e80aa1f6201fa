#include "convoy/model/proto_yaml.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include <google/protobuf/descriptor.h>
#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"

namespace convoy::model {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Child(const std::string& path, const std::string& name) {
  return path.empty() ? name : absl::StrCat(path, ".", name);
}

Status Error(const std::string& path, const std::string& problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(path.empty() ? "(top level)" : path, ": ", problem));
}

StatusOr<double> ToDouble(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) return Error(path, "expected a number");
  const std::string& s = node.Scalar();
  char* end = nullptr;
  errno = 0;
  double value = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(value)) {
    return Error(path, absl::StrCat("expected a number, got '", s, "'"));
  }
  return value;
}

StatusOr<long long> ToInteger(const YAML::Node& node, const std::string& path, long long min,
                              unsigned long long max) {
  CONVOY_ASSIGN_OR_RETURN(double value, ToDouble(node, path));
  if (value != std::floor(value)) {
    return Error(path, absl::StrCat("expected a whole number, got '", node.Scalar(), "'"));
  }
  if (value < static_cast<double>(min)) {
    return Error(path, absl::StrCat("must be at least ", min, ", got ", node.Scalar()));
  }
  if (value > static_cast<double>(max)) {
    return Error(path, absl::StrCat("must be at most ", max, ", got ", node.Scalar()));
  }
  return static_cast<long long>(value);
}

StatusOr<bool> ToBool(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
  }
  return Error(path, absl::StrCat("expected true or false, got '",
                                  node.IsScalar() ? node.Scalar() : "a structure", "'"));
}

Status FillMessage(const YAML::Node& node, Message* message, const std::string& path);

// Sets (or, for repeated fields, adds) one scalar or message value.
Status SetValue(const YAML::Node& node, Message* message, const FieldDescriptor* field,
                const std::string& path) {
  const Reflection* r = message->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      CONVOY_ASSIGN_OR_RETURN(double v, ToDouble(node, path));
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        rep ? r->AddFloat(message, field, static_cast<float>(v))
            : r->SetFloat(message, field, static_cast<float>(v));
      } else {
        rep ? r->AddDouble(message, field, v) : r->SetDouble(message, field, v);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      CONVOY_ASSIGN_OR_RETURN(long long v, ToInteger(node, path, std::numeric_limits<int>::min(),
                                                     std::numeric_limits<int>::max()));
      rep ? r->AddInt32(message, field, static_cast<int>(v))
          : r->SetInt32(message, field, static_cast<int>(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      CONVOY_ASSIGN_OR_RETURN(long long v,
                              ToInteger(node, path, 0, std::numeric_limits<uint32_t>::max()));
      rep ? r->AddUInt32(message, field, static_cast<uint32_t>(v))
          : r->SetUInt32(message, field, static_cast<uint32_t>(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      CONVOY_ASSIGN_OR_RETURN(long long v, ToInteger(node, path, -(1LL << 53), 1ULL << 53));
      rep ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      CONVOY_ASSIGN_OR_RETURN(long long v, ToInteger(node, path, 0, 1ULL << 53));
      rep ? r->AddUInt64(message, field, static_cast<uint64_t>(v))
          : r->SetUInt64(message, field, static_cast<uint64_t>(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      CONVOY_ASSIGN_OR_RETURN(bool v, ToBool(node, path));
      rep ? r->AddBool(message, field, v) : r->SetBool(message, field, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!node.IsScalar()) return Error(path, "expected a string");
      rep ? r->AddString(message, field, node.Scalar())
          : r->SetString(message, field, node.Scalar());
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (!node.IsScalar()) return Error(path, "expected an enum name");
      const auto* value = field->enum_type()->FindValueByName(node.Scalar());
      if (value == nullptr) {
        return Error(path, absl::StrCat("unknown value '", node.Scalar(), "'"));
      }
      rep ? r->AddEnum(message, field, value) : r->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(message, field) : r->MutableMessage(message, field);
      return FillMessage(node, sub, path);
    }
  }
  return Error(path, "unsupported field type");
}

Status FillMapField(const YAML::Node& node, Message* message, const FieldDescriptor* field,
                    const std::string& path) {
  if (!node.IsMap()) return Error(path, "expected a mapping");
  const FieldDescriptor* key_field = field->message_type()->FindFieldByName("key");
  const FieldDescriptor* value_field = field->message_type()->FindFieldByName("value");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    Message* entry = message->GetReflection()->AddMessage(message, field);
    CONVOY_RETURN_IF_ERROR(SetValue(kv.first, entry, key_field, absl::StrCat(path, "[", key, "]")));
    CONVOY_RETURN_IF_ERROR(
        SetValue(kv.second, entry, value_field, absl::StrCat(path, "[", key, "]")));
  }
  return absl::OkStatus();
}

Status FillMessage(const YAML::Node& node, Message* message, const std::string& path) {
  if (node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) {
    return Error(
        path, absl::StrCat("expected a mapping of fields of ", message->GetDescriptor()->name()));
  }
  const auto* descriptor = message->GetDescriptor();
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Error(path, "field names must be plain strings");
    const std::string key = kv.first.Scalar();
    const FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) field = descriptor->FindFieldByCamelcaseName(key);
    const std::string field_path = Child(path, key);
    if (field == nullptr) {
      return Error(path, absl::StrCat("unknown field '", key, "' in ", descriptor->name()));
    }
    const YAML::Node& value = kv.second;
    if (value.IsNull()) continue;
    if (field->is_map()) {
      CONVOY_RETURN_IF_ERROR(FillMapField(value, message, field, field_path));
    } else if (field->is_repeated()) {
      if (!value.IsSequence()) return Error(field_path, "expected a list");
      for (std::size_t i = 0; i < value.size(); ++i) {
        CONVOY_RETURN_IF_ERROR(
            SetValue(value[i], message, field, absl::StrCat(field_path, "[", i, "]")));
      }
    } else {
      CONVOY_RETURN_IF_ERROR(SetValue(value, message, field, field_path));
    }
  }
  return absl::OkStatus();
}

}  // namespace

Status ParseYamlInto(std::string_view text, google::protobuf::Message* message) {
  message->Clear();
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  try {
    return FillMessage(root, message, "");
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("line ", e.mark.line + 1, ": ", e.msg));
  }
}

}  // namespace convoy::model
