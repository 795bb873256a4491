#include "tests/core/store/conformance/sample_records.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tokend::store::conformance {

SigningKeyRecord Key(std::string kid, std::string slot, KeyState state) {
  SigningKeyRecord rec;
  rec.kid = std::move(kid);
  rec.slot = std::move(slot);
  rec.algorithm = jose::Algorithm::kEs256;
  rec.state = state;
  rec.public_jwk = absl::StrCat(R"({"kty":"EC","kid":")", rec.kid, R"("})");
  rec.sealed_private = std::string("\x01\x00\xff sealed", 10);
  rec.created_at = kT0;
  rec.activate_at = kT0 + absl::Minutes(15);
  return rec;
}

ApiKeyRecord ApiKey(std::string id, ApiKeySurface surface) {
  ApiKeyRecord rec;
  rec.id = std::move(id);
  rec.surface = surface;
  rec.name = "name of " + rec.id;
  rec.display_prefix = "sk_ab";
  rec.secret_hash = std::string(31, '\0') + rec.id;  // Distinct, binary.
  rec.created_at = kT0;
  return rec;
}

ServiceAccountRecord Account(std::string id, absl::Time created) {
  ServiceAccountRecord rec;
  rec.id = std::move(id);
  rec.name = "name-" + rec.id;
  rec.description = "about " + rec.id;
  rec.created_at = created;
  return rec;
}

AuthorizedKeyRecord AuthKey(std::string id, std::string account,
                            absl::Time created) {
  AuthorizedKeyRecord rec;
  rec.id = std::move(id);
  rec.service_account_id = std::move(account);
  rec.description = "key " + rec.id;
  rec.key_algorithm = AuthorizedKeyAlgorithm::kRsa2048;
  rec.public_key_pem =
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  rec.created_at = created;
  return rec;
}

UserRecord User(absl::string_view tag) {
  UserRecord rec;
  rec.id = absl::StrCat("user_", tag);
  rec.external_id = absl::StrCat("ext-", tag);
  rec.first_name = "Zoë";
  rec.last_name = "Ång-Łukasiewicz 山田";
  rec.username = absl::StrCat("name_", tag);
  rec.image_url = absl::StrCat("https://img.example/", tag, ".png");
  rec.email_addresses = {
      {absl::StrCat("idn_e1", tag), absl::StrCat(tag, "@example.com"), true},
      {absl::StrCat("idn_e2", tag), absl::StrCat(tag, "+alt@example.org"),
       false},
  };
  rec.primary_email_address_id = rec.email_addresses[0].id;
  rec.phone_numbers = {
      {absl::StrCat("idn_p1", tag), "+15555550100", false},
  };
  rec.primary_phone_number_id = rec.phone_numbers[0].id;
  rec.public_metadata_json = R"({"role":"admin","emoji":"🚀"})";
  rec.private_metadata_json = R"({"stripe":"cus_1"})";
  rec.unsafe_metadata_json = "{}";
  rec.locale = "pt-BR";
  rec.legal_accepted_at = kT0 - absl::Hours(24) + absl::Microseconds(7);
  rec.created_at = kT0 + absl::Microseconds(123456);
  rec.updated_at = kT0 + absl::Seconds(5);
  return rec;
}

SessionRecord Session(absl::string_view id, absl::string_view user_id,
                      absl::Time created_at) {
  SessionRecord rec;
  rec.id = std::string(id);
  rec.user_id = std::string(user_id);
  rec.status = SessionStatus::kActive;
  // Distinct, binary, 32 bytes like a real SHA-256.
  rec.client_token_hash = std::string(1, '\0') + std::string(id) +
                          std::string(31 - id.size(), '\xee');
  rec.created_at = created_at;
  rec.updated_at = created_at;
  rec.last_active_at = created_at;
  rec.expire_at = created_at + absl::Hours(24 * 7);
  return rec;
}

JwtTemplateRecord Template(absl::string_view id, absl::string_view name) {
  JwtTemplateRecord rec;
  rec.id = std::string(id);
  rec.name = std::string(name);
  rec.claims_json =
      R"({"aud":"convex","email":"{{user.primary_email_address}}"})";
  rec.lifetime_seconds = 3600;
  rec.allowed_clock_skew_seconds = 10;
  rec.created_at = kT0;
  rec.updated_at = kT0 + absl::Seconds(1);
  return rec;
}

void ExpectSameKey(const SigningKeyRecord& a, const SigningKeyRecord& b) {
  EXPECT_EQ(a.kid, b.kid);
  EXPECT_EQ(a.slot, b.slot);
  EXPECT_EQ(a.algorithm, b.algorithm);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.public_jwk, b.public_jwk);
  EXPECT_EQ(a.sealed_private, b.sealed_private);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.activate_at, b.activate_at);
  EXPECT_EQ(a.retired_at, b.retired_at);
  EXPECT_EQ(a.delete_after, b.delete_after);
}

void ExpectSameUser(const UserRecord& a, const UserRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.external_id, b.external_id);
  EXPECT_EQ(a.first_name, b.first_name);
  EXPECT_EQ(a.last_name, b.last_name);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.image_url, b.image_url);
  ASSERT_EQ(a.email_addresses.size(), b.email_addresses.size());
  for (size_t i = 0; i < a.email_addresses.size(); ++i) {
    EXPECT_EQ(a.email_addresses[i].id, b.email_addresses[i].id);
    EXPECT_EQ(a.email_addresses[i].email_address,
              b.email_addresses[i].email_address);
    EXPECT_EQ(a.email_addresses[i].verified, b.email_addresses[i].verified);
  }
  EXPECT_EQ(a.primary_email_address_id, b.primary_email_address_id);
  ASSERT_EQ(a.phone_numbers.size(), b.phone_numbers.size());
  for (size_t i = 0; i < a.phone_numbers.size(); ++i) {
    EXPECT_EQ(a.phone_numbers[i].id, b.phone_numbers[i].id);
    EXPECT_EQ(a.phone_numbers[i].phone_number, b.phone_numbers[i].phone_number);
    EXPECT_EQ(a.phone_numbers[i].verified, b.phone_numbers[i].verified);
  }
  EXPECT_EQ(a.primary_phone_number_id, b.primary_phone_number_id);
  EXPECT_EQ(a.public_metadata_json, b.public_metadata_json);
  EXPECT_EQ(a.private_metadata_json, b.private_metadata_json);
  EXPECT_EQ(a.unsafe_metadata_json, b.unsafe_metadata_json);
  EXPECT_EQ(a.locale, b.locale);
  EXPECT_EQ(a.legal_accepted_at, b.legal_accepted_at);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.deleted_at, b.deleted_at);
}

void ExpectSameSession(const SessionRecord& a, const SessionRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.client_token_hash, b.client_token_hash);
  EXPECT_EQ(a.actor_json, b.actor_json);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.last_active_at, b.last_active_at);
  EXPECT_EQ(a.expire_at, b.expire_at);
}

void ExpectSameTemplate(const JwtTemplateRecord& a,
                        const JwtTemplateRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.claims_json, b.claims_json);
  EXPECT_EQ(a.lifetime_seconds, b.lifetime_seconds);
  EXPECT_EQ(a.allowed_clock_skew_seconds, b.allowed_clock_skew_seconds);
  EXPECT_EQ(a.custom_signing_key, b.custom_signing_key);
  EXPECT_EQ(a.signing_algorithm, b.signing_algorithm);
  EXPECT_EQ(a.sealed_signing_key, b.sealed_signing_key);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

std::vector<std::string> Ids(const std::vector<SessionRecord>& sessions) {
  std::vector<std::string> out;
  for (const SessionRecord& s : sessions) out.push_back(s.id);
  return out;
}

}  // namespace tokend::store::conformance
