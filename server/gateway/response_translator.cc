#include "server/gateway/response_translator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;
using ::google::protobuf::util::TypeResolver;

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// MessageToJsonString, except that the binary form it converts from is
// serialized deterministically, so map entries come out sorted by key rather
// than in hash order: the same response gives the same bytes (ETags, caches,
// tests). The resolver for the generated pool is built once (it only reads
// the pool, so it is safe to share between threads).
absl::StatusOr<std::string> Print(const Message& message) {
  const DescriptorPool* pool = message.GetDescriptor()->file()->pool();
  static TypeResolver* const generated =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kTypeUrlPrefix, DescriptorPool::generated_pool());
  std::unique_ptr<TypeResolver> owned;
  TypeResolver* resolver = generated;
  if (pool != DescriptorPool::generated_pool()) {
    owned.reset(google::protobuf::util::NewTypeResolverForDescriptorPool(
        kTypeUrlPrefix, pool));
    resolver = owned.get();
  }

  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializePartialToCodedStream(&coded);
  }
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  std::string out;
  const auto status = google::protobuf::util::BinaryToJsonString(
      resolver, absl::StrCat(kTypeUrlPrefix, "/", message.GetTypeName()),
      binary, &out, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat(
        "cannot print ", message.GetTypeName(), " as JSON: ",
        absl::string_view(status.message().data(), status.message().size())));
  }
  return out;
}

// `json` is {"<key>":<value>} as protobuf printed it (one field, no
// whitespace); returns <value>. The key is scanned as a JSON string so an
// explicit json_name with escapes cannot shift the cut.
absl::StatusOr<std::string> OnlyValue(const std::string& json) {
  if (json.size() < 2 || json.front() != '{' || json.back() != '}' ||
      json[1] != '"') {
    return absl::InternalError("unexpected JSON for a one-field message");
  }
  size_t i = 2;
  while (i < json.size() && json[i] != '"') i += json[i] == '\\' ? 2 : 1;
  if (i + 1 >= json.size() || json[i + 1] != ':') {
    return absl::InternalError("unexpected JSON for a one-field message");
  }
  return json.substr(i + 2, json.size() - i - 3);
}

// The JSON of a scalar field holding its default (protobuf omits it).
std::string DefaultJson(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return "\"\"";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "false";
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT64:
      return "\"0\"";  // 64-bit integers are strings in proto3 JSON
    case FieldDescriptor::CPPTYPE_ENUM:
      return absl::StrCat("\"", field->default_value_enum()->name(), "\"");
    default:
      return "0";
  }
}

// google.protobuf types whose JSON is a string, number or free-form value
// rather than an object of their fields; Empty is a plain "{}".
bool IsValueType(const FieldDescriptor* field) {
  const std::string& name = field->message_type()->full_name();
  return absl::StartsWith(name, "google.protobuf.") &&
         name != "google.protobuf.Empty";
}

// A scalar, repeated or map field alone.
absl::StatusOr<std::string> PrintNonMessageField(const Message& response,
                                                 const FieldDescriptor* field) {
  const Reflection* r = response.GetReflection();
  if (field->is_repeated()) {
    if (r->FieldSize(response, field) == 0)
      return field->is_map() ? "{}" : "[]";
  } else if (field->has_presence()) {
    if (!r->HasField(response, field)) return "null";  // oneof, optional
  } else if (!r->HasField(response, field)) {
    return DefaultJson(field);
  }
  // Set: print a copy holding only this field and cut the value out of
  // {"key":value}.
  std::unique_ptr<Message> only(response.New());
  only->CopyFrom(response);
  std::vector<const FieldDescriptor*> set;
  r->ListFields(response, &set);
  for (const FieldDescriptor* other : set) {
    if (other != field) only->GetReflection()->ClearField(only.get(), other);
  }
  absl::StatusOr<std::string> json = Print(*only);
  if (!json.ok()) return json;
  return OnlyValue(*json);
}

}  // namespace

absl::StatusOr<std::string> TranslateResponse(
    const google::protobuf::Message& response, const ResponseOptions& options) {
  if (options.response_body.empty()) return Print(response);

  const FieldDescriptor* field =
      response.GetDescriptor()->FindFieldByName(options.response_body);
  if (field == nullptr) {
    return absl::InternalError(absl::StrCat(
        "gateway binding: response_body \"", options.response_body,
        "\" is not a field of ", response.GetDescriptor()->full_name()));
  }
  const Reflection* r = response.GetReflection();
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      field->is_map()) {
    return PrintNonMessageField(response, field);
  }
  if (!field->is_repeated()) {
    // An unset well-known type has no JSON value of its own (its default
    // instance would print as e.g. "1970-01-01T00:00:00Z"); any other
    // unset message prints as its default instance, "{}".
    if (!r->HasField(response, field) && IsValueType(field)) return "null";
    return Print(r->GetMessage(response, field));
  }
  std::string out = "[";
  for (int i = 0; i < r->FieldSize(response, field); ++i) {
    absl::StatusOr<std::string> element =
        Print(r->GetRepeatedMessage(response, field, i));
    if (!element.ok()) return element;
    absl::StrAppend(&out, i == 0 ? "" : ",", *element);
  }
  return absl::StrCat(out, "]");
}

}  // namespace tokend::gateway
