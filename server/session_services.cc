#include "server/session_services.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/auth/secrets.h"
#include "core/common/error_reason.h"
#include "core/common/status_macros.h"
#include "core/jose/algorithm.h"
#include "core/jose/jwk.h"
#include "core/sessions/jwt_template.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "server/grpc_status.h"

namespace tokend::server {
namespace {

namespace sv1 = ::tokend::sessions::v1;

constexpr size_t kMaxNameBytes = 256;
constexpr int kMaxEmails = 10;
constexpr size_t kMaxMetadataBytes = 8 * 1024;
// A PEM of a 4096-bit RSA key is about 3.3 KB.
constexpr size_t kMaxSigningKeyBytes = 16 * 1024;
constexpr absl::Duration kDefaultSessionLifetime = absl::Hours(24 * 7);
constexpr absl::Duration kMaxSessionLifetime = absl::Hours(24 * 365);
constexpr int kDefaultListLimit = 10;
constexpr int kMaxListLimit = 500;

// Each session is its own client (one client token per session): the
// client id is the session id's random part after "client_".
std::string ClientIdOf(absl::string_view session_id) {
  absl::ConsumePrefix(&session_id, "sess_");
  return absl::StrCat("client_", session_id);
}

// The session of a client id; nullopt for an id no session can have.
std::optional<std::string> SessionIdOfClient(absl::string_view client_id) {
  if (!absl::ConsumePrefix(&client_id, "client_")) return std::nullopt;
  return absl::StrCat("sess_", client_id);
}

double Millis(absl::Time t) {
  return static_cast<double>(absl::ToUnixMillis(t));
}

// Clerk's 422s: a parameter with a bad value, or one that is required.
absl::Status Invalid(absl::string_view message, absl::string_view param = "") {
  return WithParam(WithReason(absl::InvalidArgumentError(message),
                              "form_param_value_invalid", "is invalid"),
                   param);
}

absl::Status Missing(absl::string_view param) {
  return WithParam(WithReason(absl::InvalidArgumentError(
                                  absl::StrCat(param, " is required")),
                              "form_param_missing", "is missing"),
                   param);
}

absl::Status NotFoundWithId(absl::string_view what, absl::string_view id) {
  return WithReason(
      absl::NotFoundError(absl::StrCat("No ", absl::AsciiStrToLower(what),
                                       " was found with id ", id)),
      "resource_not_found", absl::StrCat(what, " not found"));
}

// Clerk's "Session not found" answer for any session that may not mint.
absl::Status SessionNotFound(absl::string_view id) {
  return NotFoundWithId("Session", id);
}

// A core status with Clerk's code for its kind, unless it has one already.
absl::Status Clerkify(absl::Status status) {
  if (status.ok() || ReasonOf(status).has_value()) return status;
  if (auto code = sessions::ClerkCodeOf(status)) {
    return WithReason(std::move(status), *code);
  }
  return status;
}

std::string Metadata(const grpc::ServerContextBase& context,
                     absl::string_view key) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// The value of the request's cookie `name`, "" if it has none.
std::string CookieValue(const grpc::ServerContextBase& context,
                        absl::string_view name) {
  const std::string cookies = Metadata(context, "cookie");
  for (absl::string_view cookie : absl::StrSplit(cookies, ';')) {
    cookie = absl::StripAsciiWhitespace(cookie);
    if (absl::ConsumePrefix(&cookie, name) &&
        absl::ConsumePrefix(&cookie, "=")) {
      return std::string(cookie);
    }
  }
  return "";
}

// azp for a Frontend API token: the browser's Origin, which must be allowed
// (core/sessions/authorized_parties.h).
absl::StatusOr<std::string> FrontendAzp(const grpc::ServerContextBase& context,
                                        const SessionDeps& deps) {
  return deps.parties->AzpForFrontend(Metadata(context, "origin"));
}

// The session the admitted client token stands for, which must be
// `session_id`.
absl::Status CheckClientSession(const Caller& caller,
                                absl::string_view session_id) {
  if (absl::IsNotFound(caller.session.status())) {
    return SessionNotFound(session_id);
  }
  RETURN_IF_ERROR(caller.session.status());
  if (caller.session->id != session_id) return SessionNotFound(session_id);
  return absl::OkStatus();
}

// Issuer errors in Clerk's words.
absl::Status FromIssuer(absl::Status status, absl::string_view session_id,
                        absl::string_view template_name) {
  if (absl::IsNotFound(status)) {
    if (status.message() == "JWT template not found") {
      return WithReason(
          absl::NotFoundError(absl::StrCat("No JWT template exists with name: ",
                                           template_name)),
          "resource_not_found", "JWT template not found");
    }
    return SessionNotFound(session_id);
  }
  if (absl::IsInvalidArgument(status)) {
    return Invalid(status.message(), "expires_in_seconds");
  }
  return Clerkify(std::move(status));
}

// A token the issuer made, as the Token response; its failure in Clerk's
// words.
absl::Status ToToken(absl::StatusOr<std::string> jwt,
                     absl::string_view session_id,
                     absl::string_view template_name, sv1::Token* response) {
  if (!jwt.ok()) return FromIssuer(jwt.status(), session_id, template_name);
  response->set_object("token");
  response->set_jwt(*std::move(jwt));
  return absl::OkStatus();
}

// False when a number in `value` is NaN or infinite, which protobuf's JSON
// printer would turn into the strings "NaN" / "Infinity".
bool AllNumbersFinite(const google::protobuf::Value& value, int depth = 0) {
  if (depth > 64) return false;  // deeper than any limit we accept anyway
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return std::isfinite(value.number_value());
    case google::protobuf::Value::kStructValue:
      for (const auto& [key, member] : value.struct_value().fields()) {
        if (!AllNumbersFinite(member, depth + 1)) return false;
      }
      return true;
    case google::protobuf::Value::kListValue:
      for (const auto& element : value.list_value().values()) {
        if (!AllNumbersFinite(element, depth + 1)) return false;
      }
      return true;
    default:
      return true;
  }
}

absl::StatusOr<std::string> StructToJson(const google::protobuf::Struct& s,
                                         absl::string_view field,
                                         size_t max_bytes = kMaxMetadataBytes) {
  for (const auto& [key, value] : s.fields()) {
    if (!AllNumbersFinite(value)) {
      return Invalid(absl::StrCat(field, " holds a number that is not finite"));
    }
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(s, &json).ok()) {
    return Invalid(absl::StrCat(field, " is not a JSON object"));
  }
  if (json.size() > max_bytes) {
    return Invalid(absl::StrCat(field, " exceeds ", max_bytes, " bytes"));
  }
  return json;
}

void JsonToStruct(const std::string& json, google::protobuf::Struct* out) {
  if (json.empty() ||
      !google::protobuf::util::JsonStringToMessage(json, out).ok()) {
    out->Clear();
  }
}

absl::Status CheckText(absl::string_view value, absl::string_view field) {
  if (value.size() > kMaxNameBytes) {
    return Invalid(absl::StrCat(field, " exceeds ", kMaxNameBytes, " bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return Invalid(absl::StrCat(field, " contains control characters"));
    }
  }
  return absl::OkStatus();
}

// An identification an administrator set: verified on the administrator's
// say-so (Clerk's verification_admin), or none.
template <typename Identification>
void SetVerification(bool verified, const store::UserRecord& user,
                     Identification* out) {
  out->set_verified(verified);
  if (verified) {
    sv1::Verification* v = out->mutable_verification();
    v->set_object("verification_admin");
    v->set_status("verified");
    v->set_strategy("admin");
  }
  out->set_created_at(Millis(user.created_at));
  out->set_updated_at(Millis(user.updated_at));
}

void SetIfNotEmpty(const std::string& value,
                   void (sv1::User::*set)(const std::string&), sv1::User* out) {
  if (!value.empty()) (out->*set)(value);
}

// An RFC 3339 time from a request, not after `now` (a clock a little
// ahead is allowed: a minute).
absl::StatusOr<absl::Time> PastTime(const std::string& text, absl::Time now,
                                    absl::string_view param) {
  absl::Time t;
  std::string error;
  if (text.size() > 64 ||
      !absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return WithParam(
        WithReason(
            absl::InvalidArgumentError(absl::StrCat(
                param, " must be an RFC 3339 time (2020-01-02T03:04:05Z)")),
            "form_param_format_invalid", "is invalid"),
        param);
  }
  if (t > now + absl::Minutes(1) || t < absl::UnixEpoch()) {
    return Invalid(absl::StrCat(param, " must be between 1970 and now"), param);
  }
  return t;
}

void ToProto(const store::UserRecord& rec, sv1::User* out) {
  out->set_object("user");
  out->set_id(rec.id);
  SetIfNotEmpty(rec.external_id, &sv1::User::set_external_id, out);
  SetIfNotEmpty(rec.first_name, &sv1::User::set_first_name, out);
  SetIfNotEmpty(rec.last_name, &sv1::User::set_last_name, out);
  SetIfNotEmpty(rec.username, &sv1::User::set_username, out);
  out->set_image_url(rec.image_url);
  out->set_has_image(!rec.image_url.empty());
  SetIfNotEmpty(rec.primary_email_address_id,
                &sv1::User::set_primary_email_address_id, out);
  SetIfNotEmpty(rec.primary_phone_number_id,
                &sv1::User::set_primary_phone_number_id, out);
  for (const auto& e : rec.email_addresses) {
    sv1::EmailAddress* email = out->add_email_addresses();
    email->set_object("email_address");
    email->set_id(e.id);
    email->set_email_address(e.email_address);
    SetVerification(e.verified, rec, email);
  }
  for (const auto& p : rec.phone_numbers) {
    sv1::PhoneNumber* phone = out->add_phone_numbers();
    phone->set_object("phone_number");
    phone->set_id(p.id);
    phone->set_phone_number(p.phone_number);
    SetVerification(p.verified, rec, phone);
  }
  JsonToStruct(rec.public_metadata_json, out->mutable_public_metadata());
  JsonToStruct(rec.private_metadata_json, out->mutable_private_metadata());
  JsonToStruct(rec.unsafe_metadata_json, out->mutable_unsafe_metadata());
  out->set_created_at(Millis(rec.created_at));
  out->set_updated_at(Millis(rec.updated_at));
  if (!rec.locale.empty()) out->set_locale(rec.locale);
  if (rec.legal_accepted_at.has_value()) {
    out->set_legal_accepted_at(Millis(*rec.legal_accepted_at));
  }
}

void ToProto(const store::SessionRecord& rec, absl::Time now,
             sv1::Session* out) {
  out->set_object("session");
  out->set_id(rec.id);
  out->set_user_id(rec.user_id);
  out->set_client_id(ClientIdOf(rec.id));
  store::SessionStatus status = rec.status;
  if (status == store::SessionStatus::kActive && now >= rec.expire_at) {
    status = store::SessionStatus::kExpired;
  }
  out->set_status(std::string(store::SessionStatusName(status)));
  out->set_last_active_at(Millis(rec.last_active_at));
  out->set_expire_at(Millis(rec.expire_at));
  out->set_abandon_at(Millis(rec.expire_at));
  out->set_created_at(Millis(rec.created_at));
  out->set_updated_at(Millis(rec.updated_at));
  if (!rec.actor_json.empty())
    JsonToStruct(rec.actor_json, out->mutable_actor());
}

void ToProto(const store::JwtTemplateRecord& rec, sv1::JwtTemplate* out) {
  out->set_object("jwt_template");
  out->set_id(rec.id);
  out->set_name(rec.name);
  JsonToStruct(rec.claims_json, out->mutable_claims());
  out->set_lifetime(static_cast<int32_t>(rec.lifetime_seconds));
  out->set_allowed_clock_skew(
      static_cast<int32_t>(rec.allowed_clock_skew_seconds));
  out->set_custom_signing_key(rec.custom_signing_key);
  // Without a custom key, the session slot's key signs (RS256, as Clerk's).
  out->set_signing_algorithm(std::string(jose::AlgorithmName(
      rec.signing_algorithm.value_or(jose::Algorithm::kRs256))));
  out->set_created_at(Millis(rec.created_at));
  out->set_updated_at(Millis(rec.updated_at));
}

absl::StatusOr<std::string> NewId(absl::string_view prefix) {
  return auth::GenerateSecret(prefix, 16);
}

// Template fields shared by Create and Update, checked and applied to `rec`.
struct TemplateInput {
  const std::string& name;
  const google::protobuf::Struct& claims;
  std::optional<int32_t> lifetime;
  std::optional<int32_t> allowed_clock_skew;
  bool custom_signing_key;
  const std::string& signing_algorithm;
  const std::string& signing_key;
};

absl::Status ApplyTemplateInput(const TemplateInput& in,
                                const keys::Sealer& sealer,
                                store::JwtTemplateRecord* rec) {
  if (in.name.empty() || in.name.size() > 128) {
    return Invalid("name must be 1 to 128 characters", "name");
  }
  for (unsigned char c : in.name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '.') {
      return Invalid("name may only contain letters, digits, '_', '-', '.'");
    }
  }
  ASSIGN_OR_RETURN(
      std::string claims,
      StructToJson(in.claims, "claims", sessions::kMaxTemplateClaimsBytes));
  RETURN_IF_ERROR(
      Clerkify(sessions::CompiledTemplate::Compile(claims).status()));
  const int64_t lifetime = in.lifetime.value_or(60);
  if (lifetime < sessions::kMinTokenLifetimeSeconds ||
      lifetime > sessions::kMaxTokenLifetimeSeconds) {
    return Invalid("lifetime must be between 30 and 315360000");
  }
  const int64_t skew = in.allowed_clock_skew.value_or(5);
  if (skew < 0 || skew > 300) {
    return Invalid("allowed_clock_skew must be between 0 and 300");
  }
  rec->name = in.name;
  rec->claims_json = std::move(claims);
  rec->lifetime_seconds = lifetime;
  rec->allowed_clock_skew_seconds = skew;
  rec->custom_signing_key = in.custom_signing_key;
  rec->signing_algorithm.reset();
  rec->sealed_signing_key.clear();
  if (!in.custom_signing_key) return absl::OkStatus();

  absl::StatusOr<jose::Algorithm> alg =
      jose::AlgorithmFromName(in.signing_algorithm);
  if (!alg.ok()) {
    return Invalid(
        absl::StrCat("signing_algorithm must be one of RS256, "
                     "RS384, RS512, ES256, ES384, ES512, PS256, "
                     "EdDSA, HS256, HS384, HS512"));
  }
  if (in.signing_key.empty()) {
    return Invalid("signing_key is required with custom_signing_key");
  }
  if (in.signing_key.size() > kMaxSigningKeyBytes) {
    return Invalid(
        absl::StrCat("signing_key exceeds ", kMaxSigningKeyBytes, " bytes"));
  }
  absl::StatusOr<jose::Jwk> key =
      jose::IsHmac(*alg) ? jose::Jwk::FromSecret(in.signing_key, *alg)
                         : jose::Jwk::FromPem(in.signing_key, *alg);
  if (!key.ok() || !key->has_private()) {
    return Invalid(absl::StrCat("signing_key is not a private key for ",
                                in.signing_algorithm));
  }
  ASSIGN_OR_RETURN(std::string jwk_json, key->ToPrivateJson());
  absl::StatusOr<std::string> sealed =
      sealer.Seal(jwk_json, sessions::SealingContextForTemplate(rec->id));
  auth::WipeSecret(jwk_json);
  ASSIGN_OR_RETURN(rec->sealed_signing_key, std::move(sealed));
  rec->signing_algorithm = *alg;
  return absl::OkStatus();
}

// A store write refused for a duplicate template name, in Clerk's words.
absl::Status TemplateNameTaken(absl::string_view name) {
  return WithReason(absl::AlreadyExistsError(absl::StrCat(
                        "A JWT template named ", name, " already exists")),
                    "form_identifier_exists", "That name is taken");
}

absl::StatusOr<store::JwtTemplateRecord> GetTemplate(const SessionDeps& deps,
                                                     absl::string_view id) {
  absl::StatusOr<store::JwtTemplateRecord> rec =
      deps.templates->GetJwtTemplate(id);
  if (absl::IsNotFound(rec.status())) {
    return WithReason(absl::NotFoundError(
                          absl::StrCat("No JWT template exists with id: ", id)),
                      "resource_not_found", "JWT template not found");
  }
  return rec;
}

// A user that exists and is not deleted (NotFound in Clerk's words).
absl::StatusOr<store::UserRecord> LiveUser(const SessionDeps& deps,
                                           absl::string_view id) {
  absl::StatusOr<store::UserRecord> rec = deps.users->GetUser(id);
  if (absl::IsNotFound(rec.status()) ||
      (rec.ok() && rec->deleted_at.has_value())) {
    return NotFoundWithId("User", id);
  }
  return rec;
}

// The template fields of a Create or Update request.
template <typename Request>
TemplateInput InputOf(const Request& request) {
  return TemplateInput{
      request.name(),
      request.claims(),
      request.has_lifetime() ? std::optional<int32_t>(request.lifetime())
                             : std::nullopt,
      request.has_allowed_clock_skew()
          ? std::optional<int32_t>(request.allowed_clock_skew())
          : std::nullopt,
      request.custom_signing_key(),
      request.signing_algorithm(),
      request.signing_key()};
}

// A Backend API token request's session, azp (the Origin, when allowed) and
// lifetime.
template <typename Request>
sessions::IssueRequest BackendIssueOf(const grpc::ServerContextBase& context,
                                      const Request& request,
                                      const SessionDeps& deps) {
  sessions::IssueRequest issue{
      request.session_id(),
      deps.parties->AzpForBackend(Metadata(context, "origin")),
      {}};
  if (request.has_expires_in_seconds()) {
    issue.expires_in_seconds = request.expires_in_seconds();
  }
  return issue;
}

}  // namespace

// ---- SessionTokenService ----

grpc::ServerUnaryReactor* SessionTokenServiceImpl::CreateSessionToken(
    grpc::CallbackServerContext* context,
    const sv1::CreateSessionTokenRequest* request, sv1::Token* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionTokenService, CreateSessionToken),
      [&](const Caller&) -> absl::Status {
        absl::StatusOr<std::string> jwt = deps_.issuer->IssueDefault(
            BackendIssueOf(*context, *request, deps_));
        return ToToken(std::move(jwt), request->session_id(), "", response);
      });
}

grpc::ServerUnaryReactor*
SessionTokenServiceImpl::CreateSessionTokenFromTemplate(
    grpc::CallbackServerContext* context,
    const sv1::CreateSessionTokenFromTemplateRequest* request,
    sv1::Token* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionTokenService, CreateSessionTokenFromTemplate),
      [&](const Caller&) -> absl::Status {
        absl::StatusOr<std::string> jwt = deps_.issuer->IssueFromTemplate(
            BackendIssueOf(*context, *request, deps_),
            request->template_name());
        return ToToken(std::move(jwt), request->session_id(),
                       request->template_name(), response);
      });
}

grpc::ServerUnaryReactor* SessionTokenServiceImpl::CreateClientSessionToken(
    grpc::CallbackServerContext* context,
    const sv1::CreateClientSessionTokenRequest* request, sv1::Token* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionTokenService, CreateClientSessionToken),
      [&](const Caller& caller) -> absl::Status {
        RETURN_IF_ERROR(CheckClientSession(caller, request->session_id()));
        ASSIGN_OR_RETURN(std::string azp, FrontendAzp(*context, deps_));
        absl::StatusOr<std::string> jwt = deps_.issuer->IssueDefault(
            {request->session_id(), std::move(azp), {}});
        return ToToken(std::move(jwt), request->session_id(), "", response);
      });
}

grpc::ServerUnaryReactor*
SessionTokenServiceImpl::CreateClientSessionTokenFromTemplate(
    grpc::CallbackServerContext* context,
    const sv1::CreateClientSessionTokenFromTemplateRequest* request,
    sv1::Token* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionTokenService,
                    CreateClientSessionTokenFromTemplate),
      [&](const Caller& caller) -> absl::Status {
        RETURN_IF_ERROR(CheckClientSession(caller, request->session_id()));
        ASSIGN_OR_RETURN(std::string azp, FrontendAzp(*context, deps_));
        absl::StatusOr<std::string> jwt = deps_.issuer->IssueFromTemplate(
            {request->session_id(), std::move(azp), {}},
            request->template_name());
        return ToToken(std::move(jwt), request->session_id(),
                       request->template_name(), response);
      });
}

grpc::ServerUnaryReactor* SessionTokenServiceImpl::CreateServiceToken(
    grpc::CallbackServerContext* context,
    const sv1::CreateServiceTokenRequest* request, sv1::Token* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionTokenService, CreateServiceToken),
      [&](const Caller& caller) -> absl::Status {
        if (absl::IsNotFound(caller.session.status())) {
          return SessionNotFound(request->session_id());
        }
        RETURN_IF_ERROR(caller.session.status());
        const store::SessionRecord* session = &*caller.session;
        if (!request->session_id().empty() &&
            request->session_id() != session->id) {
          return SessionNotFound(request->session_id());
        }
        const std::string& requested = request->form().service();
        const std::string service = requested.empty() ? "clerk" : requested;
        if (service != "clerk" && service != "firebase" &&
            service != "hasura") {
          return Invalid("service must be clerk, firebase or hasura");
        }
        ASSIGN_OR_RETURN(std::string azp, FrontendAzp(*context, deps_));
        const sessions::IssueRequest issue{session->id, std::move(azp), {}};
        // A template named integration_<service> overrides the built-in format.
        absl::StatusOr<std::string> jwt = deps_.issuer->IssueFromTemplate(
            issue, absl::StrCat("integration_", service));
        if (absl::IsNotFound(jwt.status()) &&
            jwt.status().message() == "JWT template not found") {
          if (service == "hasura") {
            jwt = deps_.issuer->IssueHasura(issue);
          } else if (service == "firebase") {
            jwt = deps_.issuer->IssueFirebase(issue);
            if (absl::IsFailedPrecondition(jwt.status())) {
              return absl::FailedPreconditionError(
                  "service firebase needs a Firebase service account (tokend "
                  "--firebase_service_account) or a JWT template named "
                  "integration_firebase");
            }
          } else {
            jwt = deps_.issuer->IssueDefault(issue);
          }
        }
        return ToToken(std::move(jwt), session->id, "", response);
      });
}

grpc::ServerUnaryReactor* SessionTokenServiceImpl::HandshakeClient(
    grpc::CallbackServerContext* context,
    const sv1::HandshakeClientRequest* request,
    sv1::HandshakeRedirect* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionTokenService, HandshakeClient),
      [&](const Caller&) -> absl::Status {
        absl::Status status = [&]() -> absl::Status {
          if (!request->format().empty() && request->format() != "nonce" &&
              request->format() != "token") {
            return Invalid("format must be nonce or token", "format");
          }
          // Only the cookie: a navigation carries no Authorization header, and
          // a token in one would be a native client's, which never hand-shakes.
          absl::StatusOr<std::string> location = deps_.handshake->Redirect(
              CookieValue(*context, "__client"), request->redirect_url());
          if (absl::IsInvalidArgument(location.status())) {
            return Invalid(location.status().message(), "redirect_url");
          }
          RETURN_IF_ERROR(location.status());
          response->set_location(*std::move(location));
          return absl::OkStatus();
        }();
        return Clerkify(std::move(status));
      });
}

grpc::ServerUnaryReactor* SessionTokenServiceImpl::GetJwks(
    grpc::CallbackServerContext* context,
    const sv1::GetSessionJwksRequest* request,
    tokend::keys::v1::Jwks* response) {
  static const tokend::keys::v1::GetJwksRequest* const kEmpty =
      new tokend::keys::v1::GetJwksRequest();
  return deps_.keyring_service->GetJwks(context, kEmpty, response);
}

// ---- UserService ----

grpc::ServerUnaryReactor* UserServiceImpl::CreateUser(
    grpc::CallbackServerContext* context, const sv1::CreateUserRequest* request,
    sv1::User* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(sv1::UserService, CreateUser),
      [&](const Caller&) -> absl::Status {
        const std::pair<bool, absl::string_view> kSignInSecrets[] = {
            {!request->password().empty(), "password"},
            {!request->password_digest().empty(), "password_digest"},
            {!request->password_hasher().empty(), "password_hasher"},
            {!request->totp_secret().empty(), "totp_secret"},
            {request->backup_codes_size() > 0, "backup_codes"},
        };
        for (const auto& [set, param] : kSignInSecrets) {
          if (set) {
            return Invalid(
                absl::StrCat(param,
                             " is not accepted: tokend issues tokens "
                             "and has no password or second-factor "
                             "sign-in; omit it (skip_password_"
                             "requirement is accepted)"),
                param);
          }
        }
        RETURN_IF_ERROR(CheckText(request->external_id(), "external_id"));
        RETURN_IF_ERROR(CheckText(request->first_name(), "first_name"));
        RETURN_IF_ERROR(CheckText(request->last_name(), "last_name"));
        RETURN_IF_ERROR(CheckText(request->username(), "username"));
        RETURN_IF_ERROR(CheckText(request->image_url(), "image_url"));
        if (request->email_address_size() > kMaxEmails ||
            request->phone_number_size() > kMaxEmails) {
          return Invalid(absl::StrCat("at most ", kMaxEmails,
                                      " email addresses and phone numbers"));
        }
        const absl::Time now = deps_.clock->Now();
        store::UserRecord rec;
        ASSIGN_OR_RETURN(rec.id, NewId("user_"));
        rec.external_id = request->external_id();
        rec.first_name = request->first_name();
        rec.last_name = request->last_name();
        rec.username = request->username();
        rec.image_url = request->image_url();
        for (const std::string& email : request->email_address()) {
          RETURN_IF_ERROR(CheckText(email, "email_address"));
          const size_t at = email.find('@');
          if (at == std::string::npos || at == 0 || at + 1 == email.size()) {
            return Invalid(
                absl::StrCat("email_address must be a valid email "
                             "address"));
          }
          ASSIGN_OR_RETURN(std::string id, NewId("idn_"));
          rec.email_addresses.push_back({id, email, true});
        }
        for (const std::string& phone : request->phone_number()) {
          RETURN_IF_ERROR(CheckText(phone, "phone_number"));
          ASSIGN_OR_RETURN(std::string id, NewId("idn_"));
          rec.phone_numbers.push_back({id, phone, true});
        }
        if (!rec.email_addresses.empty()) {
          rec.primary_email_address_id = rec.email_addresses[0].id;
        }
        if (!rec.phone_numbers.empty()) {
          rec.primary_phone_number_id = rec.phone_numbers[0].id;
        }
        ASSIGN_OR_RETURN(
            rec.public_metadata_json,
            StructToJson(request->public_metadata(), "public_metadata"));
        ASSIGN_OR_RETURN(
            rec.private_metadata_json,
            StructToJson(request->private_metadata(), "private_metadata"));
        ASSIGN_OR_RETURN(
            rec.unsafe_metadata_json,
            StructToJson(request->unsafe_metadata(), "unsafe_metadata"));
        rec.created_at = rec.updated_at = now;
        RETURN_IF_ERROR(CheckText(request->locale(), "locale"));
        rec.locale = request->locale();
        if (!request->created_at().empty()) {
          ASSIGN_OR_RETURN(rec.created_at,
                           PastTime(request->created_at(), now, "created_at"));
        }
        if (!request->legal_accepted_at().empty()) {
          ASSIGN_OR_RETURN(
              rec.legal_accepted_at,
              PastTime(request->legal_accepted_at(), now, "legal_accepted_at"));
        }
        absl::Status inserted = deps_.users->InsertUser(rec);
        if (absl::IsAlreadyExists(inserted)) {
          return WithReason(
              absl::AlreadyExistsError(
                  "That email address, username or external id is taken."),
              "form_identifier_exists", "That identifier is taken");
        }
        RETURN_IF_ERROR(inserted);
        ToProto(rec, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::GetUser(
    grpc::CallbackServerContext* context, const sv1::GetUserRequest* request,
    sv1::User* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(sv1::UserService, GetUser),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(store::UserRecord rec,
                         LiveUser(deps_, request->user_id()));
        ToProto(rec, response);
        return absl::OkStatus();
      });
}

namespace {

// Clerk's order_by: [+-]created_at|updated_at|first_name|last_name|username.
absl::Status ParseUserOrder(absl::string_view order_by,
                            store::UserQuery* query) {
  if (order_by.empty()) return absl::OkStatus();
  query->descending = !absl::ConsumePrefix(&order_by, "+");
  if (query->descending) absl::ConsumePrefix(&order_by, "-");
  static constexpr std::pair<absl::string_view, store::UserOrder> kOrders[] = {
      {"created_at", store::UserOrder::kCreatedAt},
      {"updated_at", store::UserOrder::kUpdatedAt},
      {"first_name", store::UserOrder::kFirstName},
      {"last_name", store::UserOrder::kLastName},
      {"username", store::UserOrder::kUsername},
  };
  for (const auto& [name, order] : kOrders) {
    if (order_by == name) {
      query->order = order;
      return absl::OkStatus();
    }
  }
  return Invalid(
      "order_by must be created_at, updated_at, first_name, last_name or "
      "username, optionally after + or -",
      "order_by");
}

absl::StatusOr<store::UserQuery> UserQueryOf(const sv1::ListUsersRequest& r) {
  store::UserQuery q;
  auto copy = [](const auto& from, std::vector<std::string>* to,
                 absl::string_view param) -> absl::Status {
    if (from.size() > kMaxListLimit) {
      return Invalid(
          absl::StrCat("at most ", kMaxListLimit, " ", param, " values"),
          param);
    }
    for (const std::string& v : from) {
      RETURN_IF_ERROR(CheckText(v, param));
      to->push_back(v);
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(copy(r.email_address(), &q.email_addresses, "email_address"));
  RETURN_IF_ERROR(copy(r.phone_number(), &q.phone_numbers, "phone_number"));
  RETURN_IF_ERROR(copy(r.external_id(), &q.external_ids, "external_id"));
  RETURN_IF_ERROR(copy(r.username(), &q.usernames, "username"));
  RETURN_IF_ERROR(copy(r.user_id(), &q.user_ids, "user_id"));
  RETURN_IF_ERROR(CheckText(r.query(), "query"));
  q.query = r.query();
  q.limit = r.limit() == 0 ? kDefaultListLimit : r.limit();
  q.offset = r.offset();
  if (q.limit < 1 || q.limit > kMaxListLimit || q.offset < 0) {
    return Invalid("limit must be 1..500 and offset >= 0", "limit");
  }
  RETURN_IF_ERROR(ParseUserOrder(r.order_by(), &q));
  return q;
}

// Clerk's metadata merge: null removes a key, objects merge key by key,
// anything else replaces.
void MergeInto(nlohmann::json& into, const nlohmann::json& patch) {
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      into.erase(key);
    } else if (value.is_object() && into.contains(key) &&
               into[key].is_object()) {
      MergeInto(into[key], value);
    } else {
      into[key] = value;
    }
  }
}

// The metadata column `stored` after `patch` (merged, or replacing it).
absl::StatusOr<std::string> NewMetadata(const std::string& stored,
                                        const google::protobuf::Struct& patch,
                                        bool merge, absl::string_view field) {
  ASSIGN_OR_RETURN(std::string given, StructToJson(patch, field));
  if (!merge) return given;
  nlohmann::json into = nlohmann::json::parse(stored, nullptr, false);
  if (!into.is_object()) into = nlohmann::json::object();
  MergeInto(into, nlohmann::json::parse(given));
  std::string out = into.dump();
  if (out.size() > kMaxMetadataBytes) {
    return Invalid(absl::StrCat(field, " exceeds ", kMaxMetadataBytes,
                                " bytes once merged"),
                   field);
  }
  return out;
}

absl::Status ChangeMetadata(const SessionDeps& deps,
                            const sv1::UserMetadataRequest& request, bool merge,
                            sv1::User* response) {
  ASSIGN_OR_RETURN(store::UserRecord rec, LiveUser(deps, request.user_id()));
  if (request.has_public_metadata()) {
    ASSIGN_OR_RETURN(
        rec.public_metadata_json,
        NewMetadata(rec.public_metadata_json, request.public_metadata(), merge,
                    "public_metadata"));
  }
  if (request.has_private_metadata()) {
    ASSIGN_OR_RETURN(
        rec.private_metadata_json,
        NewMetadata(rec.private_metadata_json, request.private_metadata(),
                    merge, "private_metadata"));
  }
  if (request.has_unsafe_metadata()) {
    ASSIGN_OR_RETURN(
        rec.unsafe_metadata_json,
        NewMetadata(rec.unsafe_metadata_json, request.unsafe_metadata(), merge,
                    "unsafe_metadata"));
  }
  rec.updated_at = deps.clock->Now();
  RETURN_IF_ERROR(deps.users->UpdateUser(rec));
  ToProto(rec, response);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* UserServiceImpl::ListUsers(
    grpc::CallbackServerContext* context, const sv1::ListUsersRequest* request,
    sv1::ListUsersResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(sv1::UserService, ListUsers),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(const store::UserQuery query, UserQueryOf(*request));
        ASSIGN_OR_RETURN(std::vector<std::string> ids,
                         deps_.users->FindUserIds(query));
        for (const std::string& id : ids) {
          absl::StatusOr<store::UserRecord> rec = deps_.users->GetUser(id);
          // Deleted between the two reads: not listed.
          if (absl::IsNotFound(rec.status()) ||
              (rec.ok() && rec->deleted_at.has_value())) {
            continue;
          }
          RETURN_IF_ERROR(rec.status());
          ToProto(*rec, response->add_data());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::CountUsers(
    grpc::CallbackServerContext* context, const sv1::ListUsersRequest* request,
    sv1::TotalCount* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(sv1::UserService, CountUsers),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(const store::UserQuery query, UserQueryOf(*request));
        ASSIGN_OR_RETURN(const int64_t count, deps_.users->CountUsers(query));
        response->set_object("total_count");
        response->set_total_count(static_cast<int32_t>(
            std::min<int64_t>(count, std::numeric_limits<int32_t>::max())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::UpdateUser(
    grpc::CallbackServerContext* context, const sv1::UpdateUserRequest* request,
    sv1::User* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(sv1::UserService, UpdateUser),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(store::UserRecord rec,
                         LiveUser(deps_, request->user_id()));
        auto text = [](bool has, const std::string& value,
                       absl::string_view param,
                       std::string* into) -> absl::Status {
          if (!has) return absl::OkStatus();
          RETURN_IF_ERROR(CheckText(value, param));
          *into = value;
          return absl::OkStatus();
        };
        RETURN_IF_ERROR(text(request->has_external_id(), request->external_id(),
                             "external_id", &rec.external_id));
        RETURN_IF_ERROR(text(request->has_first_name(), request->first_name(),
                             "first_name", &rec.first_name));
        RETURN_IF_ERROR(text(request->has_last_name(), request->last_name(),
                             "last_name", &rec.last_name));
        RETURN_IF_ERROR(text(request->has_username(), request->username(),
                             "username", &rec.username));
        if (request->has_primary_email_address_id()) {
          const std::string& id = request->primary_email_address_id();
          if (std::none_of(rec.email_addresses.begin(),
                           rec.email_addresses.end(),
                           [&](const auto& e) { return e.id == id; })) {
            return Invalid("primary_email_address_id is not one of the user's",
                           "primary_email_address_id");
          }
          rec.primary_email_address_id = id;
        }
        if (request->has_primary_phone_number_id()) {
          const std::string& id = request->primary_phone_number_id();
          if (std::none_of(rec.phone_numbers.begin(), rec.phone_numbers.end(),
                           [&](const auto& p) { return p.id == id; })) {
            return Invalid("primary_phone_number_id is not one of the user's",
                           "primary_phone_number_id");
          }
          rec.primary_phone_number_id = id;
        }
        rec.updated_at = deps_.clock->Now();
        absl::Status updated = deps_.users->UpdateUser(rec);
        if (absl::IsAlreadyExists(updated)) {
          return WithReason(absl::AlreadyExistsError(
                                "That username or external id is taken."),
                            "form_identifier_exists",
                            "That identifier is taken");
        }
        RETURN_IF_ERROR(updated);
        ToProto(rec, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::UpdateUserMetadata(
    grpc::CallbackServerContext* context,
    const sv1::UserMetadataRequest* request, sv1::User* response) {
  return deps_.guard->Unary(context, *request, *response,
                            TOKEND_POLICY(sv1::UserService, UpdateUserMetadata),
                            [&](const Caller&) -> absl::Status {
                              return ChangeMetadata(deps_, *request,
                                                    /*merge=*/true, response);
                            });
}

grpc::ServerUnaryReactor* UserServiceImpl::ReplaceUserMetadata(
    grpc::CallbackServerContext* context,
    const sv1::UserMetadataRequest* request, sv1::User* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::UserService, ReplaceUserMetadata),
      [&](const Caller&) -> absl::Status {
        return ChangeMetadata(deps_, *request, /*merge=*/false, response);
      });
}

grpc::ServerUnaryReactor* UserServiceImpl::DeleteUser(
    grpc::CallbackServerContext* context, const sv1::DeleteUserRequest* request,
    sv1::DeletedObject* response) {
  return deps_.guard->Unary(
      context, *request, *response, TOKEND_POLICY(sv1::UserService, DeleteUser),
      [&](const Caller&) -> absl::Status {
        RETURN_IF_ERROR(LiveUser(deps_, request->user_id()).status());
        RETURN_IF_ERROR(deps_.users->MarkUserDeleted(request->user_id(),
                                                     deps_.clock->Now()));
        response->set_object("user");
        response->set_id(request->user_id());
        response->set_deleted(true);
        return absl::OkStatus();
      });
}

// ---- SessionService ----

grpc::ServerUnaryReactor* SessionServiceImpl::CreateSession(
    grpc::CallbackServerContext* context,
    const sv1::CreateSessionRequest* request, sv1::Session* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionService, CreateSession),
      [&](const Caller&) -> absl::Status {
        if (request->user_id().empty()) return Missing("user_id");
        RETURN_IF_ERROR(LiveUser(deps_, request->user_id()).status());
        absl::Duration lifetime = kDefaultSessionLifetime;
        if (request->has_expires_in_seconds()) {
          lifetime = absl::Seconds(request->expires_in_seconds());
          if (lifetime < absl::Seconds(sessions::kMinTokenLifetimeSeconds) ||
              lifetime > kMaxSessionLifetime) {
            return Invalid(
                "expires_in_seconds must be between 30 and 31536000");
          }
        }
        const absl::Time now = deps_.clock->Now();
        store::SessionRecord rec;
        ASSIGN_OR_RETURN(rec.id, NewId("sess_"));
        rec.user_id = request->user_id();
        ASSIGN_OR_RETURN(std::string client_token,
                         auth::GenerateSecret("client_"));
        rec.client_token_hash = auth::HashSecret(client_token);
        rec.created_at = rec.updated_at = rec.last_active_at = now;
        rec.expire_at = now + lifetime;
        RETURN_IF_ERROR(deps_.sessions->InsertSession(rec));
        ToProto(rec, now, response);
        response->set_client_token(std::move(client_token));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SessionServiceImpl::GetSession(
    grpc::CallbackServerContext* context, const sv1::GetSessionRequest* request,
    sv1::Session* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionService, GetSession),
      [&](const Caller&) -> absl::Status {
        absl::StatusOr<store::SessionRecord> rec =
            deps_.sessions->GetSession(request->session_id());
        if (absl::IsNotFound(rec.status())) {
          return SessionNotFound(request->session_id());
        }
        RETURN_IF_ERROR(rec.status());
        ToProto(*rec, deps_.clock->Now(), response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SessionServiceImpl::ListSessions(
    grpc::CallbackServerContext* context,
    const sv1::ListSessionsRequest* request,
    sv1::ListSessionsResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionService, ListSessions),
      [&](const Caller&) -> absl::Status {
        std::optional<store::SessionStatus> status;
        if (!request->status().empty()) {
          status = store::ParseSessionStatus(request->status());
          if (!status.has_value()) {
            return Invalid("status must be active, revoked, ended or expired");
          }
        }
        const int limit =
            request->limit() == 0 ? kDefaultListLimit : request->limit();
        if (limit < 1 || limit > kMaxListLimit || request->offset() < 0) {
          return Invalid("limit must be 1..500 and offset >= 0");
        }
        const absl::Time now = deps_.clock->Now();
        if (!request->client_id().empty()) {
          // A client is one session: at most one to list.
          const std::optional<std::string> session_id =
              SessionIdOfClient(request->client_id());
          if (!session_id.has_value()) return absl::OkStatus();
          absl::StatusOr<store::SessionRecord> session =
              deps_.sessions->GetSession(*session_id);
          if (absl::IsNotFound(session.status())) return absl::OkStatus();
          RETURN_IF_ERROR(session.status());
          if ((request->user_id().empty() ||
               session->user_id == request->user_id()) &&
              (!status.has_value() || session->status == *status)) {
            response->set_total_count(1);
            if (request->offset() == 0)
              ToProto(*session, now, response->add_data());
          }
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(
            std::vector<store::SessionRecord> sessions,
            deps_.sessions->ListSessions(request->user_id(), status, limit,
                                         request->offset()));
        for (const auto& s : sessions) ToProto(s, now, response->add_data());
        ASSIGN_OR_RETURN(const int64_t total, deps_.sessions->CountSessions(
                                                  request->user_id(), status));
        response->set_total_count(static_cast<int32_t>(
            std::min<int64_t>(total, std::numeric_limits<int32_t>::max())));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SessionServiceImpl::RevokeSession(
    grpc::CallbackServerContext* context,
    const sv1::RevokeSessionRequest* request, sv1::Session* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::SessionService, RevokeSession),
      [&](const Caller&) -> absl::Status {
        const absl::Time now = deps_.clock->Now();
        absl::Status updated = deps_.sessions->UpdateSessionStatus(
            request->session_id(), store::SessionStatus::kRevoked, now);
        if (absl::IsNotFound(updated))
          return SessionNotFound(request->session_id());
        RETURN_IF_ERROR(updated);
        ASSIGN_OR_RETURN(store::SessionRecord rec,
                         deps_.sessions->GetSession(request->session_id()));
        ToProto(rec, now, response);
        return absl::OkStatus();
      });
}

// ---- JwtTemplateService ----

grpc::ServerUnaryReactor* JwtTemplateServiceImpl::CreateJwtTemplate(
    grpc::CallbackServerContext* context,
    const sv1::CreateJwtTemplateRequest* request, sv1::JwtTemplate* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::JwtTemplateService, CreateJwtTemplate),
      [&](const Caller&) -> absl::Status {
        store::JwtTemplateRecord rec;
        ASSIGN_OR_RETURN(rec.id, NewId("jtmp_"));
        RETURN_IF_ERROR(
            ApplyTemplateInput(InputOf(*request), *deps_.sealer, &rec));
        rec.created_at = rec.updated_at = deps_.clock->Now();
        absl::Status inserted = deps_.templates->InsertJwtTemplate(rec);
        if (absl::IsAlreadyExists(inserted)) {
          return TemplateNameTaken(rec.name);
        }
        RETURN_IF_ERROR(inserted);
        ToProto(rec, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JwtTemplateServiceImpl::GetJwtTemplate(
    grpc::CallbackServerContext* context,
    const sv1::GetJwtTemplateRequest* request, sv1::JwtTemplate* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::JwtTemplateService, GetJwtTemplate),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(store::JwtTemplateRecord rec,
                         GetTemplate(deps_, request->template_id()));
        ToProto(rec, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JwtTemplateServiceImpl::ListJwtTemplates(
    grpc::CallbackServerContext* context,
    const sv1::ListJwtTemplatesRequest* request,
    sv1::ListJwtTemplatesResponse* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::JwtTemplateService, ListJwtTemplates),
      [&](const Caller&) -> absl::Status {
        if (request->limit() < 0 || request->limit() > kMaxListLimit ||
            request->offset() < 0) {
          return Invalid("limit must be 0..500 and offset >= 0");
        }
        ASSIGN_OR_RETURN(std::vector<store::JwtTemplateRecord> all,
                         deps_.templates->ListJwtTemplates());
        const size_t begin = std::min<size_t>(request->offset(), all.size());
        const size_t end =
            request->limit() == 0
                ? all.size()
                : std::min<size_t>(begin + request->limit(), all.size());
        for (size_t i = begin; i < end; ++i)
          ToProto(all[i], response->add_data());
        response->set_total_count(static_cast<int32_t>(all.size()));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JwtTemplateServiceImpl::UpdateJwtTemplate(
    grpc::CallbackServerContext* context,
    const sv1::UpdateJwtTemplateRequest* request, sv1::JwtTemplate* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::JwtTemplateService, UpdateJwtTemplate),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(store::JwtTemplateRecord rec,
                         GetTemplate(deps_, request->template_id()));
        RETURN_IF_ERROR(
            ApplyTemplateInput(InputOf(*request), *deps_.sealer, &rec));
        rec.updated_at = deps_.clock->Now();
        absl::Status updated = deps_.templates->UpdateJwtTemplate(rec);
        if (absl::IsAlreadyExists(updated)) {
          return TemplateNameTaken(rec.name);
        }
        RETURN_IF_ERROR(updated);
        ToProto(rec, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JwtTemplateServiceImpl::DeleteJwtTemplate(
    grpc::CallbackServerContext* context,
    const sv1::DeleteJwtTemplateRequest* request,
    sv1::DeletedObject* response) {
  return deps_.guard->Unary(
      context, *request, *response,
      TOKEND_POLICY(sv1::JwtTemplateService, DeleteJwtTemplate),
      [&](const Caller&) -> absl::Status {
        ASSIGN_OR_RETURN(store::JwtTemplateRecord rec,
                         GetTemplate(deps_, request->template_id()));
        RETURN_IF_ERROR(deps_.templates->DeleteJwtTemplate(rec.id));
        response->set_object("jwt_template");
        response->set_id(rec.id);
        response->set_deleted(true);
        return absl::OkStatus();
      });
}

}  // namespace tokend::server
