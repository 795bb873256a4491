// Store conformance: JWT templates. Every backend runs these
// (store_conformance.h).
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

TEST_P(StoreConformanceTest, JwtTemplateRoundTripEveryField) {
  Backend* const store = store_.get();
  JwtTemplateRecord plain = Template("jtmp_1", "convex");
  JwtTemplateRecord custom = Template("jtmp_2", "hasura ☃");
  custom.custom_signing_key = true;
  custom.signing_algorithm = jose::Algorithm::kEs384;
  custom.sealed_signing_key = std::string("\x00\x01\xff\x00sealed\x00", 11);
  custom.lifetime_seconds = 315360000;
  custom.allowed_clock_skew_seconds = 0;
  custom.claims_json = "{}";
  JwtTemplateRecord extreme = Template("jtmp_3", "");
  extreme.lifetime_seconds = std::numeric_limits<int64_t>::min();
  extreme.allowed_clock_skew_seconds = std::numeric_limits<int64_t>::max();
  extreme.claims_json = std::string(64 * 1024, '[');
  for (const JwtTemplateRecord* rec : {&plain, &custom, &extreme}) {
    ASSERT_TRUE(store->InsertJwtTemplate(*rec).ok()) << rec->id;
  }
  for (const JwtTemplateRecord* rec : {&plain, &custom, &extreme}) {
    absl::StatusOr<JwtTemplateRecord> got = store->GetJwtTemplate(rec->id);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSameTemplate(*got, *rec);
    got = store->FindJwtTemplateByName(rec->name);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSameTemplate(*got, *rec);
  }
  EXPECT_EQ(store->GetJwtTemplate("jtmp_x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->FindJwtTemplateByName("Convex").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, JwtTemplateNamesAreUniqueAndListedInOrder) {
  Backend* const store = store_.get();
  ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_1", "supabase")).ok());
  ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_2", "convex")).ok());
  ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_3", "Zeta")).ok());
  EXPECT_EQ(store->InsertJwtTemplate(Template("jtmp_4", "convex")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->InsertJwtTemplate(Template("jtmp_1", "other")).code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<std::vector<JwtTemplateRecord>> list =
      store->ListJwtTemplates();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> names;
  for (const JwtTemplateRecord& t : *list) names.push_back(t.name);
  EXPECT_THAT(names, ElementsAre("Zeta", "convex", "supabase"));  // Bytewise.
}

TEST_P(StoreConformanceTest, JwtTemplateUpdateAndDelete) {
  Backend* const store = store_.get();
  JwtTemplateRecord a = Template("jtmp_a", "alpha");
  JwtTemplateRecord b = Template("jtmp_b", "beta");
  ASSERT_TRUE(store->InsertJwtTemplate(a).ok());
  ASSERT_TRUE(store->InsertJwtTemplate(b).ok());

  JwtTemplateRecord renamed = a;
  renamed.name = "gamma";
  renamed.claims_json = R"({"role":"{{user.public_metadata.role}}"})";
  renamed.lifetime_seconds = 30;
  renamed.allowed_clock_skew_seconds = 300;
  renamed.custom_signing_key = true;
  renamed.signing_algorithm = jose::Algorithm::kHs256;
  renamed.sealed_signing_key = "sealed-hmac";
  renamed.created_at = kT0 + absl::Hours(50);  // Ignored.
  renamed.updated_at = kT0 + absl::Hours(1);
  ASSERT_TRUE(store->UpdateJwtTemplate(renamed).ok());
  JwtTemplateRecord want = renamed;
  want.created_at = a.created_at;
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_a"), want);
  EXPECT_EQ(store->FindJwtTemplateByName("alpha").status().code(),
            absl::StatusCode::kNotFound);
  ExpectSameTemplate(*store->FindJwtTemplateByName("gamma"), want);

  // Back to no custom key.
  JwtTemplateRecord plain = want;
  plain.custom_signing_key = false;
  plain.signing_algorithm.reset();
  plain.sealed_signing_key.clear();
  ASSERT_TRUE(store->UpdateJwtTemplate(plain).ok());
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_a"), plain);

  // Renaming onto another's name fails and changes nothing.
  JwtTemplateRecord clash = plain;
  clash.name = "beta";
  clash.lifetime_seconds = 999;
  EXPECT_EQ(store->UpdateJwtTemplate(clash).code(),
            absl::StatusCode::kAlreadyExists);
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_a"), plain);
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_b"), b);

  EXPECT_EQ(store->UpdateJwtTemplate(Template("jtmp_x", "x")).code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(store->DeleteJwtTemplate("jtmp_b").ok());
  EXPECT_EQ(store->DeleteJwtTemplate("jtmp_b").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetJwtTemplate("jtmp_b").status().code(),
            absl::StatusCode::kNotFound);
  // The name is free again.
  EXPECT_TRUE(store->InsertJwtTemplate(Template("jtmp_c", "beta")).ok());
  EXPECT_THAT(*store->ListJwtTemplates(), SizeIs(2));
}

}  // namespace
}  // namespace tokend::store::conformance
