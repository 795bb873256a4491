#include "core/iam/sa_jwt_checker.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/iam/authorized_keys.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/raw_jwt.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/iam/test_util.h"

namespace tokend::iam {
namespace {

using testing::Account;
using ::testing::HasSubstr;
using testing::kT0;

constexpr char kIssuer[] = "https://tokend.test";
constexpr char kAud[] = "https://tokend.test/iam/v1/tokens";

struct Claims {
  std::string iss;
  std::optional<std::string> aud = std::string(kAud);
  std::optional<std::vector<std::string>> auds;
  absl::Time iat = kT0;
  absl::Time exp = kT0 + absl::Hours(1);
  std::optional<absl::Time> nbf;
  bool typ = true;
};

std::string Sign(const jose::Jwk& key, const Claims& c) {
  jose::RawJwtBuilder b;
  b.SetIssuer(c.iss).SetIssuedAt(c.iat).SetExpiration(c.exp);
  if (c.typ) b.SetTypeHeader("JWT");
  if (c.auds.has_value()) {
    b.SetAudiences(*c.auds);
  } else if (c.aud.has_value()) {
    b.SetAudience(*c.aud);
  }
  if (c.nbf.has_value()) b.SetNotBefore(*c.nbf);
  auto raw = b.Build();
  EXPECT_TRUE(raw.ok()) << raw.status();
  auto signer = jose::JwtSigner::Create(key);
  EXPECT_TRUE(signer.ok()) << signer.status();
  auto token = (*signer)->SignAndEncode(*raw);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

std::string Unsigned(absl::string_view header_json, absl::string_view payload) {
  return absl::StrCat(jose::Base64UrlEncode(header_json), ".",
                      jose::Base64UrlEncode(payload), ".");
}

class SaJwtCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenTempStore("checker");
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->InsertServiceAccount(Account("ajesa1")).ok());
    ASSERT_TRUE(store_->InsertServiceAccount(Account("ajesa2")).ok());
    key1_ = MakeKey("ajesa1");
    key2_ = MakeKey("ajesa2");
    SaJwtCheckerOptions options;
    options.audiences = SaJwtCheckerOptions::DefaultAudiences(kIssuer);
    auto checker = SaJwtChecker::Create(store_.get(), &clock_, options);
    ASSERT_TRUE(checker.ok()) << checker.status();
    checker_ = *std::move(checker);
  }

  struct Key {
    std::string id;
    std::string public_pem;
    std::string private_pem;
    jose::Jwk jwk;  // PS256 private, kid = id.
  };

  Key MakeKey(const std::string& account) {
    auto created = CreateAuthorizedKey(store_.get(), clock_, account,
                                       KeyAlgorithm::kRsa2048, "");
    EXPECT_TRUE(created.ok()) << created.status();
    auto file = ParseKeyFile(created->key_file_json);
    EXPECT_TRUE(file.ok()) << file.status();
    return Key{created->key.id, created->key.public_key_pem,
               created->private_key_pem, file->private_key};
  }

  Claims For(const std::string& account) {
    Claims c;
    c.iss = account;
    return c;
  }

  void ExpectUnauth(absl::string_view token, absl::string_view substr) {
    auto r = checker_->Check(token);
    ASSERT_FALSE(r.ok()) << "accepted";
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated)
        << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(substr));
    EXPECT_THAT(std::string(r.status().message()),
                ::testing::Not(HasSubstr("BEGIN")));
  }

  FakeClock clock_{kT0};
  std::unique_ptr<store::SqliteStore> store_;
  std::optional<Key> key1_, key2_;
  std::unique_ptr<SaJwtChecker> checker_;
};

TEST_F(SaJwtCheckerTest, AcceptsStringAudience) {
  auto r = checker_->Check(Sign(key1_->jwk, For("ajesa1")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->service_account_id, "ajesa1");
  EXPECT_EQ(r->key_id, key1_->id);
  EXPECT_EQ(r->issued_at, kT0);
  EXPECT_EQ(r->expires_at, kT0 + absl::Hours(1));
}

TEST_F(SaJwtCheckerTest, AcceptsArrayAudienceYandexAudienceNoTypAndNbf) {
  Claims c = For("ajesa1");
  c.auds = std::vector<std::string>{"https://other", kYandexIamAudience};
  c.typ = false;
  c.nbf = kT0 - absl::Seconds(1);
  auto r = checker_->Check(Sign(key1_->jwk, c));
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(SaJwtCheckerTest, LifetimeMessageNamesTheConfiguredLimit) {
  SaJwtCheckerOptions options;
  options.audiences = SaJwtCheckerOptions::DefaultAudiences(kIssuer);
  options.max_lifetime = absl::Minutes(10);
  auto checker = SaJwtChecker::Create(store_.get(), &clock_, options);
  ASSERT_TRUE(checker.ok()) << checker.status();
  Claims c = For("ajesa1");
  c.exp = kT0 + absl::Seconds(601);
  auto r = (*checker)->Check(Sign(key1_->jwk, c));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "JWT lifetime exp - iat exceeds 600 seconds");
}
TEST_F(SaJwtCheckerTest, AcceptsWithinClockSkew) {
  Claims c = For("ajesa1");
  c.iat = kT0 + absl::Minutes(4);
  c.exp = c.iat + absl::Hours(1);
  c.nbf = c.iat;
  EXPECT_TRUE(checker_->Check(Sign(key1_->jwk, c)).ok());
  clock_.Set(kT0 + absl::Hours(1) + absl::Minutes(4));
  EXPECT_TRUE(checker_->Check(Sign(key1_->jwk, For("ajesa1"))).ok());
}

TEST_F(SaJwtCheckerTest, NegativeTable) {
  const Claims ok = For("ajesa1");
  const std::string good = Sign(key1_->jwk, ok);

  // Wrong algorithms.
  auto rs256 = jose::Jwk::FromPem(key1_->private_pem, jose::Algorithm::kRs256);
  ASSERT_TRUE(rs256.ok());
  ExpectUnauth(Sign(rs256->WithKid(key1_->id), ok), "only PS256");
  auto es256 = jose::Jwk::Generate(jose::Algorithm::kEs256);
  ASSERT_TRUE(es256.ok());
  ExpectUnauth(Sign(es256->WithKid(key1_->id), ok), "only PS256");
  const std::string payload =
      absl::StrCat(R"({"iss":"ajesa1","aud":")", kAud, R"(","iat":)",
                   absl::ToUnixSeconds(kT0), R"(,"exp":)",
                   absl::ToUnixSeconds(kT0 + absl::Hours(1)), "}");
  ExpectUnauth(
      Unsigned(absl::StrCat(R"({"alg":"none","kid":")", key1_->id, R"("})"),
               payload),
      "only PS256");
  auto hs256 =
      jose::Jwk::FromSecret(key1_->public_pem, jose::Algorithm::kHs256);
  ASSERT_TRUE(hs256.ok()) << hs256.status();
  ExpectUnauth(Sign(hs256->WithKid(key1_->id), ok), "only PS256");

  // kid.
  ExpectUnauth(Sign(key1_->jwk.WithKid(""), ok),
               "The required field 'kid' is missing from the JWT header");
  ExpectUnauth(Sign(key1_->jwk.WithKid("ajeunknown"), ok),
               "is not an authorized key");
  ExpectUnauth(Sign(key2_->jwk, ok),  // Key of ajesa2, iss ajesa1.
               "does not belong to the service account");

  // Times.
  Claims expired = ok;
  expired.iat = kT0 - absl::Hours(2);
  expired.exp = kT0 - absl::Hours(1);
  ExpectUnauth(Sign(key1_->jwk, expired), "expired");
  Claims too_long = ok;
  too_long.exp = kT0 + absl::Seconds(3601);
  ExpectUnauth(Sign(key1_->jwk, too_long), "exp - iat exceeds 3600");
  Claims not_yet = ok;
  not_yet.nbf = kT0 + absl::Minutes(6);
  ExpectUnauth(Sign(key1_->jwk, not_yet), "not yet valid");
  Claims future_iat = ok;
  future_iat.iat = kT0 + absl::Minutes(6);
  future_iat.exp = future_iat.iat + absl::Minutes(10);
  ExpectUnauth(Sign(key1_->jwk, future_iat), "issued in the future");

  // Audience.
  Claims wrong_aud = ok;
  wrong_aud.aud = "https://elsewhere/iam/v1/tokens";
  ExpectUnauth(Sign(key1_->jwk, wrong_aud), "audience");
  Claims aud_array = ok;
  aud_array.auds = std::vector<std::string>{"https://a", "https://b"};
  ExpectUnauth(Sign(key1_->jwk, aud_array), "audience");
  Claims no_aud = ok;
  no_aud.aud.reset();
  ExpectUnauth(Sign(key1_->jwk, no_aud), "has no aud claim");

  // Signature and shape.
  std::string bad_sig = good;
  bad_sig[bad_sig.size() - 5] = bad_sig[bad_sig.size() - 5] == 'A' ? 'B' : 'A';
  ExpectUnauth(bad_sig, "signature");
  ExpectUnauth(good.substr(0, good.size() - 20), "JWT");
  ExpectUnauth(good.substr(0, good.rfind('.')), "malformed JWT");
  ExpectUnauth("", "malformed JWT");
  ExpectUnauth("a.b.c", "malformed JWT");
  ExpectUnauth(good + std::string(8001 - good.size(), 'A'),
               "JWT exceeds 8000 bytes");

  // Missing iss.
  Claims no_iss = ok;
  no_iss.iss = "";
  {
    jose::RawJwtBuilder b;
    b.SetAudience(kAud).SetIssuedAt(kT0).SetExpiration(kT0 + absl::Hours(1));
    auto signer = jose::JwtSigner::Create(key1_->jwk);
    ASSERT_TRUE(signer.ok());
    ExpectUnauth(*(*signer)->SignAndEncode(*b.Build()), "iss");
  }

  // Still fine after all that.
  EXPECT_TRUE(checker_->Check(good).ok());
}

TEST_F(SaJwtCheckerTest, ExactlyEightThousandBytesIsNotRejectedForSize) {
  const std::string good = Sign(key1_->jwk, For("ajesa1"));
  auto r = checker_->Check(good + std::string(8000 - good.size(), 'A'));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()),
              ::testing::Not(HasSubstr("8000")));
}

TEST_F(SaJwtCheckerTest, DeletedKeyFailsAtOnceThroughChecker) {
  const std::string token = Sign(key1_->jwk, For("ajesa1"));
  ASSERT_TRUE(checker_->Check(token).ok());  // Now cached.
  ASSERT_TRUE(checker_->DeleteKey(key1_->id).ok());
  ExpectUnauth(token, "has been deleted");
  EXPECT_TRUE(checker_->DeleteKey(key1_->id).ok());  // Twice is fine.
  EXPECT_EQ(checker_->DeleteKey("ajenope").code(), absl::StatusCode::kNotFound);
}

TEST_F(SaJwtCheckerTest, DeletedKeyElsewhereFailsWithinCacheTtl) {
  const std::string token = Sign(key1_->jwk, For("ajesa1"));
  ASSERT_TRUE(checker_->Check(token).ok());
  ASSERT_TRUE(store_->MarkAuthorizedKeyDeleted(key1_->id, kT0).ok());
  // Bounded staleness: served from the cache for at most cache_ttl.
  EXPECT_TRUE(checker_->Check(token).ok());
  clock_.Advance(absl::Seconds(5));
  ExpectUnauth(token, "has been deleted");
}

TEST_F(SaJwtCheckerTest, DeletedAccountFails) {
  const std::string token = Sign(key1_->jwk, For("ajesa1"));
  ASSERT_TRUE(checker_->Check(token).ok());
  ASSERT_TRUE(checker_->DeleteServiceAccount("ajesa1").ok());
  ExpectUnauth(token, "service account 'ajesa1' has been deleted");
}

// What a refusal may quote of the token: a header value (alg, kid) only when
// it is at most 64 bytes of printable ASCII without a quote, else a
// placeholder. Such a value is the sender's own text, so echoing even
// "PRIVATE KEY" leaks nothing (sa_jwt_fuzzer's finding); anything longer or
// unprintable could forge log lines or bloat them.
TEST_F(SaJwtCheckerTest, RefusalsQuoteOnlyShortPrintableHeaderValues) {
  const std::string payload = R"({"iss":"ajesa1"})";
  auto refusal = [&](absl::string_view header) {
    auto r = checker_->Check(Unsigned(header, payload));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated)
        << r.status();
    const std::string message(r.status().message());
    for (char c : message) {
      EXPECT_TRUE(c >= 0x20 && c <= 0x7e)
          << "byte " << int{c} << " in " << message;
    }
    return message;
  };
  EXPECT_EQ(refusal(R"({"alg":"PRIVATE KEYPS256","kid":"ivlen"})"),
            "JWT algorithm 'PRIVATE KEYPS256' is not supported; only PS256 "
            "is accepted");
  const std::string a64(64, 'A');
  EXPECT_EQ(refusal(absl::StrCat(R"({"alg":")", a64, R"("})")),
            absl::StrCat("JWT algorithm '", a64,
                         "' is not supported; only PS256 is accepted"));
  constexpr char kUnprintableAlg[] =
      "JWT algorithm (unprintable) is not supported; only PS256 is accepted";
  EXPECT_EQ(refusal(absl::StrCat(R"({"alg":")", a64, R"(A"})")),
            kUnprintableAlg);
  EXPECT_EQ(refusal(R"({"alg":"PS256\nERROR forged line"})"), kUnprintableAlg);
  EXPECT_EQ(refusal(R"({"alg":"PS'256"})"), kUnprintableAlg);
  EXPECT_EQ(refusal("{\"alg\":\"PS\xc3\xa9\"}"), kUnprintableAlg);
  EXPECT_EQ(refusal(R"({"alg":"PS256","kid":"ajenope"})"),
            "JWT kid 'ajenope' is not an authorized key");
  EXPECT_EQ(refusal(R"({"alg":"PS256","kid":"aje\u0000nope"})"),
            "JWT kid (unprintable) is not an authorized key");
}

TEST_F(SaJwtCheckerTest, BadOptions) {
  SaJwtCheckerOptions options;
  EXPECT_EQ(
      SaJwtChecker::Create(store_.get(), &clock_, options).status().code(),
      absl::StatusCode::kInvalidArgument);
  options.audiences = {kAud};
  options.clock_skew = absl::Minutes(11);
  EXPECT_EQ(
      SaJwtChecker::Create(store_.get(), &clock_, options).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokend::iam
