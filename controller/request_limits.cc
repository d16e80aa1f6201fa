#include "controller/request_limits.h"

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace convoy::controller {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

size_t ElementBytes(const Message& m, const FieldDescriptor* f, int i) {
  const auto* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return (f->is_repeated() ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f))
          .ByteSizeLong();
    case FieldDescriptor::CPPTYPE_STRING:
      return (f->is_repeated() ? r->GetRepeatedString(m, f, i) : r->GetString(m, f)).size();
    default:
      return 8;
  }
}

// The path within `m` that holds most of its bytes.
std::string Heaviest(const Message& m) {
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  const FieldDescriptor* heaviest = nullptr;
  size_t heaviest_bytes = 0;
  for (const auto* f : fields) {
    size_t bytes = 0;
    const int n = f->is_repeated() ? r->FieldSize(m, f) : 1;
    for (int i = 0; i < n; ++i) bytes += ElementBytes(m, f, i);
    if (bytes > heaviest_bytes) {
      heaviest = f;
      heaviest_bytes = bytes;
    }
  }
  if (heaviest == nullptr) return "";
  std::string path = heaviest->name();
  if (heaviest->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return path;
  if (!heaviest->is_repeated()) {
    const std::string inner = Heaviest(r->GetMessage(m, heaviest));
    return inner.empty() ? path : absl::StrCat(path, ".", inner);
  }
  // Into the one element that holds most of the field, if one does.
  const int n = r->FieldSize(m, heaviest);
  for (int i = 0; i < n; ++i) {
    const Message& element = r->GetRepeatedMessage(m, heaviest, i);
    if (element.ByteSizeLong() * 2 > heaviest_bytes) {
      const std::string inner = Heaviest(element);
      return absl::StrCat(path, "[", i, "]", inner.empty() ? "" : ".", inner);
    }
  }
  return absl::StrCat(path, " (", n, " entries)");
}

std::string Mb(size_t bytes) {
  return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6);
}

}  // namespace

Status CheckRequestSize(const Message& request, size_t limit) {
  const size_t bytes = request.ByteSizeLong();
  if (bytes <= limit) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(Heaviest(request), ": the request is ", Mb(bytes),
                                                 ", over the ", Mb(limit), " limit"));
}

}  // namespace convoy::controller
