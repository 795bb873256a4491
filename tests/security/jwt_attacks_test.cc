// The jwt_tool attack catalogue and RFC 8725's pitfalls against the real
// binary (issue 18): each forged token is refused, with its exact code and
// message, by Verify (tokend's own tokens) and by IAM Create (a service
// account's JWT). The verifier already refused all of them; this pins it.
// A valid token passes both first, so no refusal below is vacuous, and a
// jku/x5u URL pointing at a listener of the test's proves nothing is
// fetched.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/common/clock.h"
#include "core/iam/authorized_keys.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"
#include "core/keys/keyring.h"
#include "core/keys/master_key.h"
#include "core/keys/sealer.h"
#include "core/store/sqlite_store.h"
#include "gtest/gtest.h"
#include "tests/testing/iam_admin.h"
#include "tests/testing/tokend_process.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"

namespace tokend {
namespace {

namespace yiam = ::yandex::cloud::iam::v1;
using ::tokend::testing::MakeTempDir;
using ::tokend::testing::TokendProcess;

constexpr char kIssuer[] = "https://tokend.test";
constexpr char kYandexAud[] = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

std::string B64(absl::string_view s) { return jose::Base64UrlEncode(s); }

std::string Compact(absl::string_view header, absl::string_view payload,
                    absl::string_view signature) {
  return absl::StrCat(B64(header), ".", B64(payload), ".", B64(signature));
}

// Signs exactly these header and payload bytes with `key`: what an attacker
// with that key, or a buggy issuer, could produce.
std::string SignedWith(const jose::Jwk& key, absl::string_view header,
                       absl::string_view payload) {
  const std::string input = absl::StrCat(B64(header), ".", B64(payload));
  uint8_t sig[jose::internal::kMaxSignatureBytes];
  size_t len = 0;
  absl::Status s = jose::internal::Sign(key, input, sig, &len);
  EXPECT_TRUE(s.ok()) << s;
  return absl::StrCat(
      input, ".",
      B64(absl::string_view(reinterpret_cast<const char*>(sig), len)));
}

// A TCP listener that counts connections: jku and x5u point here.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd_); }
  int port() const { return port_; }
  // Connections made so far (non-blocking accepts).
  int Accepted() {
    int n = 0;
    for (int c; (c = accept(fd_, nullptr, nullptr)) >= 0; ++n) close(c);
    return n;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct Refusal {
  grpc::StatusCode code;
  std::string message;
};

class JwtAttacksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(MakeTempDir("jwt_attacks"));
    const std::vector<std::string> flags = {std::string("--issuer=") + kIssuer,
                                            "--lockout=off",
                                            "--log_requests=false"};
    // First start creates the keys; while stopped, the tokens below are
    // signed with the iam slot's own key, as only tokend could.
    {
      auto first = TokendProcess::Start(*dir_, flags);
      ASSERT_TRUE(first.ok()) << first.status();
      ASSERT_EQ(first->Stop(), 0);
    }
    iam_key_ = new jose::Jwk(IamSlotKey());
    auto p = TokendProcess::Start(*dir_, flags);
    ASSERT_TRUE(p.ok()) << p.status();
    process_ = new TokendProcess(*std::move(p));
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        process_->grpc_address(), grpc::InsecureChannelCredentials()));
    const std::string admin = process_->AdminKey();
    const auto account =
        testing::CreateServiceAccount(*channel_, admin, "jwt-attacks");
    auto file = iam::ParseKeyFile(testing::KeyFileOf(
        testing::CreateAuthorizedKey(*channel_, admin, account.id())));
    ASSERT_TRUE(file.ok()) << file.status();
    sa_key_ = new iam::AuthorizedKeyFile(*std::move(file));
  }
  static void TearDownTestSuite() {
    delete process_;
    delete channel_;
  }

  static jose::Jwk IamSlotKey() {
    auto store = store::SqliteStore::Open(*dir_ + "/tokend.db");
    EXPECT_TRUE(store.ok()) << store.status();
    auto master = keys::LoadOrCreateMasterKey(*dir_ + "/master.key");
    auto sealer = keys::Sealer::Create(*master);
    auto keyring = keys::Keyring::Open(
        store->get(), sealer->get(), keys::KeyringOptions{}, RealClock::Get());
    EXPECT_TRUE(keyring.ok()) << keyring.status();
    auto signer = (*keyring)->Signer(keys::kIamSlot);
    EXPECT_TRUE(signer.ok()) << signer.status();
    return (*signer)->key();
  }

  // A token tokend's own iam key signed: what Verify must accept.
  static std::string TokendClaims() {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return absl::StrCat(R"({"iss":")", kIssuer, R"(","sub":"victim","iat":)",
                        now, R"(,"exp":)", now + 3600, "}");
  }
  static std::string TokendHeader(absl::string_view extra = "") {
    return absl::StrCat(R"({"alg":"ES256","kid":")", iam_key_->kid(), R"(")",
                        extra, "}");
  }
  // A service account's JWT: what IAM Create must accept.
  static std::string SaClaims() {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    return absl::StrCat(R"({"iss":")", sa_key_->service_account_id,
                        R"(","aud":")", kYandexAud, R"(","iat":)", now,
                        R"(,"exp":)", now + 3600, "}");
  }
  static std::string SaHeader(absl::string_view extra = "") {
    return absl::StrCat(R"({"alg":"PS256","kid":")", sa_key_->id, R"(")", extra,
                        "}");
  }

  static Refusal Verify(const std::string& token) {
    auto stub = verify::v1::VerificationService::NewStub(*channel_);
    grpc::ClientContext context;
    verify::v1::VerifyRequest request;
    request.set_token(token);
    request.set_family("iam");  // every token here claims the iam key
    verify::v1::VerifyResponse response;
    grpc::Status s = stub->Verify(&context, request, &response);
    return {s.error_code(), s.error_message()};
  }
  static Refusal Create(const std::string& jwt) {
    auto stub = yiam::IamTokenService::NewStub(*channel_);
    grpc::ClientContext context;
    yiam::CreateIamTokenRequest request;
    request.set_jwt(jwt);
    yiam::CreateIamTokenResponse response;
    grpc::Status s = stub->Create(&context, request, &response);
    return {s.error_code(), s.error_message()};
  }

  static std::string* dir_;
  static jose::Jwk* iam_key_;
  static TokendProcess* process_;
  static std::shared_ptr<grpc::Channel>* channel_;
  static iam::AuthorizedKeyFile* sa_key_;
};

std::string* JwtAttacksTest::dir_ = nullptr;
jose::Jwk* JwtAttacksTest::iam_key_ = nullptr;
TokendProcess* JwtAttacksTest::process_ = nullptr;
std::shared_ptr<grpc::Channel>* JwtAttacksTest::channel_ = nullptr;
iam::AuthorizedKeyFile* JwtAttacksTest::sa_key_ = nullptr;

#define EXPECT_REFUSED(refusal, want_code, want_message)         \
  do {                                                           \
    const Refusal r = (refusal);                                 \
    EXPECT_EQ(r.code, grpc::StatusCode::want_code) << r.message; \
    EXPECT_EQ(r.message, want_message);                          \
  } while (0)

constexpr auto kUnauth = grpc::StatusCode::UNAUTHENTICATED;

TEST_F(JwtAttacksTest, GenuineTokensPass) {
  EXPECT_EQ(Verify(SignedWith(*iam_key_, TokendHeader(), TokendClaims())).code,
            grpc::StatusCode::OK);
  EXPECT_EQ(
      Create(SignedWith(sa_key_->private_key, SaHeader(), SaClaims())).code,
      grpc::StatusCode::OK);
}

TEST_F(JwtAttacksTest, AlgNoneInEveryCase) {
  for (const char* none : {"none", "None", "NONE", "nOnE"}) {
    const std::string header =
        absl::StrCat(R"({"alg":")", none, R"(","typ":"JWT"})");
    EXPECT_REFUSED(Verify(Compact(header, TokendClaims(), "")), UNAUTHENTICATED,
                   absl::StrCat("algorithm not allowed: ", none));
    EXPECT_REFUSED(Create(Compact(header, SaClaims(), "")), UNAUTHENTICATED,
                   absl::StrCat("JWT algorithm '", none,
                                "' is not supported; only PS256 is accepted"));
  }
}

// Key confusion: an HMAC keyed with the public key the verifier holds.
TEST_F(JwtAttacksTest, HmacWithThePublicKeyAsSecret) {
  auto public_json = iam_key_->ToPublicJson();
  ASSERT_TRUE(public_json.ok());
  for (const std::string& secret : {*public_json, sa_key_->public_key_pem}) {
    auto hmac = jose::Jwk::FromSecret(secret, jose::Algorithm::kHs256);
    ASSERT_TRUE(hmac.ok()) << hmac.status();
    const std::string verify_header =
        absl::StrCat(R"({"alg":"HS256","kid":")", iam_key_->kid(), R"("})");
    EXPECT_REFUSED(Verify(SignedWith(*hmac, verify_header, TokendClaims())),
                   UNAUTHENTICATED, "algorithm not allowed: HS256");
    const std::string create_header =
        absl::StrCat(R"({"alg":"HS256","kid":")", sa_key_->id, R"("})");
    EXPECT_REFUSED(Create(SignedWith(*hmac, create_header, SaClaims())),
                   UNAUTHENTICATED,
                   "JWT algorithm 'HS256' is not supported; only PS256 is "
                   "accepted");
  }
}

// The attacker's own key, embedded (jwk) or pointed at (jku, x5u): never
// used, never fetched.
TEST_F(JwtAttacksTest, EmbeddedAndRemoteKeysAreIgnored) {
  Listener listener;
  auto ec = jose::Jwk::Generate(jose::Algorithm::kEs256);
  auto rsa = jose::Jwk::GenerateRsa(jose::Algorithm::kPs256, 2048);
  ASSERT_TRUE(ec.ok() && rsa.ok());
  auto ec_public = ec->ToPublicJson();
  auto rsa_public = rsa->ToPublicJson();
  const std::string url =
      absl::StrCat("http://127.0.0.1:", listener.port(), "/jwks.json");
  const std::string remote =
      absl::StrCat(R"(,"jku":")", url, R"(","x5u":")", url, R"(")");

  // Its own kid: no such key here.
  EXPECT_REFUSED(
      Verify(SignedWith(*ec,
                        absl::StrCat(R"({"alg":"ES256","kid":")", ec->kid(),
                                     R"(","jwk":)", *ec_public, "}"),
                        TokendClaims())),
      UNAUTHENTICATED, "unknown kid");
  // tokend's kid, the attacker's signature.
  for (const std::string& extra :
       {absl::StrCat(R"(,"jwk":)", *ec_public), remote}) {
    EXPECT_REFUSED(Verify(SignedWith(*ec, TokendHeader(extra), TokendClaims())),
                   UNAUTHENTICATED, "signature invalid");
  }
  for (const std::string& extra :
       {absl::StrCat(R"(,"jwk":)", *rsa_public), remote}) {
    EXPECT_REFUSED(Create(SignedWith(*rsa, SaHeader(extra), SaClaims())),
                   UNAUTHENTICATED, "JWT signature is invalid");
  }
  EXPECT_EQ(listener.Accepted(), 0) << "a jku or x5u URL was fetched";
}

TEST_F(JwtAttacksTest, HostileKids) {
  struct Kid {
    std::string kid;
    std::string quoted;  // as IAM Create echoes it
  };
  const std::vector<Kid> kids = {
      {"../../../../../../dev/null", "'../../../../../../dev/null'"},
      {"' OR '1'='1", "(unprintable)"},  // a quote is never echoed
      {"$(touch /tmp/pwned)`id`;|", "'$(touch /tmp/pwned)`id`;|'"},
      {"kid\n\x01", "(unprintable)"},
  };
  for (const Kid& k : kids) {
    nlohmann::json kid_json = k.kid;
    const std::string extra_kid = kid_json.dump();
    EXPECT_REFUSED(
        Verify(SignedWith(
            *iam_key_, absl::StrCat(R"({"alg":"ES256","kid":)", extra_kid, "}"),
            TokendClaims())),
        UNAUTHENTICATED, "unknown kid");
    EXPECT_REFUSED(
        Create(
            SignedWith(sa_key_->private_key,
                       absl::StrCat(R"({"alg":"PS256","kid":)", extra_kid, "}"),
                       SaClaims())),
        UNAUTHENTICATED,
        absl::StrCat("JWT kid ", k.quoted, " is not an authorized key"));
  }
  // 10 KB of kid: over the token size limit before any lookup.
  const std::string long_kid(10 * 1024, 'A');
  EXPECT_REFUSED(Verify(SignedWith(*iam_key_,
                                   absl::StrCat(R"({"alg":"ES256","kid":")",
                                                long_kid, R"("})"),
                                   TokendClaims())),
                 INVALID_ARGUMENT, "token: longer than 8000 bytes");
  const Refusal long_create = Create(
      SignedWith(sa_key_->private_key,
                 absl::StrCat(R"({"alg":"PS256","kid":")", long_kid, R"("})"),
                 SaClaims()));
  EXPECT_EQ(long_create.code, grpc::StatusCode::INVALID_ARGUMENT)
      << long_create.message;
  EXPECT_NE(long_create.message.find("jwt"), std::string::npos)
      << long_create.message;
}

// CVE-2022-21449 ("psychic signatures"): r or s zero, or not below n.
TEST_F(JwtAttacksTest, EcdsaSignaturesOutOfRange) {
  // P-256's group order n, big-endian.
  const std::string n =
      "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"
      "\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51";
  const std::string zero(32, '\0');
  std::string one(32, '\0');
  one.back() = 1;
  const std::string ff(32, '\xff');
  for (const std::string& sig : {zero + zero, zero + one, one + zero, n + n,
                                 n + one, one + n, ff + ff}) {
    EXPECT_REFUSED(Verify(Compact(TokendHeader(), TokendClaims(), sig)),
                   UNAUTHENTICATED, "signature invalid");
  }
  // IAM Create takes PS256 alone: an ES256 JWT is refused by name.
  EXPECT_REFUSED(
      Create(Compact(
          absl::StrCat(R"({"alg":"ES256","kid":")", sa_key_->id, R"("})"),
          SaClaims(), zero + zero)),
      UNAUTHENTICATED,
      "JWT algorithm 'ES256' is not supported; only PS256 is accepted");
}

TEST_F(JwtAttacksTest, EmptyAndWrongLengthSignatures) {
  const std::string good =
      SignedWith(*iam_key_, TokendHeader(), TokendClaims());
  const std::string input = good.substr(0, good.rfind('.'));
  const std::string sa_good =
      SignedWith(sa_key_->private_key, SaHeader(), SaClaims());
  const std::string sa_input = sa_good.substr(0, sa_good.rfind('.'));
  for (const std::string& sig : {std::string(), std::string(63, 'x'),
                                 std::string(65, 'x'), std::string(1, '\0')}) {
    EXPECT_REFUSED(Verify(absl::StrCat(input, ".", B64(sig))), UNAUTHENTICATED,
                   "signature invalid");
    EXPECT_REFUSED(Create(absl::StrCat(sa_input, ".", B64(sig))),
                   UNAUTHENTICATED, "JWT signature is invalid");
  }
}

// RFC 7515 §5.2 allows refusing duplicate member names, and RFC 8725 says
// to: a parser that keeps the first "alg" and one that keeps the last
// would disagree on what was signed.
TEST_F(JwtAttacksTest, DuplicateMembers) {
  const std::string dup_header = absl::StrCat(
      R"({"alg":"ES256","alg":"none","kid":")", iam_key_->kid(), R"("})");
  EXPECT_REFUSED(Verify(SignedWith(*iam_key_, dup_header, TokendClaims())),
                 INVALID_ARGUMENT, "header is not a JSON object");
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string dup_payload =
      absl::StrCat(R"({"iss":")", kIssuer, R"(","sub":"victim","sub":"admin",)",
                   R"("iat":)", now, R"(,"exp":)", now + 3600, "}");
  EXPECT_REFUSED(Verify(SignedWith(*iam_key_, TokendHeader(), dup_payload)),
                 INVALID_ARGUMENT, "payload is not a JSON object");

  const std::string sa_dup_header = absl::StrCat(
      R"({"alg":"PS256","alg":"none","kid":")", sa_key_->id, R"("})");
  EXPECT_REFUSED(
      Create(SignedWith(sa_key_->private_key, sa_dup_header, SaClaims())),
      UNAUTHENTICATED, "malformed JWT: header is not a JSON object");
  const std::string sa_dup_payload = absl::StrCat(
      R"({"iss":")", sa_key_->service_account_id, R"(","iss":"other","aud":")",
      kYandexAud, R"(","iat":)", now, R"(,"exp":)", now + 3600, "}");
  EXPECT_REFUSED(
      Create(SignedWith(sa_key_->private_key, SaHeader(), sa_dup_payload)),
      UNAUTHENTICATED, "malformed JWT: payload is not a JSON object");
}

// A JWT whose payload is another JWT (cty: JWT): only JSON claims sets.
TEST_F(JwtAttacksTest, NestedJwts) {
  const std::string inner =
      SignedWith(*iam_key_, TokendHeader(), TokendClaims());
  EXPECT_REFUSED(
      Verify(SignedWith(*iam_key_, TokendHeader(R"(,"cty":"JWT")"), inner)),
      INVALID_ARGUMENT, "payload is not a JSON object");
  const std::string sa_inner =
      SignedWith(sa_key_->private_key, SaHeader(), SaClaims());
  EXPECT_REFUSED(Create(SignedWith(sa_key_->private_key,
                                   SaHeader(R"(,"cty":"JWT")"), sa_inner)),
                 UNAUTHENTICATED,
                 "malformed JWT: payload is not a JSON object");
}

TEST_F(JwtAttacksTest, OversizedTokens) {
  const std::string pad(9000, 'p');
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  EXPECT_REFUSED(
      Verify(SignedWith(
          *iam_key_, TokendHeader(),
          absl::StrCat(R"({"iss":")", kIssuer, R"(","pad":")", pad,
                       R"(","iat":)", now, R"(,"exp":)", now + 3600, "}"))),
      INVALID_ARGUMENT, "token: longer than 8000 bytes");
  const Refusal create = Create(SignedWith(
      sa_key_->private_key, SaHeader(),
      absl::StrCat(R"({"iss":")", sa_key_->service_account_id, R"(","pad":")",
                   pad, R"(","aud":")", kYandexAud, R"(","iat":)", now,
                   R"(,"exp":)", now + 3600, "}")));
  EXPECT_EQ(create.code, grpc::StatusCode::INVALID_ARGUMENT) << create.message;
  EXPECT_NE(create.message.find("jwt"), std::string::npos) << create.message;
}

// crit names extensions the verifier must understand; it understands none.
TEST_F(JwtAttacksTest, CritIsRefused) {
  EXPECT_REFUSED(
      Verify(SignedWith(*iam_key_, TokendHeader(R"(,"crit":["exp"],"exp":1)"),
                        TokendClaims())),
      UNAUTHENTICATED, "unsupported crit header");
  EXPECT_REFUSED(
      Create(SignedWith(sa_key_->private_key,
                        SaHeader(R"(,"crit":["exp"],"exp":1)"), SaClaims())),
      UNAUTHENTICATED, "invalid JWT: unsupported crit header");
}

}  // namespace
}  // namespace tokend
