// The declared per-method policy on the real binary (issue 18): every served
// method refuses a caller without one of its declared credentials before its
// handler runs, rate-limited calls carry google.rpc.RetryInfo, and parallel
// guesses cannot race past the address's lockout budget.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/iam/authorized_keys.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/served_services.h"
#include "tests/testing/http_get.h"
#include "tests/testing/iam_admin.h"
#include "tests/testing/tokend_process.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/api/v1/policy.pb.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"
#include "tokend/sessions/v1/services.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend {
namespace {

using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;

struct Reply {
  grpc::Status status;
  std::multimap<grpc::string_ref, grpc::string_ref> trailers;
  std::string retry_after;
};

// One unary call with an empty request message, as any client could send.
Reply Call(const std::shared_ptr<grpc::Channel>& channel,
           const std::string& method, const std::string& authorization) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  if (!authorization.empty()) {
    context.AddMetadata("authorization", authorization);
  }
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Slice empty("", 0);
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  Reply reply;
  reply.status = done.get_future().get();
  auto it = context.GetServerTrailingMetadata().find("retry-after");
  if (it != context.GetServerTrailingMetadata().end()) {
    reply.retry_after = std::string(it->second.data(), it->second.size());
  }
  return reply;
}

std::string CreateApiKey(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& admin_key,
                         const std::string& surface) {
  auto stub = admin::v1::ApiKeyService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + admin_key);
  admin::v1::CreateApiKeyRequest request;
  request.set_surface(surface);
  request.set_name("policy test");
  admin::v1::CreateApiKeyResponse response;
  grpc::Status status = stub->CreateApiKey(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.secret();
}

// A counter from GET /metrics; -1 when absent.
int64_t Counter(const TokendProcess& p, const std::string& name) {
  auto response = testing::HttpGet(p.http_address(), "/metrics");
  if (!response.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(response->body, '\n')) {
    if (absl::ConsumePrefix(&line, name + " ")) {
      int64_t value = 0;
      if (absl::SimpleAtoi(line, &value)) return value;
    }
  }
  return -1;
}

TEST(PolicyIntegrationTest, EveryMethodRefusesCallersWithoutItsCredential) {
  auto p = TokendProcess::Start(MakeTempDir("policy_cover"),
                                {"--lockout=off", "--rate_limits=all=off"});
  ASSERT_TRUE(p.ok()) << p.status();
  auto channel = grpc::CreateChannel(p->grpc_address(),
                                     grpc::InsecureChannelCredentials());
  const std::string admin = p->AdminKey();
  struct Presented {
    api::v1::Credential credential;
    std::string authorization;
  };
  const std::vector<Presented> presented = {
      {api::v1::CREDENTIAL_ADMIN_KEY, "Bearer " + admin},
      {api::v1::CREDENTIAL_SESSIONS_KEY,
       "Bearer " + CreateApiKey(channel, admin, "sessions")},
      {api::v1::CREDENTIAL_SCOPED_KEY,
       "Bearer " + CreateApiKey(channel, admin, "scoped")},
  };
  int methods = 0, guarded = 0;
  for (const auto* service : server::ServedServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const std::string name =
          absl::StrCat("/", service->full_name(), "/", method->name());
      const api::v1::MethodPolicy& policy =
          method->options().GetExtension(api::v1::policy);
      ++methods;
      if (policy.anyone()) {
        // Nothing asked: an empty request reaches the handler.
        EXPECT_NE(Call(channel, name, "").status.error_code(),
                  grpc::StatusCode::UNAUTHENTICATED)
            << name;
        continue;
      }
      ++guarded;
      EXPECT_EQ(Call(channel, name, "").status.error_code(),
                grpc::StatusCode::UNAUTHENTICATED)
          << name << " without a credential";
      EXPECT_EQ(Call(channel, name, "Bearer tk_wrong").status.error_code(),
                grpc::StatusCode::UNAUTHENTICATED)
          << name << " with a wrong one";
      for (const Presented& c : presented) {
        const bool accepted =
            std::find(policy.credentials().begin(), policy.credentials().end(),
                      c.credential) != policy.credentials().end();
        const grpc::StatusCode code =
            Call(channel, name, c.authorization).status.error_code();
        if (accepted) {
          EXPECT_NE(code, grpc::StatusCode::UNAUTHENTICATED)
              << name << " refused " << api::v1::Credential_Name(c.credential);
        } else {
          EXPECT_EQ(code, grpc::StatusCode::UNAUTHENTICATED)
              << name << " admitted " << api::v1::Credential_Name(c.credential);
        }
      }
    }
  }
  EXPECT_GE(methods, 40);
  EXPECT_GE(guarded, 30);
}

TEST(PolicyIntegrationTest, RateLimitedCallsSayWhenToRetry) {
  auto p = TokendProcess::Start(MakeTempDir("policy_rate"),
                                {"--rate_limits=iam=3/1m"});
  ASSERT_TRUE(p.ok()) << p.status();
  auto channel = grpc::CreateChannel(p->grpc_address(),
                                     grpc::InsecureChannelCredentials());
  const std::string create = "/yandex.cloud.iam.v1.IamTokenService/Create";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call(channel, create, "").status.error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  Reply limited = Call(channel, create, "");
  ASSERT_EQ(limited.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << limited.status.error_message();
  EXPECT_TRUE(absl::StrContains(limited.status.error_message(), "iam"));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(limited.status.error_details()));
  bool has_retry_info = false;
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo retry;
    if (!any.UnpackTo(&retry)) continue;
    has_retry_info = true;
    // One call per 20 s comes back.
    EXPECT_GE(retry.retry_delay().seconds(), 1);
    EXPECT_LE(retry.retry_delay().seconds(), 20);
  }
  EXPECT_TRUE(has_retry_info);
  int seconds = 0;
  EXPECT_TRUE(absl::SimpleAtoi(limited.retry_after, &seconds))
      << limited.retry_after;
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 20);
  // Another class is untouched.
  EXPECT_EQ(Call(channel, "/tokend.verify.v1.VerificationService/Verify", "")
                .status.error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Counter(*p, "tokend_rate_limited_total"), 1);
}

// The client address a front passes on cannot be forged by a client: the
// front drops it from what clients send, and gRPC's own listener
// (--grpc_front=false) does not believe it.
TEST(PolicyIntegrationTest, ClientsCannotNameTheirOwnAddress) {
  for (const char* front : {"--grpc_front=true", "--grpc_front=false"}) {
    auto p = TokendProcess::Start(MakeTempDir("policy_address"),
                                  {front, "--rate_limits=iam=2/1m"});
    ASSERT_TRUE(p.ok()) << p.status();
    auto channel = grpc::CreateChannel(p->grpc_address(),
                                       grpc::InsecureChannelCredentials());
    std::vector<grpc::StatusCode> codes;
    for (int i = 0; i < 3; ++i) {
      grpc::GenericStub stub(channel);
      grpc::ClientContext context;
      context.AddMetadata("x-tokend-client-address",
                          absl::StrCat("198.51.100.", i + 1));
      grpc::Slice empty("", 0);
      grpc::ByteBuffer request(&empty, 1), response;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, "/yandex.cloud.iam.v1.IamTokenService/Create",
                     grpc::StubOptions(), &request, &response,
                     [&](grpc::Status s) { done.set_value(std::move(s)); });
      codes.push_back(done.get_future().get().error_code());
    }
    EXPECT_EQ(codes[0], grpc::StatusCode::INVALID_ARGUMENT) << front;
    EXPECT_EQ(codes[1], grpc::StatusCode::INVALID_ARGUMENT) << front;
    EXPECT_EQ(codes[2], grpc::StatusCode::RESOURCE_EXHAUSTED) << front;
  }
}

// A token of one family is no credential of another: an IAM token is not
// a client token or a sessions key, and a client token, a Clerk session
// JWT or a Courier scoped token is not an IAM token.
// Issue 18 item 5: a token of one family is neither a credential where
// another is meant nor valid at Verify when another family is named.
TEST(PolicyIntegrationTest, TokenFamiliesCannotBeSwapped) {
  auto p = TokendProcess::Start(MakeTempDir("policy_families"),
                                {"--lockout=off", "--rate_limits=all=off"});
  ASSERT_TRUE(p.ok()) << p.status();
  auto channel = grpc::CreateChannel(p->grpc_address(),
                                     grpc::InsecureChannelCredentials());
  const std::string admin = p->AdminKey();
  auto with_admin = [&](grpc::ClientContext* c) {
    c->AddMetadata("authorization", "Bearer " + admin);
  };

  // An IAM token, exchanged for a service account's JWT.
  const auto account =
      testing::CreateServiceAccount(channel, admin, "families");
  auto key = iam::ParseKeyFile(testing::KeyFileOf(
      testing::CreateAuthorizedKey(channel, admin, account.id())));
  ASSERT_TRUE(key.ok()) << key.status();
  auto signer = jose::JwtSigner::Create(key->private_key);
  ASSERT_TRUE(signer.ok());
  const absl::Time now =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  auto raw = jose::RawJwtBuilder()
                 .SetIssuer(key->service_account_id)
                 .SetAudience("https://iam.api.cloud.yandex.net/iam/v1/tokens")
                 .SetIssuedAt(now)
                 .SetExpiration(now + absl::Hours(1))
                 .Build();
  ASSERT_TRUE(raw.ok());
  yandex::cloud::iam::v1::CreateIamTokenRequest exchange;
  exchange.set_jwt(*(*signer)->SignAndEncode(*raw));
  yandex::cloud::iam::v1::CreateIamTokenResponse iam;
  {
    grpc::ClientContext c;
    ASSERT_TRUE(yandex::cloud::iam::v1::IamTokenService::NewStub(channel)
                    ->Create(&c, exchange, &iam)
                    .ok());
  }
  // A user's session: its client token and a Clerk session JWT.
  namespace sv1 = ::tokend::sessions::v1;
  sv1::User user;
  {
    grpc::ClientContext c;
    with_admin(&c);
    ASSERT_TRUE(sv1::UserService::NewStub(channel)
                    ->CreateUser(&c, sv1::CreateUserRequest(), &user)
                    .ok());
  }
  sv1::Session session;
  {
    grpc::ClientContext c;
    with_admin(&c);
    sv1::CreateSessionRequest request;
    request.set_user_id(user.id());
    ASSERT_TRUE(sv1::SessionService::NewStub(channel)
                    ->CreateSession(&c, request, &session)
                    .ok());
  }
  sv1::Token session_jwt;
  {
    grpc::ClientContext c;
    with_admin(&c);
    sv1::CreateSessionTokenRequest request;
    request.set_session_id(session.id());
    ASSERT_TRUE(sv1::SessionTokenService::NewStub(channel)
                    ->CreateSessionToken(&c, request, &session_jwt)
                    .ok());
  }
  scoped::v1::IssueTokenResponse scoped;
  {
    grpc::ClientContext c;
    with_admin(&c);
    scoped::v1::IssueTokenRequest request;
    request.set_scope("user_id:u1");
    ASSERT_TRUE(scoped::v1::ScopedTokenService::NewStub(channel)
                    ->IssueToken(&c, request, &scoped)
                    .ok());
  }

  // A template token and a Hasura token of the same session.
  sv1::JwtTemplate tmpl;
  {
    grpc::ClientContext c;
    with_admin(&c);
    sv1::CreateJwtTemplateRequest request;
    request.set_name("families");
    (*request.mutable_claims()->mutable_fields())["role"].set_string_value(
        "reader");
    ASSERT_TRUE(sv1::JwtTemplateService::NewStub(channel)
                    ->CreateJwtTemplate(&c, request, &tmpl)
                    .ok());
  }
  sv1::Token template_jwt;
  {
    grpc::ClientContext c;
    with_admin(&c);
    sv1::CreateSessionTokenFromTemplateRequest request;
    request.set_session_id(session.id());
    request.set_template_name("families");
    ASSERT_TRUE(sv1::SessionTokenService::NewStub(channel)
                    ->CreateSessionTokenFromTemplate(&c, request, &template_jwt)
                    .ok());
  }
  sv1::Token hasura_jwt;
  {
    grpc::ClientContext c;
    c.AddMetadata("authorization", session.client_token());
    sv1::CreateServiceTokenRequest request;
    request.mutable_form()->set_service("hasura");
    request.set_session_id(session.id());
    const grpc::Status s =
        sv1::SessionTokenService::NewStub(channel)->CreateServiceToken(
            &c, request, &hasura_jwt);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  const std::string keys = "/yandex.cloud.iam.v1.KeyService/List";
  const std::string for_account =
      "/yandex.cloud.iam.v1.IamTokenService/CreateForServiceAccount";
  const std::string fapi =
      "/tokend.sessions.v1.SessionTokenService/CreateClientSessionToken";
  const std::string bapi = "/tokend.sessions.v1.UserService/GetUser";
  // Each where it belongs gets past the guard.
  EXPECT_EQ(
      Call(channel, keys, "Bearer " + iam.iam_token()).status.error_code(),
      grpc::StatusCode::OK);
  EXPECT_EQ(Call(channel, fapi, session.client_token()).status.error_code(),
            grpc::StatusCode::NOT_FOUND)  // admitted; no session named
      << "a client token at the Frontend API";
  // And nowhere else.
  struct Misuse {
    const char* what;
    std::string method;
    std::string authorization;
  };
  for (const Misuse& m : std::vector<Misuse>{
           {"an IAM token as a client token", fapi, iam.iam_token()},
           {"an IAM token as a sessions key", bapi,
            "Bearer " + iam.iam_token()},
           {"a client token as an IAM token", keys,
            "Bearer " + session.client_token()},
           {"a client token for a service account", for_account,
            "Bearer " + session.client_token()},
           {"a session JWT as an IAM token", keys,
            "Bearer " + session_jwt.jwt()},
           {"a session JWT for a service account", for_account,
            "Bearer " + session_jwt.jwt()},
           {"a scoped token as an IAM token", keys, "Bearer " + scoped.token()},
           {"a scoped token as a client token", fapi, scoped.token()},
       }) {
    EXPECT_EQ(Call(channel, m.method, m.authorization).status.error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << m.what;
  }

  // Verify: each token states its family, and passes only as it.
  auto verify = [&](const std::string& token, const std::string& family,
                    verify::v1::VerifyResponse* response) {
    grpc::ClientContext c;
    verify::v1::VerifyRequest request;
    request.set_token(token);
    request.set_family(family);
    return verify::v1::VerificationService::NewStub(channel)->Verify(
        &c, request, response);
  };
  const std::vector<std::pair<std::string, std::string>> tokens = {
      {"iam", iam.iam_token()},         {"session", session_jwt.jwt()},
      {"template", template_jwt.jwt()}, {"hasura", hasura_jwt.jwt()},
      {"scoped", scoped.token()},
  };
  for (const auto& [family, token] : tokens) {
    for (const auto& [asked, unused] : tokens) {
      verify::v1::VerifyResponse response;
      const grpc::Status s = verify(token, asked, &response);
      if (asked == family) {
        ASSERT_TRUE(s.ok()) << family << ": " << s.error_message();
        EXPECT_EQ(response.claims().fields().at("tkd_family").string_value(),
                  family);
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << "a " << family << " token verified as " << asked;
        EXPECT_EQ(s.error_message(),
                  absl::StrCat("token is not of the ", asked, " family"));
      }
    }
  }
  verify::v1::VerifyResponse response;
  EXPECT_EQ(verify(iam.iam_token(), "", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "neither an audience nor a family";
  EXPECT_EQ(verify(iam.iam_token(), "firebase", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "not a family of ours";
  // The session's template and Hasura tokens end with it, as its own does.
  {
    grpc::ClientContext c;
    with_admin(&c);
    sv1::RevokeSessionRequest request;
    request.set_session_id(session.id());
    sv1::Session revoked;
    ASSERT_TRUE(sv1::SessionService::NewStub(channel)
                    ->RevokeSession(&c, request, &revoked)
                    .ok());
  }
  for (const auto& [family, token] : tokens) {
    if (family == "iam" || family == "scoped") continue;
    const grpc::Status s = verify(token, family, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << family;
    EXPECT_EQ(s.error_message(), "session is not active") << family;
  }
}

// 16 threads guess the admin key at once from one address: exactly the
// budget of guesses is checked, the rest are refused unchecked, and then
// even the right key is refused with the reply a wrong one gets.
TEST(PolicyIntegrationTest, ParallelGuessesCannotRacePastTheLockout) {
  auto p = TokendProcess::Start(MakeTempDir("policy_lockout"),
                                {"--lockout=20/1h", "--log_requests=false"});
  ASSERT_TRUE(p.ok()) << p.status();
  const std::string list = "/tokend.keys.v1.KeyringService/ListSigningKeys";
  std::atomic<int> unauthenticated{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      // A channel each: parallel connections, as an attacker would open.
      grpc::ChannelArguments args;
      args.SetInt("tokend.test.channel", t);
      auto channel = grpc::CreateCustomChannel(
          p->grpc_address(), grpc::InsecureChannelCredentials(), args);
      for (int i = 0; i < 50; ++i) {
        const grpc::StatusCode code =
            Call(channel, list, absl::StrCat("Bearer tka_guess", t, "_", i))
                .status.error_code();
        (code == grpc::StatusCode::UNAUTHENTICATED ? unauthenticated : other)
            .fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unauthenticated.load(), 800);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(Counter(*p, "tokend_credential_failures_total"), 20);
  EXPECT_EQ(Counter(*p, "tokend_lockout_refusals_total"), 780);
  EXPECT_EQ(Counter(*p, "tokend_lockouts_total"), 1);

  auto channel = grpc::CreateChannel(p->grpc_address(),
                                     grpc::InsecureChannelCredentials());
  Reply right = Call(channel, list, "Bearer " + p->AdminKey());
  Reply wrong = Call(channel, list, "Bearer tka_wrong");
  EXPECT_EQ(right.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(right.status.error_message(), wrong.status.error_message());
  EXPECT_EQ(right.status.error_message(), "invalid admin credential");
}

}  // namespace
}  // namespace tokend
