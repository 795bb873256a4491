#include "core/sessions/session_tokens.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_validator.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "core/sessions/authorized_parties.h"
#include "core/sessions/client_handshake.h"
#include "core/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/iam/test_util.h"

namespace tokend::sessions {
namespace {

using iam::testing::kT0;
using iam::testing::OpenTempStore;

constexpr char kIssuer[] = "https://tokend.test";
constexpr char kHmacSecret[] = "0123456789abcdef0123456789abcdef";

class SessionTokensTest : public ::testing::Test {
 protected:
  SessionTokenIssuer::Stores AllStores() {
    return {store_.get(), store_.get(), store_.get()};
  }

  void SetUp() override {
    store_ = OpenTempStore("sessions");
    ASSERT_NE(store_, nullptr);
    auto sealer =
        keys::Sealer::Create(std::string(keys::Sealer::kKeySize, 's'));
    ASSERT_TRUE(sealer.ok());
    sealer_ = *std::move(sealer);
    keys::KeyringOptions options;
    options.slots = {{"session", jose::Algorithm::kRs256, absl::Hours(24)}};
    auto keyring =
        keys::Keyring::Open(store_.get(), sealer_.get(), options, &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    SessionTokenOptions issuer_options;
    issuer_options.issuer = kIssuer;
    auto issuer = SessionTokenIssuer::Create(
        AllStores(), keyring_.get(), sealer_.get(), &clock_, issuer_options);
    ASSERT_TRUE(issuer.ok()) << issuer.status();
    issuer_ = *std::move(issuer);

    store::UserRecord user;
    user.id = "user_1";
    user.first_name = "Ada";
    user.last_name = "Lovelace";
    user.email_addresses = {{"idn_1", "ada@example.com", true}};
    user.primary_email_address_id = "idn_1";
    user.public_metadata_json = R"({"role":"admin","hasura":{"x":1}})";
    user.created_at = user.updated_at = kT0;
    ASSERT_TRUE(store_->InsertUser(user).ok());
    store::SessionRecord session;
    session.id = "sess_1";
    session.user_id = "user_1";
    session.client_token_hash = auth::HashSecret("client-secret-1");
    session.created_at = session.updated_at = session.last_active_at = kT0;
    session.expire_at = kT0 + absl::Hours(24 * 7);
    ASSERT_TRUE(store_->InsertSession(session).ok());
  }

  absl::StatusOr<jose::VerifiedJwt> Verify(absl::string_view token,
                                           jose::Algorithm alg,
                                           const jose::JwkSet& keys) {
    auto validator = jose::JwtValidatorBuilder()
                         .AllowAlgorithms({alg})
                         .ExpectIssuer(kIssuer)
                         .ExpectTypeHeader("JWT")
                         .Build();
    if (!validator.ok()) return validator.status();
    return validator->Verify(token, keys, clock_.Now());
  }
  absl::StatusOr<jose::VerifiedJwt> VerifyWithJwks(absl::string_view token) {
    auto jwks = jose::JwkSet::FromJson(keyring_->PublicJwksJson());
    if (!jwks.ok()) return jwks.status();
    return Verify(token, jose::Algorithm::kRs256, *jwks);
  }

  void AddTemplate(const std::string& name, const std::string& claims,
                   int64_t lifetime = 60, int64_t skew = 5) {
    store::JwtTemplateRecord t;
    t.id = "jtmp_" + name;
    t.name = name;
    t.claims_json = claims;
    t.lifetime_seconds = lifetime;
    t.allowed_clock_skew_seconds = skew;
    t.created_at = t.updated_at = kT0;
    ASSERT_TRUE(store_->InsertJwtTemplate(t).ok());
  }

  FakeClock clock_{kT0 + absl::Milliseconds(400)};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<keys::Sealer> sealer_;
  std::unique_ptr<keys::Keyring> keyring_;
  std::unique_ptr<SessionTokenIssuer> issuer_;
};

TEST_F(SessionTokensTest, DefaultTokenHasExactlyTheSessionClaims) {
  auto token = issuer_->IssueDefault({"sess_1", "https://app.example", {}});
  ASSERT_TRUE(token.ok()) << token.status();
  auto jwt = VerifyWithJwks(*token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_FALSE(jwt->kid().empty());
  EXPECT_EQ(*jwt->GetSubject(), "user_1");
  EXPECT_EQ(*jwt->GetStringClaim("sid"), "sess_1");
  EXPECT_EQ(*jwt->GetIntegerClaim("v"), 2);
  EXPECT_EQ(*jwt->GetStringClaim("azp"), "https://app.example");
  EXPECT_EQ(*jwt->GetIssuedAt(), kT0);
  EXPECT_EQ(*jwt->GetExpiration(), kT0 + absl::Seconds(60));
  EXPECT_EQ(*jwt->GetNotBefore(), kT0 - absl::Seconds(5));
  EXPECT_TRUE(jwt->HasJwtId());
  // Exactly these claims.
  std::vector<std::string> names;
  for (const auto& [k, v] : jwt->claims().items()) names.push_back(k);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("azp", "exp", "iat", "iss",
                                                     "jti", "nbf", "sid", "sub",
                                                     "v", "tkd_family"));
  EXPECT_EQ(*jwt->GetStringClaim("tkd_family"), "session");
  // Without an Origin there is no azp.
  auto plain = issuer_->IssueDefault({"sess_1", "", {}});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(VerifyWithJwks(*plain)->HasClaim("azp"));
}

TEST_F(SessionTokensTest, ExpiresInSecondsBounds) {
  auto token = issuer_->IssueDefault({"sess_1", "", 120});
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*VerifyWithJwks(*token)->GetExpiration(), kT0 + absl::Seconds(120));
  EXPECT_TRUE(issuer_->IssueDefault({"sess_1", "", 30}).ok());
  EXPECT_TRUE(issuer_->IssueDefault({"sess_1", "", 315360000}).ok());
  EXPECT_EQ(issuer_->IssueDefault({"sess_1", "", 29}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(issuer_->IssueDefault({"sess_1", "", 315360001}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SessionTokensTest, OnlyActiveUnexpiredSessionsOfLiveUsers) {
  EXPECT_EQ(issuer_->IssueDefault({"sess_nope", "", {}}).status(),
            absl::NotFoundError("Session not found"));
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus(
                      "sess_1", store::SessionStatus::kRevoked, clock_.Now())
                  .ok());
  // Cached for cache_ttl unless invalidated; revocation invalidates.
  issuer_->InvalidateSession("sess_1");
  EXPECT_EQ(issuer_->IssueDefault({"sess_1", "", {}}).status(),
            absl::NotFoundError("Session not found"));
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("sess_1", store::SessionStatus::kActive,
                                        clock_.Now())
                  .ok());
  issuer_->InvalidateSession("sess_1");
  EXPECT_TRUE(issuer_->IssueDefault({"sess_1", "", {}}).ok());
  // Past expire_at.
  clock_.Advance(absl::Hours(24 * 7));
  EXPECT_EQ(issuer_->IssueDefault({"sess_1", "", {}}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SessionTokensTest, DeletedUserGetsNoToken) {
  ASSERT_TRUE(store_->MarkUserDeleted("user_1", clock_.Now()).ok());
  issuer_->InvalidateSession("sess_1");
  EXPECT_EQ(issuer_->IssueDefault({"sess_1", "", {}}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SessionTokensTest, TemplateTokenRendersClaimsAndSetsTimes) {
  AddTemplate(
      "app",
      R"({"name":"{{user.full_name}}","email":"{{user.primary_email_address}}",)"
      R"("role":"{{user.public_metadata.role}}","sid":"{{session.id}}",)"
      R"("verified":"{{user.email_verified}}","missing":"{{user.nope}}"})",
      /*lifetime=*/120, /*skew=*/10);
  auto token =
      issuer_->IssueFromTemplate({"sess_1", "https://a.example", {}}, "app");
  ASSERT_TRUE(token.ok()) << token.status();
  auto jwt = VerifyWithJwks(*token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetStringClaim("name"), "Ada Lovelace");
  EXPECT_EQ(*jwt->GetStringClaim("email"), "ada@example.com");
  EXPECT_EQ(*jwt->GetStringClaim("role"), "admin");
  EXPECT_EQ(*jwt->GetStringClaim("sid"), "sess_1");
  EXPECT_EQ(*jwt->GetBoolClaim("verified"), true);
  EXPECT_TRUE(jwt->IsNullClaim("missing"));
  EXPECT_EQ(*jwt->GetSubject(), "user_1");
  EXPECT_EQ(*jwt->GetStringClaim("azp"), "https://a.example");
  EXPECT_EQ(*jwt->GetExpiration(), kT0 + absl::Seconds(120));
  EXPECT_EQ(*jwt->GetNotBefore(), kT0 - absl::Seconds(10));
  // Template tokens carry no sid/v of their own: their family, and their
  // session where it cannot clash with a template's own "sid".
  EXPECT_FALSE(jwt->HasClaim("v"));
  EXPECT_EQ(*jwt->GetStringClaim("tkd_family"), "template");
  EXPECT_EQ(*jwt->GetStringClaim("tkd_sid"), "sess_1");

  auto longer = issuer_->IssueFromTemplate({"sess_1", "", 3600}, "app");
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(*VerifyWithJwks(*longer)->GetExpiration(),
            kT0 + absl::Seconds(3600));
  EXPECT_EQ(issuer_->IssueFromTemplate({"sess_1", "", {}}, "unknown").status(),
            absl::NotFoundError("JWT template not found"));
}

TEST_F(SessionTokensTest, RenderedClaimsAreBounded) {
  // 7 KiB of metadata (the services cap it at 8), copied five times.
  store::UserRecord user = *store_->GetUser("user_1");
  user.public_metadata_json =
      absl::StrCat(R"({"blob":")", std::string(7 * 1024, 'x'), R"("})");
  ASSERT_TRUE(store_->UpdateUser(user).ok());
  issuer_->InvalidateSession("sess_1");
  AddTemplate(
      "big",
      R"({"a":"{{user.public_metadata}}","b":"{{user.public_metadata}}",)"
      R"("c":"{{user.public_metadata}}","d":"{{user.public_metadata}}",)"
      R"("e":"{{user.public_metadata}}"})");
  EXPECT_EQ(
      issuer_->IssueFromTemplate({"sess_1", "", {}}, "big").status().code(),
      absl::StatusCode::kFailedPrecondition);
}

TEST_F(SessionTokensTest, CustomSigningKeyTemplateSignsWithItsOwnKey) {
  auto jwk = jose::Jwk::FromSecret(kHmacSecret, jose::Algorithm::kHs256);
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  auto jwk_json = jwk->ToPrivateJson();
  ASSERT_TRUE(jwk_json.ok());
  store::JwtTemplateRecord t;
  t.id = "jtmp_hasura";
  t.name = "hasura";
  t.claims_json =
      R"({"https://hasura.io/jwt/claims":{"x-hasura-user-id":"{{user.id}}"}})";
  t.custom_signing_key = true;
  t.signing_algorithm = jose::Algorithm::kHs256;
  auto sealed = sealer_->Seal(*jwk_json, SealingContextForTemplate(t.id));
  ASSERT_TRUE(sealed.ok());
  t.sealed_signing_key = *sealed;
  t.created_at = t.updated_at = kT0;
  ASSERT_TRUE(store_->InsertJwtTemplate(t).ok());

  auto token = issuer_->IssueFromTemplate({"sess_1", "", {}}, "hasura");
  ASSERT_TRUE(token.ok()) << token.status();
  auto validator = jose::JwtValidatorBuilder()
                       .AllowAlgorithms({jose::Algorithm::kHs256})
                       .ExpectIssuer(kIssuer)
                       .ExpectTypeHeader("JWT")
                       .Build();
  ASSERT_TRUE(validator.ok());
  auto verified = validator->Verify(*token, *jwk, clock_.Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->kid(), "");  // not one of our JWKS keys
  EXPECT_EQ(
      verified->claims()["https://hasura.io/jwt/claims"]["x-hasura-user-id"],
      "user_1");
  // The keyring's keys do not verify it.
  EXPECT_FALSE(VerifyWithJwks(*token).ok());
}

TEST_F(SessionTokensTest, HasuraClaimsWithRolesFromPublicMetadata) {
  auto token = issuer_->IssueHasura({"sess_1", "", {}});
  ASSERT_TRUE(token.ok()) << token.status();
  auto jwt = VerifyWithJwks(*token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetJsonClaim(kHasuraClaimsNamespace),
            nlohmann::json::parse(R"({"x-hasura-default-role":"user",)"
                                  R"("x-hasura-allowed-roles":["user"],)"
                                  R"("x-hasura-user-id":"user_1"})"));
  EXPECT_EQ(*jwt->GetExpiration() - *jwt->GetIssuedAt(), absl::Seconds(60));
  EXPECT_EQ(*jwt->GetStringClaim("tkd_family"), "hasura");
  EXPECT_EQ(*jwt->GetStringClaim("tkd_sid"), "sess_1");

  store::UserRecord user = *store_->GetUser("user_1");
  user.public_metadata_json =
      R"({"hasura_roles":["editor","viewer"],"hasura_default_role":"admin"})";
  ASSERT_TRUE(store_->UpdateUser(user).ok());
  issuer_->InvalidateSession("sess_1");
  token = issuer_->IssueHasura({"sess_1", "", {}});
  ASSERT_TRUE(token.ok()) << token.status();
  // The default role is always among the allowed ones.
  EXPECT_EQ(*VerifyWithJwks(*token)->GetJsonClaim(kHasuraClaimsNamespace),
            nlohmann::json::parse(
                R"({"x-hasura-default-role":"admin",)"
                R"("x-hasura-allowed-roles":["editor","viewer","admin"],)"
                R"("x-hasura-user-id":"user_1"})"));
}

TEST_F(SessionTokensTest, FirebaseCustomTokenForTheSessionsUser) {
  // Without a service account: FailedPrecondition, not a token.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      issuer_->IssueFirebase({"sess_1", "", {}}).status()));

  auto sa_key = jose::Jwk::Generate(jose::Algorithm::kRs256);
  ASSERT_TRUE(sa_key.ok());
  const std::string email = "firebase-adminsdk@demo.iam.gserviceaccount.com";
  auto signer = FirebaseTokenSigner::FromKeyFile(nlohmann::json{
      {"type", "service_account"},
      {"client_email", email},
      {"private_key", *sa_key->ToPrivatePem()}}.dump());
  ASSERT_TRUE(signer.ok()) << signer.status();
  SessionTokenOptions options;
  options.issuer = kIssuer;
  options.firebase = *std::move(signer);
  auto issuer = SessionTokenIssuer::Create(AllStores(), keyring_.get(),
                                           sealer_.get(), &clock_, options);
  ASSERT_TRUE(issuer.ok());

  auto token = (*issuer)->IssueFirebase({"sess_1", "https://app.test", {}});
  ASSERT_TRUE(token.ok()) << token.status();
  auto validator = jose::JwtValidatorBuilder()
                       .AllowAlgorithms({jose::Algorithm::kRs256})
                       .ExpectIssuer(email)
                       .ExpectAudience(kFirebaseCustomTokenAudience)
                       .Build();
  ASSERT_TRUE(validator.ok());
  auto jwt = validator->Verify(*token, sa_key->PublicOnly()->WithKid(""),
                               clock_.Now());
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetStringClaim("uid"), "user_1");
  EXPECT_EQ(*jwt->GetSubject(), email);
  EXPECT_EQ(*jwt->GetExpiration() - *jwt->GetIssuedAt(), absl::Hours(1));
  // Not signed by (and not verifiable with) the keyring.
  EXPECT_FALSE(VerifyWithJwks(*token).ok());

  EXPECT_TRUE(absl::IsInvalidArgument(
      (*issuer)->IssueFirebase({"sess_1", "", 120}).status()));
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus(
                      "sess_1", store::SessionStatus::kRevoked, clock_.Now())
                  .ok());
  (*issuer)->InvalidateSession("sess_1");
  EXPECT_TRUE(
      absl::IsNotFound((*issuer)->IssueFirebase({"sess_1", "", {}}).status()));
}

TEST_F(SessionTokensTest, InvalidateUserDropsTheUsersCachedSessions) {
  ASSERT_TRUE(issuer_->IssueDefault({"sess_1", "", {}}).ok());  // cached now
  ASSERT_TRUE(store_->MarkUserDeleted("user_1", clock_.Now()).ok());
  // Within the cache's lifetime the cached entry still answers...
  EXPECT_TRUE(issuer_->IssueDefault({"sess_1", "", {}}).ok());
  issuer_->InvalidateUser("someone_else");
  EXPECT_TRUE(issuer_->IssueDefault({"sess_1", "", {}}).ok());
  // ...until the user's entries are dropped.
  issuer_->InvalidateUser("user_1");
  EXPECT_TRUE(
      absl::IsNotFound(issuer_->IssueDefault({"sess_1", "", {}}).status()));
}

TEST_F(SessionTokensTest, ClientTokenFindsItsActiveSession) {
  auto session = issuer_->SessionForClientToken("client-secret-1");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->id, "sess_1");
  EXPECT_EQ(issuer_->SessionForClientToken("wrong").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(issuer_->SessionForClientToken("").status().code(),
            absl::StatusCode::kUnauthenticated);
}

// ---- The SSR handshake (client_handshake.h) ----

class ClientHandshakeTest : public SessionTokensTest {
 protected:
  void SetUp() override {
    SessionTokensTest::SetUp();
    auto parties = AuthorizedParties::Create(
        {"https://app.example", "http://localhost:3000"});
    ASSERT_TRUE(parties.ok()) << parties.status();
    parties_ = *std::move(parties);
    handshake_ = std::make_unique<ClientHandshake>(
        issuer_.get(), keyring_.get(), &parties_, &clock_, kIssuer);
  }

  // The handshake token the redirect carries, verified, and the URL before
  // it.
  std::vector<std::string> Directives(absl::string_view location,
                                      absl::string_view want_prefix) {
    const size_t at = location.find("__clerk_handshake=");
    EXPECT_NE(at, absl::string_view::npos) << location;
    EXPECT_EQ(location.substr(0, at), want_prefix);
    auto jwt = VerifyWithJwks(location.substr(at + 18));
    EXPECT_TRUE(jwt.ok()) << jwt.status();
    if (!jwt.ok()) return {};
    return jwt->GetJsonClaim("handshake")->get<std::vector<std::string>>();
  }

  AuthorizedParties parties_;
  std::unique_ptr<ClientHandshake> handshake_;
};

TEST_F(ClientHandshakeTest, SignedInClientGetsAFreshTokenForTheRedirectOrigin) {
  auto location = handshake_->Redirect("client-secret-1",
                                       "https://APP.example/page?x=1#top");
  ASSERT_TRUE(location.ok()) << location.status();
  // The fragment stays last; the parameter joins the query.
  EXPECT_TRUE(absl::EndsWith(*location, "#top")) << *location;
  std::vector<std::string> cookies =
      Directives(location->substr(0, location->size() - 4),
                 "https://APP.example/page?x=1&");
  ASSERT_EQ(cookies.size(), 2u);
  const std::string attributes = "; Path=/; SameSite=Lax; Secure";
  ASSERT_TRUE(absl::StartsWith(cookies[0], "__session=")) << cookies[0];
  ASSERT_TRUE(absl::EndsWith(cookies[0], attributes)) << cookies[0];
  const std::string token =
      cookies[0].substr(10, cookies[0].size() - 10 - attributes.size());
  auto jwt = VerifyWithJwks(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(*jwt->GetStringClaim("sid"), "sess_1");
  EXPECT_EQ(*jwt->GetStringClaim("azp"), "https://app.example");
  // __client_uat never later than the token's iat.
  const int64_t iat = absl::ToUnixSeconds(*jwt->GetIssuedAt());
  EXPECT_EQ(cookies[1], absl::StrCat("__client_uat=", iat,
                                     "; Max-Age=315360000", attributes));
}

TEST_F(ClientHandshakeTest, NoOrEndedClientSignsTheBrowserOut) {
  const std::vector<std::string> signed_out = {
      "__session=; Max-Age=0; Path=/; SameSite=Lax",
      "__client_uat=0; Max-Age=315360000; Path=/; SameSite=Lax"};
  for (const char* client : {"", "not-a-client-token"}) {
    auto location =
        handshake_->Redirect(client, "http://localhost:3000/dashboard");
    ASSERT_TRUE(location.ok()) << location.status();
    EXPECT_EQ(Directives(*location, "http://localhost:3000/dashboard?"),
              signed_out)
        << client;
  }
  // An expired session is an ended one.
  clock_.Advance(absl::Hours(24 * 8));
  auto location =
      handshake_->Redirect("client-secret-1", "http://localhost:3000/?a=b&");
  ASSERT_TRUE(location.ok()) << location.status();
  EXPECT_EQ(Directives(*location, "http://localhost:3000/?a=b&"), signed_out);
}

TEST_F(ClientHandshakeTest, SendsBrowsersOnlyToAllowedOrigins) {
  for (const char* url :
       {"", "https://evil.example/", "https://app.example.evil.example/",
        "https://app.example@evil.example/", "//app.example/",
        "app.example/page", "javascript:alert(1)", "https://app.example:8443/",
        "http://app.example/", "https://app.example\\@evil.example/",
        "https://app.example/\r\nSet-Cookie: x=1",
        "https://app.example/ space"}) {
    auto location = handshake_->Redirect("client-secret-1", url);
    EXPECT_EQ(location.status().code(), absl::StatusCode::kInvalidArgument)
        << url;
  }
  const std::string long_url =
      absl::StrCat("https://app.example/", std::string(2048, 'a'));
  EXPECT_EQ(handshake_->Redirect("client-secret-1", long_url).status().code(),
            absl::StatusCode::kInvalidArgument);
  AuthorizedParties none;
  ClientHandshake nowhere(issuer_.get(), keyring_.get(), &none, &clock_,
                          kIssuer);
  EXPECT_EQ(nowhere.Redirect("client-secret-1", "https://app.example/")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AuthorizedPartiesTest, OriginsMustBeBareSchemeHostPort) {
  for (const char* bad :
       {"app.example.com", "https://app.example.com/", "https://a.example/x",
        "ftp://a.example", "https://", "*", "https://user@a.example"}) {
    EXPECT_FALSE(AuthorizedParties::Create({bad}).ok()) << bad;
  }
  EXPECT_TRUE(AuthorizedParties::Create({}).ok());
  EXPECT_TRUE(AuthorizedParties::Create({"https://[::1]:8443"}).ok());
  EXPECT_FALSE(AuthorizedParties::Create(
                   std::vector<std::string>(101, "https://a.example"))
                   .ok());
}

TEST(AuthorizedPartiesTest, AzpNamesOnlyListedOrigins) {
  auto parties =
      AuthorizedParties::Create({"https://app.example", "https://b.example"});
  ASSERT_TRUE(parties.ok());
  EXPECT_EQ(*parties->AzpForFrontend("https://B.example"), "https://b.example");
  EXPECT_EQ(*parties->AzpForFrontend(""), "");  // native apps send none
  EXPECT_EQ(parties->AzpForFrontend("https://evil.example").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(parties->AzpForBackend(""), "https://app.example");
  EXPECT_EQ(parties->AzpForBackend("https://evil.example"),
            "https://app.example");
  EXPECT_EQ(parties->AzpForBackend("https://b.example"), "https://b.example");
  // Without a list, the Origin as sent (what tokend always did).
  const AuthorizedParties none;
  EXPECT_EQ(*none.AzpForFrontend("https://x.example"), "https://x.example");
  EXPECT_EQ(none.AzpForBackend("https://x.example"), "https://x.example");
  EXPECT_EQ(none.AzpForBackend(""), "");
}

}  // namespace
}  // namespace tokend::sessions
