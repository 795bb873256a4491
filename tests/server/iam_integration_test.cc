// IAM token exchange (issue 3, DESIGN §2.1) on the real tokend binary over
// TLS with a throwaway CA: service accounts and authorized keys through the
// admin services, a service-account JWT signed here from the key file,
// Create / CreateForServiceAccount / Revoke, the OAuth path, and end-to-end
// failures with their codes and messages.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/jose/algorithm.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/iam_admin.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/tokend_process.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"
#include "yandex/cloud/operation/operation_service.grpc.pb.h"

namespace tokend {
namespace {

using ::google::protobuf::util::MessageDifferencer;
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
    return testing::CreateServiceAccount(*channel_, process_->AdminKey(), name,
                                         creators);
  }

  // Creates an authorized key and returns the key file JSON.
  std::string CreateKeyFile(const std::string& account_id) {
    yiam::CreateKeyResponse response = testing::CreateAuthorizedKey(
        *channel_, process_->AdminKey(), account_id);
    EXPECT_THAT(response.private_key(),
                HasSubstr("PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA "
                          "Key ID " +
                          response.key().id()));
    return testing::KeyFileOf(response);
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
    request.set_family("iam");
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

  // --- For the table-driven negative suite. ---

  // One row: the request to send and the exact status expected back.
  struct CreateCase {
    std::string name;
    std::function<yiam::CreateIamTokenRequest()> request;
    grpc::StatusCode code;
    std::string message;  // exact; "" for OK
  };

  static constexpr int kOAuthField = 1;  // yandex_passport_oauth_token
  static constexpr int kJwtField = 2;    // jwt

  // The claims of a valid service-account JWT issued at `now`.
  static nlohmann::json ValidClaims(const std::string& iss, absl::Time now) {
    return {{"iss", iss},
            {"aud", iam::kYandexIamAudience},
            {"iat", absl::ToUnixSeconds(now)},
            {"exp", absl::ToUnixSeconds(now + absl::Hours(1))}};
  }

  // A JWS by `key` (its algorithm and kid, "kid" left out when empty) over
  // `claims`, with "typ": "JWT" plus `extra_header` members.
  static std::string Sign(const jose::Jwk& key, const nlohmann::json& claims,
                          const std::string& extra_header = "") {
    auto signer = jose::JwtSigner::Create(key);
    EXPECT_TRUE(signer.ok()) << signer.status();
    if (!signer.ok()) return "";
    auto jwt = (*signer)->SignPayload(
        absl::StrCat(R"({"typ":"JWT")", extra_header, "}"), claims.dump());
    EXPECT_TRUE(jwt.ok()) << jwt.status();
    return jwt.ok() ? *jwt : "";
  }

  // A valid token of exactly `size` bytes: `claims` padded with a "pad"
  // claim, and a header member of 0..2 characters to reach every length
  // (base64url never yields a length of 4k + 1).
  static std::string SignOfSize(const jose::Jwk& key, nlohmann::json claims,
                                size_t size) {
    const size_t unpadded = Sign(key, claims).size();
    if (unpadded >= size) {
      ADD_FAILURE() << "a token of " << size << " bytes is too short";
      return "";
    }
    const size_t estimate = (size - unpadded) * 3 / 4;
    for (int extra = 0; extra < 3; ++extra) {
      const std::string header =
          absl::StrCat(R"(,"x":")", std::string(extra, 'x'), R"(")");
      for (size_t pad = estimate > 24 ? estimate - 24 : 0; pad < size; ++pad) {
        claims["pad"] = std::string(pad, 'p');
        const std::string jwt = Sign(key, claims, header);
        if (jwt.size() == size) return jwt;
        if (jwt.size() > size) break;
      }
    }
    ADD_FAILURE() << "no token of exactly " << size << " bytes";
    return "";
  }

  static yiam::CreateIamTokenRequest JwtRequest(const std::string& jwt) {
    yiam::CreateIamTokenRequest request;
    request.set_jwt(jwt);
    return request;
  }

  static yiam::CreateIamTokenRequest OAuthRequest(const std::string& oauth) {
    yiam::CreateIamTokenRequest request;
    request.set_yandex_passport_oauth_token(oauth);
    return request;
  }

  // A request carrying both oneof members on the wire, `first` then
  // `second`. The generated class holds one member at a time, so `second`
  // rides in the unknown fields, which protobuf serializes after the known
  // ones.
  static yiam::CreateIamTokenRequest BothMembers(int first_field,
                                                 const std::string& first,
                                                 int second_field,
                                                 const std::string& second) {
    yiam::CreateIamTokenRequest request;
    if (first_field == kJwtField) {
      request.set_jwt(first);
    } else {
      request.set_yandex_passport_oauth_token(first);
    }
    request.GetReflection()->MutableUnknownFields(&request)->AddLengthDelimited(
        second_field, second);
    // What the server will parse: both on the wire, in that order; the
    // last one is the member that stays.
    const std::string wire = request.SerializeAsString();
    EXPECT_LT(wire.find(first), wire.find(second));
    EXPECT_NE(wire.find(second), std::string::npos);
    yiam::CreateIamTokenRequest parsed;
    EXPECT_TRUE(parsed.ParseFromString(wire));
    EXPECT_EQ(static_cast<int>(parsed.identity_case()), second_field);
    return request;
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

// Yandex Cloud's account managing itself, as its SDK's Session does: a
// service account's IAM token lists, creates, reads and deletes its own
// keys (an empty service_account_id meaning its own) and reads the delete
// operation; another account's keys are PERMISSION_DENIED.
TEST_F(IamIntegrationTest, ServiceAccountManagesItsOwnKeys) {
  tiam::ServiceAccount self = CreateAccount("self-managing-sa");
  tiam::ServiceAccount other = CreateAccount("someone-else-sa");
  const std::string other_key = KeyIdOf(CreateKeyFile(other.id()));
  yiam::CreateIamTokenResponse token;
  ASSERT_TRUE(CreateWithJwt(SignSaJwt(CreateKeyFile(self.id())), &token).ok());
  auto as_self = [&](grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer " + token.iam_token());
  };

  yiam::CreateKeyResponse created;
  {
    yiam::CreateKeyRequest request;  // no service_account_id: its own
    request.set_description("made by itself");
    grpc::ClientContext context;
    as_self(&context);
    grpc::Status status = keys_->Create(&context, request, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(created.key().service_account_id(), self.id());
  }
  {
    yiam::ListKeysRequest request;
    yiam::ListKeysResponse listed;
    grpc::ClientContext context;
    as_self(&context);
    ASSERT_TRUE(keys_->List(&context, request, &listed).ok());
    EXPECT_EQ(listed.keys_size(), 2);
  }
  yandex::cloud::operation::Operation deleted;
  {
    yiam::DeleteKeyRequest request;
    request.set_key_id(created.key().id());
    grpc::ClientContext context;
    as_self(&context);
    grpc::Status status = keys_->Delete(&context, request, &deleted);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(deleted.done());
  }
  auto operations =
      yandex::cloud::operation::OperationService::NewStub(*channel_);
  {
    yandex::cloud::operation::GetOperationRequest request;
    request.set_operation_id(deleted.id());
    yandex::cloud::operation::Operation got;
    grpc::ClientContext context;
    as_self(&context);
    grpc::Status status = operations->Get(&context, request, &got);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(MessageDifferencer::Equals(got, deleted))
        << got.DebugString() << " vs " << deleted.DebugString();
    yiam::DeleteKeyMetadata metadata;
    ASSERT_TRUE(got.metadata().UnpackTo(&metadata));
    EXPECT_EQ(metadata.key_id(), created.key().id());
  }
  {
    yandex::cloud::operation::GetOperationRequest request;
    request.set_operation_id("op-delete-key-" + other_key);  // not deleted
    yandex::cloud::operation::Operation got;
    grpc::ClientContext context;
    as_self(&context);
    EXPECT_EQ(operations->Get(&context, request, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Another account's keys, any way they are reached.
  {
    yiam::ListKeysRequest request;
    request.set_service_account_id(other.id());
    yiam::ListKeysResponse listed;
    grpc::ClientContext context;
    as_self(&context);
    EXPECT_EQ(keys_->List(&context, request, &listed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    yiam::CreateKeyRequest request;
    request.set_service_account_id(other.id());
    yiam::CreateKeyResponse response;
    grpc::ClientContext context;
    as_self(&context);
    EXPECT_EQ(keys_->Create(&context, request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  for (bool get : {true, false}) {
    grpc::ClientContext context;
    as_self(&context);
    if (get) {
      yiam::GetKeyRequest request;
      request.set_key_id(other_key);
      yiam::Key key;
      EXPECT_EQ(keys_->Get(&context, request, &key).error_code(),
                grpc::StatusCode::PERMISSION_DENIED);
    } else {
      yiam::DeleteKeyRequest request;
      request.set_key_id(other_key);
      yandex::cloud::operation::Operation op;
      EXPECT_EQ(keys_->Delete(&context, request, &op).error_code(),
                grpc::StatusCode::PERMISSION_DENIED);
    }
  }
  // Nothing else: the service-account admin service stays the admin's.
  {
    tiam::ListServiceAccountsRequest request;
    tiam::ListServiceAccountsResponse response;
    grpc::ClientContext context;
    as_self(&context);
    EXPECT_EQ(accounts_->List(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  // The admin without an account must name one; a bad token is
  // UNAUTHENTICATED; a revoked one too.
  {
    yiam::ListKeysRequest request;
    yiam::ListKeysResponse listed;
    grpc::ClientContext context;
    Admin(&context);
    EXPECT_EQ(keys_->List(&context, request, &listed).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  yiam::RevokeIamTokenResponse revoked;
  ASSERT_TRUE(Revoke(token.iam_token(), &revoked).ok());
  {
    yiam::ListKeysRequest request;
    yiam::ListKeysResponse listed;
    grpc::ClientContext context;
    as_self(&context);
    EXPECT_EQ(keys_->List(&context, request, &listed).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(IamIntegrationTest, AdminServicesRequireAdminKey) {
  tiam::CreateServiceAccountRequest request;
  request.set_name("no-admin");
  tiam::ServiceAccount account;
  grpc::ClientContext context;
  grpc::Status status = accounts_->Create(&context, request, &account);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// Issue 3's negative suite for Create: one row per rule, each sent to the
// real server, with the exact code and message expected. Rows that need
// deleted state (a deleted key, a deleted account) get accounts and keys of
// their own, prepared before the table, so rows do not depend on each other.
// A few OK rows mark the edges of a rule (the clock skew, 3600 s, 8000 bytes,
// which oneof member wins).
TEST_F(IamIntegrationTest, CreateRejectsEachBrokenRule) {
  // Whole seconds; set again just before each row builds its request (the
  // rows capture it by reference), so the skew-edge rows keep their margins
  // however long the rows before them took.
  absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));

  // The account most rows sign for, and its key.
  const tiam::ServiceAccount account = CreateAccount("robot-table");
  const absl::StatusOr<iam::AuthorizedKeyFile> key_file =
      iam::ParseKeyFile(CreateKeyFile(account.id()));
  ASSERT_TRUE(key_file.ok()) << key_file.status();
  const jose::Jwk& key = key_file->private_key;  // PS256, kid = key id
  const std::string kid = key_file->id;
  const tiam::ServiceAccount stranger = CreateAccount("robot-table-stranger");

  // Keys under our kid that the server must refuse.
  auto rs256 =
      jose::Jwk::FromPem(key_file->private_key_pem, jose::Algorithm::kRs256);
  ASSERT_TRUE(rs256.ok()) << rs256.status();
  const jose::Jwk rs256_key = rs256->WithKid(kid);
  auto es256 = jose::Jwk::Generate(jose::Algorithm::kEs256);
  ASSERT_TRUE(es256.ok()) << es256.status();
  const jose::Jwk es256_key = es256->WithKid(kid);
  // HS256 keyed with the account's public key PEM: the algorithm-confusion
  // attack on verifiers that take the key's bytes as an HMAC secret.
  ASSERT_FALSE(key_file->public_key_pem.empty());
  auto hs256 =
      jose::Jwk::FromSecret(key_file->public_key_pem, jose::Algorithm::kHs256);
  ASSERT_TRUE(hs256.ok()) << hs256.status();
  const jose::Jwk hs256_key = hs256->WithKid(kid);
  auto other_ps256 = jose::Jwk::Generate(jose::Algorithm::kPs256);
  ASSERT_TRUE(other_ps256.ok()) << other_ps256.status();
  const jose::Jwk impostor_key = other_ps256->WithKid(kid);
  const jose::Jwk no_kid_key = key.WithKid("");
  const jose::Jwk unknown_kid_key = key.WithKid("ajeunknown0000000000");
  const jose::Jwk unprintable_kid_key = key.WithKid("it's-mine");

  auto valid = [&] { return ValidClaims(account.id(), now); };
  const std::string valid_jwt = Sign(key, valid());
  const std::vector<std::string> parts = absl::StrSplit(valid_jwt, '.');
  ASSERT_EQ(parts.size(), 3u);

  // A deleted key: its own account and two keys; the first is deleted.
  const tiam::ServiceAccount key_owner = CreateAccount("robot-deleted-key");
  const std::string deleted_key_file = CreateKeyFile(key_owner.id());
  const std::string kept_key_file = CreateKeyFile(key_owner.id());
  const std::string deleted_kid = KeyIdOf(deleted_key_file);
  const std::string deleted_key_jwt = SignSaJwt(deleted_key_file);
  {
    yiam::CreateIamTokenResponse response;
    grpc::Status status = CreateWithJwt(deleted_key_jwt, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    yiam::DeleteKeyRequest request;
    request.set_key_id(deleted_kid);
    yandex::cloud::operation::Operation operation;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = keys_->Delete(&context, request, &operation);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(operation.done());
    yiam::DeleteKeyMetadata metadata;
    ASSERT_TRUE(operation.metadata().UnpackTo(&metadata));
    EXPECT_EQ(metadata.key_id(), deleted_kid);
  }
  {
    yiam::GetKeyRequest request;
    request.set_key_id(deleted_kid);
    yiam::Key got;
    grpc::ClientContext context;
    Admin(&context);
    EXPECT_EQ(keys_->Get(&context, request, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    yiam::ListKeysRequest request;
    request.set_service_account_id(key_owner.id());
    yiam::ListKeysResponse list;
    grpc::ClientContext context;
    Admin(&context);
    ASSERT_TRUE(keys_->List(&context, request, &list).ok());
    ASSERT_EQ(list.keys_size(), 1);
    EXPECT_EQ(list.keys(0).id(), KeyIdOf(kept_key_file));
  }

  // A deleted account: its own account and key; the key itself is intact.
  const tiam::ServiceAccount doomed = CreateAccount("robot-deleted-account");
  const std::string doomed_key_file = CreateKeyFile(doomed.id());
  const std::string doomed_jwt = SignSaJwt(doomed_key_file);
  {
    yiam::CreateIamTokenResponse response;
    grpc::Status status = CreateWithJwt(doomed_jwt, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  {
    tiam::DeleteServiceAccountRequest request;
    request.set_service_account_id(doomed.id());
    google::protobuf::Empty empty;
    grpc::ClientContext context;
    Admin(&context);
    grpc::Status status = accounts_->Delete(&context, request, &empty);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  using Code = grpc::StatusCode;
  const std::string bad_alg_suffix =
      " is not supported; only PS256 is accepted";
  const std::vector<CreateCase> cases = {
      // --- Controls. ---
      {"valid token", [&] { return JwtRequest(valid_jwt); }, Code::OK, ""},

      // --- Algorithm. ---
      {"RS256 signed with the account's key",
       [&] { return JwtRequest(Sign(rs256_key, valid())); },
       Code::UNAUTHENTICATED, "JWT algorithm 'RS256'" + bad_alg_suffix},
      {"ES256 under our kid",
       [&] { return JwtRequest(Sign(es256_key, valid())); },
       Code::UNAUTHENTICATED, "JWT algorithm 'ES256'" + bad_alg_suffix},
      {"HS256 keyed with the public key PEM",
       [&] { return JwtRequest(Sign(hs256_key, valid())); },
       Code::UNAUTHENTICATED, "JWT algorithm 'HS256'" + bad_alg_suffix},
      {"alg none, empty signature",
       [&] {
         return JwtRequest(absl::StrCat(
             jose::Base64UrlEncode(absl::StrCat(R"({"alg":"none","kid":")", kid,
                                                R"(","typ":"JWT"})")),
             ".", parts[1], "."));
       },
       Code::UNAUTHENTICATED, "JWT algorithm 'none'" + bad_alg_suffix},
      {"no alg",
       [&] {
         return JwtRequest(
             WithHeader(valid_jwt, absl::StrCat(R"({"kid":")", kid, R"("})")));
       },
       Code::UNAUTHENTICATED, "JWT header has no alg; only PS256 is accepted"},

      // --- kid. ---
      {"missing kid", [&] { return JwtRequest(Sign(no_kid_key, valid())); },
       Code::UNAUTHENTICATED,
       "The required field 'kid' is missing from the JWT header"},
      {"kid null",
       [&] {
         return JwtRequest(
             WithHeader(valid_jwt, R"({"alg":"PS256","kid":null})"));
       },
       Code::UNAUTHENTICATED,
       "The required field 'kid' is missing from the JWT header"},
      {"kid empty",
       [&] {
         return JwtRequest(
             WithHeader(valid_jwt, R"({"alg":"PS256","kid":""})"));
       },
       Code::UNAUTHENTICATED,
       "JWT header field 'kid' must be a non-empty string"},
      {"kid not a string",
       [&] {
         return JwtRequest(WithHeader(valid_jwt, R"({"alg":"PS256","kid":7})"));
       },
       Code::UNAUTHENTICATED,
       "JWT header field 'kid' must be a non-empty string"},
      {"unknown kid",
       [&] { return JwtRequest(Sign(unknown_kid_key, valid())); },
       Code::UNAUTHENTICATED,
       "JWT kid 'ajeunknown0000000000' is not an authorized key"},
      {"unknown kid with a quote is not echoed",
       [&] { return JwtRequest(Sign(unprintable_kid_key, valid())); },
       Code::UNAUTHENTICATED, "JWT kid (unprintable) is not an authorized key"},
      {"kid of another account (iss names the stranger)",
       [&] { return JwtRequest(Sign(key, ValidClaims(stranger.id(), now))); },
       Code::UNAUTHENTICATED,
       absl::StrCat("key '", kid,
                    "' does not belong to the service account named by iss")},
      {"deleted key", [&] { return JwtRequest(deleted_key_jwt); },
       Code::UNAUTHENTICATED,
       absl::StrCat("authorized key '", deleted_kid, "' has been deleted")},
      {"deleted account", [&] { return JwtRequest(doomed_jwt); },
       Code::UNAUTHENTICATED,
       absl::StrCat("service account '", doomed.id(), "' has been deleted")},

      // --- Times (server clock skew: the default 5 minutes). ---
      {"expired 10 min ago",
       [&] {
         nlohmann::json c = valid();
         c["iat"] = absl::ToUnixSeconds(now - absl::Hours(1));
         c["exp"] = absl::ToUnixSeconds(now - absl::Minutes(10));
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT has expired (exp)"},
      {"expired 4 min ago, within the skew",
       [&] {
         nlohmann::json c = valid();
         c["iat"] = absl::ToUnixSeconds(now - absl::Minutes(30));
         c["exp"] = absl::ToUnixSeconds(now - absl::Minutes(4));
         return JwtRequest(Sign(key, c));
       },
       Code::OK, ""},
      {"no exp",
       [&] {
         nlohmann::json c = valid();
         c.erase("exp");
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT has no exp claim"},
      {"exp - iat = 3601",
       [&] {
         nlohmann::json c = valid();
         c["exp"] = absl::ToUnixSeconds(now + absl::Seconds(3601));
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT lifetime exp - iat exceeds 3600 seconds"},
      {"exp - iat = 3600",
       [&] {
         nlohmann::json c = valid();
         c["exp"] = absl::ToUnixSeconds(now + absl::Seconds(3600));
         return JwtRequest(Sign(key, c));
       },
       Code::OK, ""},
      {"no iat",
       [&] {
         nlohmann::json c = valid();
         c.erase("iat");
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT has no iat claim"},
      {"not yet valid: nbf in 10 min",
       [&] {
         nlohmann::json c = valid();
         c["nbf"] = absl::ToUnixSeconds(now + absl::Minutes(10));
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT is not yet valid (nbf)"},
      {"nbf in 4 min, within the skew",
       [&] {
         nlohmann::json c = valid();
         c["nbf"] = absl::ToUnixSeconds(now + absl::Minutes(4));
         return JwtRequest(Sign(key, c));
       },
       Code::OK, ""},
      {"issued 10 min in the future",
       [&] {
         nlohmann::json c = valid();
         c["iat"] = absl::ToUnixSeconds(now + absl::Minutes(10));
         c["exp"] = absl::ToUnixSeconds(now + absl::Minutes(40));
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT is issued in the future (iat)"},

      // --- Audience and issuer. ---
      {"wrong audience",
       [&] {
         nlohmann::json c = valid();
         c["aud"] = "https://example.com/iam/v1/tokens";
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED,
       "JWT audience (aud) is not accepted by this service"},
      {"audience array without ours",
       [&] {
         nlohmann::json c = valid();
         c["aud"] = {"https://example.com/iam/v1/tokens",
                     "https://iam.api.cloud.yandex.net/iam/v1/token"};
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED,
       "JWT audience (aud) is not accepted by this service"},
      {"audience array with ours",
       [&] {
         nlohmann::json c = valid();
         c["aud"] = {"https://example.com/iam/v1/tokens",
                     iam::kYandexIamAudience};
         return JwtRequest(Sign(key, c));
       },
       Code::OK, ""},
      {"no audience",
       [&] {
         nlohmann::json c = valid();
         c.erase("aud");
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT has no aud claim"},
      {"no iss",
       [&] {
         nlohmann::json c = valid();
         c.erase("iss");
         return JwtRequest(Sign(key, c));
       },
       Code::UNAUTHENTICATED, "JWT has no iss claim"},

      // --- Signature and shape. ---
      {"bad signature: another key under our kid",
       [&] { return JwtRequest(Sign(impostor_key, valid())); },
       Code::UNAUTHENTICATED, "JWT signature is invalid"},
      {"bad signature: payload changed after signing",
       [&] {
         std::string payload = *jose::Base64UrlDecode(parts[1]);
         payload.insert(1, R"("x":1,)");
         return JwtRequest(absl::StrCat(
             parts[0], ".", jose::Base64UrlEncode(payload), ".", parts[2]));
       },
       Code::UNAUTHENTICATED, "JWT signature is invalid"},
      {"truncated: signature cut short",
       [&] {
         // 342 base64url characters less the last 2: whole groups, so it
         // still decodes (to 255 bytes).
         return JwtRequest(valid_jwt.substr(0, valid_jwt.size() - 2));
       },
       Code::UNAUTHENTICATED, "JWT signature is invalid"},
      {"truncated: signature part gone",
       [&] { return JwtRequest(valid_jwt.substr(0, valid_jwt.rfind('.'))); },
       Code::UNAUTHENTICATED, "malformed JWT: expected three parts"},
      {"truncated: header only", [&] { return JwtRequest(parts[0]); },
       Code::UNAUTHENTICATED, "malformed JWT: expected three parts"},
      {"empty jwt", [&] { return JwtRequest(""); }, Code::UNAUTHENTICATED,
       "malformed JWT: expected three parts"},
      {"header not base64url",
       [&] { return JwtRequest(absl::StrCat("!!.", parts[1], ".", parts[2])); },
       Code::UNAUTHENTICATED, "malformed JWT: header is not base64url"},
      {"header not JSON",
       [&] {
         return JwtRequest(absl::StrCat(jose::Base64UrlEncode("PS256"), ".",
                                        parts[1], ".", parts[2]));
       },
       Code::UNAUTHENTICATED, "malformed JWT: header is not a JSON object"},
      {"payload not JSON",
       [&] {
         return JwtRequest(absl::StrCat(
             parts[0], ".", jose::Base64UrlEncode("claims"), ".", parts[2]));
       },
       Code::UNAUTHENTICATED, "malformed JWT: payload is not a JSON object"},
      {"8000-byte valid token",
       [&] { return JwtRequest(SignOfSize(key, valid(), 8000)); }, Code::OK,
       ""},
      {"8001-byte valid token",
       [&] { return JwtRequest(SignOfSize(key, valid(), 8001)); },
       Code::INVALID_ARGUMENT,
       "Validation failed:\n  - jwt: Length must be at most 8000 characters"},

      // --- The identity oneof. ---
      {"neither member", [] { return yiam::CreateIamTokenRequest(); },
       Code::INVALID_ARGUMENT,
       "Validation failed:\n  - identity: One of the options must be selected"},
      // Both members on the wire: protobuf keeps the last one (the server
      // cannot tell), so the outcome follows the member sent last.
      {"both members, OAuth last",
       [&] {
         return BothMembers(kJwtField, valid_jwt, kOAuthField,
                            "not-an-oauth-token");
       },
       Code::UNAUTHENTICATED, "OAuth token is invalid"},
      {"both members, jwt last",
       [&] {
         return BothMembers(kOAuthField, "not-an-oauth-token", kJwtField,
                            valid_jwt);
       },
       Code::OK, ""},
      {"empty OAuth token", [] { return OAuthRequest(""); },
       Code::UNAUTHENTICATED, "OAuth token is empty"},
      {"4001-character OAuth token",
       [] { return OAuthRequest(std::string(4001, 'y')); },
       Code::INVALID_ARGUMENT,
       "Validation failed:\n  - yandex_passport_oauth_token: Length must be "
       "at most 4000 characters"},
  };

  for (const CreateCase& c : cases) {
    SCOPED_TRACE(c.name);
    now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
    const yiam::CreateIamTokenRequest request = c.request();
    yiam::CreateIamTokenResponse response;
    grpc::ClientContext context;
    const grpc::Status status = tokens_->Create(&context, request, &response);
    EXPECT_EQ(status.error_code(), c.code)
        << c.name << ": " << status.error_message();
    EXPECT_EQ(status.error_message(), c.message) << c.name;
    if (c.code == Code::OK) {
      EXPECT_FALSE(response.iam_token().empty()) << c.name;
    }
  }
}

}  // namespace
}  // namespace tokend
