#include "core/iam/authorized_keys.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "core/common/clock.h"
#include "core/iam/ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/iam/test_util.h"

namespace tokend::iam {
namespace {

using testing::Account;
using ::testing::HasSubstr;
using testing::kT0;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

TEST(IdsTest, Shape) {
  auto a = NewResourceId();
  auto b = NewResourceId();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_THAT(*a, MatchesRegex("aje[0-9a-v]{17}"));
  EXPECT_NE(*a, *b);
}

TEST(AuthorizedKeysTest, CreateStoresPublicKeyOnlyAndFileRoundTrips) {
  auto store = testing::OpenTempStore("ak");
  ASSERT_NE(store, nullptr);
  FakeClock clock(kT0);
  ASSERT_TRUE(store->InsertServiceAccount(Account("ajesa1")).ok());

  auto created = CreateAuthorizedKey(store.get(), clock, "ajesa1",
                                     KeyAlgorithm::kRsa2048, "ci key");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_THAT(created->key.id, MatchesRegex("aje[0-9a-v]{17}"));
  EXPECT_EQ(created->key.key_algorithm, KeyAlgorithm::kRsa2048);
  EXPECT_THAT(created->private_key_pem,
              StartsWith("-----BEGIN PRIVATE KEY-----"));

  auto stored = store->GetAuthorizedKey(created->key.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->service_account_id, "ajesa1");
  EXPECT_EQ(stored->description, "ci key");
  EXPECT_EQ(stored->created_at, kT0);
  EXPECT_THAT(stored->public_key_pem, StartsWith("-----BEGIN PUBLIC KEY-----"));
  EXPECT_FALSE(absl::StrContains(stored->public_key_pem, "PRIVATE"));

  auto file = nlohmann::json::parse(created->key_file_json);
  EXPECT_EQ(file["id"], created->key.id);
  EXPECT_EQ(file["service_account_id"], "ajesa1");
  EXPECT_EQ(file["created_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(file["key_algorithm"], "RSA_2048");
  EXPECT_EQ(file["public_key"], stored->public_key_pem);
  EXPECT_EQ(file["private_key"],
            "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID " +
                created->key.id + "\n" + created->private_key_pem);

  auto parsed = ParseKeyFile(created->key_file_json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->id, created->key.id);
  EXPECT_EQ(parsed->service_account_id, "ajesa1");
  EXPECT_EQ(parsed->created_at, kT0);
  EXPECT_EQ(parsed->private_key.kid(), created->key.id);
  EXPECT_EQ(parsed->private_key.algorithm(), jose::Algorithm::kPs256);
  EXPECT_TRUE(parsed->private_key.has_private());

  // Without the explanatory line, and with user_account_id, also parses.
  file["private_key"] = created->private_key_pem;
  file.erase("service_account_id");
  file["user_account_id"] = "ajeuser";
  parsed = ParseKeyFile(file.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->service_account_id, "ajeuser");
}

TEST(AuthorizedKeysTest, Rsa4096) {
  auto store = testing::OpenTempStore("ak4096");
  ASSERT_NE(store, nullptr);
  FakeClock clock(kT0);
  ASSERT_TRUE(store->InsertServiceAccount(Account("ajesa1")).ok());
  auto created = CreateAuthorizedKey(store.get(), clock, "ajesa1",
                                     KeyAlgorithm::kRsa4096, "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->key.key_algorithm, KeyAlgorithm::kRsa4096);
  EXPECT_TRUE(ParseKeyFile(created->key_file_json).ok());
}

TEST(AuthorizedKeysTest, CreateNeedsALiveAccount) {
  auto store = testing::OpenTempStore("ak-acc");
  ASSERT_NE(store, nullptr);
  FakeClock clock(kT0);
  EXPECT_EQ(CreateAuthorizedKey(store.get(), clock, "nope",
                                KeyAlgorithm::kRsa2048, "")
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->InsertServiceAccount(Account("ajesa1")).ok());
  ASSERT_TRUE(store->MarkServiceAccountDeleted("ajesa1", kT0).ok());
  EXPECT_EQ(CreateAuthorizedKey(store.get(), clock, "ajesa1",
                                KeyAlgorithm::kRsa2048, "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AuthorizedKeysTest, ParseRejectsBadFiles) {
  auto store = testing::OpenTempStore("ak-bad");
  ASSERT_NE(store, nullptr);
  FakeClock clock(kT0);
  ASSERT_TRUE(store->InsertServiceAccount(Account("ajesa1")).ok());
  auto a = CreateAuthorizedKey(store.get(), clock, "ajesa1",
                               KeyAlgorithm::kRsa2048, "");
  auto b = CreateAuthorizedKey(store.get(), clock, "ajesa1",
                               KeyAlgorithm::kRsa2048, "");
  ASSERT_TRUE(a.ok() && b.ok());

  EXPECT_EQ(ParseKeyFile("not json").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto file = nlohmann::json::parse(a->key_file_json);
  auto mismatched = file;
  mismatched["public_key"] = b->key.public_key_pem;
  EXPECT_THAT(ParseKeyFile(mismatched.dump()).status().message(),
              HasSubstr("does not match"));
  auto no_private = file;
  no_private.erase("private_key");
  EXPECT_THAT(ParseKeyFile(no_private.dump()).status().message(),
              HasSubstr("no private_key"));
  auto public_as_private = file;
  public_as_private["private_key"] = a->key.public_key_pem;
  EXPECT_EQ(ParseKeyFile(public_as_private.dump()).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad_alg = file;
  bad_alg["key_algorithm"] = "EC_P256";
  EXPECT_EQ(ParseKeyFile(bad_alg.dump()).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Error messages never echo key material.
  EXPECT_FALSE(absl::StrContains(
      ParseKeyFile(public_as_private.dump()).status().message(), "BEGIN"));
}

}  // namespace
}  // namespace tokend::iam
