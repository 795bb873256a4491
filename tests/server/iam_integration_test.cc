// IAM token exchange (issue 3, DESIGN §2.1) on the real tokend binary over
// TLS with a throwaway CA: service accounts and authorized keys through the
// admin services, a service-account JWT signed here from the key file,
// Create / CreateForServiceAccount / Revoke, the OAuth path, and end-to-end
// failures with their codes and messages.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/jose/base64url.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "core/store/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/tokend_process.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"

namespace tokend {
namespace {

using ::testing::HasSubstr;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TestCa;
using ::tokend::testing::TokendProcess;
namespace yiam = ::yandex::cloud::iam::v1;
namespace tiam = ::tokend::iam::v1;

class IamIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dir = MakeTempDir("iam_pki");
    absl::StatusOr<TestCa> ca = TestCa::Create("tokend IAM test CA");
    ASSERT_TRUE(ca.ok()) << ca.status();
    testing::CertRequest request;
    request.common_name = "tokend";
    request.dns = {"localhost"};
    request.ips = {"127.0.0.1"};
    request.server = true;
    absl::StatusOr<testing::CertAndKey> server = ca->Issue(request);
    ASSERT_TRUE(server.ok()) << server.status();
    ca_pem_ = new std::string(ca->cert_pem());
    const std::string cert_file = dir + "/server.pem";
    const std::string key_file = dir + "/server.key";
    ASSERT_TRUE(testing::WriteTestFile(cert_file, server->cert_pem).ok());
    ASSERT_TRUE(testing::WriteTestFile(key_file, server->key_pem).ok());
    absl::StatusOr<TokendProcess> p =
        TokendProcess::Start(MakeTempDir("iam_data"),
                             {"--tls_cert=" + cert_file,
                              "--tls_key=" + key_file, "--log_requests=false"});
    ASSERT_TRUE(p.ok()) << p.status();
    process_ = new TokendProcess(*std::move(p));
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca_pem_;
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        process_->grpc_address(), grpc::SslCredentials(ssl)));
  }

  static void TearDownTestSuite() {
    delete channel_;
    delete process_;
    delete ca_pem_;
    channel_ = nullptr;
    process_ = nullptr;
    ca_pem_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(process_, nullptr);
    tokens_ = yiam::IamTokenService::NewStub(*channel_);
    keys_ = yiam::KeyService::NewStub(*channel_);
    accounts_ = tiam::ServiceAccountService::NewStub(*channel_);
    oauth_ = tiam::OAuthTokenService::NewStub(*channel_);
    verifier_ = verify::v1::VerificationService::NewStub(*channel_);
  }

  static void Admin(grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + process_->AdminKey());
  }

  tiam::ServiceAccount CreateAccount(const std::string& name,
                                     std::vector<std::string> creators = {}) {
    tiam::CreateServiceAccountRequest request;
    request.set_name(name);
    for (auto& c : creators) request.add_token_creators(c);
    tiam::ServiceAccount account;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = accounts_->Create(&context, request, &account);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return account;
  }

  // Creates an authorized key and returns the key file JSON.
  std::string CreateKeyFile(const std::string& account_id) {
    yiam::CreateKeyRequest request;
    request.set_service_account_id(account_id);
    yiam::CreateKeyResponse response;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = keys_->Create(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(response.private_key(),
                HasSubstr("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA "
                          "Key ID " +
                          response.key().id()));
    store::AuthorizedKeyRecord record;
    record.id = response.key().id();
    record.service_account_id = response.key().service_account_id();
    record.key_algorithm = "RSA_2048";
    record.public_key_pem = response.key().public_key();
    record.created_at =
        absl::FromUnixSeconds(response.key().created_at().seconds());
    return iam::KeyFileJson(record, response.private_key());
  }

  struct Claims {
    std::string iss;  // Empty: the key file's service account.
    std::string aud = iam::kYandexIamAudience;
    absl::Duration lifetime = absl::Hours(1);
  };

  static std::string SignSaJwt(const std::string& key_file_json) {
    return SignSaJwt(key_file_json, Claims());
  }

  static std::string SignSaJwt(const std::string& key_file_json,
                               const Claims& claims) {
    absl::StatusOr<iam::AuthorizedKeyFile> key =
        iam::ParseKeyFile(key_file_json);
    EXPECT_TRUE(key.ok()) << key.status();
    if (!key.ok()) return "";
    auto signer = jose::JwtSigner::Create(key->private_key);
    EXPECT_TRUE(signer.ok()) << signer.status();
    const absl::Time now =
        absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    absl::StatusOr<jose::RawJwt> raw =
        jose::RawJwtBuilder()
            .SetTypeHeader("JWT")
            .SetIssuer(claims.iss.empty() ? key->service_account_id
                                          : claims.iss)
            .SetAudience(claims.aud)
            .SetIssuedAt(now)
            .SetExpiration(now + claims.lifetime)
            .Build();
    EXPECT_TRUE(raw.ok()) << raw.status();
    auto jwt = (*signer)->SignAndEncode(*raw);
    EXPECT_TRUE(jwt.ok()) << jwt.status();
    return jwt.ok() ? *jwt : "";
  }

  // header.payload of a signed token with the header replaced; the old
  // signature is kept (the header rules are checked before the signature).
  static std::string WithHeader(const std::string& jwt,
                                const std::string& header_json) {
    std::vector<std::string> parts = absl::StrSplit(jwt, '.');
    return absl::StrCat(jose::Base64UrlEncode(header_json), ".", parts[1], ".",
                        parts[2]);
  }

  static std::string KeyIdOf(const std::string& key_file_json) {
    auto key = iam::ParseKeyFile(key_file_json);
    return key.ok() ? key->id : "";
  }

  grpc::Status CreateWithJwt(const std::string& jwt,
                             yiam::CreateIamTokenResponse* response) {
    yiam::CreateIamTokenRequest request;
    request.set_jwt(jwt);
    grpc::ClientContext context;
    return tokens_->Create(&context, request, response);
  }

  grpc::Status CreateWithOAuth(const std::string& oauth,
                               yiam::CreateIamTokenResponse* response) {
    yiam::CreateIamTokenRequest request;
    request.set_yandex_passport_oauth_token(oauth);
    grpc::ClientContext context;
    return tokens_->Create(&context, request, response);
  }

  grpc::Status Verify(const std::string& token,
                      verify::v1::VerifyResponse* response) {
    verify::v1::VerifyRequest request;
    request.set_token(token);
    grpc::ClientContext context;
    return verifier_->Verify(&context, request, response);
  }

  grpc::Status Revoke(const std::string& token,
                      yiam::RevokeIamTokenResponse* response) {
    yiam::RevokeIamTokenRequest request;
    request.set_iam_token(token);
    grpc::ClientContext context;
    return tokens_->Revoke(&context, request, response);
  }

  grpc::Status CreateForServiceAccount(const std::string& caller_token,
                                       const std::string& account_id,
                                       yiam::CreateIamTokenResponse* response) {
    yiam::CreateIamTokenForServiceAccountRequest request;
    request.set_service_account_id(account_id);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + caller_token);
    return tokens_->CreateForServiceAccount(&context, request, response);
  }

  static TokendProcess* process_;
  static std::string* ca_pem_;
  static std::shared_ptr<grpc::Channel>* channel_;

  std::unique_ptr<yiam::IamTokenService::Stub> tokens_;
  std::unique_ptr<yiam::KeyService::Stub> keys_;
  std::unique_ptr<tiam::ServiceAccountService::Stub> accounts_;
  std::unique_ptr<tiam::OAuthTokenService::Stub> oauth_;
  std::unique_ptr<verify::v1::VerificationService::Stub> verifier_;
};

TokendProcess* IamIntegrationTest::process_ = nullptr;
std::string* IamIntegrationTest::ca_pem_ = nullptr;
std::shared_ptr<grpc::Channel>* IamIntegrationTest::channel_ = nullptr;

TEST_F(IamIntegrationTest, JwtExchangeVerifiesAndRevokes) {
  tiam::ServiceAccount account = CreateAccount("robot-one");
  ASSERT_FALSE(account.id().empty());
  const std::string key_file = CreateKeyFile(account.id());

  yiam::CreateIamTokenResponse created;
  grpc::Status status = CreateWithJwt(SignSaJwt(key_file), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(created.iam_token().empty());

  verify::v1::VerifyResponse verified;
  status = Verify(created.iam_token(), &verified);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto& claims = verified.claims().fields();
  EXPECT_EQ(claims.at("sub").string_value(), account.id());
  EXPECT_EQ(claims.at("kind").string_value(), "service_account");
  EXPECT_EQ(static_cast<int64_t>(claims.at("exp").number_value()),
            created.expires_at().seconds());
  EXPECT_EQ(created.expires_at().nanos(), 0);

  yiam::RevokeIamTokenResponse revoked;
  status = Revoke(created.iam_token(), &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revoked.subject_id(), account.id());

  status = Verify(created.iam_token(), &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("revoked"));

  // Revoking twice is not an error.
  status = Revoke(created.iam_token(), &revoked);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revoked.subject_id(), account.id());
}

TEST_F(IamIntegrationTest, CreateForServiceAccountNeedsTokenCreator) {
  tiam::ServiceAccount caller = CreateAccount("caller-sa");
  const std::string caller_key = CreateKeyFile(caller.id());
  yiam::CreateIamTokenResponse caller_token;
  ASSERT_TRUE(CreateWithJwt(SignSaJwt(caller_key), &caller_token).ok());

  tiam::ServiceAccount allowed = CreateAccount("allowed-sa", {caller.id()});
  tiam::ServiceAccount other = CreateAccount("other-sa");

  yiam::CreateIamTokenResponse response;
  grpc::Status status = CreateForServiceAccount(caller_token.iam_token(),
                                                allowed.id(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  verify::v1::VerifyResponse verified;
  ASSERT_TRUE(Verify(response.iam_token(), &verified).ok());
  EXPECT_EQ(verified.claims().fields().at("sub").string_value(), allowed.id());

  status =
      CreateForServiceAccount(caller_token.iam_token(), other.id(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << status.error_message();

  // Once the creators are set, the other account works too.
  {
    tiam::SetTokenCreatorsRequest request;
    request.set_service_account_id(other.id());
    request.add_token_creators(caller.id());
    tiam::ServiceAccount updated;
    grpc::ClientContext context;
    Admin(&context);
    ASSERT_TRUE(accounts_->SetTokenCreators(&context, request, &updated).ok());
    EXPECT_THAT(updated.token_creators(), ::testing::ElementsAre(caller.id()));
  }
  status =
      CreateForServiceAccount(caller_token.iam_token(), other.id(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();

  // A bad caller token is UNAUTHENTICATED, not PERMISSION_DENIED.
  status = CreateForServiceAccount("not-a-token", allowed.id(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // A revoked caller token is rejected.
  yiam::RevokeIamTokenResponse revoked;
  ASSERT_TRUE(Revoke(caller_token.iam_token(), &revoked).ok());
  status = CreateForServiceAccount(caller_token.iam_token(), allowed.id(),
                                   &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IamIntegrationTest, OAuthTokenExchangeAndRevoke) {
  tiam::CreateOAuthTokenRequest request;
  request.set_account_id("ajeuser0000000000001");
  tiam::CreateOAuthTokenResponse oauth;
  {
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = oauth_->Create(&context, request, &oauth);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_FALSE(oauth.token().empty());
  EXPECT_EQ(oauth.oauth_token().account_id(), "ajeuser0000000000001");

  yiam::CreateIamTokenResponse created;
  grpc::Status status = CreateWithOAuth(oauth.token(), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  verify::v1::VerifyResponse verified;
  ASSERT_TRUE(Verify(created.iam_token(), &verified).ok());
  EXPECT_EQ(verified.claims().fields().at("sub").string_value(),
            "ajeuser0000000000001");
  EXPECT_EQ(verified.claims().fields().at("kind").string_value(),
            "user_account");

  {
    tiam::RevokeOAuthTokenRequest revoke;
    revoke.set_oauth_token_id(oauth.oauth_token().id());
    tiam::OAuthToken revoked;
    grpc::ClientContext context;
    Admin(&context);
    status = oauth_->Revoke(&context, revoke, &revoked);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  status = CreateWithOAuth(oauth.token(), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("revoked"));
}

TEST_F(IamIntegrationTest, RequestShapeIsValidated) {
  yiam::CreateIamTokenResponse response;
  {
    yiam::CreateIamTokenRequest request;
    grpc::ClientContext context;
    grpc::Status status = tokens_->Create(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                HasSubstr("identity: One of the options must be selected"));
  }
  grpc::Status status = CreateWithJwt(std::string(8001, 'a'), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("jwt"));

  // Admin services: the admin key is required.
  tiam::CreateServiceAccountRequest request;
  request.set_name("no-admin");
  tiam::ServiceAccount account;
  grpc::ClientContext context;
  status = accounts_->Create(&context, request, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IamIntegrationTest, JwtRulesEndToEnd) {
  tiam::ServiceAccount account = CreateAccount("robot-rules");
  const std::string key_file = CreateKeyFile(account.id());
  const std::string kid = KeyIdOf(key_file);
  const std::string jwt = SignSaJwt(key_file);
  yiam::CreateIamTokenResponse response;

  grpc::Status status = CreateWithJwt(
      WithHeader(jwt, R"({"alg":"PS256","typ":"JWT"})"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(),
            "The required field 'kid' is missing from the JWT header");

  for (const char* alg : {"RS256", "ES256", "HS256", "none"}) {
    status = CreateWithJwt(
        WithHeader(jwt, absl::StrCat(R"({"alg":")", alg, R"(","kid":")", kid,
                                     R"("})")),
        &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << alg;
    EXPECT_THAT(status.error_message(), HasSubstr("only PS256")) << alg;
  }

  Claims too_long;
  too_long.lifetime = absl::Hours(2);
  status = CreateWithJwt(SignSaJwt(key_file, too_long), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("3600"));

  Claims wrong_audience;
  wrong_audience.aud = "https://example.com/iam/v1/tokens";
  status = CreateWithJwt(SignSaJwt(key_file, wrong_audience), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("audience"));

  // The key must belong to the account named by iss.
  tiam::ServiceAccount stranger = CreateAccount("robot-stranger");
  Claims other_account;
  other_account.iss = stranger.id();
  status = CreateWithJwt(SignSaJwt(key_file, other_account), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("does not belong"));

  status = CreateWithJwt(
      WithHeader(jwt, R"({"alg":"PS256","kid":"ajeunknown0000000000"})"),
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("not an authorized key"));

  // A tampered payload fails the signature.
  {
    std::vector<std::string> parts = absl::StrSplit(jwt, '.');
    std::string payload = *jose::Base64UrlDecode(parts[1]);
    payload.insert(1, R"("x":1,)");
    status = CreateWithJwt(
        absl::StrCat(parts[0], ".", jose::Base64UrlEncode(payload), ".",
                     parts[2]),
        &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(status.error_message(), HasSubstr("signature"));
  }

  // A deleted key stops working at once.
  ASSERT_TRUE(CreateWithJwt(jwt, &response).ok());
  {
    yiam::DeleteKeyRequest request;
    request.set_key_id(kid);
    yandex::cloud::operation::Operation operation;
    grpc::ClientContext context;
    Admin(&context);
    status = keys_->Delete(&context, request, &operation);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(operation.done());
    yiam::DeleteKeyMetadata metadata;
    ASSERT_TRUE(operation.metadata().UnpackTo(&metadata));
    EXPECT_EQ(metadata.key_id(), kid);
  }
  status = CreateWithJwt(jwt, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("deleted"));
  {
    yiam::GetKeyRequest request;
    request.set_key_id(kid);
    yiam::Key key;
    grpc::ClientContext context;
    Admin(&context);
    EXPECT_EQ(keys_->Get(&context, request, &key).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  // A deleted account stops working too.
  const std::string second_key = CreateKeyFile(account.id());
  ASSERT_TRUE(CreateWithJwt(SignSaJwt(second_key), &response).ok());
  {
    yiam::ListKeysRequest request;
    request.set_service_account_id(account.id());
    yiam::ListKeysResponse list;
    grpc::ClientContext context;
    Admin(&context);
    ASSERT_TRUE(keys_->List(&context, request, &list).ok());
    ASSERT_EQ(list.keys_size(), 1);
    EXPECT_EQ(list.keys(0).id(), KeyIdOf(second_key));
  }
  {
    tiam::DeleteServiceAccountRequest request;
    request.set_service_account_id(account.id());
    google::protobuf::Empty empty;
    grpc::ClientContext context;
    Admin(&context);
    ASSERT_TRUE(accounts_->Delete(&context, request, &empty).ok());
  }
  status = CreateWithJwt(SignSaJwt(second_key), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace tokend
