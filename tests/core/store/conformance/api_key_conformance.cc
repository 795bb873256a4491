// Store conformance: API keys. Every backend runs these (store_conformance.h).
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/store/conformance/store_conformance.h"

namespace tokend::store::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST_P(StoreConformanceTest, ApiKeyCrud) {
  Backend* const store = store_.get();
  ApiKeyRecord admin = ApiKey("ak_1", ApiKeySurface::kAdmin);
  ApiKeyRecord sessions = ApiKey("ak_2", ApiKeySurface::kSessions);
  sessions.created_at = kT0 + absl::Seconds(1);
  ApiKeyRecord scoped = ApiKey("ak_3", ApiKeySurface::kScoped);
  scoped.created_at = kT0 + absl::Seconds(2);
  scoped.revoked_at = kT0 + absl::Seconds(3);
  for (const auto& k : {admin, sessions, scoped}) {
    ASSERT_TRUE(store->InsertApiKey(k).ok());
  }

  absl::StatusOr<ApiKeyRecord> found =
      store->FindApiKeyByHash(sessions.secret_hash);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->id, "ak_2");
  EXPECT_EQ(found->surface, ApiKeySurface::kSessions);
  EXPECT_EQ(found->name, sessions.name);
  EXPECT_EQ(found->display_prefix, "sk_ab");
  EXPECT_EQ(found->secret_hash, sessions.secret_hash);
  EXPECT_EQ(found->created_at, sessions.created_at);
  EXPECT_FALSE(found->revoked_at.has_value());

  found = store->FindApiKeyByHash(scoped.secret_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->revoked_at, scoped.revoked_at);

  EXPECT_EQ(store->FindApiKeyByHash(std::string(32, 'x')).status().code(),
            absl::StatusCode::kNotFound);
  // The hash is compared as bytes, not as text.
  EXPECT_EQ(store->FindApiKeyByHash("ak_2").status().code(),
            absl::StatusCode::kNotFound);

  // Duplicate id, duplicate hash.
  ApiKeyRecord dup = ApiKey("ak_1", ApiKeySurface::kAdmin);
  dup.secret_hash = std::string(32, 'y');
  EXPECT_EQ(store->InsertApiKey(dup).code(), absl::StatusCode::kAlreadyExists);
  dup = ApiKey("ak_9", ApiKeySurface::kAdmin);
  dup.secret_hash = admin.secret_hash;
  EXPECT_EQ(store->InsertApiKey(dup).code(), absl::StatusCode::kAlreadyExists);

  auto all = store->ListApiKeys(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, ElementsAre(Field(&ApiKeyRecord::id, "ak_1"),
                                Field(&ApiKeyRecord::id, "ak_2"),
                                Field(&ApiKeyRecord::id, "ak_3")));
  auto only_sessions = store->ListApiKeys(ApiKeySurface::kSessions);
  ASSERT_TRUE(only_sessions.ok());
  EXPECT_THAT(*only_sessions, ElementsAre(Field(&ApiKeyRecord::id, "ak_2")));
  EXPECT_THAT(*store->ListApiKeys(ApiKeySurface::kAdmin),
              ElementsAre(Field(&ApiKeyRecord::id, "ak_1")));
}

TEST_P(StoreConformanceTest, RevokeApiKeyKeepsFirstTime) {
  Backend* const store = store_.get();
  ApiKeyRecord key = ApiKey("ak_1", ApiKeySurface::kScoped);
  ASSERT_TRUE(store->InsertApiKey(key).ok());

  const absl::Time first = kT0 + absl::Minutes(5);
  ASSERT_TRUE(store->RevokeApiKey("ak_1", first).ok());
  ASSERT_TRUE(store->RevokeApiKey("ak_1", first + absl::Hours(1)).ok());
  auto found = store->FindApiKeyByHash(key.secret_hash);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->revoked_at, first);

  EXPECT_EQ(store->RevokeApiKey("ak_unknown", first).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tokend::store::conformance
