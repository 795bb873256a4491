#include "server/gateway/response_translator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "server/gateway/json_string.h"
#include "tokend/api/v1/gateway.pb.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::Descriptor;
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
absl::StatusOr<std::string> PrintSlow(
    const Message& message, bool always_print_primitive_fields = false) {
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
  options.always_print_primitive_fields = always_print_primitive_fields;
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

// --- Fast path: flat messages written directly -----------------------------
//
// PrintSlow costs a serialization, a TypeResolver walk and protobuf's generic
// object writer per response, yet most gateway responses are a few strings
// and a Timestamp (CreateIamTokenResponse). PrintFlat writes those itself.
// Its output must be PrintSlow's byte for byte (ETags, caches, clients
// comparing bodies); the differential tests in response_translator_test.cc
// hold it to that. Whatever it is not sure of, it declines.

// Appends `value` (>= 0) zero-padded to `width` digits (it must fit).
void AppendDigits(int64_t value, int width, std::string* out) {
  char digits[20];
  for (int k = width - 1; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, width);
}

// Appends a Timestamp as protobuf's FormatTime writes it: quoted RFC 3339 in
// UTC, "%04d-%02d-%02dT%02d:%02d:%02d", the fewest of 3, 6 or 9 fraction
// digits that hold `nanos` (none when 0), "Z". False outside what protobuf
// prints (it fails the whole message there, and PrintSlow reports that).
bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string* out) {
  constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  if (seconds < kMinSeconds || seconds > kMaxSeconds || nanos < 0 ||
      nanos > 999999999) {
    return false;
  }
  int64_t days = seconds / 86400;  // floored
  int64_t day_seconds = seconds % 86400;
  if (day_seconds < 0) {
    day_seconds += 86400;
    --days;
  }
  // Days since 1970-01-01 to a proleptic Gregorian date: Howard Hinnant's
  // civil_from_days. z counts from 0000-03-01 and is >= 0 from year 1 on.
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = era * 400 + yoe + (month <= 2 ? 1 : 0);

  out->push_back('"');
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
  out->push_back('T');
  AppendDigits(day_seconds / 3600, 2, out);
  out->push_back(':');
  AppendDigits(day_seconds / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(day_seconds % 60, 2, out);
  if (nanos != 0) {
    out->push_back('.');
    if (nanos % 1000000 == 0) {
      AppendDigits(nanos / 1000000, 3, out);
    } else if (nanos % 1000 == 0) {
      AppendDigits(nanos / 1000, 6, out);
    } else {
      AppendDigits(nanos, 9, out);
    }
  }
  out->append("Z\"");
  return true;
}

// Appends "key":value for a set field of `message`; false if it is not a
// kind PrintFlat prints.
bool AppendField(const Message& message, const Reflection* r,
                 const FieldDescriptor* field, std::string* out) {
  // An extension is not in the TypeResolver's type: PrintSlow skips it.
  if (field->is_repeated() || field->is_extension()) return false;
  if (!AppendJsonString(field->json_name(), out)) return false;
  out->push_back(':');
  switch (field->type()) {
    case FieldDescriptor::TYPE_STRING: {
      std::string scratch;
      return AppendJsonString(r->GetStringReference(message, field, &scratch),
                              out);
    }
    case FieldDescriptor::TYPE_BOOL:
      out->append(r->GetBool(message, field) ? "true" : "false");
      return true;
    case FieldDescriptor::TYPE_MESSAGE: {
      if (field->message_type()->well_known_type() !=
          Descriptor::WELLKNOWNTYPE_TIMESTAMP) {
        return false;
      }
      // By reflection: a DynamicMessage has no generated Timestamp inside.
      const Message& timestamp = r->GetMessage(message, field);
      const Reflection* tr = timestamp.GetReflection();
      const Descriptor* type = timestamp.GetDescriptor();
      if (!tr->GetUnknownFields(timestamp).empty()) return false;
      return AppendTimestamp(
          tr->GetInt64(timestamp, type->FindFieldByNumber(1)),  // seconds
          tr->GetInt32(timestamp, type->FindFieldByNumber(2)),  // nanos
          out);
    }
    default:
      return false;
  }
}

// Prints `message` as PrintSlow would if every field it has set is a
// singular string, bool or Timestamp and it holds nothing else (no unknown
// fields), it is of the generated pool and not a google.protobuf type;
// otherwise returns false with `out` empty. Fields come in
// field-number order: ListFields lists them so, and the deterministic
// serialization PrintSlow converts from writes them so.
bool PrintFlat(const Message& message, std::string* out) {
  out->clear();
  const Descriptor* type = message.GetDescriptor();
  // Other pools: rare (tests), and PrintSlow builds their resolver anyway.
  if (type->file()->pool() != DescriptorPool::generated_pool()) return false;
  // protobuf prints many google.protobuf types (Timestamp, the wrappers,
  // Struct, Any, ...) as a JSON value of their own, not as an object of
  // their fields.
  if (absl::StartsWith(type->full_name(), "google.protobuf.")) {
    return false;
  }
  const Reflection* r = message.GetReflection();
  if (!r->GetUnknownFields(message).empty()) return false;
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  out->reserve(128);  // a token and a Timestamp without regrowing
  out->push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    if (!AppendField(message, r, fields[i], out)) {
      out->clear();
      return false;
    }
  }
  out->push_back('}');
  return true;
}

// --- Messages that print every field (tokend.api.v1.print_all_fields) -----

bool IsWellKnown(const Descriptor* type) {
  return type->file()->package() == "google.protobuf";
}

// Sets null for every unset field with presence of `message` (if its type
// prints all fields) and of the messages inside it, in `json`, its printed
// form.
void AddNulls(const Message& message, nlohmann::ordered_json& json) {
  if (!json.is_object()) return;
  const Descriptor* type = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  const bool all = type->options().GetExtension(api::v1::print_all_fields);
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    auto it = json.find(field->json_name());
    if (field->is_repeated()) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
          field->is_map() || IsWellKnown(field->message_type()) ||
          it == json.end() || !it->is_array()) {
        continue;
      }
      for (int k = 0;
           k < r->FieldSize(message, field) && k < static_cast<int>(it->size());
           ++k) {
        AddNulls(r->GetRepeatedMessage(message, field, k), (*it)[k]);
      }
      continue;
    }
    if (!field->has_presence() || field->real_containing_oneof() != nullptr) {
      continue;
    }
    if (!r->HasField(message, field)) {
      if (all) json[field->json_name()] = nullptr;
      continue;
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
        !IsWellKnown(field->message_type()) && it != json.end()) {
      AddNulls(r->GetMessage(message, field), *it);
    }
  }
}

absl::StatusOr<std::string> PrintAllFields(const Message& message) {
  absl::StatusOr<std::string> printed =
      PrintSlow(message, /*always_print_primitive_fields=*/true);
  if (!printed.ok()) return printed;
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(
      *printed, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InternalError("cannot re-read a printed response");
  }
  AddNulls(message, json);
  return json.dump();
}

absl::StatusOr<std::string> Print(const Message& message, bool all_fields) {
  if (all_fields) return PrintAllFields(message);
  std::string out;
  if (PrintFlat(message, &out)) return out;
  return PrintSlow(message);
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
  absl::StatusOr<std::string> json = Print(*only, /*all_fields=*/false);
  if (!json.ok()) return json;
  return OnlyValue(*json);
}

}  // namespace

namespace internal {

bool PrintFlatForTest(const google::protobuf::Message& message,
                      std::string* out) {
  return PrintFlat(message, out);
}

absl::StatusOr<std::string> PrintSlowForTest(
    const google::protobuf::Message& message) {
  return PrintSlow(message);
}

}  // namespace internal

bool PrintsAllFields(const google::protobuf::Descriptor* type) {
  // Breadth-first over the message types reachable from `type`.
  std::vector<const Descriptor*> pending = {type};
  absl::flat_hash_set<const Descriptor*> seen = {type};
  while (!pending.empty()) {
    const Descriptor* t = pending.back();
    pending.pop_back();
    if (t->options().GetExtension(api::v1::print_all_fields)) return true;
    for (int i = 0; i < t->field_count(); ++i) {
      const Descriptor* m = t->field(i)->message_type();
      if (m != nullptr && !IsWellKnown(m) && seen.insert(m).second) {
        pending.push_back(m);
      }
    }
  }
  return false;
}

absl::StatusOr<std::string> TranslateResponse(
    const google::protobuf::Message& response, const ResponseOptions& options) {
  const bool all = options.print_all_fields.has_value()
                       ? *options.print_all_fields
                       : PrintsAllFields(response.GetDescriptor());
  if (options.response_body.empty()) return Print(response, all);

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
    return Print(r->GetMessage(response, field), all);
  }
  std::string out = "[";
  for (int i = 0; i < r->FieldSize(response, field); ++i) {
    absl::StatusOr<std::string> element =
        Print(r->GetRepeatedMessage(response, field, i), all);
    if (!element.ok()) return element;
    absl::StrAppend(&out, i == 0 ? "" : ",", *element);
  }
  return absl::StrCat(out, "]");
}

}  // namespace tokend::gateway
