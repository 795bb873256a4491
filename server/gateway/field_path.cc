#include "server/gateway/field_path.h"

#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/error_reason.h"
#include "server/gateway/form_urlencoded.h"

namespace tokend::gateway {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;

absl::Status UnknownParameter(absl::string_view message,
                              absl::string_view name) {
  return WithParam(WithReason(absl::InvalidArgumentError(message),
                              "form_param_unknown", "is unknown"),
                   name.substr(0, 256));
}

const FieldDescriptor* FindField(const Descriptor* type,
                                 absl::string_view name) {
  if (const FieldDescriptor* f = type->FindFieldByName(std::string(name))) {
    return f;
  }
  for (int i = 0; i < type->field_count(); ++i) {
    if (type->field(i)->json_name() == name) return type->field(i);
  }
  return nullptr;
}

bool IsWrapper(const Descriptor* type) {
  static const auto* const kWrappers = new std::set<std::string>{
      "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
      "google.protobuf.Int64Value",  "google.protobuf.UInt64Value",
      "google.protobuf.Int32Value",  "google.protobuf.UInt32Value",
      "google.protobuf.BoolValue",   "google.protobuf.StringValue",
      "google.protobuf.BytesValue"};
  return kWrappers->count(type->full_name()) > 0;
}

bool IsScalarMessage(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" ||
         name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" || IsWrapper(type);
}

absl::StatusOr<FieldPath> ResolvePath(const Descriptor* root,
                                      absl::string_view dotted,
                                      absl::string_view noun) {
  FieldPath path;
  const Descriptor* type = root;
  for (absl::string_view segment : absl::StrSplit(dotted, '.')) {
    const FieldDescriptor* field =
        type == nullptr ? nullptr : FindField(type, segment);
    if (field == nullptr) {
      return UnknownParameter(
          absl::StrCat("unknown ", noun, " ", QuoteForError(dotted)), dotted);
    }
    if (!path.fields.empty()) path.canonical += '.';
    path.canonical += field->name();
    path.fields.push_back(field);
    if (field->is_map()) {
      return absl::InvalidArgumentError(
          absl::StrCat(noun, " ", QuoteForError(dotted),
                       " cannot set map field \"", path.canonical, "\""));
    }
    type = nullptr;
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !IsScalarMessage(field->message_type())) {
      if (field->is_repeated()) {
        return absl::InvalidArgumentError(
            absl::StrCat(noun, " ", QuoteForError(dotted),
                         " cannot set fields inside repeated field \"",
                         path.canonical, "\""));
      }
      type = field->message_type();
    }
  }
  if (type != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        noun, " ", QuoteForError(dotted), " cannot set message field \"",
        path.canonical, "\"; set its fields instead"));
  }
  return path;
}

bool Overlaps(absl::string_view a, absl::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return absl::StartsWith(b, a) && (b.size() == a.size() || b[a.size()] == '.');
}

}  // namespace tokend::gateway
