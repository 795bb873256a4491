#include "server/gateway/json_body.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/gateway/field_path.h"
#include "server/gateway/flat_json.h"
#include "server/gateway/form_urlencoded.h"
#include "server/gateway/leaf_value.h"

namespace tokend::gateway {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

namespace {

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
    // "...; last read: '<the body's bytes>'[; expected ...]": the position
    // says where, and the client's bytes are not echoed back (they may be a
    // credential, and an error is no place to reflect input).
    std::string text(detail);
    const size_t last_read = text.find("; last read: ");
    if (last_read != std::string::npos) {
      const size_t expected = text.rfind("; expected ");
      text = text.substr(0, last_read) +
             (expected != std::string::npos && expected > last_read
                  ? text.substr(expected)
                  : "");
    }
    status_ = absl::InvalidArgumentError(
        absl::StrCat("malformed JSON body: ", SanitizeMessage(text)));
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

}  // namespace

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

namespace internal {

bool JsonBodyIsFlat(absl::string_view json, const Descriptor* type) {
  std::vector<std::pair<const FieldDescriptor*, std::string>> fields;
  return FlatBodyFields(json, type, &fields);
}

}  // namespace internal

}  // namespace tokend::gateway
