#include "core/sessions/session_tokens.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/common/status_macros.h"
#include "core/jose/algorithm.h"
#include "core/jose/bounded_json.h"
#include "core/jose/jwk.h"
#include "core/keys/token_family.h"

namespace tokend::sessions {
namespace {

absl::Status SessionNotFound() {
  return absl::NotFoundError("Session not found");
}

absl::Time WholeSeconds(absl::Time t) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

// Parses stored metadata; a broken row renders as an empty object rather than
// failing every token of the user.
nlohmann::json JsonObjectOr(const std::string& text) {
  if (text.empty()) return nlohmann::json::object();
  auto parsed = jose::ParseJsonObject(text);
  if (!parsed.ok()) return nlohmann::json::object();
  return *std::move(parsed);
}

const store::EmailAddressRecord* PrimaryEmail(const store::UserRecord& user) {
  for (const auto& e : user.email_addresses) {
    if (e.id == user.primary_email_address_id) return &e;
  }
  return nullptr;
}

const store::PhoneNumberRecord* PrimaryPhone(const store::UserRecord& user) {
  for (const auto& p : user.phone_numbers) {
    if (p.id == user.primary_phone_number_id) return &p;
  }
  return nullptr;
}

nlohmann::json StringOrNull(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace

std::string SealingContextForTemplate(absl::string_view template_id) {
  return absl::StrCat("jwt_template:", template_id);
}

nlohmann::json SessionTokenIssuer::TemplateContext(
    const store::UserRecord& user, const store::SessionRecord& session) {
  nlohmann::json u = nlohmann::json::object();
  u["id"] = user.id;
  u["external_id"] = StringOrNull(user.external_id);
  u["first_name"] = StringOrNull(user.first_name);
  u["last_name"] = StringOrNull(user.last_name);
  std::string full_name = user.first_name;
  if (!user.first_name.empty() && !user.last_name.empty()) full_name += " ";
  full_name += user.last_name;
  u["full_name"] = StringOrNull(full_name);
  u["username"] = StringOrNull(user.username);
  u["image_url"] = StringOrNull(user.image_url);
  const store::EmailAddressRecord* email = PrimaryEmail(user);
  u["primary_email_address"] =
      email ? nlohmann::json(email->email_address) : nlohmann::json(nullptr);
  u["email_verified"] = email != nullptr && email->verified;
  const store::PhoneNumberRecord* phone = PrimaryPhone(user);
  u["primary_phone_number"] =
      phone ? nlohmann::json(phone->phone_number) : nlohmann::json(nullptr);
  // Clerk's docs spell it primary_phone_address; accept both.
  u["primary_phone_address"] = u["primary_phone_number"];
  u["phone_number_verified"] = phone != nullptr && phone->verified;
  u["created_at"] = absl::ToUnixSeconds(user.created_at);
  u["public_metadata"] = JsonObjectOr(user.public_metadata_json);
  u["unsafe_metadata"] = JsonObjectOr(user.unsafe_metadata_json);
  nlohmann::json s = nlohmann::json::object();
  s["id"] = session.id;
  s["actor"] = session.actor_json.empty() ? nlohmann::json(nullptr)
                                          : JsonObjectOr(session.actor_json);
  return nlohmann::json{{"user", std::move(u)}, {"session", std::move(s)}};
}

absl::StatusOr<std::unique_ptr<SessionTokenIssuer>> SessionTokenIssuer::Create(
    Stores stores, const keys::Keyring* keyring, const keys::Sealer* sealer,
    const Clock* clock, SessionTokenOptions options) {
  if (stores.sessions == nullptr || stores.users == nullptr ||
      stores.templates == nullptr || keyring == nullptr || sealer == nullptr ||
      clock == nullptr) {
    return absl::InvalidArgumentError("session token issuer: null dependency");
  }
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError("session token issuer needs an issuer");
  }
  return std::unique_ptr<SessionTokenIssuer>(new SessionTokenIssuer(
      stores, keyring, sealer, clock, std::move(options)));
}

SessionTokenIssuer::SessionTokenIssuer(Stores stores,
                                       const keys::Keyring* keyring,
                                       const keys::Sealer* sealer,
                                       const Clock* clock,
                                       SessionTokenOptions options)
    : stores_(stores),
      keyring_(keyring),
      sealer_(sealer),
      clock_(clock),
      options_(std::move(options)),
      sessions_(clock, options_.cache_ttl, kMaxCachedSessions),
      templates_(clock, options_.cache_ttl, kMaxCachedTemplates) {}

absl::StatusOr<SessionTokenIssuer::ActiveSession>
SessionTokenIssuer::FindActiveSession(absl::string_view session_id) const {
  const absl::Time now = clock_->Now();
  std::shared_ptr<const CachedSession> cached = sessions_.Get(session_id);
  if (cached == nullptr) {
    ASSIGN_OR_RETURN(cached, ReadSession(session_id));
  }
  const ActiveSession& s = cached->value;
  if (s.session.status != store::SessionStatus::kActive ||
      now >= s.session.expire_at || s.user.deleted_at.has_value()) {
    return SessionNotFound();
  }
  return s;
}

absl::StatusOr<std::shared_ptr<const SessionTokenIssuer::CachedSession>>
SessionTokenIssuer::ReadSession(absl::string_view session_id) const {
  auto ticket = sessions_.Begin();
  auto session = stores_.sessions->GetSession(session_id);
  absl::StatusOr<store::UserRecord> user =
      session.ok() ? stores_.users->GetUser(session->user_id)
                   : absl::StatusOr<store::UserRecord>(session.status());
  if (IsOutage(user.status())) {
    if (auto stale = sessions_.GetStale(session_id, StaleLimit())) {
      return stale;
    }
  }
  if (absl::IsNotFound(user.status())) return SessionNotFound();
  if (!user.ok()) return user.status();
  auto entry = std::make_shared<CachedSession>();
  entry->value.session = *std::move(session);
  entry->value.user = *std::move(user);
  entry->value.context = std::make_shared<const nlohmann::json>(
      TemplateContext(entry->value.user, entry->value.session));
  std::shared_ptr<const CachedSession> cached = std::move(entry);
  sessions_.Put(session_id, cached, ticket);
  return cached;
}

absl::StatusOr<store::SessionRecord> SessionTokenIssuer::SessionForClientToken(
    absl::string_view client_token) const {
  if (client_token.empty()) {
    return absl::UnauthenticatedError("a client token is required");
  }
  auto session = stores_.sessions->FindSessionByClientTokenHash(
      auth::HashSecret(client_token));
  if (absl::IsNotFound(session.status())) {
    return absl::UnauthenticatedError("the client token is not valid");
  }
  if (!session.ok()) return session.status();
  ASSIGN_OR_RETURN(ActiveSession active, FindActiveSession(session->id));
  return active.session;
}

void SessionTokenIssuer::InvalidateSession(absl::string_view session_id) const {
  sessions_.Erase(session_id);
}

void SessionTokenIssuer::InvalidateUser(absl::string_view user_id) const {
  sessions_.EraseIf([user_id](const CachedSession& cached) {
    return cached.value.user.id == user_id;
  });
}

void SessionTokenIssuer::InvalidateAll() const {
  sessions_.Clear();
  templates_.Clear();
}

void SessionTokenIssuer::InvalidateAllTemplates() const { templates_.Clear(); }

absl::StatusOr<absl::Duration> SessionTokenIssuer::Lifetime(
    const std::optional<int64_t>& expires_in_seconds,
    absl::Duration fallback) const {
  if (!expires_in_seconds.has_value()) return fallback;
  if (*expires_in_seconds < kMinTokenLifetimeSeconds ||
      *expires_in_seconds > kMaxTokenLifetimeSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expires_in_seconds must be between ", kMinTokenLifetimeSeconds,
        " and ", kMaxTokenLifetimeSeconds));
  }
  return absl::Seconds(*expires_in_seconds);
}

absl::StatusOr<std::string> SessionTokenIssuer::IssueDefault(
    const IssueRequest& request) const {
  ASSIGN_OR_RETURN(
      absl::Duration lifetime,
      Lifetime(request.expires_in_seconds, options_.default_lifetime));
  ASSIGN_OR_RETURN(ActiveSession active, FindActiveSession(request.session_id));
  jose::RawJwtBuilder builder;
  builder.AddStringClaim("sid", active.session.id)
      .AddIntegerClaim("v", 2)
      .AddStringClaim(keys::kFamilyClaim,
                      keys::FamilyName(keys::TokenFamily::kSession));
  return SignWithSessionKey(active, request, lifetime, std::move(builder));
}

absl::StatusOr<std::string> SessionTokenIssuer::SignWithSessionKey(
    const ActiveSession& active, const IssueRequest& request,
    absl::Duration lifetime, jose::RawJwtBuilder&& builder) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const jose::JwtSigner> signer,
                   keyring_->Signer(keys::kSessionSlot));
  ASSIGN_OR_RETURN(std::string jti, auth::GenerateTokenId());
  const absl::Time iat = WholeSeconds(clock_->Now());
  builder.SetTypeHeader("JWT")
      .SetIssuer(options_.issuer)
      .SetSubject(active.user.id)
      .SetIssuedAt(iat)
      .SetNotBefore(iat - options_.default_skew)
      .SetExpiration(iat + lifetime)
      .SetJwtId(jti);
  if (!request.origin.empty()) builder.AddStringClaim("azp", request.origin);
  ASSIGN_OR_RETURN(jose::RawJwt raw, std::move(builder).Build());
  return signer->SignAndEncode(raw);
}

absl::StatusOr<std::shared_ptr<const SessionTokenIssuer::CachedTemplate>>
SessionTokenIssuer::LoadTemplate(absl::string_view name) const {
  if (auto cached = templates_.Get(name)) return cached;
  auto ticket = templates_.Begin();
  auto record = stores_.templates->FindJwtTemplateByName(name);
  if (IsOutage(record.status())) {
    if (auto stale = templates_.GetStale(name, StaleLimit())) return stale;
  }
  if (absl::IsNotFound(record.status())) {
    return absl::NotFoundError("JWT template not found");
  }
  if (!record.ok()) return record.status();
  auto entry = std::make_shared<CachedTemplate>();
  ASSIGN_OR_RETURN(CompiledTemplate compiled,
                   CompiledTemplate::Compile(record->claims_json));
  entry->compiled =
      std::make_shared<const CompiledTemplate>(std::move(compiled));
  if (record->custom_signing_key) {
    if (!record->signing_algorithm.has_value()) {
      return absl::InternalError(
          "JWT template has a custom signing key but no algorithm");
    }
    const jose::Algorithm alg = *record->signing_algorithm;
    ASSIGN_OR_RETURN(std::string jwk_json,
                     sealer_->Open(record->sealed_signing_key,
                                   SealingContextForTemplate(record->id)));
    absl::StatusOr<jose::Jwk> parsed = jose::Jwk::FromJson(jwk_json, alg);
    auth::WipeSecret(jwk_json);
    ASSIGN_OR_RETURN(jose::Jwk jwk, std::move(parsed));
    // No kid: the key is not in our JWKS, and an HMAC key's thumbprint is a
    // hash of the secret itself.
    ASSIGN_OR_RETURN(std::unique_ptr<jose::JwtSigner> signer,
                     jose::JwtSigner::Create(jwk.WithKid("")));
    entry->signer = std::move(signer);
  }
  entry->record = *std::move(record);
  entry->record.sealed_signing_key.clear();
  std::shared_ptr<const CachedTemplate> cached = std::move(entry);
  templates_.Put(name, cached, ticket);
  return cached;
}

absl::StatusOr<std::string> SessionTokenIssuer::IssueFromTemplate(
    const IssueRequest& request, absl::string_view template_name) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const CachedTemplate> tmpl,
                   LoadTemplate(template_name));
  ASSIGN_OR_RETURN(absl::Duration lifetime,
                   Lifetime(request.expires_in_seconds,
                            absl::Seconds(tmpl->record.lifetime_seconds)));
  ASSIGN_OR_RETURN(ActiveSession active, FindActiveSession(request.session_id));
  std::shared_ptr<const jose::JwtSigner> signer = tmpl->signer;
  if (signer == nullptr) {
    ASSIGN_OR_RETURN(signer, keyring_->Signer(keys::kSessionSlot));
  }
  ASSIGN_OR_RETURN(std::string jti, auth::GenerateTokenId());
  const absl::Time iat = WholeSeconds(clock_->Now());

  nlohmann::json claims = tmpl->compiled->Render(*active.context);
  if (!request.origin.empty()) claims["azp"] = request.origin;
  claims["exp"] = absl::ToUnixSeconds(iat + lifetime);
  claims["iat"] = absl::ToUnixSeconds(iat);
  claims["iss"] = options_.issuer;
  claims["jti"] = jti;
  claims["nbf"] = absl::ToUnixSeconds(
      iat - absl::Seconds(tmpl->record.allowed_clock_skew_seconds));
  claims["sub"] = active.user.id;
  claims[keys::kFamilyClaim] = keys::FamilyName(keys::TokenFamily::kTemplate);
  claims[keys::kSessionIdClaim] = active.session.id;
  std::string payload =
      claims.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Shortcodes can expand (metadata into many strings); a token must stay
  // small enough for an Authorization header.
  if (payload.size() > kMaxRenderedClaimsBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the claims of JWT template ", template_name, " render to ",
        payload.size(), " bytes, over the limit of ", kMaxRenderedClaimsBytes));
  }
  return signer->SignPayload(R"({"typ":"JWT"})", payload);
}

absl::StatusOr<std::string> SessionTokenIssuer::IssueHasura(
    const IssueRequest& request) const {
  ASSIGN_OR_RETURN(
      absl::Duration lifetime,
      Lifetime(request.expires_in_seconds, options_.default_lifetime));
  ASSIGN_OR_RETURN(ActiveSession active, FindActiveSession(request.session_id));
  // Parsed once per session read, in the template context.
  const nlohmann::json& metadata =
      active.context->at("user").at("public_metadata");
  std::vector<std::string> roles;
  if (auto it = metadata.find("hasura_roles");
      it != metadata.end() && it->is_array()) {
    for (const auto& role : *it) {
      if (role.is_string() && !role.get_ref<const std::string&>().empty()) {
        roles.push_back(role.get<std::string>());
      }
    }
  }
  std::string default_role = "user";
  if (auto it = metadata.find("hasura_default_role");
      it != metadata.end() && it->is_string() &&
      !it->get_ref<const std::string&>().empty()) {
    default_role = it->get<std::string>();
  }
  if (roles.empty()) roles.push_back(default_role);
  // Hasura refuses a token whose default role is not an allowed one.
  if (std::find(roles.begin(), roles.end(), default_role) == roles.end()) {
    roles.push_back(default_role);
  }
  nlohmann::json hasura = {{"x-hasura-default-role", default_role},
                           {"x-hasura-allowed-roles", roles},
                           {"x-hasura-user-id", active.user.id}};
  jose::RawJwtBuilder builder;
  builder.AddJsonObjectClaim(kHasuraClaimsNamespace, hasura)
      .AddStringClaim(keys::kFamilyClaim,
                      keys::FamilyName(keys::TokenFamily::kHasura))
      .AddStringClaim(keys::kSessionIdClaim, active.session.id);
  return SignWithSessionKey(active, request, lifetime, std::move(builder));
}

absl::StatusOr<std::string> SessionTokenIssuer::IssueFirebase(
    const IssueRequest& request) const {
  if (options_.firebase == nullptr) {
    return absl::FailedPreconditionError(
        "no Firebase service account is configured");
  }
  if (request.expires_in_seconds.has_value()) {
    return absl::InvalidArgumentError(
        "a Firebase custom token always lives 1 hour; expires_in_seconds "
        "cannot be set");
  }
  ASSIGN_OR_RETURN(ActiveSession active, FindActiveSession(request.session_id));
  return options_.firebase->Sign(active.user.id, clock_->Now());
}

}  // namespace tokend::sessions
