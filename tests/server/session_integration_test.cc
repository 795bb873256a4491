// The sessions surface (DESIGN §2.2, §2.6, §7) on the real tokend binary over
// plaintext loopback gRPC: table-driven checks of the input validation and
// authentication of SessionTokenService, UserService, SessionService and
// JwtTemplateService — status code, message, and the Clerk-style reason that
// travels as a google.rpc.ErrorInfo in grpc-status-details-bin — and what
// revoking a session (or deleting its user) does to minting and to Verify.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/jose/algorithm.h"
#include "core/jose/jwk.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/tokend_process.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/sessions/v1/services.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"

namespace tokend {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;
namespace sv1 = ::tokend::sessions::v1;
namespace av1 = ::tokend::admin::v1;
using TS = sv1::SessionTokenService::Stub;
using US = sv1::UserService::Stub;
using SS = sv1::SessionService::Stub;
using JS = sv1::JwtTemplateService::Stub;
using Tmpl = sv1::CreateJwtTemplateRequest;
using Struct = google::protobuf::Struct;

using Metadata = std::vector<std::pair<std::string, std::string>>;
using Call = std::function<grpc::Status(grpc::ClientContext*)>;

constexpr auto kOk = grpc::StatusCode::OK;
constexpr auto kBad = grpc::StatusCode::INVALID_ARGUMENT;
constexpr auto kMissing = grpc::StatusCode::NOT_FOUND;
constexpr auto kExists = grpc::StatusCode::ALREADY_EXISTS;
constexpr auto kUnauth = grpc::StatusCode::UNAUTHENTICATED;

constexpr char kInvalid[] = "form_param_value_invalid";
constexpr char kNotFound[] = "resource_not_found";
constexpr char kTaken[] = "form_identifier_exists";
constexpr char kNoReason[] = "";    // the status must carry no ErrorInfo
constexpr char kAnyReason[] = "*";  // not checked

// One row: an RPC with its request, what must come back, and the caller's
// metadata (the admin key when unset).
struct Case {
  std::string name;
  Call call;
  grpc::StatusCode code;
  std::string message;  // a substring of the status message
  std::string reason = kNoReason;
  std::optional<Metadata> metadata = std::nullopt;
};

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (status.error_details().empty() ||
      !details.ParseFromString(status.error_details())) {
    return std::nullopt;
  }
  EXPECT_EQ(details.code(), static_cast<int>(status.error_code()));
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

// `method` on `stub` with `request`, the response discarded.
template <typename Stub, typename Request, typename Response>
Call Rpc(Stub* stub,
         grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                      Response*),
         Request request) {
  return [stub, method, request = std::move(request)](grpc::ClientContext* c) {
    Response response;
    return (stub->*method)(c, request, &response);
  };
}

Struct Json(const std::string& json) {
  Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &s).ok());
  return s;
}

// Claims `depth` containers deep, the claims object counting as one.
Struct Nested(int depth) {
  Struct claims;
  Struct* at = &claims;
  for (int i = 1; i < depth; ++i) {
    at = (*at->mutable_fields())["n"].mutable_struct_value();
  }
  (*at->mutable_fields())["leaf"].set_bool_value(true);
  return claims;
}

// `count` string members of `bytes` each.
Struct Bulky(int count, size_t bytes) {
  Struct s;
  for (int i = 0; i < count; ++i) {
    (*s.mutable_fields())[absl::StrCat("c", i)].set_string_value(
        std::string(bytes, 'x'));
  }
  return s;
}

std::string Pem(jose::Algorithm alg, bool private_key) {
  absl::StatusOr<jose::Jwk> key = jose::Jwk::Generate(alg);
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return "";
  absl::StatusOr<std::string> pem =
      private_key ? key->ToPrivatePem() : key->ToPublicPem();
  return pem.ok() ? *pem : "";
}

class SessionIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TokendProcess> p = TokendProcess::Start(
        MakeTempDir("session_data"), {"--log_requests=false"});
    ASSERT_TRUE(p.ok()) << p.status();
    process_ = new TokendProcess(*std::move(p));
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        process_->grpc_address(), grpc::InsecureChannelCredentials()));
  }

  static void TearDownTestSuite() {
    delete channel_;
    delete process_;
    channel_ = nullptr;
    process_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(process_, nullptr);
    tokens_ = sv1::SessionTokenService::NewStub(*channel_);
    users_ = sv1::UserService::NewStub(*channel_);
    sessions_ = sv1::SessionService::NewStub(*channel_);
    templates_ = sv1::JwtTemplateService::NewStub(*channel_);
    api_keys_ = av1::ApiKeyService::NewStub(*channel_);
    verifier_ = verify::v1::VerificationService::NewStub(*channel_);
  }

  static Metadata Bearer(const std::string& credential) {
    return {{"authorization", "Bearer " + credential}};
  }
  static Metadata AdminAuth() { return Bearer(process_->AdminKey()); }

  static grpc::Status Invoke(const Call& call, const Metadata& metadata) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    return call(&context);
  }

  static void Run(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      const grpc::Status status =
          Invoke(c.call, c.metadata.value_or(AdminAuth()));
      EXPECT_EQ(status.error_code(), c.code) << status.error_message();
      EXPECT_THAT(status.error_message(), HasSubstr(c.message));
      if (c.reason == kAnyReason) continue;
      std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
      if (c.reason == kNoReason) {
        EXPECT_FALSE(info.has_value()) << info->reason();
      } else if (!info.has_value()) {
        ADD_FAILURE() << "no ErrorInfo; expected reason " << c.reason;
      } else {
        EXPECT_EQ(info->reason(), c.reason);
        EXPECT_EQ(info->domain(), "tokend");
      }
    }
  }

  // `method` as the admin; it must succeed.
  template <typename Stub, typename Request, typename Response>
  static Response Admin(Stub* stub,
                        grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                     const Request&, Response*),
                        const Request& request) {
    Response response;
    const grpc::Status status = Invoke(
        [&](grpc::ClientContext* c) {
          return (stub->*method)(c, request, &response);
        },
        AdminAuth());
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static void Ok(const Call& call) {
    const grpc::Status status = Invoke(call, AdminAuth());
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  // --- Calls. ---

  // A valid template request with a fresh name, then `edit`ed.
  static Tmpl Template(const std::function<void(Tmpl&)>& edit = {}) {
    static int counter = 0;
    Tmpl r;
    r.set_name(absl::StrCat("tmpl_", ++counter));
    *r.mutable_claims() = Json(R"({"uid": "{{user.id}}"})");
    if (edit) edit(r);
    return r;
  }
  Call CreateTemplate(const std::function<void(Tmpl&)>& edit = {}) {
    return Rpc(templates_.get(), &JS::CreateJwtTemplate, Template(edit));
  }
  Call CreateUser(const std::function<void(sv1::CreateUserRequest&)>& edit) {
    sv1::CreateUserRequest r;
    edit(r);
    return Rpc(users_.get(), &US::CreateUser, r);
  }
  Call CreateSession(const std::string& user_id,
                     std::optional<int64_t> expires_in = std::nullopt) {
    sv1::CreateSessionRequest r;
    r.set_user_id(user_id);
    if (expires_in) r.set_expires_in_seconds(*expires_in);
    return Rpc(sessions_.get(), &SS::CreateSession, r);
  }
  Call RevokeSession(const std::string& session_id) {
    sv1::RevokeSessionRequest r;
    r.set_session_id(session_id);
    return Rpc(sessions_.get(), &SS::RevokeSession, r);
  }
  Call DeleteUser(const std::string& user_id) {
    sv1::DeleteUserRequest r;
    r.set_user_id(user_id);
    return Rpc(users_.get(), &US::DeleteUser, r);
  }
  Call SessionToken(const std::string& session_id,
                    std::optional<int64_t> expires_in = std::nullopt) {
    sv1::CreateSessionTokenRequest r;
    r.set_session_id(session_id);
    if (expires_in) r.set_expires_in_seconds(*expires_in);
    return Rpc(tokens_.get(), &TS::CreateSessionToken, r);
  }
  Call TemplateToken(const std::string& session_id, const std::string& name,
                     std::optional<int64_t> expires_in = std::nullopt) {
    sv1::CreateSessionTokenFromTemplateRequest r;
    r.set_session_id(session_id);
    r.set_template_name(name);
    if (expires_in) r.set_expires_in_seconds(*expires_in);
    return Rpc(tokens_.get(), &TS::CreateSessionTokenFromTemplate, r);
  }
  Call ClientToken(const std::string& session_id) {
    sv1::CreateClientSessionTokenRequest r;
    r.set_session_id(session_id);
    return Rpc(tokens_.get(), &TS::CreateClientSessionToken, r);
  }
  Call ClientTemplateToken(const std::string& session_id,
                           const std::string& name) {
    sv1::CreateClientSessionTokenFromTemplateRequest r;
    r.set_session_id(session_id);
    r.set_template_name(name);
    return Rpc(tokens_.get(), &TS::CreateClientSessionTokenFromTemplate, r);
  }
  Call ServiceToken(const std::string& service,
                    const std::string& session_id = "") {
    sv1::CreateServiceTokenRequest r;
    r.mutable_form()->set_service(service);
    r.set_session_id(session_id);
    return Rpc(tokens_.get(), &TS::CreateServiceToken, r);
  }
  Call Verify(const std::string& jwt, const std::string& family = "session") {
    verify::v1::VerifyRequest r;
    r.set_token(jwt);
    r.set_family(family);
    return Rpc(verifier_.get(), &verify::v1::VerificationService::Stub::Verify,
               r);
  }

  // --- Fixtures, created as the admin. ---

  sv1::JwtTemplate NewTemplate(const std::string& name) {
    return Admin(templates_.get(), &JS::CreateJwtTemplate,
                 Template([&](Tmpl& t) { t.set_name(name); }));
  }
  // A session of a new user, with its client token.
  sv1::Session NewSession() {
    sv1::CreateSessionRequest request;
    request.set_user_id(
        Admin(users_.get(), &US::CreateUser, sv1::CreateUserRequest()).id());
    sv1::Session session = Admin(sessions_.get(), &SS::CreateSession, request);
    EXPECT_FALSE(session.client_token().empty());
    return session;
  }
  av1::CreateApiKeyResponse NewApiKey(const std::string& surface) {
    av1::CreateApiKeyRequest request;
    request.set_surface(surface);
    request.set_name("session-integration");
    return Admin(api_keys_.get(), &av1::ApiKeyService::Stub::CreateApiKey,
                 request);
  }
  std::string MintDefault(const std::string& session_id) {
    sv1::CreateSessionTokenRequest request;
    request.set_session_id(session_id);
    return Admin(tokens_.get(), &TS::CreateSessionToken, request).jwt();
  }

  static TokendProcess* process_;
  static std::shared_ptr<grpc::Channel>* channel_;
  std::unique_ptr<TS> tokens_;
  std::unique_ptr<US> users_;
  std::unique_ptr<SS> sessions_;
  std::unique_ptr<JS> templates_;
  std::unique_ptr<av1::ApiKeyService::Stub> api_keys_;
  std::unique_ptr<verify::v1::VerificationService::Stub> verifier_;
};

TokendProcess* SessionIntegrationTest::process_ = nullptr;
std::shared_ptr<grpc::Channel>* SessionIntegrationTest::channel_ = nullptr;

TEST_F(SessionIntegrationTest, JwtTemplateValidation) {
  NewTemplate("taken");
  const sv1::JwtTemplate other = NewTemplate("other");
  const std::string rsa = Pem(jose::Algorithm::kRs256, true);
  const std::string rsa_public = Pem(jose::Algorithm::kRs256, false);
  const std::string ec = Pem(jose::Algorithm::kEs256, true);
  auto name = [&](std::string n) {
    return CreateTemplate([n](Tmpl& t) { t.set_name(n); });
  };
  auto claims = [&](Struct s) {
    return CreateTemplate([s](Tmpl& t) { *t.mutable_claims() = s; });
  };
  auto lifetime = [&](int v) {
    return CreateTemplate([v](Tmpl& t) { t.set_lifetime(v); });
  };
  auto skew = [&](int v) {
    return CreateTemplate([v](Tmpl& t) { t.set_allowed_clock_skew(v); });
  };
  auto custom = [&](std::string alg, std::string key) {
    return CreateTemplate([alg, key](Tmpl& t) {
      t.set_custom_signing_key(true);
      t.set_signing_algorithm(alg);
      t.set_signing_key(key);
    });
  };
  constexpr char kBadClaims[] = "jwt_template_invalid_claims";
  constexpr char kBadShortcode[] = "jwt_template_invalid_shortcode";
  constexpr char kName[] = "name must be 1 to 128 characters";
  constexpr char kNameChars[] = "name may only contain letters, digits";
  constexpr char kLifetime[] = "lifetime must be between 30 and 315360000";
  constexpr char kSkew[] = "allowed_clock_skew must be between 0 and 300";
  constexpr char kAlg[] = "signing_algorithm must be one of";
  Struct nan;
  (*nan.mutable_fields())["n"].set_number_value(std::nan(""));
  std::vector<Case> cases = {
      {"valid", CreateTemplate(), kOk, ""},
      {"name missing", name(""), kBad, kName, kInvalid},
      {"name of 128", name(std::string(128, 'n')), kOk, ""},
      {"name of 129", name(std::string(129, 'n')), kBad, kName, kInvalid},
      {"name with a space", name("a b"), kBad, kNameChars, kInvalid},
      {"name with a slash", name("a/b"), kBad, kNameChars, kInvalid},
      {"name not ASCII", name("caf\xC3\xA9"), kBad, kNameChars, kInvalid},
      {"name taken", name("taken"), kExists,
       "A JWT template named taken already exists", kTaken},
      // Only the claims every template token gets are reserved, and only at
      // the top level.
      {"sid", claims(Json(R"({"sid": 1})")), kOk, ""},
      {"nested sub", claims(Json(R"({"x": {"sub": "{{user.id}}"}})")), kOk, ""},
      {"depth 10", claims(Nested(10)), kOk, ""},
      {"depth 11", claims(Nested(11)), kBad, "nested too deeply", kBadClaims},
      {"501 values", claims(Bulky(501, 0)), kBad, "more than 500 values",
       kBadClaims},
      {"a string over 4 KiB", claims(Bulky(1, 4097)), kBad,
       "longer than 4096 bytes", kBadClaims},
      // Template claims are bounded at 16 KiB (DESIGN §7), not at the 8 KiB
      // of user metadata.
      {"claims of 12 KiB", claims(Bulky(3, 4000)), kOk, ""},
      {"claims over 16 KiB", claims(Bulky(5, 4000)), kBad, "claims",
       kAnyReason},
      // Not stored as the string "NaN" (protobuf's JSON printer would).
      {"NaN claim", claims(nan), kBad, "claims", kAnyReason},
      {"shortcode path ends in '.'", claims(Json(R"({"a": "{{ user. }}"})")),
       kBad, "invalid shortcode", kBadShortcode},
      {"shortcode not closed", claims(Json(R"({"a": "x {{user.id"})")), kBad,
       "missing closing '}}'", kBadShortcode},
      {"shortcode double quotes", claims(Json(R"({"a": "{{\"x\"}}"})")), kBad,
       "single quotes", kBadShortcode},
      {"lifetime 29", lifetime(29), kBad, kLifetime, kInvalid},
      {"lifetime 30", lifetime(30), kOk, ""},
      {"lifetime 315360000", lifetime(315360000), kOk, ""},
      {"lifetime 315360001", lifetime(315360001), kBad, kLifetime, kInvalid},
      {"skew -1", skew(-1), kBad, kSkew, kInvalid},
      {"skew 0", skew(0), kOk, ""},
      {"skew 300", skew(300), kOk, ""},
      {"skew 301", skew(301), kBad, kSkew, kInvalid},
      {"custom key, no algorithm", custom("", rsa), kBad, kAlg, kInvalid},
      {"custom key, alg none", custom("none", rsa), kBad, kAlg, kInvalid},
      {"custom key, no key", custom("RS256", ""), kBad,
       "signing_key is required with custom_signing_key", kInvalid},
      {"custom key over 16 KiB", custom("HS256", std::string(16385, 'k')), kBad,
       "16384 bytes", kInvalid},
      {"RS256 key", custom("RS256", rsa), kOk, ""},
      {"EC key for RS256", custom("RS256", ec), kBad,
       "signing_key is not a private key for RS256", kInvalid},
      {"public key for RS256", custom("RS256", rsa_public), kBad,
       "signing_key is not a private key for RS256", kInvalid},
      {"RSA key for ES256", custom("ES256", rsa), kBad,
       "signing_key is not a private key for ES256", kInvalid},
      {"HS256 secret of 31 bytes", custom("HS256", std::string(31, 's')), kBad,
       "signing_key is not a private key for HS256", kInvalid},
      {"HS256 secret of 32 bytes", custom("HS256", std::string(32, 's')), kOk,
       ""},
  };
  for (const char* claim : {"azp", "exp", "iat", "iss", "jti", "nbf", "sub"}) {
    cases.push_back(
        {absl::StrCat("reserved ", claim),
         claims(Json(absl::StrCat(R"({")", claim, R"(": "x"})"))), kBad,
         absl::StrCat("You can't use the reserved claim: '", claim, "'"),
         "jwt_template_reserved_claim"});
  }
  // Update applies the same rules to an existing template.
  using Upd = sv1::UpdateJwtTemplateRequest;
  auto update = [&](std::function<void(Upd&)> edit) {
    Upd r;
    r.set_template_id(other.id());
    r.set_name("other");
    *r.mutable_claims() = Json(R"({"a": 1})");
    edit(r);
    return Rpc(templates_.get(), &JS::UpdateJwtTemplate, r);
  };
  sv1::GetJwtTemplateRequest get;
  get.set_template_id("jtmp_nope");
  sv1::DeleteJwtTemplateRequest del;
  del.set_template_id("jtmp_nope");
  const std::string unknown = "No JWT template exists with id: jtmp_nope";
  cases.insert(
      cases.end(),
      {
          {"update valid", update([](Upd&) {}), kOk, ""},
          {"update unknown id",
           update([](Upd& r) { r.set_template_id("jtmp_nope"); }), kMissing,
           unknown, kNotFound},
          {"update name missing", update([](Upd& r) { r.clear_name(); }), kBad,
           kName, kInvalid},
          {"update to a taken name",
           update([](Upd& r) { r.set_name("taken"); }), kExists,
           "already exists", kTaken},
          {"update reserved claim",
           update([](Upd& r) { *r.mutable_claims() = Json(R"({"iat": 1})"); }),
           kBad, "You can't use the reserved claim: 'iat'",
           "jwt_template_reserved_claim"},
          {"update EC key for RS256", update([&](Upd& r) {
             r.set_custom_signing_key(true);
             r.set_signing_algorithm("RS256");
             r.set_signing_key(ec);
           }),
           kBad, "not a private key for RS256", kInvalid},
          {"get unknown", Rpc(templates_.get(), &JS::GetJwtTemplate, get),
           kMissing, unknown, kNotFound},
          {"delete unknown", Rpc(templates_.get(), &JS::DeleteJwtTemplate, del),
           kMissing, unknown, kNotFound},
      });
  Run(cases);

  // Refusals never echo the signing key.
  for (const std::string& key : {ec, rsa_public, std::string(31, 'q')}) {
    const grpc::Status status =
        Invoke(custom(key.size() == 31 ? "HS256" : "RS256", key), AdminAuth());
    EXPECT_EQ(status.error_code(), kBad);
    const std::string part = key.substr(key.size() / 2, 16);
    EXPECT_THAT(status.error_message(), Not(HasSubstr(part)));
    EXPECT_THAT(status.error_details(), Not(HasSubstr(part)));
  }
}

TEST_F(SessionIntegrationTest, UserValidation) {
  using U = sv1::CreateUserRequest;
  const std::string long_text(257, 'a');
  auto field = [&](void (U::*set)(const std::string&), std::string value) {
    return CreateUser([=](U& r) { (r.*set)(value); });
  };
  auto emails = [&](int n, std::string tag) {
    return CreateUser([=](U& r) {
      for (int i = 0; i < n; ++i) {
        r.add_email_address(absl::StrCat(tag, i, "@x"));
      }
    });
  };
  auto metadata = [&](Struct* (U::*field)(), Struct value) {
    return CreateUser([=](U& r) { *(r.*field)() = value; });
  };
  auto email = [&](std::string e) {
    return CreateUser([e](U& r) { r.add_email_address(e); });
  };
  U taken;
  taken.set_username("taken");
  taken.add_email_address("taken@x");
  Admin(users_.get(), &US::CreateUser, taken);
  const std::string deleted = Admin(users_.get(), &US::CreateUser, U()).id();
  Ok(DeleteUser(deleted));
  auto get = [&](std::string id) {
    sv1::GetUserRequest r;
    r.set_user_id(id);
    return Rpc(users_.get(), &US::GetUser, r);
  };
  constexpr char kIdTaken[] =
      "That email address, username or external id is taken";
  constexpr char kTooMany[] = "at most 10 email addresses and phone numbers";
  constexpr char kBadEmail[] = "email_address must be a valid email address";
  Run({
      {"external_id of 256", field(&U::set_external_id, std::string(256, 'e')),
       kOk, ""},
      {"external_id of 257", field(&U::set_external_id, long_text), kBad,
       "external_id exceeds 256 bytes", kInvalid},
      {"first_name of 257", field(&U::set_first_name, long_text), kBad,
       "first_name exceeds 256 bytes", kInvalid},
      {"last_name of 257", field(&U::set_last_name, long_text), kBad,
       "last_name exceeds 256 bytes", kInvalid},
      {"username of 257", field(&U::set_username, long_text), kBad,
       "username exceeds 256 bytes", kInvalid},
      {"image_url of 257", field(&U::set_image_url, long_text), kBad,
       "image_url exceeds 256 bytes", kInvalid},
      {"first_name with a newline", field(&U::set_first_name, "a\nb"), kBad,
       "first_name contains control characters", kInvalid},
      {"username with DEL", field(&U::set_username, "a\x7f"), kBad,
       "username contains control characters", kInvalid},
      {"10 emails", emails(10, "ten"), kOk, ""},
      {"11 emails", emails(11, "eleven"), kBad, kTooMany, kInvalid},
      {"11 phone numbers", CreateUser([](U& r) {
         for (int i = 0; i < 11; ++i) r.add_phone_number(absl::StrCat("+1", i));
       }),
       kBad, kTooMany, kInvalid},
      {"email without @", email("x"), kBad, kBadEmail, kInvalid},
      {"email without domain", email("x@"), kBad, kBadEmail, kInvalid},
      {"email of 257", email(long_text.substr(2) + "@x"), kBad,
       "email_address exceeds 256 bytes", kInvalid},
      {"public_metadata of 7.8 KiB",
       metadata(&U::mutable_public_metadata, Bulky(2, 3900)), kOk, ""},
      {"public_metadata over 8 KiB",
       metadata(&U::mutable_public_metadata, Bulky(3, 3000)), kBad,
       "public_metadata exceeds 8192 bytes", kInvalid},
      {"private_metadata over 8 KiB",
       metadata(&U::mutable_private_metadata, Bulky(3, 3000)), kBad,
       "private_metadata exceeds 8192 bytes", kInvalid},
      {"unsafe_metadata over 8 KiB",
       metadata(&U::mutable_unsafe_metadata, Bulky(3, 3000)), kBad,
       "unsafe_metadata exceeds 8192 bytes", kInvalid},
      {"username taken", field(&U::set_username, "taken"), kExists, kIdTaken,
       kTaken},
      {"email taken", email("taken@x"), kExists, kIdTaken, kTaken},
      {"get unknown", get("user_nope"), kMissing,
       "No user was found with id user_nope", kNotFound},
      {"get deleted", get(deleted), kMissing,
       "No user was found with id " + deleted, kNotFound},
      {"delete twice", DeleteUser(deleted), kMissing,
       "No user was found with id " + deleted, kNotFound},
  });
}

TEST_F(SessionIntegrationTest, SessionValidation) {
  const std::string user =
      Admin(users_.get(), &US::CreateUser, sv1::CreateUserRequest()).id();
  const std::string deleted =
      Admin(users_.get(), &US::CreateUser, sv1::CreateUserRequest()).id();
  Ok(DeleteUser(deleted));
  sv1::GetSessionRequest get;
  get.set_session_id("sess_nope");
  auto list = [&](const std::string& status, int limit, int offset) {
    sv1::ListSessionsRequest r;
    r.set_status(status);
    r.set_limit(limit);
    r.set_offset(offset);
    return Rpc(sessions_.get(), &SS::ListSessions, r);
  };
  constexpr char kLifetime[] =
      "expires_in_seconds must be between 30 and 31536000";
  constexpr char kLimit[] = "limit must be 1..500 and offset >= 0";
  const std::string unknown = "No session was found with id sess_nope";
  Run({
      {"unknown user", CreateSession("user_nope"), kMissing,
       "No user was found with id user_nope", kNotFound},
      {"deleted user", CreateSession(deleted), kMissing,
       "No user was found with id " + deleted, kNotFound},
      {"expires 29", CreateSession(user, 29), kBad, kLifetime, kInvalid},
      {"expires -1", CreateSession(user, -1), kBad, kLifetime, kInvalid},
      {"expires 30", CreateSession(user, 30), kOk, ""},
      {"expires 365 days", CreateSession(user, 31536000), kOk, ""},
      {"expires 365 days + 1", CreateSession(user, 31536001), kBad, kLifetime,
       kInvalid},
      {"get unknown", Rpc(sessions_.get(), &SS::GetSession, get), kMissing,
       unknown, kNotFound},
      {"revoke unknown", RevokeSession("sess_nope"), kMissing, unknown,
       kNotFound},
      {"list bad status", list("bogus", 0, 0), kBad,
       "status must be active, revoked, ended or expired", kInvalid},
      {"list limit 500", list("", 500, 0), kOk, ""},
      {"list limit 501", list("", 501, 0), kBad, kLimit, kInvalid},
      {"list offset -1", list("", 0, -1), kBad, kLimit, kInvalid},
  });
}

TEST_F(SessionIntegrationTest, SessionTokenValidation) {
  const sv1::Session a = NewSession();
  const sv1::Session b = NewSession();
  NewTemplate("tokens");
  const Metadata raw = {{"authorization", a.client_token()}};
  const Metadata cookie = {
      {"cookie", "theme=dark; __client=" + a.client_token() + "; x=y"}};
  const Metadata none = {};
  const Metadata bogus = {{"authorization", "client_bogus"}};
  const Metadata bad_cookie = {{"cookie", "__client=client_bogus"}};
  constexpr char kLifetime[] =
      "expires_in_seconds must be between 30 and 315360000";
  constexpr char kNoSession[] = "you need to supply an active session";
  constexpr char kAuth[] = "authentication_invalid";
  const std::string unknown = "No session was found with id sess_nope";
  const std::string other_session = "No session was found with id " + b.id();
  const std::string no_template = "No JWT template exists with name: nope";
  Run({
      // BAPI.
      {"unknown session", SessionToken("sess_nope"), kMissing, unknown,
       kNotFound},
      {"expires 29", SessionToken(a.id(), 29), kBad, kLifetime, kInvalid},
      {"expires 30", SessionToken(a.id(), 30), kOk, ""},
      {"expires 315360000", SessionToken(a.id(), 315360000), kOk, ""},
      {"expires 315360001", SessionToken(a.id(), 315360001), kBad, kLifetime,
       kInvalid},
      {"template", TemplateToken(a.id(), "tokens"), kOk, ""},
      {"unknown template", TemplateToken(a.id(), "nope"), kMissing, no_template,
       kNotFound},
      {"template, unknown session", TemplateToken("sess_nope", "tokens"),
       kMissing, unknown, kNotFound},
      {"template expires 29", TemplateToken(a.id(), "tokens", 29), kBad,
       kLifetime, kInvalid},
      {"template expires 315360001", TemplateToken(a.id(), "tokens", 315360001),
       kBad, kLifetime, kInvalid},
      // FAPI: the client token raw, as Bearer, or in the __client cookie.
      {"client raw", ClientToken(a.id()), kOk, "", kNoReason, raw},
      {"client Bearer", ClientToken(a.id()), kOk, "", kNoReason,
       Bearer(a.client_token())},
      {"client cookie", ClientToken(a.id()), kOk, "", kNoReason, cookie},
      {"client, no token", ClientToken(a.id()), kUnauth, kNoSession, kAuth,
       none},
      {"client, wrong token", ClientToken(a.id()), kUnauth, kNoSession, kAuth,
       bogus},
      {"client, wrong cookie", ClientToken(a.id()), kUnauth, kNoSession, kAuth,
       bad_cookie},
      {"client, admin key", ClientToken(a.id()), kUnauth, kNoSession, kAuth,
       AdminAuth()},
      {"client, another session", ClientToken(b.id()), kMissing, other_session,
       kNotFound, raw},
      {"client template", ClientTemplateToken(a.id(), "tokens"), kOk, "",
       kNoReason, raw},
      {"client unknown template", ClientTemplateToken(a.id(), "nope"), kMissing,
       no_template, kNotFound, raw},
      {"client template, another session",
       ClientTemplateToken(b.id(), "tokens"), kMissing, other_session,
       kNotFound, raw},
      {"client template, no token", ClientTemplateToken(a.id(), "tokens"),
       kUnauth, kNoSession, kAuth, none},
      // FAPI /v1/me/tokens.
      {"service default", ServiceToken(""), kOk, "", kNoReason, raw},
      {"service clerk", ServiceToken("clerk"), kOk, "", kNoReason, cookie},
      {"service hasura", ServiceToken("hasura"), kOk, "", kNoReason, raw},
      {"service auth0", ServiceToken("auth0"), kBad,
       "service must be clerk, firebase or hasura", kInvalid, raw},
      {"service firebase, unconfigured", ServiceToken("firebase"),
       grpc::StatusCode::FAILED_PRECONDITION, "--firebase_service_account",
       kAnyReason, raw},
      {"service, no token", ServiceToken("clerk"), kUnauth, kNoSession, kAuth,
       none},
      {"service, wrong token", ServiceToken("clerk"), kUnauth, kNoSession,
       kAuth, bogus},
      {"service, own session", ServiceToken("clerk", a.id()), kOk, "",
       kNoReason, raw},
      {"service, another session", ServiceToken("clerk", b.id()), kMissing,
       other_session, kNotFound, raw},
  });

  // Clerk's short message rides in the ErrorInfo metadata.
  std::optional<google::rpc::ErrorInfo> info =
      ErrorInfoOf(Invoke(SessionToken("sess_nope"), AdminAuth()));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("message"), "Session not found");
}

TEST_F(SessionIntegrationTest, BapiAuthentication) {
  const std::string sessions_key = NewApiKey("sessions").secret();
  const std::string scoped_key = NewApiKey("scoped").secret();
  ASSERT_EQ(sessions_key.rfind("sk_", 0), 0u);
  ASSERT_EQ(scoped_key.rfind("sck_", 0), 0u);
  const av1::CreateApiKeyResponse revoked = NewApiKey("sessions");
  av1::RevokeApiKeyRequest revoke;
  revoke.set_id(revoked.api_key().id());
  Admin(api_keys_.get(), &av1::ApiKeyService::Stub::RevokeApiKey, revoke);
  const sv1::Session session = NewSession();

  // Credentials are checked first, so empty requests do.
  const std::vector<std::pair<std::string, Call>> methods = {
      {"CreateSessionToken", SessionToken(session.id())},
      {"CreateSessionTokenFromTemplate", TemplateToken(session.id(), "x")},
      {"CreateUser", CreateUser([](sv1::CreateUserRequest&) {})},
      {"GetUser", Rpc(users_.get(), &US::GetUser, sv1::GetUserRequest())},
      {"DeleteUser", DeleteUser("")},
      {"CreateSession", CreateSession("")},
      {"GetSession",
       Rpc(sessions_.get(), &SS::GetSession, sv1::GetSessionRequest())},
      {"ListSessions",
       Rpc(sessions_.get(), &SS::ListSessions, sv1::ListSessionsRequest())},
      {"RevokeSession", RevokeSession(session.id())},
      {"CreateJwtTemplate", CreateTemplate()},
      {"GetJwtTemplate", Rpc(templates_.get(), &JS::GetJwtTemplate,
                             sv1::GetJwtTemplateRequest())},
      {"ListJwtTemplates", Rpc(templates_.get(), &JS::ListJwtTemplates,
                               sv1::ListJwtTemplatesRequest())},
      {"UpdateJwtTemplate", Rpc(templates_.get(), &JS::UpdateJwtTemplate,
                                sv1::UpdateJwtTemplateRequest())},
      {"DeleteJwtTemplate", Rpc(templates_.get(), &JS::DeleteJwtTemplate,
                                sv1::DeleteJwtTemplateRequest())},
  };
  constexpr char kFormat[] = "Invalid Authorization header format";
  constexpr char kFormatReason[] = "authorization_header_format_invalid";
  constexpr char kBadKey[] = "The provided Clerk Secret Key is invalid";
  const struct {
    std::string name;
    Metadata metadata;
    std::string message;
    std::string reason;
  } credentials[] = {
      {"none", {}, kFormat, kFormatReason},
      {"Basic", {{"authorization", "Basic YTpi"}}, kFormat, kFormatReason},
      {"raw sk_", {{"authorization", sessions_key}}, kFormat, kFormatReason},
      {"empty Bearer", {{"authorization", "Bearer "}}, kFormat, kFormatReason},
      {"scoped sck_ key", Bearer(scoped_key), kBadKey, "clerk_key_invalid"},
      {"garbage sk_ key", Bearer("sk_garbage"), kBadKey, "clerk_key_invalid"},
      {"revoked sk_ key", Bearer(revoked.secret()), kBadKey,
       "clerk_key_invalid"},
      {"client token", Bearer(session.client_token()), kBadKey,
       "clerk_key_invalid"},
  };
  std::vector<Case> cases;
  for (const auto& [method, call] : methods) {
    for (const auto& credential : credentials) {
      cases.push_back({absl::StrCat(method, " with ", credential.name), call,
                       kUnauth, credential.message, credential.reason,
                       credential.metadata});
    }
  }
  // A sessions key gets through; the JWKS needs no credential.
  cases.push_back({"ListSessions with sk_", methods[7].second, kOk, "",
                   kNoReason, Bearer(sessions_key)});
  cases.push_back({"GetUser with sk_", methods[3].second, kMissing,
                   "No user was found", kNotFound, Bearer(sessions_key)});
  cases.push_back(
      {"GetJwks anonymous",
       Rpc(tokens_.get(), &TS::GetJwks, sv1::GetSessionJwksRequest()), kOk, "",
       kNoReason, Metadata{}});
  Run(cases);
}

TEST_F(SessionIntegrationTest, RevocationStopsMintingAndVerify) {
  const sv1::Session session = NewSession();
  NewTemplate("revocation");
  const std::string jwt = MintDefault(session.id());
  ASSERT_TRUE(Invoke(Verify(jwt), {}).ok());
  sv1::CreateSessionTokenFromTemplateRequest from_template;
  from_template.set_session_id(session.id());
  from_template.set_template_name("revocation");
  const std::string template_jwt =
      Admin(tokens_.get(), &TS::CreateSessionTokenFromTemplate, from_template)
          .jwt();
  ASSERT_TRUE(Invoke(Verify(template_jwt, "template"), {}).ok());
  sv1::RevokeSessionRequest revoke;
  revoke.set_session_id(session.id());
  EXPECT_EQ(Admin(sessions_.get(), &SS::RevokeSession, revoke).status(),
            "revoked");

  const Metadata client = {{"authorization", session.client_token()}};
  const std::string gone = "No session was found with id " + session.id();
  Run({
      {"revoke again", RevokeSession(session.id()), kOk, ""},
      {"BAPI token", SessionToken(session.id()), kMissing, gone, kNotFound},
      {"BAPI template token", TemplateToken(session.id(), "revocation"),
       kMissing, gone, kNotFound},
      {"FAPI token", ClientToken(session.id()), kMissing, gone, kNotFound,
       client},
      {"FAPI template token", ClientTemplateToken(session.id(), "revocation"),
       kMissing, gone, kNotFound, client},
      {"FAPI service token", ServiceToken("clerk"), kMissing,
       "No session was found", kNotFound, client},
      // The message names the session the caller named.
      {"FAPI service token, session named", ServiceToken("clerk", session.id()),
       kMissing, gone, kNotFound, client},
      {"Verify a token minted before", Verify(jwt), kUnauth,
       "session is not active", kAnyReason, Metadata{}},
      // Its tkd_sid names the session (issue 18: templates used to outlive
      // it, up to their lifetime of years).
      {"Verify a template token minted before",
       Verify(template_jwt, "template"), kUnauth, "session is not active",
       kAnyReason, Metadata{}},
  });
}

TEST_F(SessionIntegrationTest, DeletingTheUserStopsMintingAtOnce) {
  const sv1::Session session = NewSession();
  const std::string jwt = MintDefault(session.id());  // caches the session
  Ok(DeleteUser(session.user_id()));
  // Not after the issuer's cache ages out (cache_ttl, 1 s): at once.
  Run({
      {"BAPI token", SessionToken(session.id()), kMissing,
       "No session was found with id " + session.id(), kNotFound},
      {"Verify", Verify(jwt), kUnauth, "session is not active", kAnyReason,
       Metadata{}},
  });
}

// A template change reaches the compiled copy this process cached when the
// write commits (through the store's commit observer), not when the cache
// entry ages out: the next mint renders the new claims, and a renamed or
// deleted template is gone under its old name.
TEST_F(SessionIntegrationTest, TemplateChangesTakeEffectAtOnce) {
  const sv1::Session session = NewSession();
  const sv1::JwtTemplate tmpl = NewTemplate("live");
  auto mint = [&](const std::string& name) {
    sv1::CreateSessionTokenFromTemplateRequest r;
    r.set_session_id(session.id());
    r.set_template_name(name);
    const std::string jwt =
        Admin(tokens_.get(), &TS::CreateSessionTokenFromTemplate, r).jwt();
    verify::v1::VerifyRequest v;
    v.set_token(jwt);
    v.set_family("template");
    return Admin(verifier_.get(),
                 &verify::v1::VerificationService::Stub::Verify, v)
        .claims();
  };
  EXPECT_TRUE(mint("live").fields().contains("uid"));  // Now cached.

  sv1::UpdateJwtTemplateRequest update;
  update.set_template_id(tmpl.id());
  update.set_name("live");
  *update.mutable_claims() = Json(R"({"who": "changed"})");
  Admin(templates_.get(), &JS::UpdateJwtTemplate, update);
  const Struct changed = mint("live");
  EXPECT_FALSE(changed.fields().contains("uid"));
  ASSERT_TRUE(changed.fields().contains("who"));
  EXPECT_EQ(changed.fields().at("who").string_value(), "changed");

  update.set_name("renamed");
  Admin(templates_.get(), &JS::UpdateJwtTemplate, update);
  const std::string gone = "No JWT template exists with name: live";
  Run({{"old name", TemplateToken(session.id(), "live"), kMissing, gone,
        kNotFound}});
  EXPECT_TRUE(mint("renamed").fields().contains("who"));  // Cached again.

  sv1::DeleteJwtTemplateRequest del;
  del.set_template_id(tmpl.id());
  Admin(templates_.get(), &JS::DeleteJwtTemplate, del);
  Run({{"deleted", TemplateToken(session.id(), "renamed"), kMissing,
        "No JWT template exists with name: renamed", kNotFound}});
}

}  // namespace
}  // namespace tokend
