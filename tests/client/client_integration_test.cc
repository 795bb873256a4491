// The client library (issue 7, DESIGN §6) against the real tokend binary:
// every source returns a token tokend accepts with the right expires_at,
// failures keep tokend's code and message, and TokenCallCredentials over a
// CachingTokenSource costs one IamTokenService/Create per token lifetime,
// counted by tokend's own /metrics.
//
// tokend listens in plaintext on loopback; calls that carry call
// credentials use grpc::experimental::LocalCredentials(LOCAL_TCP), which
// gRPC 1.51 trusts with them (InsecureChannelCredentials is refused: see
// call_credentials_test). One test runs its own tokend with TLS.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/caching_token_source.h"
#include "client/call_credentials.h"
#include "client/iam_key_file_source.h"
#include "client/iam_oauth_source.h"
#include "client/jwt_expiry.h"
#include "client/scoped_token_source.h"
#include "client/session_token_source.h"
#include "client/token_source.h"
#include "core/iam/authorized_keys.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/testing/iam_admin.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/tokend_process.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "tokend/sessions/v1/services.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"

namespace tokend::client {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;
namespace yiam = ::yandex::cloud::iam::v1;
namespace tiam = ::tokend::iam::v1;
namespace sv1 = ::tokend::sessions::v1;
namespace av1 = ::tokend::admin::v1;
namespace vv1 = ::tokend::verify::v1;

constexpr char kCreate[] = "/yandex.cloud.iam.v1.IamTokenService/Create";
constexpr char kCreateFor[] =
    "/yandex.cloud.iam.v1.IamTokenService/CreateForServiceAccount";

// GET `path` over plaintext HTTP/1.1; the body of a 200 response.
absl::StatusOr<std::string> HttpGet(const std::string& host_port,
                                    const std::string& path) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("bad address " + host_port);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) !=
      1) {
    return absl::InvalidArgumentError("not an IPv4 address: " + host_port);
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket");
  timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host_port,
                     "\r\nConnection: close\r\n\r\n");
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[16384];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) {
        response.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (!absl::StartsWith(response, "HTTP/1.1 200") ||
      body == std::string::npos) {
    return absl::UnavailableError("GET " + path + ": " +
                                  response.substr(0, 200));
  }
  return response.substr(body + 4);
}

// A TCP listener that completes handshakes (the kernel's backlog) and never
// reads or answers: calls to it end only by their deadline.
class SilentListener {
 public:
  static absl::StatusOr<SilentListener> Open() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return absl::InternalError("socket");
    SilentListener listener(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd, 16) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return absl::InternalError("bind/listen");
    }
    listener.address_ = absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
    return listener;
  }
  SilentListener(SilentListener&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)),
        address_(std::move(other.address_)) {}
  SilentListener& operator=(SilentListener&&) = delete;
  ~SilentListener() {
    if (fd_ >= 0) close(fd_);
  }
  const std::string& address() const { return address_; }

 private:
  explicit SilentListener(int fd) : fd_(fd) {}
  int fd_;
  std::string address_;
};

// Sum of tokend_requests_total for `method` over its status codes, or only
// `code` when given.
int64_t Requests(const std::string& metrics, const std::string& method,
                 const std::string& code = "") {
  const std::string prefix = absl::StrCat("tokend_requests_total{method=\"",
                                          method, "\",code=\"", code);
  int64_t total = 0;
  for (size_t at = metrics.find(prefix); at != std::string::npos;
       at = metrics.find(prefix, at + 1)) {
    if (at != 0 && metrics[at - 1] != '\n') continue;
    const size_t space = metrics.find(' ', at);
    const size_t end = metrics.find('\n', space);
    int64_t value = 0;
    if (space != std::string::npos &&
        absl::SimpleAtoi(metrics.substr(space + 1, end - space - 1), &value)) {
      total += value;
    }
  }
  return total;
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<TokendProcess> p = TokendProcess::Start(
        MakeTempDir("client_data"), {"--log_requests=false"});
    ASSERT_TRUE(p.ok()) << p.status();
    process_ = new TokendProcess(*std::move(p));
  }

  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(process_, nullptr);
    // Sources and admin calls: no call credentials, plaintext is fine.
    plain_ = grpc::CreateChannel(process_->grpc_address(),
                                 grpc::InsecureChannelCredentials());
    // Calls with TokenCallCredentials.
    secured_ =
        CreateTokenChannel(process_->grpc_address(),
                           grpc::experimental::LocalCredentials(LOCAL_TCP));
  }

  static void Admin(grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + process_->AdminKey());
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  }

  tiam::ServiceAccount CreateAccount(const std::string& name,
                                     std::vector<std::string> creators = {}) {
    return testing::CreateServiceAccount(plain_, process_->AdminKey(), name,
                                         creators);
  }

  // An authorized key of `account_id`, as the key file JSON.
  std::string CreateKeyFile(const std::string& account_id) {
    return testing::KeyFileOf(
        testing::CreateAuthorizedKey(plain_, process_->AdminKey(), account_id));
  }

  void DeleteKey(const std::string& key_file_json) {
    yiam::DeleteKeyRequest request;
    request.set_key_id(iam::ParseKeyFile(key_file_json)->id);
    yandex::cloud::operation::Operation operation;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = yiam::KeyService::NewStub(plain_)->Delete(
        &context, request, &operation);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  absl::StatusOr<vv1::VerifyResponse> Verify(const std::string& token,
                                             const std::string& family) {
    vv1::VerifyRequest request;
    request.set_token(token);
    request.set_family(family);
    vv1::VerifyResponse response;
    grpc::ClientContext context;
    grpc::Status status = vv1::VerificationService::NewStub(plain_)->Verify(
        &context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // A token tokend accepts, whose exp is `token.expires_at`; its claims.
  google::protobuf::Struct ExpectAccepted(const Token& token,
                                          const std::string& family) {
    absl::StatusOr<vv1::VerifyResponse> verified = Verify(token.value, family);
    EXPECT_TRUE(verified.ok()) << verified.status();
    if (!verified.ok()) return {};
    EXPECT_EQ(absl::FromUnixSeconds(verified->expires_at().seconds()),
              token.expires_at);
    return verified->claims();
  }

  sv1::Session NewSession() {
    auto users = sv1::UserService::NewStub(plain_);
    sv1::User user;
    {
      grpc::ClientContext context;
      Admin(&context);
      grpc::Status status =
          users->CreateUser(&context, sv1::CreateUserRequest(), &user);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    sv1::CreateSessionRequest request;
    request.set_user_id(user.id());
    sv1::Session session;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = sv1::SessionService::NewStub(plain_)->CreateSession(
        &context, request, &session);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return session;
  }

  void RevokeSession(const std::string& session_id) {
    sv1::RevokeSessionRequest request;
    request.set_session_id(session_id);
    sv1::Session session;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = sv1::SessionService::NewStub(plain_)->RevokeSession(
        &context, request, &session);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  void NewTemplate(const std::string& name, int lifetime) {
    sv1::CreateJwtTemplateRequest request;
    request.set_name(name);
    request.set_lifetime(lifetime);
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                    R"({"uid": "{{user.id}}", "aud": "svc-b"})",
                    request.mutable_claims())
                    .ok());
    sv1::JwtTemplate created;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status =
        sv1::JwtTemplateService::NewStub(plain_)->CreateJwtTemplate(
            &context, request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  av1::CreateApiKeyResponse NewApiKey(const std::string& surface) {
    av1::CreateApiKeyRequest request;
    request.set_surface(surface);
    request.set_name("client-integration");
    av1::CreateApiKeyResponse created;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = av1::ApiKeyService::NewStub(plain_)->CreateApiKey(
        &context, request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  std::string Metrics() {
    absl::StatusOr<std::string> text =
        HttpGet(process_->http_address(), "/metrics");
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }

  // CreateForServiceAccount(`account_id`) with `credentials` on `channel`.
  static grpc::Status CreateFor(
      const std::shared_ptr<grpc::Channel>& channel,
      const std::shared_ptr<grpc::CallCredentials>& credentials,
      const std::string& account_id,
      yiam::CreateIamTokenResponse* response = nullptr) {
    yiam::CreateIamTokenForServiceAccountRequest request;
    request.set_service_account_id(account_id);
    yiam::CreateIamTokenResponse ignored;
    grpc::ClientContext context;
    context.set_credentials(credentials);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    return yiam::IamTokenService::NewStub(channel)->CreateForServiceAccount(
        &context, request, response != nullptr ? response : &ignored);
  }

  static TokendProcess* process_;
  std::shared_ptr<grpc::Channel> plain_;
  std::shared_ptr<grpc::Channel> secured_;
};

TokendProcess* ClientIntegrationTest::process_ = nullptr;

TEST_F(ClientIntegrationTest, IamKeyFileSourceGetsAnAcceptedToken) {
  const tiam::ServiceAccount account = CreateAccount("client-key-file");
  const std::string key_file = CreateKeyFile(account.id());
  const std::string path = MakeTempDir("client_key") + "/key.json";
  ASSERT_TRUE(testing::WriteTestFile(path, key_file).ok());
  absl::StatusOr<std::unique_ptr<IamKeyFileSource>> source =
      IamKeyFileSource::FromFile(path, plain_);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->service_account_id(), account.id());

  const absl::Time before =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  absl::StatusOr<Token> token = (*source)->GetToken({});
  ASSERT_TRUE(token.ok()) << token.status();
  const auto claims = ExpectAccepted(*token, "iam").fields();
  EXPECT_EQ(claims.at("sub").string_value(), account.id());
  EXPECT_EQ(claims.at("kind").string_value(), "service_account");
  EXPECT_GT(token->expires_at, before + absl::Minutes(30));
  EXPECT_LE(token->expires_at, absl::Now() + absl::Hours(24));

  // Each call signs a new JWT and gets a new token.
  absl::StatusOr<Token> again = (*source)->GetToken({.skip_cache = true});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->value, token->value);

  // The audience tokend derives from its issuer is accepted too.
  IamKeyFileSourceOptions options;
  options.audience =
      absl::StrCat("http://", process_->http_address(), "/iam/v1/tokens");
  auto issuer_aud = IamKeyFileSource::FromJson(key_file, plain_, options);
  ASSERT_TRUE(issuer_aud.ok()) << issuer_aud.status();
  absl::StatusOr<Token> issuer_token = (*issuer_aud)->GetToken({});
  ASSERT_TRUE(issuer_token.ok()) << issuer_token.status();
}

TEST_F(ClientIntegrationTest, IamKeyFileSourceErrors) {
  const std::string dir = MakeTempDir("client_bad_keys");
  auto missing = IamKeyFileSource::FromFile(dir + "/nope.json", plain_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("cannot open"));

  ASSERT_TRUE(testing::WriteTestFile(dir + "/bad.json", "{not json").ok());
  auto bad = IamKeyFileSource::FromFile(dir + "/bad.json", plain_);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            dir + "/bad.json: key file is not a JSON object");

  auto no_key = IamKeyFileSource::FromJson(R"({"id":"a","service_account_id":
      "b"})",
                                           plain_);
  EXPECT_EQ(no_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(no_key.status().message(), "key file: no private_key");

  const tiam::ServiceAccount account = CreateAccount("client-key-errors");
  const std::string key_file = CreateKeyFile(account.id());

  IamKeyFileSourceOptions elsewhere;
  elsewhere.audience = "https://elsewhere.example/iam/v1/tokens";
  auto wrong_aud = IamKeyFileSource::FromJson(key_file, plain_, elsewhere);
  ASSERT_TRUE(wrong_aud.ok()) << wrong_aud.status();
  EXPECT_EQ((*wrong_aud)->GetToken({}).status(),
            absl::UnauthenticatedError(
                "JWT audience (aud) is not accepted by this service"));

  // The deadline reaches the call: a server that accepts connections and
  // never answers (a 1 ns deadline against tokend raced its reply and lost
  // now and then).
  absl::StatusOr<SilentListener> silent = SilentListener::Open();
  ASSERT_TRUE(silent.ok()) << silent.status();
  IamKeyFileSourceOptions hurried;
  hurried.rpc.deadline = absl::Milliseconds(300);
  auto too_slow = IamKeyFileSource::FromJson(
      key_file,
      grpc::CreateChannel(silent->address(),
                          grpc::InsecureChannelCredentials()),
      hurried);
  ASSERT_TRUE(too_slow.ok()) << too_slow.status();
  const absl::Time start = absl::Now();
  EXPECT_EQ((*too_slow)->GetToken({}).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // Its own 300 ms, not the 10 s default (a correctness bound, not a timing).
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  auto source = IamKeyFileSource::FromJson(key_file, plain_);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->GetToken({.key = "template"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*source)->GetToken({}).ok());
  DeleteKey(key_file);
  EXPECT_EQ((*source)->GetToken({}).status(),
            absl::UnauthenticatedError(absl::StrCat(
                "authorized key '", iam::ParseKeyFile(key_file)->id,
                "' has been deleted")));
}

TEST_F(ClientIntegrationTest, IamOAuthSource) {
  tiam::CreateOAuthTokenRequest request;
  request.set_account_id("ajeclientoauth000001");
  tiam::CreateOAuthTokenResponse oauth;
  {
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = tiam::OAuthTokenService::NewStub(plain_)->Create(
        &context, request, &oauth);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  IamOAuthSource source(plain_, oauth.token());
  absl::StatusOr<Token> token = source.GetToken({});
  ASSERT_TRUE(token.ok()) << token.status();
  const auto claims = ExpectAccepted(*token, "iam").fields();
  EXPECT_EQ(claims.at("sub").string_value(), "ajeclientoauth000001");
  EXPECT_EQ(claims.at("kind").string_value(), "user_account");
  EXPECT_EQ(source.GetToken({.key = "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);

  {
    tiam::RevokeOAuthTokenRequest revoke;
    revoke.set_oauth_token_id(oauth.oauth_token().id());
    tiam::OAuthToken revoked;
    grpc::ClientContext context;
    Admin(&context);
    ASSERT_TRUE(tiam::OAuthTokenService::NewStub(plain_)
                    ->Revoke(&context, revoke, &revoked)
                    .ok());
  }
  absl::StatusOr<Token> after = source.GetToken({});
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(after.status().message(), HasSubstr("revoked"));
}

// A token minted between `before` and `after` lives `lifetime` from its iat,
// which is in whole seconds.
void ExpectLifetime(const Token& token, absl::Time before, absl::Time after,
                    absl::Duration lifetime) {
  EXPECT_GE(token.expires_at,
            absl::FromUnixSeconds(absl::ToUnixSeconds(before)) + lifetime);
  EXPECT_LE(token.expires_at, after + lifetime);
}

TEST_F(ClientIntegrationTest, SessionTokenSource) {
  const sv1::Session session = NewSession();
  NewTemplate("client_svc_b", 600);
  SessionTokenSource source(plain_, session.id(), session.client_token());

  absl::Time before = absl::Now();
  absl::StatusOr<Token> token = source.GetToken({});
  ASSERT_TRUE(token.ok()) << token.status();
  ExpectLifetime(*token, before, absl::Now(), absl::Seconds(60));  // Default.
  auto claims = ExpectAccepted(*token, "session").fields();
  EXPECT_EQ(claims.at("sid").string_value(), session.id());
  EXPECT_EQ(claims.at("sub").string_value(), session.user_id());

  before = absl::Now();
  absl::StatusOr<Token> templated = source.GetToken({.key = "client_svc_b"});
  ASSERT_TRUE(templated.ok()) << templated.status();
  ExpectLifetime(*templated, before, absl::Now(), absl::Seconds(600));
  EXPECT_EQ(*ExpiryOfJwt(templated->value), templated->expires_at);

  absl::StatusOr<Token> unknown = source.GetToken({.key = "no_such"});
  EXPECT_EQ(unknown.status(),
            absl::NotFoundError("No JWT template exists with name: no_such"));

  SessionTokenSource wrong(plain_, session.id(), "client_bogus");
  EXPECT_EQ(wrong.GetToken({}).status().code(),
            absl::StatusCode::kUnauthenticated);

  RevokeSession(session.id());
  const absl::Status gone =
      absl::NotFoundError("No session was found with id " + session.id());
  EXPECT_EQ(source.GetToken({}).status(), gone);
  EXPECT_EQ(source.GetToken({.key = "client_svc_b"}).status(), gone);
}

TEST_F(ClientIntegrationTest, ScopedTokenSource) {
  const av1::CreateApiKeyResponse key = NewApiKey("scoped");
  ASSERT_THAT(key.secret(), StartsWith("sck_"));
  ScopedTokenSource source(plain_, key.secret(),
                           "user_id:client-u1 inbox:read:messages", "2 hours");
  const absl::Time before = absl::Now();
  absl::StatusOr<Token> token = source.GetToken({});
  ASSERT_TRUE(token.ok()) << token.status();
  ExpectLifetime(*token, before, absl::Now(), absl::Hours(2));
  const auto claims = ExpectAccepted(*token, "scoped").fields();
  EXPECT_EQ(claims.at("sub").string_value(), "client-u1");
  EXPECT_EQ(claims.at("scope").string_value(),
            "user_id:client-u1 inbox:read:messages");
  EXPECT_EQ(source.GetToken({.key = "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);

  ScopedTokenSource bad_scope(plain_, key.secret(), "read:messages", "2 hours");
  EXPECT_EQ(bad_scope.GetToken({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  ScopedTokenSource wrong_key(plain_, "sck_bogus", "user_id:u", "1h");
  EXPECT_EQ(wrong_key.GetToken({}).status().code(),
            absl::StatusCode::kUnauthenticated);
}

// Issue 7's acceptance check: 50 calls (10 threads at once) with
// TokenCallCredentials over a cached key-file source cost exactly one
// IamTokenService/Create, as tokend's own /metrics counts it.
TEST_F(ClientIntegrationTest, OneCreatePerTokenLifetimeNotPerCall) {
  const tiam::ServiceAccount caller = CreateAccount("client-caller");
  const tiam::ServiceAccount target =
      CreateAccount("client-target", {caller.id()});
  auto key_source =
      IamKeyFileSource::FromJson(CreateKeyFile(caller.id()), plain_);
  ASSERT_TRUE(key_source.ok()) << key_source.status();
  auto cached = std::make_shared<CachingTokenSource>(
      std::shared_ptr<TokenSource>(*std::move(key_source)));
  const auto credentials = TokenCallCredentials(cached);

  const std::string before = Metrics();
  constexpr int kThreads = 10;
  constexpr int kCallsEach = 5;
  std::vector<grpc::Status> statuses(kThreads * kCallsEach);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        statuses[t * kCallsEach + i] =
            CreateFor(secured_, credentials, target.id());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const grpc::Status& status : statuses) {
    EXPECT_TRUE(status.ok())
        << status.error_code() << " " << status.error_message();
  }
  const std::string after = Metrics();

  EXPECT_EQ(
      Requests(after, kCreateFor, "OK") - Requests(before, kCreateFor, "OK"),
      kThreads * kCallsEach);
  EXPECT_EQ(Requests(after, kCreate) - Requests(before, kCreate), 1)
      << "IamTokenService/Create calls, all codes";

  // The token made for the target is the target's.
  yiam::CreateIamTokenResponse made;
  ASSERT_TRUE(CreateFor(secured_, credentials, target.id(), &made).ok());
  absl::StatusOr<vv1::VerifyResponse> verified =
      Verify(made.iam_token(), "iam");
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->claims().fields().at("sub").string_value(), target.id());
  EXPECT_EQ(Requests(Metrics(), kCreate) - Requests(before, kCreate), 1);
}

TEST_F(ClientIntegrationTest, FailingSourceFailsTheCallUnauthenticated) {
  const tiam::ServiceAccount caller = CreateAccount("client-doomed-caller");
  const tiam::ServiceAccount target =
      CreateAccount("client-doomed-target", {caller.id()});
  const std::string key_file = CreateKeyFile(caller.id());
  auto source = IamKeyFileSource::FromJson(key_file, plain_);
  ASSERT_TRUE(source.ok()) << source.status();
  const auto credentials = TokenCallCredentials(std::move(*source));
  ASSERT_TRUE(CreateFor(secured_, credentials, target.id()).ok());

  DeleteKey(key_file);
  const std::string before = Metrics();
  const grpc::Status status = CreateFor(secured_, credentials, target.id());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      status.error_message(),
      absl::StrCat("tokend token source: UNAUTHENTICATED: authorized "
                   "key '",
                   iam::ParseKeyFile(key_file)->id, "' has been deleted"));
  // The call itself was never sent.
  EXPECT_EQ(Requests(Metrics(), kCreateFor) - Requests(before, kCreateFor), 0);

  // A session source whose session was revoked: tokend's NOT_FOUND is the
  // cause.
  const sv1::Session session = NewSession();
  const auto session_credentials =
      TokenCallCredentials(std::make_shared<SessionTokenSource>(
          plain_, session.id(), session.client_token()));
  RevokeSession(session.id());
  vv1::VerifyRequest request;
  request.set_token("x");
  vv1::VerifyResponse response;
  grpc::ClientContext context;
  context.set_credentials(session_credentials);
  const grpc::Status verify_status =
      vv1::VerificationService::NewStub(secured_)->Verify(&context, request,
                                                          &response);
  EXPECT_EQ(verify_status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(verify_status.error_message(),
            "tokend token source: NOT_FOUND: No session was found with id " +
                session.id());
}

// The production shape: tokend with TLS, sources and calls over TLS.
TEST(ClientTlsIntegrationTest, CallCredentialsOverTls) {
  const std::string dir = MakeTempDir("client_pki");
  absl::StatusOr<testing::TestCa> ca = testing::TestCa::Create("client CA");
  ASSERT_TRUE(ca.ok()) << ca.status();
  testing::CertRequest cert;
  cert.common_name = "tokend";
  cert.ips = {"127.0.0.1"};
  cert.server = true;
  absl::StatusOr<testing::CertAndKey> server = ca->Issue(cert);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(
      testing::WriteTestFile(dir + "/server.pem", server->cert_pem).ok());
  ASSERT_TRUE(
      testing::WriteTestFile(dir + "/server.key", server->key_pem).ok());
  absl::StatusOr<TokendProcess> process = TokendProcess::Start(
      MakeTempDir("client_tls_data"),
      {"--tls_cert=" + dir + "/server.pem", "--tls_key=" + dir + "/server.key",
       "--log_requests=false"});
  ASSERT_TRUE(process.ok()) << process.status();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca->cert_pem();
  const auto channel =
      CreateTokenChannel(process->grpc_address(), grpc::SslCredentials(ssl));
  const tiam::ServiceAccount caller =
      testing::CreateServiceAccount(channel, process->AdminKey(), "tls-caller");
  ASSERT_FALSE(caller.id().empty());
  const tiam::ServiceAccount target = testing::CreateServiceAccount(
      channel, process->AdminKey(), "tls-target", {caller.id()});
  ASSERT_FALSE(target.id().empty());
  const yiam::CreateKeyResponse key =
      testing::CreateAuthorizedKey(channel, process->AdminKey(), caller.id());
  ASSERT_FALSE(key.key().id().empty());
  auto source = IamKeyFileSource::FromJson(testing::KeyFileOf(key), channel);
  ASSERT_TRUE(source.ok()) << source.status();
  const auto credentials =
      TokenCallCredentials(std::make_shared<CachingTokenSource>(
          std::shared_ptr<TokenSource>(*std::move(source))));

  yiam::CreateIamTokenForServiceAccountRequest request;
  request.set_service_account_id(target.id());
  for (int i = 0; i < 3; ++i) {
    yiam::CreateIamTokenResponse response;
    grpc::ClientContext context;
    context.set_credentials(credentials);
    const grpc::Status status =
        yiam::IamTokenService::NewStub(channel)->CreateForServiceAccount(
            &context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_FALSE(response.iam_token().empty());
  }
}

}  // namespace
}  // namespace tokend::client
