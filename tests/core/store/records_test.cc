// The names enums are stored under (records.h): each Parse inverts its Name,
// and nothing else parses. A renamed constant would orphan stored rows.
#include "core/store/records.h"

#include "gtest/gtest.h"

namespace tokend::store {
namespace {

TEST(RecordsTest, SessionStatusNamesRoundTrip) {
  for (SessionStatus status :
       {SessionStatus::kActive, SessionStatus::kRevoked, SessionStatus::kEnded,
        SessionStatus::kExpired}) {
    EXPECT_EQ(ParseSessionStatus(SessionStatusName(status)), status);
  }
  EXPECT_EQ(SessionStatusName(SessionStatus::kActive), "active");
  EXPECT_EQ(SessionStatusName(SessionStatus::kRevoked), "revoked");
  EXPECT_EQ(SessionStatusName(SessionStatus::kEnded), "ended");
  EXPECT_EQ(SessionStatusName(SessionStatus::kExpired), "expired");
  EXPECT_EQ(ParseSessionStatus("Active"), std::nullopt);
  EXPECT_EQ(ParseSessionStatus(""), std::nullopt);
  EXPECT_EQ(ParseSessionStatus("pending"), std::nullopt);
}

TEST(RecordsTest, KeyStateNamesRoundTrip) {
  EXPECT_EQ(KeyStateName(KeyState::kNext), "next");
  EXPECT_EQ(KeyStateName(KeyState::kActive), "active");
  EXPECT_EQ(KeyStateName(KeyState::kRetired), "retired");
  for (KeyState state :
       {KeyState::kNext, KeyState::kActive, KeyState::kRetired}) {
    EXPECT_EQ(ParseKeyState(KeyStateName(state)), state);
  }
  EXPECT_EQ(ParseKeyState("Active"), std::nullopt);
  EXPECT_EQ(ParseKeyState("gone"), std::nullopt);
}

TEST(RecordsTest, ApiKeySurfaceNamesRoundTrip) {
  EXPECT_EQ(ApiKeySurfaceName(ApiKeySurface::kAdmin), "admin");
  EXPECT_EQ(ApiKeySurfaceName(ApiKeySurface::kSessions), "sessions");
  EXPECT_EQ(ApiKeySurfaceName(ApiKeySurface::kScoped), "scoped");
  for (ApiKeySurface surface : {ApiKeySurface::kAdmin, ApiKeySurface::kSessions,
                                ApiKeySurface::kScoped}) {
    EXPECT_EQ(ParseApiKeySurface(ApiKeySurfaceName(surface)), surface);
  }
  EXPECT_EQ(ParseApiKeySurface("SCOPED"), std::nullopt);
  EXPECT_EQ(ParseApiKeySurface(""), std::nullopt);
}

TEST(RecordsTest, AuthorizedKeyAlgorithmNamesAreYandexCloudsRoundTrip) {
  EXPECT_EQ(AuthorizedKeyAlgorithmName(AuthorizedKeyAlgorithm::kRsa2048),
            "RSA_2048");
  EXPECT_EQ(AuthorizedKeyAlgorithmName(AuthorizedKeyAlgorithm::kRsa4096),
            "RSA_4096");
  for (AuthorizedKeyAlgorithm alg :
       {AuthorizedKeyAlgorithm::kRsa2048, AuthorizedKeyAlgorithm::kRsa4096}) {
    EXPECT_EQ(ParseAuthorizedKeyAlgorithm(AuthorizedKeyAlgorithmName(alg)),
              alg);
  }
  EXPECT_EQ(ParseAuthorizedKeyAlgorithm("rsa_2048"), std::nullopt);
  EXPECT_EQ(ParseAuthorizedKeyAlgorithm("EC_P256"), std::nullopt);
}

TEST(RecordsTest, ChangeKindNamesRoundTrip) {
  for (ChangeKind kind :
       {ChangeKind::kSigningKeys, ChangeKind::kApiKey,
        ChangeKind::kServiceAccount, ChangeKind::kAuthorizedKey,
        ChangeKind::kOAuthToken, ChangeKind::kRevokedToken, ChangeKind::kUser,
        ChangeKind::kSession, ChangeKind::kJwtTemplate}) {
    EXPECT_EQ(ParseChangeKind(ChangeKindName(kind)), kind);
  }
  EXPECT_EQ(ChangeKindName(ChangeKind::kRevokedToken), "revoked_token");
  EXPECT_EQ(ChangeKindName(ChangeKind::kSigningKeys), "signing_keys");
  EXPECT_EQ(ParseChangeKind("unknown"), std::nullopt);
  EXPECT_EQ(ParseChangeKind("Session"), std::nullopt);
}

}  // namespace
}  // namespace tokend::store
