// TokenVerifier's family rules (core/keys/token_family.h) with the real
// keyring's keys: the claim must fit the signing key's slot; a named family
// must match; tokens from before the claim are judged by slot and claims;
// tkd_sid ties template and Hasura tokens to their session.
#include "core/verify/token_verifier.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/common/clock.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/sealer.h"
#include "core/keys/token_family.h"
#include "core/store/sqlite_store.h"
#include "gtest/gtest.h"

namespace tokend::verify {
namespace {

using keys::TokenFamily;

constexpr char kIssuer[] = "https://tokend.test";
const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

class TokenVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/verifier-", getpid(),
                         ".db");
    auto store = store::SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto sealer =
        keys::Sealer::Create(std::string(keys::Sealer::kKeySize, 'v'));
    ASSERT_TRUE(sealer.ok());
    sealer_ = *std::move(sealer);
    auto keyring = keys::Keyring::Open(store_.get(), sealer_.get(),
                                       keys::KeyringOptions(), &clock_);
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    auto verifier = TokenVerifier::Create(keyring_.get(), kIssuer, &clock_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = std::make_unique<TokenVerifier>(*std::move(verifier));
    verifier_->SetSessionCheck([](absl::string_view sid) {
      return sid == "sess_live" ? absl::OkStatus()
                                : absl::NotFoundError("no such session");
    });
  }
  void TearDown() override { std::remove(path_.c_str()); }

  // A token signed by `slot`'s active key, with `claims` added.
  std::string Sign(absl::string_view slot,
                   const std::function<void(jose::RawJwtBuilder&)>& claims) {
    jose::RawJwtBuilder builder;
    builder.SetTypeHeader("JWT")
        .SetIssuer(kIssuer)
        .SetSubject("user_1")
        .SetIssuedAt(kT0)
        .SetExpiration(kT0 + absl::Minutes(5));
    claims(builder);
    auto raw = builder.Build();
    EXPECT_TRUE(raw.ok()) << raw.status();
    auto signer = keyring_->Signer(slot);
    EXPECT_TRUE(signer.ok()) << signer.status();
    auto token = (*signer)->SignAndEncode(*raw);
    EXPECT_TRUE(token.ok()) << token.status();
    return *token;
  }
  absl::Status Verify(const std::string& token,
                      std::optional<TokenFamily> family) {
    return verifier_->Verify(token, "", family).status();
  }
  static auto Family(absl::string_view name) {
    return [name](jose::RawJwtBuilder& b) {
      b.AddStringClaim(keys::kFamilyClaim, name);
    };
  }

  std::string path_;
  FakeClock clock_{kT0};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<keys::Sealer> sealer_;
  std::unique_ptr<keys::Keyring> keyring_;
  std::unique_ptr<TokenVerifier> verifier_;
};

TEST_F(TokenVerifierTest, TheStatedFamilyMustMatchTheOneAskedFor) {
  const std::string scoped = Sign(keys::kScopedSlot, Family("scoped"));
  EXPECT_TRUE(Verify(scoped, TokenFamily::kScoped).ok());
  EXPECT_TRUE(Verify(scoped, std::nullopt).ok());  // an audience would do
  const absl::Status as_iam = Verify(scoped, TokenFamily::kIam);
  EXPECT_EQ(as_iam.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(as_iam.message(), "token is not of the iam family");
}

TEST_F(TokenVerifierTest, AClaimItsKeyCannotSignIsRefusedWhateverIsAsked) {
  // Our own key, a family its slot never signs: refused even unasked.
  for (auto [slot, family] :
       {std::pair{keys::kSessionSlot, "iam"},
        std::pair{keys::kIamSlot, "session"},
        std::pair{keys::kScopedSlot, "template"},
        std::pair{keys::kIamSlot, "firebase"}, std::pair{keys::kIamSlot, ""}}) {
    const absl::Status s = Verify(Sign(slot, Family(family)), std::nullopt);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated)
        << slot << " " << family;
    EXPECT_EQ(s.message(), "token family does not match its key");
  }
  const std::string number = Sign(keys::kIamSlot, [](jose::RawJwtBuilder& b) {
    b.AddIntegerClaim(keys::kFamilyClaim, 1);
  });
  EXPECT_EQ(Verify(number, std::nullopt).message(),
            "token family does not match its key");
}

TEST_F(TokenVerifierTest, TokensFromBeforeTheClaimAreJudgedBySlotAndClaims) {
  auto none = [](jose::RawJwtBuilder&) {};
  EXPECT_TRUE(Verify(Sign(keys::kIamSlot, none), TokenFamily::kIam).ok());
  EXPECT_TRUE(Verify(Sign(keys::kScopedSlot, none), TokenFamily::kScoped).ok());
  const std::string session =
      Sign(keys::kSessionSlot, [](jose::RawJwtBuilder& b) {
        b.AddStringClaim("sid", "sess_live").AddIntegerClaim("v", 2);
      });
  const std::string hasura =
      Sign(keys::kSessionSlot, [](jose::RawJwtBuilder& b) {
        b.AddJsonObjectClaim("https://hasura.io/jwt/claims",
                             R"({"x-hasura-user-id":"user_1"})");
      });
  const std::string tmpl = Sign(keys::kSessionSlot, none);
  EXPECT_TRUE(Verify(session, TokenFamily::kSession).ok());
  EXPECT_TRUE(Verify(hasura, TokenFamily::kHasura).ok());
  EXPECT_TRUE(Verify(tmpl, TokenFamily::kTemplate).ok());
  EXPECT_EQ(Verify(session, TokenFamily::kTemplate).message(),
            "token is not of the template family");
  EXPECT_EQ(Verify(tmpl, TokenFamily::kSession).message(),
            "token is not of the session family");
  EXPECT_EQ(Verify(Sign(keys::kIamSlot, none), TokenFamily::kScoped).message(),
            "token is not of the scoped family");
}

TEST_F(TokenVerifierTest, TemplateAndHasuraTokensEndWithTheirSession) {
  for (const char* family : {"template", "hasura"}) {
    auto of = [family](const char* sid) {
      return [family, sid](jose::RawJwtBuilder& b) {
        b.AddStringClaim(keys::kFamilyClaim, family)
            .AddStringClaim(keys::kSessionIdClaim, sid);
      };
    };
    EXPECT_TRUE(
        Verify(Sign(keys::kSessionSlot, of("sess_live")), std::nullopt).ok())
        << family;
    const absl::Status ended =
        Verify(Sign(keys::kSessionSlot, of("sess_ended")), std::nullopt);
    EXPECT_EQ(ended.code(), absl::StatusCode::kUnauthenticated) << family;
    EXPECT_EQ(ended.message(), "session is not active") << family;
  }
  // A template's own "sid" claim does not hide the session's tkd_sid.
  const std::string both = Sign(keys::kSessionSlot, [](jose::RawJwtBuilder& b) {
    b.AddStringClaim(keys::kFamilyClaim, "template")
        .AddStringClaim("sid", "sess_live")
        .AddStringClaim(keys::kSessionIdClaim, "sess_ended");
  });
  EXPECT_EQ(Verify(both, std::nullopt).message(), "session is not active");
}

}  // namespace
}  // namespace tokend::verify
