#include "server/validation/request_validator.h"

#include <re2/re2.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "yandex/cloud/validation.pb.h"

namespace tokend::server::validation {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

constexpr absl::string_view kOneofMessage =
    "One of the options must be selected";
constexpr absl::string_view kRequiredMessage = "Field is required";
constexpr absl::string_view kUniqueMessage = "Elements must be unique";
constexpr int kMaxDepth = 100;
constexpr size_t kMaxKeyInPath = 64;

// ---------------------------------------------------------------------------
// Ranges: "<=N", "<N", ">=N", ">N", "N-M", "N".

enum class RangeForm {
  kAtMost,
  kLessThan,
  kAtLeast,
  kGreaterThan,
  kBetween,
  kExactly
};

template <typename T>
struct Range {
  bool has_min = false;
  bool has_max = false;
  bool min_exclusive = false;
  bool max_exclusive = false;
  T min{};
  T max{};
  // "at most 8000", "between 3 and 63", ...
  std::string description;

  // NaN fails every bound.
  bool Contains(T v) const {
    if (has_min && !(min_exclusive ? v > min : v >= min)) return false;
    if (has_max && !(max_exclusive ? v < max : v <= max)) return false;
    return true;
  }
};

template <typename T>
using NumberParser = bool (*)(absl::string_view, T*);

bool ParseCount(absl::string_view text, uint64_t* out) {
  return !text.empty() && absl::ascii_isdigit(text[0]) &&
         absl::SimpleAtoi(text, out);
}

// A count of bytes with an optional binary unit: "4096", "64KB", "1 MiB".
bool ParseByteCount(absl::string_view text, uint64_t* out) {
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(text[digits])) ++digits;
  uint64_t n;
  if (digits == 0 || !absl::SimpleAtoi(text.substr(0, digits), &n)) {
    return false;
  }
  const std::string unit =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(text.substr(digits)));
  uint64_t multiplier;
  if (unit.empty() || unit == "b") {
    multiplier = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    multiplier = uint64_t{1} << 10;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    multiplier = uint64_t{1} << 20;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    multiplier = uint64_t{1} << 30;
  } else {
    return false;
  }
  if (n > std::numeric_limits<uint64_t>::max() / multiplier) return false;
  *out = n * multiplier;
  return true;
}

bool ParseInt(absl::string_view text, int64_t* out) {
  return absl::SimpleAtoi(text, out);
}

bool ParseUint(absl::string_view text, uint64_t* out) {
  return ParseCount(text, out);
}

bool ParseDouble(absl::string_view text, double* out) {
  return absl::SimpleAtod(text, out) && std::isfinite(*out);
}

// With `canonical`, messages show the parsed numbers ("1MB" -> 1048576)
// rather than the option's text.
template <typename T>
absl::StatusOr<Range<T>> ParseRange(absl::string_view spec,
                                    NumberParser<T> parse,
                                    bool canonical = false) {
  absl::string_view s = absl::StripAsciiWhitespace(spec);
  Range<T> range;
  RangeForm form;
  absl::string_view first, second;
  if (absl::ConsumePrefix(&s, "<=")) {
    form = RangeForm::kAtMost;
    first = s;
  } else if (absl::ConsumePrefix(&s, "<")) {
    form = RangeForm::kLessThan;
    first = s;
  } else if (absl::ConsumePrefix(&s, ">=")) {
    form = RangeForm::kAtLeast;
    first = s;
  } else if (absl::ConsumePrefix(&s, ">")) {
    form = RangeForm::kGreaterThan;
    first = s;
  } else {
    // The separator is the first '-' after the first character, so that a
    // negative lower bound ("-5-5", "-10--1") parses.
    const size_t dash = s.size() > 1 ? s.find('-', 1) : absl::string_view::npos;
    if (dash == absl::string_view::npos) {
      form = RangeForm::kExactly;
      first = s;
    } else {
      form = RangeForm::kBetween;
      first = s.substr(0, dash);
      second = s.substr(dash + 1);
    }
  }
  first = absl::StripAsciiWhitespace(first);
  second = absl::StripAsciiWhitespace(second);
  T a{}, b{};
  if (!parse(first, &a)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse \"", first, "\""));
  }
  if (form == RangeForm::kBetween && !parse(second, &b)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse \"", second, "\""));
  }
  std::string canonical_first, canonical_second;
  if (canonical) {
    canonical_first = absl::StrCat(a);
    canonical_second = absl::StrCat(b);
    first = canonical_first;
    second = canonical_second;
  }
  switch (form) {
    case RangeForm::kAtMost:
    case RangeForm::kLessThan:
      range.has_max = true;
      range.max = a;
      range.max_exclusive = form == RangeForm::kLessThan;
      range.description = absl::StrCat(
          form == RangeForm::kAtMost ? "at most " : "less than ", first);
      break;
    case RangeForm::kAtLeast:
    case RangeForm::kGreaterThan:
      range.has_min = true;
      range.min = a;
      range.min_exclusive = form == RangeForm::kGreaterThan;
      range.description = absl::StrCat(
          form == RangeForm::kAtLeast ? "at least " : "greater than ", first);
      break;
    case RangeForm::kBetween:
      if (b < a) {
        return absl::InvalidArgumentError("empty range (lower > upper)");
      }
      range.has_min = range.has_max = true;
      range.min = a;
      range.max = b;
      range.description = absl::StrCat("between ", first, " and ", second);
      break;
    case RangeForm::kExactly:
      range.has_min = range.has_max = true;
      range.min = range.max = a;
      range.description = absl::StrCat("exactly ", first);
      break;
  }
  return range;
}

// ---------------------------------------------------------------------------
// Compiled rules.

struct ValueRule {
  enum class Kind { kNone, kInt, kUint, kDouble };
  Kind kind = Kind::kNone;
  Range<int64_t> int_range;
  Range<uint64_t> uint_range;
  Range<double> double_range;
};

// Rules on one value: a singular field, each element of a repeated field,
// each value or each key of a map.
struct ScalarRules {
  std::optional<Range<uint64_t>> length;  // code points (string) or bytes
  bool length_counts_bytes = false;
  std::optional<Range<uint64_t>> byte_size;
  std::unique_ptr<RE2> pattern;
  ValueRule value;
  std::string length_message;
  std::string byte_size_message;
  std::string pattern_message;
  std::string value_message;

  bool empty() const {
    return !length && !byte_size && pattern == nullptr &&
           value.kind == ValueRule::Kind::kNone;
  }
};

struct CompiledMessage;

struct Rule {
  // An exactly_one oneof when set; otherwise a field rule.
  const OneofDescriptor* oneof = nullptr;
  const FieldDescriptor* field = nullptr;
  bool required = false;
  bool unique = false;
  std::optional<Range<uint64_t>> size;
  std::string size_message;
  ScalarRules element;  // the value, each element, or each map value
  ScalarRules key;      // each map key
  // The message type of the field (or of the map's values) when it has
  // rules of its own.
  const CompiledMessage* child = nullptr;

  bool HasOwnChecks() const {
    return oneof != nullptr || required || unique || size || !element.empty() ||
           !key.empty();
  }
};

struct CompiledMessage {
  const Descriptor* descriptor = nullptr;
  std::vector<Rule> rules;
  // The first malformed option of this type; fails every validation that
  // reaches it.
  absl::Status status;
  // Has checks itself, a malformed option, or a sub-message type that does.
  bool active = false;
};

absl::Status OptionError(const FieldDescriptor* field, absl::string_view option,
                         absl::string_view value, absl::string_view why) {
  return absl::InternalError(absl::StrCat(
      "invalid validation option ", option, " = \"", absl::CHexEscape(value),
      "\" on ", field->full_name(), ": ", why));
}

bool IsStringOrBytes(const FieldDescriptor* f) {
  return f->type() == FieldDescriptor::TYPE_STRING ||
         f->type() == FieldDescriptor::TYPE_BYTES;
}

// Fills `rules` from length/bytes/pattern/value options applied to values of
// field `f` (for a map: its value or key field). `subject` is "" for values
// and "Key " for map keys; it prefixes the messages.
absl::Status CompileScalarRules(const FieldDescriptor* owner,
                                const FieldDescriptor* f,
                                absl::string_view length_spec,
                                absl::string_view bytes_spec,
                                absl::string_view pattern_spec,
                                absl::string_view value_spec, bool key,
                                ScalarRules* rules) {
  const char* length_option =
      key ? "(yandex.cloud.map_key).length" : "(yandex.cloud.length)";
  const char* pattern_option =
      key ? "(yandex.cloud.map_key).pattern" : "(yandex.cloud.pattern)";
  const char* value_option =
      key ? "(yandex.cloud.map_key).value" : "(yandex.cloud.value)";
  if (!length_spec.empty()) {
    if (!IsStringOrBytes(f)) {
      return OptionError(owner, length_option, length_spec,
                         "applies to string and bytes values only");
    }
    auto range = ParseRange<uint64_t>(length_spec, ParseCount);
    if (!range.ok()) {
      return OptionError(owner, length_option, length_spec,
                         range.status().message());
    }
    rules->length_counts_bytes = f->type() == FieldDescriptor::TYPE_BYTES;
    rules->length_message = absl::StrCat(
        key ? "Key length" : "Length", " must be ", range->description,
        rules->length_counts_bytes ? " bytes" : " characters");
    rules->length = *std::move(range);
  }
  if (!bytes_spec.empty()) {
    if (!IsStringOrBytes(f)) {
      return OptionError(owner, "(yandex.cloud.bytes)", bytes_spec,
                         "applies to string and bytes values only");
    }
    auto range = ParseRange<uint64_t>(bytes_spec, ParseByteCount,
                                      /*canonical=*/true);
    if (!range.ok()) {
      return OptionError(owner, "(yandex.cloud.bytes)", bytes_spec,
                         range.status().message());
    }
    rules->byte_size_message =
        absl::StrCat("Length must be ", range->description, " bytes");
    rules->byte_size = *std::move(range);
  }
  if (!pattern_spec.empty()) {
    if (f->type() != FieldDescriptor::TYPE_STRING) {
      return OptionError(owner, pattern_option, pattern_spec,
                         "applies to string values only");
    }
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(
        re2::StringPiece(pattern_spec.data(), pattern_spec.size()), options);
    if (!re->ok()) {
      return OptionError(owner, pattern_option, pattern_spec, re->error());
    }
    rules->pattern = std::move(re);
    rules->pattern_message =
        absl::StrCat(key ? "Key must" : "Value must", " match the pattern \"",
                     pattern_spec, "\"");
  }
  if (!value_spec.empty()) {
    absl::Status error;
    std::string description;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64: {
        auto range = ParseRange<int64_t>(value_spec, ParseInt);
        if (!range.ok()) {
          error = range.status();
          break;
        }
        description = range->description;
        rules->value.kind = ValueRule::Kind::kInt;
        rules->value.int_range = *std::move(range);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        auto range = ParseRange<uint64_t>(value_spec, ParseUint);
        if (!range.ok()) {
          error = range.status();
          break;
        }
        description = range->description;
        rules->value.kind = ValueRule::Kind::kUint;
        rules->value.uint_range = *std::move(range);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        auto range = ParseRange<double>(value_spec, ParseDouble);
        if (!range.ok()) {
          error = range.status();
          break;
        }
        description = range->description;
        rules->value.kind = ValueRule::Kind::kDouble;
        rules->value.double_range = *std::move(range);
        break;
      }
      default:
        return OptionError(owner, value_option, value_spec,
                           "applies to integer and floating-point values only");
    }
    if (!error.ok()) {
      return OptionError(owner, value_option, value_spec, error.message());
    }
    rules->value_message =
        absl::StrCat(key ? "Key value" : "Value", " must be ", description);
  }
  return absl::OkStatus();
}

// Compiles the options of one field into `rule` (child left to the caller).
absl::Status CompileField(const FieldDescriptor* f, Rule* rule) {
  namespace yc = ::yandex::cloud;
  const google::protobuf::FieldOptions& options = f->options();
  rule->field = f;
  rule->required = options.GetExtension(yc::required);
  rule->unique = options.GetExtension(yc::unique);
  const std::string& size_spec = options.GetExtension(yc::size);
  const bool is_map = f->is_map();
  const FieldDescriptor* value_field =
      is_map ? f->message_type()->map_value() : f;

  if (rule->unique) {
    if (!f->is_repeated() || is_map ||
        f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return OptionError(f, "(yandex.cloud.unique)", "true",
                         "applies to repeated scalar fields only");
    }
  }
  if (!size_spec.empty()) {
    if (!f->is_repeated()) {
      return OptionError(f, "(yandex.cloud.size)", size_spec,
                         "applies to repeated and map fields only");
    }
    auto range = ParseRange<uint64_t>(size_spec, ParseCount);
    if (!range.ok()) {
      return OptionError(f, "(yandex.cloud.size)", size_spec,
                         range.status().message());
    }
    rule->size_message =
        absl::StrCat("Number of elements must be ", range->description);
    rule->size = *std::move(range);
  }
  absl::Status status = CompileScalarRules(
      f, value_field, options.GetExtension(yc::length),
      options.GetExtension(yc::bytes), options.GetExtension(yc::pattern),
      options.GetExtension(yc::value), /*key=*/false, &rule->element);
  if (!status.ok()) return status;
  if (options.HasExtension(yc::map_key)) {
    const yc::MapKeySpec& spec = options.GetExtension(yc::map_key);
    if (!is_map) {
      return OptionError(f, "(yandex.cloud.map_key)", spec.ShortDebugString(),
                         "applies to map fields only");
    }
    status = CompileScalarRules(f, f->message_type()->map_key(), spec.length(),
                                /*bytes_spec=*/"", spec.pattern(), spec.value(),
                                /*key=*/true, &rule->key);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Validation.

// One step of the path to the value being checked; lives on the stack.
struct PathFrame {
  const PathFrame* parent = nullptr;
  absl::string_view name;
  int index = -1;                      // element of a repeated field
  const Message* map_entry = nullptr;  // entry of a map field
};

void AppendMapKey(const Message& entry, std::string* out) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  const Reflection* r = entry.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      absl::string_view k = r->GetStringReference(entry, key, &scratch);
      absl::StrAppend(out, "[\"", absl::CHexEscape(k.substr(0, kMaxKeyInPath)),
                      k.size() > kMaxKeyInPath ? "...\"]" : "\"]");
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      absl::StrAppend(out, "[", r->GetInt32(entry, key), "]");
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      absl::StrAppend(out, "[", r->GetInt64(entry, key), "]");
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      absl::StrAppend(out, "[", r->GetUInt32(entry, key), "]");
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      absl::StrAppend(out, "[", r->GetUInt64(entry, key), "]");
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      absl::StrAppend(out, r->GetBool(entry, key) ? "[true]" : "[false]");
      return;
    default:
      absl::StrAppend(out, "[?]");
  }
}

std::string RenderPath(const PathFrame& leaf) {
  std::vector<const PathFrame*> frames;
  for (const PathFrame* f = &leaf; f != nullptr; f = f->parent) {
    frames.push_back(f);
  }
  std::string path;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    const PathFrame& f = **it;
    if (!path.empty()) path.push_back('.');
    absl::StrAppend(&path, f.name);
    if (f.index >= 0) absl::StrAppend(&path, "[", f.index, "]");
    if (f.map_entry != nullptr) AppendMapKey(*f.map_entry, &path);
  }
  return path;
}

class Violations {
 public:
  void Add(const PathFrame& at, absl::string_view message) {
    ++count_;
    if (count_ > kMaxListedViolations) return;
    absl::StrAppend(&text_, "\n  - ", RenderPath(at), ": ", message);
  }

  absl::Status ToStatus() const {
    if (count_ == 0) return absl::OkStatus();
    std::string message = absl::StrCat("Validation failed:", text_);
    if (count_ > kMaxListedViolations) {
      absl::StrAppend(&message, "\n  - ... and ", count_ - kMaxListedViolations,
                      " more");
    }
    return absl::InvalidArgumentError(message);
  }

 private:
  size_t count_ = 0;
  std::string text_;
};

size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void CheckString(const ScalarRules& rules, absl::string_view v,
                 const PathFrame& at, Violations* out) {
  if (rules.length) {
    const Range<uint64_t>& range = *rules.length;
    // Code points never exceed bytes: an upper bound alone that the byte
    // size already meets needs no counting.
    const bool fits = !range.has_min && range.Contains(v.size());
    if (!fits) {
      const uint64_t n = rules.length_counts_bytes ? v.size() : CodePoints(v);
      if (!range.Contains(n)) out->Add(at, rules.length_message);
    }
  }
  if (rules.byte_size && !rules.byte_size->Contains(v.size())) {
    out->Add(at, rules.byte_size_message);
  }
  if (rules.pattern != nullptr &&
      !RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *rules.pattern)) {
    out->Add(at, rules.pattern_message);
  }
}

// Checks value `index` of field `f` in `m` (index < 0: the singular value).
void CheckScalar(const ScalarRules& rules, const Message& m,
                 const FieldDescriptor* f, int index, const PathFrame& at,
                 Violations* out) {
  const Reflection* r = m.GetReflection();
  const bool repeated = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& v =
          repeated ? r->GetRepeatedStringReference(m, f, index, &scratch)
                   : r->GetStringReference(m, f, &scratch);
      CheckString(rules, v, at, out);
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64: {
      if (rules.value.kind != ValueRule::Kind::kInt) return;
      int64_t v;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
        v = repeated ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f);
      } else {
        v = repeated ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
      }
      if (!rules.value.int_range.Contains(v)) out->Add(at, rules.value_message);
      return;
    }
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      if (rules.value.kind != ValueRule::Kind::kUint) return;
      uint64_t v;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
        v = repeated ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f);
      } else {
        v = repeated ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f);
      }
      if (!rules.value.uint_range.Contains(v)) {
        out->Add(at, rules.value_message);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_FLOAT:
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      if (rules.value.kind != ValueRule::Kind::kDouble) return;
      double v;
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        v = repeated ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f);
      } else {
        v = repeated ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f);
      }
      if (!rules.value.double_range.Contains(v)) {
        out->Add(at, rules.value_message);
      }
      return;
    }
    default:
      return;  // Compilation admits no rules on other types.
  }
}

template <typename T, typename Get>
bool AllDistinct(int n, Get get) {
  absl::flat_hash_set<T> seen;
  seen.reserve(n);
  for (int i = 0; i < n; ++i) {
    if (!seen.insert(get(i)).second) return false;
  }
  return true;
}

bool ElementsUnique(const Message& m, const FieldDescriptor* f, int n) {
  const Reflection* r = m.GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return AllDistinct<std::string>(
          n, [&](int i) { return r->GetRepeatedString(m, f, i); });
    case FieldDescriptor::CPPTYPE_INT32:
      return AllDistinct<int64_t>(
          n, [&](int i) { return r->GetRepeatedInt32(m, f, i); });
    case FieldDescriptor::CPPTYPE_INT64:
      return AllDistinct<int64_t>(
          n, [&](int i) { return r->GetRepeatedInt64(m, f, i); });
    case FieldDescriptor::CPPTYPE_UINT32:
      return AllDistinct<uint64_t>(
          n, [&](int i) { return r->GetRepeatedUInt32(m, f, i); });
    case FieldDescriptor::CPPTYPE_UINT64:
      return AllDistinct<uint64_t>(
          n, [&](int i) { return r->GetRepeatedUInt64(m, f, i); });
    case FieldDescriptor::CPPTYPE_FLOAT:
      return AllDistinct<double>(
          n, [&](int i) { return r->GetRepeatedFloat(m, f, i); });
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return AllDistinct<double>(
          n, [&](int i) { return r->GetRepeatedDouble(m, f, i); });
    case FieldDescriptor::CPPTYPE_BOOL:
      return AllDistinct<bool>(
          n, [&](int i) { return r->GetRepeatedBool(m, f, i); });
    case FieldDescriptor::CPPTYPE_ENUM:
      return AllDistinct<int64_t>(
          n, [&](int i) { return r->GetRepeatedEnumValue(m, f, i); });
    default:
      return true;
  }
}

absl::Status ValidateMessage(const CompiledMessage& cm, const Message& m,
                             const PathFrame* parent, int depth,
                             Violations* out);

absl::Status ValidateChild(const CompiledMessage& child, const Message& m,
                           const PathFrame& at, int depth, Violations* out) {
  if (depth >= kMaxDepth) {
    out->Add(at, "Message nesting is too deep");
    return absl::OkStatus();
  }
  return ValidateMessage(child, m, &at, depth + 1, out);
}

absl::Status ValidateRepeated(const Rule& rule, const Message& m, int n,
                              const PathFrame* parent, int depth,
                              Violations* out) {
  const FieldDescriptor* f = rule.field;
  const Reflection* r = m.GetReflection();
  if (f->is_map()) {
    if (rule.element.empty() && rule.key.empty() && rule.child == nullptr) {
      return absl::OkStatus();
    }
    const FieldDescriptor* key_field = f->message_type()->map_key();
    const FieldDescriptor* value_field = f->message_type()->map_value();
    for (int i = 0; i < n; ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      PathFrame at{parent, f->name(), -1, &entry};
      if (!rule.key.empty())
        CheckScalar(rule.key, entry, key_field, -1, at, out);
      if (rule.child != nullptr) {
        const Reflection* er = entry.GetReflection();
        if (er->HasField(entry, value_field)) {
          absl::Status s = ValidateChild(
              *rule.child, er->GetMessage(entry, value_field), at, depth, out);
          if (!s.ok()) return s;
        }
      } else if (!rule.element.empty()) {
        CheckScalar(rule.element, entry, value_field, -1, at, out);
      }
    }
    return absl::OkStatus();
  }
  if (rule.child != nullptr) {
    for (int i = 0; i < n; ++i) {
      PathFrame at{parent, f->name(), i};
      absl::Status s = ValidateChild(
          *rule.child, r->GetRepeatedMessage(m, f, i), at, depth, out);
      if (!s.ok()) return s;
    }
  } else if (!rule.element.empty()) {
    for (int i = 0; i < n; ++i) {
      PathFrame at{parent, f->name(), i};
      CheckScalar(rule.element, m, f, i, at, out);
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMessage(const CompiledMessage& cm, const Message& m,
                             const PathFrame* parent, int depth,
                             Violations* out) {
  if (!cm.status.ok()) return cm.status;
  const Reflection* r = m.GetReflection();
  for (const Rule& rule : cm.rules) {
    if (rule.oneof != nullptr) {
      if (!r->HasOneof(m, rule.oneof)) {
        out->Add(PathFrame{parent, rule.oneof->name()}, kOneofMessage);
      }
      continue;
    }
    const FieldDescriptor* f = rule.field;
    const PathFrame at{parent, f->name()};
    if (f->is_repeated()) {
      const int n = r->FieldSize(m, f);
      if (rule.required && n == 0) {
        out->Add(at, kRequiredMessage);
        continue;
      }
      if (rule.size && !rule.size->Contains(static_cast<uint64_t>(n))) {
        out->Add(at, rule.size_message);
      }
      if (rule.unique && n > 1 && !ElementsUnique(m, f, n)) {
        out->Add(at, kUniqueMessage);
      }
      absl::Status s = ValidateRepeated(rule, m, n, parent, depth, out);
      if (!s.ok()) return s;
      continue;
    }
    const bool present = r->HasField(m, f);
    if (rule.required && !present) {
      out->Add(at, kRequiredMessage);  // the field's other rules are moot
      continue;
    }
    if (f->has_presence() && !present) continue;
    if (rule.child != nullptr) {
      absl::Status s =
          ValidateChild(*rule.child, r->GetMessage(m, f), at, depth, out);
      if (!s.ok()) return s;
    } else if (!rule.element.empty()) {
      CheckScalar(rule.element, m, f, -1, at, out);
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------

class RequestValidator::Impl {
 public:
  using Snapshot =
      absl::flat_hash_map<const Descriptor*, const CompiledMessage*>;

  // The compiled rules of `d`; compiles `d` and its reachable types once.
  const CompiledMessage* Get(const Descriptor* d) {
    const Snapshot* snapshot = snapshot_.load(std::memory_order_acquire);
    if (snapshot != nullptr) {
      auto it = snapshot->find(d);
      if (it != snapshot->end()) return it->second;
    }
    absl::MutexLock lock(&mu_);
    auto it = all_.find(d);
    if (it != all_.end()) return it->second;
    std::vector<CompiledMessage*> added;
    CompiledMessage* compiled = CompileLocked(d, &added);
    Resolve(added);
    auto next = std::make_unique<Snapshot>(all_.begin(), all_.end());
    snapshot_.store(next.get(), std::memory_order_release);
    snapshots_.push_back(std::move(next));
    return compiled;
  }

  size_t compiled_types() const {
    absl::MutexLock lock(&mu_);
    return owned_.size();
  }

 private:
  CompiledMessage* CompileLocked(const Descriptor* d,
                                 std::vector<CompiledMessage*>* added)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = all_.find(d);
    if (it != all_.end()) return it->second;
    owned_.push_back(std::make_unique<CompiledMessage>());
    CompiledMessage* cm = owned_.back().get();
    cm->descriptor = d;
    all_.emplace(d, cm);  // before the fields: types may be recursive
    added->push_back(cm);
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      const OneofDescriptor* oneof = f->real_containing_oneof();
      if (oneof != nullptr && oneof->field(0) == f &&
          oneof->options().GetExtension(::yandex::cloud::exactly_one)) {
        Rule rule;
        rule.oneof = oneof;
        cm->rules.push_back(std::move(rule));
      }
      Rule rule;
      absl::Status status = CompileField(f, &rule);
      if (!status.ok()) {
        if (cm->status.ok()) cm->status = status;
        continue;
      }
      const FieldDescriptor* value_field =
          f->is_map() ? f->message_type()->map_value() : f;
      if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        rule.child = CompileLocked(value_field->message_type(), added);
      }
      if (rule.HasOwnChecks() || rule.child != nullptr) {
        cm->rules.push_back(std::move(rule));
      }
    }
    return cm;
  }

  // Marks which new types need visiting (fixpoint over possibly recursive
  // types) and drops rules that would only descend into inactive types.
  static void Resolve(const std::vector<CompiledMessage*>& added) {
    for (CompiledMessage* cm : added) {
      cm->active = !cm->status.ok();
      for (const Rule& rule : cm->rules) {
        if (rule.HasOwnChecks()) cm->active = true;
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (CompiledMessage* cm : added) {
        if (cm->active) continue;
        for (const Rule& rule : cm->rules) {
          if (rule.child != nullptr && rule.child->active) {
            cm->active = changed = true;
            break;
          }
        }
      }
    }
    for (CompiledMessage* cm : added) {
      std::vector<Rule> kept;
      for (Rule& rule : cm->rules) {
        if (rule.child != nullptr && !rule.child->active) rule.child = nullptr;
        if (rule.HasOwnChecks() || rule.child != nullptr) {
          kept.push_back(std::move(rule));
        }
      }
      cm->rules = std::move(kept);
    }
  }

  mutable absl::Mutex mu_;
  std::atomic<const Snapshot*> snapshot_{nullptr};
  // Every snapshot ever published; readers may still hold older ones.
  std::vector<std::unique_ptr<Snapshot>> snapshots_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<CompiledMessage>> owned_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const Descriptor*, CompiledMessage*> all_
      ABSL_GUARDED_BY(mu_);
};

RequestValidator::RequestValidator() : impl_(std::make_unique<Impl>()) {}
RequestValidator::~RequestValidator() = default;

RequestValidator& RequestValidator::Default() {
  static RequestValidator* validator = new RequestValidator();
  return *validator;
}

absl::Status RequestValidator::Validate(const Message& message) const {
  const CompiledMessage* cm = impl_->Get(message.GetDescriptor());
  if (!cm->active) return absl::OkStatus();
  Violations violations;
  absl::Status status =
      ValidateMessage(*cm, message, /*parent=*/nullptr, 0, &violations);
  if (!status.ok()) return status;
  return violations.ToStatus();
}

absl::Status RequestValidator::Check(const Descriptor* descriptor) const {
  const CompiledMessage* root = impl_->Get(descriptor);
  // Every type reachable from `descriptor` was compiled with it (map entry
  // types excepted: their rules live on the map field); walk them all by
  // descriptor, since rules into types without checks were pruned.
  absl::flat_hash_set<const Descriptor*> seen;
  std::vector<const Descriptor*> stack = {root->descriptor};
  while (!stack.empty()) {
    const Descriptor* d = stack.back();
    stack.pop_back();
    if (!seen.insert(d).second) continue;
    const CompiledMessage* cm = impl_->Get(d);
    if (!cm->status.ok()) return cm->status;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->is_map()) f = f->message_type()->map_value();
      if (f->message_type() != nullptr) stack.push_back(f->message_type());
    }
  }
  return absl::OkStatus();
}

size_t RequestValidator::compiled_types() const {
  return impl_->compiled_types();
}

absl::Status Validate(const Message& message) {
  return RequestValidator::Default().Validate(message);
}

}  // namespace tokend::server::validation
