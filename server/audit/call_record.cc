#include "server/audit/call_record.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"
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

void AppendMember(const nlohmann::json& object, const char* name, bool* first,
                  std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) return;
  if (!it->is_string() && !it->is_number_integer()) return;
  absl::StrAppend(out, *first ? "" : ",", "\"", name, "\":");
  *first = false;
  if (it->is_number_integer()) {
    absl::StrAppend(out, it->get<int64_t>());
  } else {
    AppendValue(it->get<std::string>(), out);
  }
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
  absl::StatusOr<std::string> header = jose::Base64UrlDecode(parts[0]);
  absl::StatusOr<std::string> payload = jose::Base64UrlDecode(parts[1]);
  if (!header.ok() || !payload.ok()) return "";
  absl::StatusOr<nlohmann::json> h = jose::ParseJsonObject(*header);
  absl::StatusOr<nlohmann::json> p = jose::ParseJsonObject(*payload);
  if (!h.ok() || !p.ok()) return "";
  std::string out = ",\"token\":{";
  bool first = true;
  for (const char* name : {"kid", "typ", "alg"}) {
    AppendMember(*h, name, &first, &out);
  }
  for (const char* name : {"tkd_family", "sub", "sid", "jti", "exp"}) {
    AppendMember(*p, name, &first, &out);
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
