#include "server/gateway/leaf_value.h"

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/gateway/field_path.h"
#include "server/gateway/form_urlencoded.h"
#include "server/gateway/utf8.h"

namespace tokend::gateway {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::Reflection;

namespace {
template <typename T>
bool ParseInteger(absl::string_view text, T* out) {
  absl::string_view digits = text;
  if (std::is_signed<T>::value) absl::ConsumePrefix(&digits, "-");
  // SimpleAtoi alone would also take '+' and surrounding whitespace.
  if (digits.empty() ||
      digits.find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  return absl::SimpleAtoi(text, out);
}

bool ParseDouble(absl::string_view text, double* out) {
  if (text == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    *out = text[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
    return true;
  }
  // Excludes SimpleAtod's extras: whitespace, "inf", "nan", hex.
  if (text.empty() ||
      text.find_first_not_of("0123456789.eE+-") != absl::string_view::npos) {
    return false;
  }
  return absl::SimpleAtod(text, out) && std::isfinite(*out);
}

// proto3 JSON bytes: standard or URL-safe alphabet, padding optional. absl
// would skip whitespace, so a '+' turned into ' ' by query decoding would
// silently change the bytes; the alphabet check refuses it instead.
bool DecodeBase64(absl::string_view text, std::string* out) {
  constexpr absl::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=";
  if (text.find_first_not_of(kAlphabet) != absl::string_view::npos) {
    return false;
  }
  if (text.find_first_of("-_") != absl::string_view::npos) {
    return absl::WebSafeBase64Unescape(text, out);
  }
  return absl::Base64Unescape(text, out);
}

// "-?digits(.1-9 digits)?s" within ±10000 years, as proto3 JSON requires;
// TimeUtil alone takes more fraction digits and larger values.
bool ParseDuration(absl::string_view text, google::protobuf::Duration* out) {
  absl::string_view rest = text;
  absl::ConsumePrefix(&rest, "-");
  if (!absl::ConsumeSuffix(&rest, "s")) return false;
  const std::vector<absl::string_view> parts = absl::StrSplit(rest, '.');
  if (parts.size() > 2 || parts[0].empty() ||
      parts[0].find_first_not_of("0123456789") != absl::string_view::npos) {
    return false;
  }
  if (parts.size() == 2 &&
      (parts[1].empty() || parts[1].size() > 9 ||
       parts[1].find_first_not_of("0123456789") != absl::string_view::npos)) {
    return false;
  }
  constexpr int64_t kMaxSeconds = 315576000000;
  return google::protobuf::util::TimeUtil::FromString(std::string(text), out) &&
         out->seconds() <= kMaxSeconds && out->seconds() >= -kMaxSeconds;
}

}  // namespace

// proto3 JSON FieldMask: comma-separated lowerCamel paths. FieldMaskUtil
// alone takes any bytes and turns "A" into "_a", which then cannot be printed
// back; only text that converts back to itself is accepted. Protobuf's JSON
// parser converts runs of capitals differently ("aBC": "a_b_c" here,
// "a_bc" there), so a mask must also read the same as a JSON body would:
// otherwise the same request means two things over query and body.
bool ParseFieldMask(absl::string_view text, google::protobuf::FieldMask* out) {
  constexpr absl::string_view kAllowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,";
  if (text.find_first_not_of(kAllowed) != absl::string_view::npos) return false;
  const google::protobuf::StringPiece piece(text.data(), text.size());
  std::string back;
  if (!google::protobuf::util::FieldMaskUtil::FromJsonString(piece, out) ||
      !google::protobuf::util::FieldMaskUtil::ToJsonString(*out, &back) ||
      back != text) {
    return false;
  }
  google::protobuf::FieldMask as_json;
  if (!google::protobuf::util::JsonStringToMessage(
           absl::StrCat("\"", text, "\""), &as_json)
           .ok()) {
    return false;
  }
  return google::protobuf::util::MessageDifferencer::Equals(as_json, *out);
}

namespace {

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  constexpr int kMaxListed = 16;
  if (type->value_count() > kMaxListed) return type->full_name();
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) {
    names.push_back(type->value(i)->name());
  }
  return absl::StrCat("one of ", absl::StrJoin(names, ", "));
}

}  // namespace

absl::Status SetLeaf(Message* message, const FieldDescriptor* field,
                     absl::string_view text, absl::string_view what) {
  const Reflection* r = message->GetReflection();
  const bool repeated = field->is_repeated();
  auto invalid = [&](absl::string_view expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value ", QuoteForError(text), " for ", what,
                     " (expected ", expected, ")"));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value;
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        if (!DecodeBase64(text, &value)) return invalid("base64");
      } else {
        if (!IsValidUtf8(text)) return invalid("UTF-8 text");
        value = std::string(text);
      }
      repeated ? r->AddString(message, field, std::move(value))
               : r->SetString(message, field, std::move(value));
      return absl::OkStatus();
    }
#define TOKEND_SET_INTEGER(CPPTYPE, T, NAME)                             \
  case FieldDescriptor::CPPTYPE: {                                       \
    T value;                                                             \
    if (!ParseInteger(text, &value)) return invalid(field->type_name()); \
    repeated ? r->Add##NAME(message, field, value)                       \
             : r->Set##NAME(message, field, value);                      \
    return absl::OkStatus();                                             \
  }
      TOKEND_SET_INTEGER(CPPTYPE_INT32, int32_t, Int32)
      TOKEND_SET_INTEGER(CPPTYPE_INT64, int64_t, Int64)
      TOKEND_SET_INTEGER(CPPTYPE_UINT32, uint32_t, UInt32)
      TOKEND_SET_INTEGER(CPPTYPE_UINT64, uint64_t, UInt64)
#undef TOKEND_SET_INTEGER
    case FieldDescriptor::CPPTYPE_BOOL: {
      if (text != "true" && text != "false") return invalid("true or false");
      repeated ? r->AddBool(message, field, text == "true")
               : r->SetBool(message, field, text == "true");
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double value;
      if (!ParseDouble(text, &value)) return invalid("double");
      repeated ? r->AddDouble(message, field, value)
               : r->SetDouble(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!ParseDouble(text, &value) ||
          (std::isfinite(value) &&
           std::fabs(value) > std::numeric_limits<float>::max())) {
        return invalid("float");
      }
      repeated ? r->AddFloat(message, field, static_cast<float>(value))
               : r->SetFloat(message, field, static_cast<float>(value));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* value =
          field->enum_type()->FindValueByName(std::string(text));
      int32_t number;
      if (value == nullptr && ParseInteger(text, &number)) {
        value = field->enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) return invalid(EnumChoices(field->enum_type()));
      repeated ? r->AddEnum(message, field, value)
               : r->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  const Descriptor* type = field->message_type();
  if (IsWrapper(type)) {
    Message* wrapper = repeated ? r->AddMessage(message, field)
                                : r->MutableMessage(message, field);
    return SetLeaf(wrapper, type->FindFieldByNumber(1), text, what);
  }
  // Built as the generated type, copied by reflection: `message` may be a
  // DynamicMessage.
  std::unique_ptr<Message> value;
  const std::string& name = type->full_name();
  if (name == "google.protobuf.Timestamp") {
    auto timestamp = std::make_unique<google::protobuf::Timestamp>();
    if (!google::protobuf::util::TimeUtil::FromString(std::string(text),
                                                      timestamp.get())) {
      return invalid("an RFC 3339 timestamp");
    }
    value = std::move(timestamp);
  } else if (name == "google.protobuf.Duration") {
    auto duration = std::make_unique<google::protobuf::Duration>();
    if (!ParseDuration(text, duration.get())) {
      return invalid("a duration in seconds such as \"1.5s\"");
    }
    value = std::move(duration);
  } else {  // google.protobuf.FieldMask, the last IsScalarMessage type.
    auto mask = std::make_unique<google::protobuf::FieldMask>();
    if (!ParseFieldMask(text, mask.get())) {
      return invalid("comma-separated lowerCamel field paths");
    }
    value = std::move(mask);
  }
  Message* target = repeated ? r->AddMessage(message, field)
                             : r->MutableMessage(message, field);
  target->Clear();
  target->ParsePartialFromString(value->SerializeAsString());
  return absl::OkStatus();
}

}  // namespace tokend::gateway
