#include "server/gateway/request_translator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/duration.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "core/common/error_reason.h"
#include "server/gateway/flat_json.h"
#include "server/gateway/form_urlencoded.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::EnumValueDescriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::OneofDescriptor;
using ::google::protobuf::Reflection;

constexpr absl::string_view kUnsupportedMediaTypeUrl =
    "type.googleapis.com/tokend.gateway.UnsupportedMediaType";

// Clerk answers an unknown parameter with form_param_unknown naming it.
absl::Status UnknownParameter(absl::string_view message,
                              absl::string_view name) {
  return WithParam(WithReason(absl::InvalidArgumentError(message),
                              "form_param_unknown", "is unknown"),
                   name.substr(0, 256));
}

absl::Status UnsupportedMediaType(absl::string_view content_type,
                                  absl::string_view why) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(
      "unsupported Content-Type ", QuoteForError(content_type), ": ", why));
  status.SetPayload(kUnsupportedMediaTypeUrl, absl::Cord());
  return status;
}

absl::Status BindingError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("gateway binding: ", what));
}

// Keeps printable ASCII and escapes the rest, for parser messages that quote
// the client's bytes; bounded so a huge token cannot make a huge error.
std::string SanitizeMessage(absl::string_view text) {
  constexpr size_t kMaxBytes = 200;
  std::string out;
  for (char c : text.substr(0, kMaxBytes)) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  if (text.size() > kMaxBytes) out += "...";
  return out;
}

// ---------------------------------------------------------------------------
// Fields by name.

// Proto name first, then json_name: protobuf's JSON parser takes both, and
// query parameters follow it.
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

// Message types whose proto3 JSON form is one string or scalar, so a single
// text value can set them.
bool IsScalarMessage(const Descriptor* type) {
  const std::string& name = type->full_name();
  return name == "google.protobuf.Timestamp" ||
         name == "google.protobuf.Duration" ||
         name == "google.protobuf.FieldMask" || IsWrapper(type);
}

// A field resolved from a dotted name: the descriptors along the way and the
// proto-name spelling ("inner.leaf.value") used to compare bindings.
struct FieldPath {
  std::vector<const FieldDescriptor*> fields;
  std::string canonical;
  const FieldDescriptor* leaf() const { return fields.back(); }
};

// Resolves a dotted name (proto names or json_names) that must end on a leaf
// text can set: a scalar, an enum or a scalar message, repeated or not; never
// a map, a message, or anything inside a repeated message. `noun` ("query
// parameter") starts the error messages.
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

// True when one dotted path is the other or lies under it.
bool Overlaps(absl::string_view a, absl::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return absl::StartsWith(b, a) && (b.size() == a.size() || b[a.size()] == '.');
}

// ---------------------------------------------------------------------------
// Leaf values from text.

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= static_cast<size_t>(extra)) return false;
    for (int k = 1; k <= extra; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates, beyond U+10FFFF.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

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

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  constexpr int kMaxListed = 16;
  if (type->value_count() > kMaxListed) return type->full_name();
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) {
    names.push_back(type->value(i)->name());
  }
  return absl::StrCat("one of ", absl::StrJoin(names, ", "));
}

// Sets (or, for a repeated field, appends) `field` of `message` from `text`.
// `what` names the source for errors: `query parameter "a.b"`.
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

// ---------------------------------------------------------------------------
// JSON bodies.

// A strict RFC 8259 pass (nlohmann, iterative, no recursion) ahead of
// protobuf's parser, which is lenient (single quotes, bare keys) and lets a
// duplicate key win silently. It tracks the message type of each object where
// it can, so a field given under both its proto name and its json_name is a
// duplicate too; maps, Struct and the other well-known types are only checked
// for identical keys.
class JsonShapeChecker : public nlohmann::json_sax<nlohmann::json> {
 public:
  JsonShapeChecker(const Descriptor* root, bool root_must_be_object)
      : root_(root), root_must_be_object_(root_must_be_object) {}

  const absl::Status& status() const { return status_; }

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t) override { return Scalar(); }
  bool number_unsigned(number_unsigned_t) override { return Scalar(); }
  bool number_float(number_float_t, const string_t&) override {
    return Scalar();
  }
  bool string(string_t&) override { return Scalar(); }
  bool binary(binary_t&) override { return Scalar(); }

  bool start_object(std::size_t) override { return Open(/*object=*/true); }
  bool start_array(std::size_t) override {
    if (frames_.empty() && root_must_be_object_) return NotAnObject();
    return Open(/*object=*/false);
  }
  bool end_object() override {
    frames_.pop_back();
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    return true;
  }

  bool key(string_t& key) override {
    Frame& frame = frames_.back();
    frame.pending = nullptr;
    if (frame.type != nullptr) {
      if (const FieldDescriptor* field = FindField(frame.type, key)) {
        if (!frame.fields.insert(field->number()).second) {
          return Fail(absl::StrCat("duplicate field \"", field->name(),
                                   "\" in JSON body"));
        }
        frame.pending = TrackedType(field);
      }
      // Unknown keys are left to protobuf, which names them in context.
    } else if (!frame.keys.insert(key).second) {
      return Fail(
          absl::StrCat("duplicate key ", QuoteForError(key), " in JSON body"));
    }
    return true;
  }

  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& error) override {
    // what() is "[json.exception.parse_error.101] parse error at line 1, ...".
    absl::string_view detail = error.what();
    const size_t bracket = detail.find("] ");
    if (bracket != absl::string_view::npos) detail.remove_prefix(bracket + 2);
    status_ = absl::InvalidArgumentError(
        absl::StrCat("malformed JSON body: ", SanitizeMessage(detail)));
    return false;
  }

  // The type to track inside a field's value: its message (or, for a repeated
  // field, its elements' message), except maps and well-known types, whose
  // keys are not field names.
  static const Descriptor* TrackedType(const FieldDescriptor* field) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_map() ||
        absl::StartsWith(field->message_type()->full_name(),
                         "google.protobuf.")) {
      return nullptr;
    }
    return field->message_type();
  }

 private:
  struct Frame {
    bool object;
    const Descriptor* type;               // tracked message type, or null
    const Descriptor* pending = nullptr;  // object: the type of the next value
    absl::flat_hash_set<int> fields;      // tracked: field numbers seen
    absl::flat_hash_set<std::string> keys;  // untracked: keys seen
  };

  // The tracked type of the value about to start.
  const Descriptor* NextType() const {
    if (frames_.empty()) return root_;
    const Frame& top = frames_.back();
    return top.object ? top.pending : top.type;
  }

  bool Scalar() {
    if (frames_.empty() && root_must_be_object_) return NotAnObject();
    return true;
  }

  bool Open(bool object) {
    if (frames_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      return Fail(absl::StrCat("JSON body nested deeper than ", kMaxJsonDepth,
                               " levels"));
    }
    Frame frame;
    frame.object = object;
    frame.type = NextType();
    frames_.push_back(std::move(frame));
    return true;
  }

  bool NotAnObject() { return Fail("malformed JSON body: expected an object"); }

  bool Fail(std::string message) {
    status_ = absl::InvalidArgumentError(std::move(message));
    return false;
  }

  const Descriptor* const root_;
  const bool root_must_be_object_;
  std::vector<Frame> frames_;
  absl::Status status_;
};

// protobuf's JSON errors come in two shapes, with "(<path>)" (e.g.
// "(inner.leaf)", "(inners[1])") only when the error is below the top level:
//   InvalidName:  "[(<path>) ]<name>: <message>", e.g. "foo: Cannot find
//                 field." or "tags: Proto field is not repeating, cannot
//                 start list."
//   InvalidValue: "[(<path>)]: invalid value <value> for type <type>", the
//                 type being TYPE_INT32 and the like or a type URL; "oneof"
//                 and a field name (objects on scalars) are special cases.
// Rewritten here into messages naming the field by its dotted path.
absl::Status RewriteJsonError(absl::string_view message) {
  absl::string_view text = message;
  std::string path;
  const size_t close = text.find(')');
  if (absl::StartsWith(text, "(") && close != absl::string_view::npos) {
    path = std::string(text.substr(1, close - 1));
    text.remove_prefix(close + 1);
  }
  auto join = [&path](absl::string_view name) {
    return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
  };
  constexpr absl::string_view kInvalid = ": invalid value ";
  constexpr absl::string_view kForType = " for type ";
  const size_t for_type = text.rfind(kForType);
  if (absl::StartsWith(text, kInvalid) && for_type != absl::string_view::npos &&
      for_type >= kInvalid.size()) {
    absl::string_view value =
        text.substr(kInvalid.size(), for_type - kInvalid.size());
    absl::string_view type = text.substr(for_type + kForType.size());
    if (type == "oneof" && absl::ConsumePrefix(&value, "oneof field '")) {
      // "oneof field 'choice' is already set. Cannot set 'beta'"
      const std::vector<absl::string_view> quoted = absl::StrSplit(value, '\'');
      if (quoted.size() >= 3) {
        return absl::InvalidArgumentError(absl::StrCat(
            "oneof ", QuoteForError(join(quoted[0])),
            " already set; cannot also set ", QuoteForError(join(quoted[2]))));
      }
    }
    if (absl::StartsWith(value, "Starting an object on a scalar field")) {
      // Here protobuf puts the field's name where the type goes.
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value for field ", QuoteForError(join(type)),
                       ": an object for a non-message field"));
    }
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid JSON body: ", SanitizeMessage(value)));
    }
    std::string expected;
    if (absl::ConsumePrefix(&type, "TYPE_")) {
      expected = absl::AsciiStrToLower(type);
    } else {
      const size_t slash = type.rfind('/');  // a type URL
      if (slash != absl::string_view::npos) type.remove_prefix(slash + 1);
      expected = std::string(type);
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid value for field ", QuoteForError(path), " (expected ",
        SanitizeMessage(expected), "): ", SanitizeMessage(value)));
  }
  absl::ConsumePrefix(&text, " ");
  const size_t colon = text.find(": ");
  if (colon != absl::string_view::npos && colon > 0) {
    const std::string field = join(text.substr(0, colon));
    const absl::string_view what = text.substr(colon + 2);
    if (what == "Cannot find field.") {
      return UnknownParameter(
          absl::StrCat("unknown field ", QuoteForError(field)), field);
    }
    if (absl::StartsWith(what, "Proto field is not repeating")) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid value for field ", QuoteForError(field),
                       ": an array for a non-repeated field"));
    }
    return absl::InvalidArgumentError(absl::StrCat("invalid value for field ",
                                                   QuoteForError(field), ": ",
                                                   SanitizeMessage(what)));
  }
  // E.g. "JSON transcoder produced invalid protobuf output." for an object
  // as a string map value.
  return absl::InvalidArgumentError(
      absl::StrCat("invalid JSON body: ", SanitizeMessage(message)));
}

// protobuf's JSON parser takes FieldMask paths it cannot print back the same
// way ("fooB_v" becomes "foo_b_v", printed "fooBV", read back "foo_bv"). A
// body's masks must survive print-and-parse, as a query's must.
absl::Status CheckFieldMasks(const Message& message, int depth = 0) {
  if (depth > kMaxJsonDepth) return absl::OkStatus();
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const int count =
        field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const Message& child =
          field->is_repeated()
              ? reflection->GetRepeatedMessage(message, field, i)
              : reflection->GetMessage(message, field);
      if (child.GetDescriptor()->full_name() == "google.protobuf.FieldMask") {
        // Through bytes: `child` may be a dynamic message.
        google::protobuf::FieldMask mask;
        mask.ParseFromString(child.SerializeAsString());
        std::string text;
        google::protobuf::FieldMask back;
        if (!google::protobuf::util::FieldMaskUtil::ToJsonString(mask, &text) ||
            !ParseFieldMask(text, &back) ||
            !google::protobuf::util::MessageDifferencer::Equals(mask, back)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "invalid value for field ", QuoteForError(field->name()),
              " (expected comma-separated lowerCamel field paths)"));
        }
        continue;
      }
      absl::Status nested = CheckFieldMasks(child, depth + 1);
      if (!nested.ok()) return nested;
    }
  }
  return absl::OkStatus();
}

// The fields a flat body sets (see flat_json.h), when every key names a
// singular string field, no field twice and no two members of one oneof:
// then the body means exactly those SetString calls, and neither nlohmann
// nor protobuf needs to parse it. False sends the body the general way.
bool FlatBodyFields(
    absl::string_view json, const Descriptor* type,
    std::vector<std::pair<const FieldDescriptor*, std::string>>* fields) {
  // Well-known types have JSON forms of their own (Any's "@type", Value's
  // bare values); Empty's only flat body is {}, which means the same.
  if (absl::StartsWith(type->full_name(), "google.protobuf.") &&
      type->full_name() != "google.protobuf.Empty") {
    return false;
  }
  std::vector<std::pair<std::string, std::string>> members;
  if (!ParseFlatJsonObject(json, &members)) return false;
  fields->clear();
  for (auto& [key, value] : members) {
    const FieldDescriptor* field = FindField(type, key);
    if (field == nullptr || field->is_repeated() ||
        field->type() != FieldDescriptor::TYPE_STRING) {
      return false;
    }
    // A key that is one field's name and another's json_name: protobuf
    // takes the json_name, FindField the name; let protobuf decide.
    for (int i = 0; i < type->field_count(); ++i) {
      if (type->field(i) != field && type->field(i)->json_name() == key) {
        return false;
      }
    }
    for (const auto& [seen, unused] : *fields) {
      if (seen == field ||
          (field->real_containing_oneof() != nullptr &&
           seen->real_containing_oneof() == field->real_containing_oneof())) {
        return false;  // the general path names the error
      }
    }
    fields->emplace_back(field, std::move(value));
  }
  return true;
}

absl::Status ApplyJsonBody(absl::string_view json,
                           const FieldDescriptor* body_field,
                           Message* message) {
  if (body_field == nullptr) {
    std::vector<std::pair<const FieldDescriptor*, std::string>> fields;
    if (FlatBodyFields(json, message->GetDescriptor(), &fields)) {
      // What protobuf would make of it: the body is the first thing applied.
      message->Clear();
      const google::protobuf::Reflection* reflection = message->GetReflection();
      for (auto& [field, value] : fields) {
        reflection->SetString(message, field, std::move(value));
      }
      return CheckFieldMasks(*message);
    }
  }
  JsonShapeChecker checker(body_field == nullptr
                               ? message->GetDescriptor()
                               : JsonShapeChecker::TrackedType(body_field),
                           /*root_must_be_object=*/body_field == nullptr);
  nlohmann::json::sax_parse(json.data(), json.data() + json.size(), &checker);
  if (!checker.status().ok()) return checker.status();

  // A body field's value parses as the one key of a wrapper object, so
  // protobuf converts it as that field and reports paths from the message.
  std::string wrapped;
  if (body_field != nullptr) {
    wrapped = absl::StrCat("{\"", body_field->name(), "\":", json, "}");
    json = wrapped;
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  // Clears `message` first; the body is the first thing applied.
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message,
      options);
  if (status.ok()) return CheckFieldMasks(*message);
  return RewriteJsonError(
      absl::string_view(status.message().data(), status.message().size()));
}

// ---------------------------------------------------------------------------
// Parameters (query strings and form bodies).

// What the path and the body bound, for rejecting query parameters.
struct Bound {
  bool everything = false;        // body "*"
  std::string body_field;         // body "field"
  std::vector<std::string> path;  // canonical path-variable fields
};

// True when `name` is one of the binding's ignored parameters. A linear scan:
// the lists are a handful of names, and most names differ in length.
bool IsIgnored(absl::Span<const std::string> ignored, absl::string_view name) {
  for (const std::string& candidate : ignored) {
    if (candidate == name) return true;
  }
  return false;
}

// Applies decoded parameters to `message`, in order, dropping `ignored` names.
absl::Status ApplyParameters(const std::vector<FormParameter>& params,
                             absl::string_view noun, const Bound& bound,
                             absl::Span<const std::string> ignored,
                             Message* message) {
  absl::flat_hash_set<std::string> seen;  // non-repeated fields set so far
  for (const FormParameter& param : params) {
    // Before every other rule, the body "*" one included.
    if (IsIgnored(ignored, param.name)) continue;
    const std::string what = absl::StrCat(noun, " ", QuoteForError(param.name));
    if (bound.everything) {
      return UnknownParameter(
          absl::StrCat(what,
                       " is not allowed: the request body binds every field"),
          param.name);
    }
    absl::StatusOr<FieldPath> path =
        ResolvePath(message->GetDescriptor(), param.name, noun);
    if (!path.ok()) return path.status();
    if (!bound.body_field.empty() &&
        Overlaps(path->canonical, bound.body_field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " is not allowed: field \"", path->canonical,
                       "\" is bound by the request body"));
    }
    for (const std::string& bound_path : bound.path) {
      if (Overlaps(path->canonical, bound_path)) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " is not allowed: field \"", bound_path,
                         "\" is bound by the URL path"));
      }
    }
    if (!path->leaf()->is_repeated() && !seen.insert(path->canonical).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " given more than once for non-repeated field \"",
                       path->canonical, "\""));
    }
    Message* target = message;
    std::string prefix;
    for (const FieldDescriptor* field : path->fields) {
      const Reflection* r = target->GetReflection();
      if (const OneofDescriptor* oneof = field->real_containing_oneof()) {
        const FieldDescriptor* set = r->GetOneofFieldDescriptor(*target, oneof);
        if (set != nullptr && set != field) {
          return absl::InvalidArgumentError(absl::StrCat(
              what, " conflicts with field \"", prefix, set->name(),
              "\": both are in oneof \"", prefix, oneof->name(), "\""));
        }
      }
      if (field == path->leaf()) break;
      absl::StrAppend(&prefix, field->name(), ".");
      target = r->MutableMessage(target, field);
    }
    absl::Status status = SetLeaf(target, path->leaf(), param.value, what);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

enum class BodyFormat { kJson, kForm };

// Whether a body declared a form is JSON after all: a form's first byte is
// never a raw '{' or '[' (it would be percent-encoded), but curl's `-d
// '{...}'` labels JSON application/x-www-form-urlencoded by default.
bool LooksLikeJson(absl::string_view body) {
  body = absl::StripLeadingAsciiWhitespace(body);
  return !body.empty() && (body.front() == '{' || body.front() == '[');
}

// As grpc-gateway: JSON whatever the Content-Type says (none, text/plain,
// anything it does not know), except a form body labelled as one. Only a
// charset other than UTF-8 is refused (415): the bytes would be misread.
absl::StatusOr<BodyFormat> ParseContentType(absl::string_view raw,
                                            absl::string_view body) {
  const std::vector<absl::string_view> parts = absl::StrSplit(raw, ';');
  const absl::string_view media = absl::StripAsciiWhitespace(parts[0]);
  const BodyFormat format =
      absl::EqualsIgnoreCase(media, "application/x-www-form-urlencoded") &&
              !LooksLikeJson(body)
          ? BodyFormat::kForm
          : BodyFormat::kJson;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> param =
        absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(param.first),
                                "charset")) {
      continue;
    }
    absl::string_view charset = absl::StripAsciiWhitespace(param.second);
    if (charset.size() >= 2 && charset.front() == '"' &&
        charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!absl::EqualsIgnoreCase(charset, "utf-8")) {
      return UnsupportedMediaType(raw, "the charset must be utf-8");
    }
  }
  return format;
}

}  // namespace

absl::Status TranslateRequest(const RequestBinding& binding,
                              const HttpRequestParts& http,
                              google::protobuf::Message* message) {
  const Descriptor* type = message->GetDescriptor();
  Bound bound;
  const FieldDescriptor* body_field = nullptr;
  if (binding.body == "*") {
    bound.everything = true;
  } else if (!binding.body.empty()) {
    body_field = type->FindFieldByName(binding.body);
    if (body_field == nullptr) {
      return BindingError(absl::StrCat("body field \"", binding.body,
                                       "\" is not a field of ",
                                       type->full_name()));
    }
    bound.body_field = body_field->name();
  }

  if (!http.body.empty()) {
    if (binding.body.empty()) {
      return absl::InvalidArgumentError(
          "request body not allowed for this method");
    }
    absl::StatusOr<BodyFormat> format =
        ParseContentType(http.content_type, http.body);
    if (!format.ok()) return format.status();
    absl::Status status;
    if (*format == BodyFormat::kJson) {
      status = ApplyJsonBody(http.body, body_field, message);
    } else {
      Message* target = message;
      if (body_field != nullptr) {
        if (body_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
            body_field->is_repeated() ||
            IsScalarMessage(body_field->message_type())) {
          return UnsupportedMediaType(
              http.content_type,
              absl::StrCat("the body is field \"", body_field->name(),
                           "\", which a form cannot set; send JSON"));
        }
        target = message->GetReflection()->MutableMessage(message, body_field);
      }
      absl::StatusOr<std::vector<FormParameter>> params =
          ParseFormUrlEncoded(http.body, "form field");
      if (!params.ok()) return params.status();
      status = ApplyParameters(*params, "form field", Bound(),
                               binding.ignored_parameters, target);
    }
    if (!status.ok()) return status;
  }

  // Path variables after the body: for the same field the URL wins.
  for (const auto& [name, value] : binding.path_variables) {
    absl::StatusOr<FieldPath> path = ResolvePath(type, name, "path variable");
    if (!path.ok()) return BindingError(path.status().message());
    if (path->leaf()->is_repeated()) {
      return BindingError(
          absl::StrCat("path variable \"", name, "\" names a repeated field"));
    }
    Message* target = message;
    for (const FieldDescriptor* field : path->fields) {
      if (field == path->leaf()) break;
      target = target->GetReflection()->MutableMessage(target, field);
    }
    absl::Status status =
        SetLeaf(target, path->leaf(), value,
                absl::StrCat("path variable ", QuoteForError(name)));
    if (!status.ok()) return status;
    bound.path.push_back(path->canonical);
  }

  if (http.query.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<FormParameter>> params =
      ParseFormUrlEncoded(http.query, "query parameter");
  if (!params.ok()) return params.status();
  return ApplyParameters(*params, "query parameter", bound,
                         binding.ignored_parameters, message);
}

namespace internal {

bool JsonBodyIsFlat(absl::string_view json, const Descriptor* type) {
  std::vector<std::pair<const FieldDescriptor*, std::string>> fields;
  return FlatBodyFields(json, type, &fields);
}

}  // namespace internal

bool IsUnsupportedMediaType(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(kUnsupportedMediaTypeUrl).has_value();
}

}  // namespace tokend::gateway
