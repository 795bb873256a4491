#include "server/audit/call_record.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "core/jose/base64url.h"
#include "server/gateway/json_string.h"

namespace tokend::server {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Each value logged is cut to this many bytes: a request cannot make a line
// long.
constexpr size_t kMaxValue = 256;
// Tokens longer than this are not decoded (ours are a few KB at most).
constexpr size_t kMaxToken = 16 * 1024;

void AppendValue(absl::string_view value, std::string* out) {
  gateway::AppendJsonStringLossy(value.substr(0, kMaxValue), out);
}

// The scalar at `field`'s path, as text; false when a message on the way
// is unset.
bool FieldText(const Message& root, const AuditField& field,
               std::string* text) {
  const Message* message = &root;
  for (size_t i = 0; i + 1 < field.path.size(); ++i) {
    const auto* reflection = message->GetReflection();
    if (!reflection->HasField(*message, field.path[i])) return false;
    message = &reflection->GetMessage(*message, field.path[i]);
  }
  const FieldDescriptor* f = field.path.back();
  const auto* reflection = message->GetReflection();
  if (f->has_presence() && !reflection->HasField(*message, f)) return false;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      *text = reflection->GetString(*message, f);
      return true;
    case FieldDescriptor::CPPTYPE_INT32:
      *text = absl::StrCat(reflection->GetInt32(*message, f));
      return true;
    case FieldDescriptor::CPPTYPE_INT64:
      *text = absl::StrCat(reflection->GetInt64(*message, f));
      return true;
    case FieldDescriptor::CPPTYPE_UINT32:
      *text = absl::StrCat(reflection->GetUInt32(*message, f));
      return true;
    case FieldDescriptor::CPPTYPE_UINT64:
      *text = absl::StrCat(reflection->GetUInt64(*message, f));
      return true;
    case FieldDescriptor::CPPTYPE_BOOL:
      *text = reflection->GetBool(*message, f) ? "true" : "false";
      return true;
    case FieldDescriptor::CPPTYPE_ENUM:
      *text = reflection->GetEnum(*message, f)->name();
      return true;
    default:
      return false;
  }
}

const Message& Side(const AuditField& field, const Message& request,
                    const Message& response) {
  return field.in_response ? response : request;
}

// Picks the named top-level members of a JSON object (strings and
// integers) as it is read, building no DOM: a token's header and claims
// are read once per audited call.
class MemberPicker {
 public:
  using json = nlohmann::json;
  // `names` must outlive the picker.
  explicit MemberPicker(absl::Span<const absl::string_view> names)
      : names_(names), values_(names.size()) {}

  bool null() { return Skip(); }
  bool boolean(bool) { return Skip(); }
  bool number_integer(json::number_integer_t v) {
    return Take(absl::StrCat(v), false);
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return Take(absl::StrCat(v), false);
  }
  bool number_float(json::number_float_t, const json::string_t&) {
    return Skip();
  }
  bool string(json::string_t& v) { return Take(std::move(v), true); }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) { return Open(); }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& name) {
    wanted_ = -1;
    if (depth_ != 1) return true;
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) wanted_ = static_cast<int>(i);
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) {
    return false;
  }

  // Appends the members found as "name":value, comma-separated.
  void AppendTo(bool* first, std::string* out) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (!values_[i].has_value()) continue;
      absl::StrAppend(out, *first ? "" : ",", "\"", names_[i], "\":");
      *first = false;
      if (values_[i]->second) {
        AppendValue(values_[i]->first, out);
      } else {
        out->append(values_[i]->first);
      }
    }
  }

 private:
  // A wanted top-level member's value (the first one: the issuer or the
  // verifier refused duplicate names).
  bool Take(std::string value, bool quoted) {
    if (depth_ == 1 && wanted_ >= 0 && !values_[wanted_].has_value()) {
      values_[wanted_].emplace(std::move(value), quoted);
    }
    wanted_ = -1;
    return true;
  }
  bool Skip() {
    wanted_ = -1;
    return true;
  }
  bool Open() {
    wanted_ = -1;
    return ++depth_ <= 64;  // bounded nesting
  }
  bool Close() {
    --depth_;
    return true;
  }

  absl::Span<const absl::string_view> names_;
  std::vector<std::optional<std::pair<std::string, bool>>> values_;
  int depth_ = 0;
  int wanted_ = -1;
};

// Appends `names` of the base64url JSON object `part` to `out`; false when
// `part` is not one.
bool PickMembers(absl::string_view part,
                 absl::Span<const absl::string_view> names, bool* first,
                 std::string* out) {
  absl::StatusOr<std::string> decoded = jose::Base64UrlDecode(part);
  if (!decoded.ok() || decoded->empty() || decoded->front() != '{') {
    return false;
  }
  MemberPicker picker(names);
  if (!nlohmann::json::sax_parse(decoded->begin(), decoded->end(), &picker)) {
    return false;
  }
  picker.AppendTo(first, out);
  return true;
}

}  // namespace

bool ShouldAudit(const AuditPlan& plan, bool admitted,
                 const absl::Status& outcome) {
  switch (plan.event) {
    case api::v1::AUDIT_EVENT_ISSUE:
      return outcome.ok();
    case api::v1::AUDIT_EVENT_CHANGE:
    case api::v1::AUDIT_EVENT_REVOKE:
      return admitted;
    default:
      return false;
  }
}

std::string TokenFields(absl::string_view jwt) {
  if (jwt.size() > kMaxToken) return "";
  std::vector<absl::string_view> parts = absl::StrSplit(jwt, '.');
  if (parts.size() != 3) return "";
  static constexpr absl::string_view kHeader[] = {"kid", "typ", "alg"};
  static constexpr absl::string_view kClaims[] = {"tkd_family", "sub", "sid",
                                                  "tkd_sid",    "jti", "exp"};
  std::string out = ",\"token\":{";
  bool first = true;
  if (!PickMembers(parts[0], kHeader, &first, &out) ||
      !PickMembers(parts[1], kClaims, &first, &out)) {
    return "";
  }
  out += "}";
  return out;
}

void RecordCall(AuditLog& log, const MethodPolicy& policy,
                const AuditedCaller& caller, const Message& request,
                const Message& response, const absl::Status& outcome) {
  std::string fields = ",\"method\":";
  AppendValue(policy.method, &fields);
  absl::StrAppend(&fields, ",\"code\":\"",
                  absl::StatusCodeToString(outcome.code()), "\",\"client\":");
  AppendValue(caller.address, &fields);
  absl::StrAppend(&fields, ",\"caller\":{\"kind\":\"", caller.kind, "\"");
  if (!caller.id.empty()) {
    fields += ",\"id\":";
    AppendValue(caller.id, &fields);
  }
  if (!caller.credential.empty()) {
    absl::StrAppend(&fields, ",\"credential\":\"",
                    log.SecretId(caller.credential), "\"");
  }
  fields += "}";
  const AuditPlan& plan = policy.audit;
  std::string text;
  auto object = [&](const char* name, const std::vector<AuditField>& list,
                    bool secret) {
    bool first = true;
    for (const AuditField& field : list) {
      if (!FieldText(Side(field, request, response), field, &text) ||
          text.empty()) {
        continue;
      }
      absl::StrAppend(&fields, first ? absl::StrCat(",\"", name, "\":{") : ",",
                      "\"", field.name, "\":");
      first = false;
      if (secret) {
        absl::StrAppend(&fields, "\"", log.SecretId(text), "\"");
      } else {
        AppendValue(text, &fields);
      }
    }
    if (!first) fields += "}";
  };
  object("resource", plan.resource, false);
  object("secret", plan.secret, true);
  if (plan.token.has_value() &&
      FieldText(Side(*plan.token, request, response), *plan.token, &text)) {
    fields += TokenFields(text);
  }
  absl::string_view event = "change";
  if (plan.event == api::v1::AUDIT_EVENT_ISSUE) event = "issue";
  if (plan.event == api::v1::AUDIT_EVENT_REVOKE) event = "revoke";
  log.Append(event, fields);
}

}  // namespace tokend::server
