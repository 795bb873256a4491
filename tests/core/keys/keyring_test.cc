#include "core/keys/keyring.h"

#include <openssl/sha.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/jose/base64url.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/jwt_validator.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/sealer.h"
#include "core/store/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::keys {
namespace {

using store::KeyState;
using ::testing::HasSubstr;
using ::testing::SizeIs;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

std::string TempDbPath() {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/keyring-", getpid(), "-",
                      ++counter, ".db");
}

std::unique_ptr<Sealer> MakeSealer(char fill) {
  auto sealer = Sealer::Create(std::string(Sealer::kKeySize, fill));
  EXPECT_TRUE(sealer.ok());
  return *std::move(sealer);
}

// Two ES256 slots: fast to generate.
KeyringOptions EcOptions() {
  KeyringOptions options;
  options.slots = {
      {"iam", jose::Algorithm::kEs256, absl::Hours(12)},
      {"scoped", jose::Algorithm::kEs256, absl::Hours(24 * 365)},
  };
  return options;
}

absl::StatusOr<std::string> SignToken(const Keyring& keyring,
                                      absl::string_view slot, absl::Time now) {
  auto signer = keyring.Signer(slot);
  if (!signer.ok()) return signer.status();
  auto jwt = jose::RawJwtBuilder()
                 .SetIssuer("keyring-test")
                 .SetIssuedAt(now)
                 .SetExpiration(now + absl::Hours(1))
                 .Build();
  if (!jwt.ok()) return jwt.status();
  return (*signer)->SignAndEncode(*jwt);
}

absl::StatusOr<jose::VerifiedJwt> VerifyToken(absl::string_view token,
                                              const jose::JwkSet& jwks,
                                              absl::Time now) {
  auto validator =
      jose::JwtValidatorBuilder()
          .ExpectIssuer("keyring-test")
          .AllowAlgorithms({jose::Algorithm::kEs256, jose::Algorithm::kRs256})
          .Build();
  if (!validator.ok()) return validator.status();
  return validator->Verify(token, jwks, now);
}

const KeyInfo* FindKey(const std::vector<KeyInfo>& keys, absl::string_view slot,
                       KeyState state) {
  for (const KeyInfo& k : keys) {
    if (k.slot == slot && k.state == state) return &k;
  }
  return nullptr;
}

std::string SignerKid(const Keyring& keyring, absl::string_view slot) {
  auto signer = keyring.Signer(slot);
  EXPECT_TRUE(signer.ok()) << signer.status();
  return signer.ok() ? (*signer)->key().kid() : "";
}

// Forwards to a real store; UpdateSigningKeys can be made to fail.
class FlakyStore : public store::SigningKeyStore {
 public:
  explicit FlakyStore(store::SigningKeyStore* inner) : inner_(inner) {}
  void set_fail_updates(bool fail) { fail_updates_ = fail; }

  absl::StatusOr<std::vector<store::SigningKeyRecord>> ListSigningKeys()
      override {
    return inner_->ListSigningKeys();
  }
  absl::Status InsertSigningKey(const store::SigningKeyRecord& rec) override {
    return inner_->InsertSigningKey(rec);
  }
  absl::Status UpdateSigningKeys(
      const store::Fence& fence,
      const std::vector<store::SigningKeyRecord>& changed,
      const std::vector<std::string>& deleted) override {
    if (fail_updates_) return absl::UnavailableError("injected failure");
    return inner_->UpdateSigningKeys(fence, changed, deleted);
  }

 private:
  store::SigningKeyStore* inner_;
  std::atomic<bool> fail_updates_{false};
};

class KeyringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempDbPath();
    auto store = store::SqliteStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    sealer_ = MakeSealer('m');
  }

  std::unique_ptr<Keyring> MustOpen(KeyringOptions options,
                                    const Clock* clock = nullptr) {
    auto keyring =
        Keyring::Open(store_.get(), sealer_.get(), std::move(options),
                      clock != nullptr ? clock : &clock_);
    EXPECT_TRUE(keyring.ok()) << keyring.status();
    return keyring.ok() ? *std::move(keyring) : nullptr;
  }

  // The maintenance lease, held by this test.
  store::Fence LeaderFence() {
    auto lease =
        store_->AcquireLease("maintenance", "keyring-test", absl::Hours(1));
    EXPECT_TRUE(lease.ok()) << lease.status();
    EXPECT_EQ(lease->holder, "keyring-test");
    return lease.ok() ? store::FenceOf(*lease) : store::Fence{};
  }

  // The leader's Tick.
  absl::Status Tick(Keyring& keyring) { return keyring.Tick(LeaderFence()); }

  std::vector<store::SigningKeyRecord> Rows() {
    auto rows = store_->ListSigningKeys();
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<store::SigningKeyRecord>{};
  }

  std::string path_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<Sealer> sealer_;
  FakeClock clock_{kT0};
};

TEST_F(KeyringTest, BootstrapCreatesOneActiveKeyPerDefaultSlot) {
  auto keyring = MustOpen(KeyringOptions());
  ASSERT_NE(keyring, nullptr);

  std::vector<KeyInfo> keys = keyring->List();
  ASSERT_THAT(keys, SizeIs(3));
  std::set<std::string> slots;
  for (const KeyInfo& k : keys) {
    slots.insert(k.slot);
    EXPECT_EQ(k.state, KeyState::kActive) << k.slot;
    EXPECT_EQ(k.created_at, kT0);
    EXPECT_EQ(k.activate_at, kT0);
    EXPECT_EQ(k.retired_at, std::nullopt);
    EXPECT_EQ(k.delete_after, std::nullopt);
    EXPECT_EQ(k.algorithm, k.slot == "session" ? jose::Algorithm::kRs256
                                               : jose::Algorithm::kEs256);
    EXPECT_EQ(SignerKid(*keyring, k.slot), k.kid);
  }
  EXPECT_EQ(slots, (std::set<std::string>{"iam", "scoped", "session"}));
  EXPECT_THAT(Rows(), SizeIs(3));
  EXPECT_EQ(keyring->PublicJwks().size(), 3u);

  for (const std::string& slot : slots) {
    auto token = SignToken(*keyring, slot, kT0);
    ASSERT_TRUE(token.ok()) << token.status();
    auto verified = VerifyToken(*token, keyring->PublicJwks(), kT0);
    EXPECT_TRUE(verified.ok()) << slot << ": " << verified.status();
  }

  EXPECT_EQ(keyring->Signer("nope").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(keyring->NextTransition(), absl::InfiniteFuture());
}

TEST_F(KeyringTest, DefaultOptions) {
  KeyringOptions options;
  EXPECT_TRUE(options.Validate().ok());
  EXPECT_EQ(options.publish_lead_time, absl::Minutes(15));
  EXPECT_EQ(options.jwks_max_age, absl::Minutes(5));
  ASSERT_THAT(options.slots, SizeIs(3));
  EXPECT_EQ(options.slots[0].name, "session");
  EXPECT_EQ(options.slots[0].algorithm, jose::Algorithm::kRs256);
  EXPECT_EQ(options.slots[0].max_token_lifetime, absl::Seconds(315360000));
  EXPECT_EQ(options.slots[1].name, "iam");
  EXPECT_EQ(options.slots[1].max_token_lifetime, absl::Hours(12));
  EXPECT_EQ(options.slots[2].name, "scoped");
  EXPECT_EQ(options.slots[2].max_token_lifetime, absl::Hours(8766));
}

TEST_F(KeyringTest, SignerIsPreparedOnceAndShared) {
  auto keyring = MustOpen(EcOptions());
  auto a = keyring->Signer("iam");
  auto b = keyring->Signer("iam");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  // A Tick with nothing to do keeps the same signer and JWKS.
  const std::string etag = keyring->ETag();
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(keyring->Signer("iam")->get(), a->get());
  EXPECT_EQ(keyring->ETag(), etag);
}

TEST_F(KeyringTest, RotationLifecycle) {
  auto keyring = MustOpen(EcOptions());
  ASSERT_NE(keyring, nullptr);
  const std::string old_kid = SignerKid(*keyring, "iam");
  const std::string scoped_kid = SignerKid(*keyring, "scoped");
  const std::string etag0 = keyring->ETag();
  auto old_token = SignToken(*keyring, "iam", kT0);
  ASSERT_TRUE(old_token.ok());

  // Prepare: the next key is published at once but does not sign.
  ASSERT_TRUE(keyring->Rotate("iam").ok());
  const std::vector<KeyInfo> rotating = keyring->List();
  const KeyInfo* next = FindKey(rotating, "iam", KeyState::kNext);
  ASSERT_NE(next, nullptr);
  const std::string new_kid = next->kid;
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(next->activate_at, kT0 + absl::Minutes(15));
  EXPECT_NE(keyring->PublicJwks().Find(new_kid), nullptr);
  EXPECT_NE(keyring->ETag(), etag0);
  EXPECT_EQ(keyring->PublicJwks().size(), 3u);
  EXPECT_EQ(SignerKid(*keyring, "iam"), old_kid);
  EXPECT_EQ(keyring->NextTransition(), kT0 + absl::Minutes(15));

  // One rotation at a time.
  EXPECT_EQ(keyring->Rotate("iam").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keyring->Rotate("nope").code(), absl::StatusCode::kNotFound);

  // Not before the lead time, Tick or not.
  clock_.Advance(absl::Minutes(15) - absl::Seconds(1));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(SignerKid(*keyring, "iam"), old_kid);
  EXPECT_EQ(FindKey(keyring->List(), "iam", KeyState::kNext)->kid, new_kid);

  // Activate: the old key retires and stays published.
  clock_.Advance(absl::Seconds(1));
  const absl::Time activated_at = clock_.Now();
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(SignerKid(*keyring, "iam"), new_kid);
  EXPECT_EQ(SignerKid(*keyring, "scoped"), scoped_kid);
  std::vector<KeyInfo> keys = keyring->List();
  const KeyInfo* retired = FindKey(keys, "iam", KeyState::kRetired);
  ASSERT_NE(retired, nullptr);
  EXPECT_EQ(retired->kid, old_kid);
  EXPECT_EQ(retired->retired_at, activated_at);
  // Max token lifetime + JWKS max-age (5 min) + 5 min of clock skew.
  const absl::Duration margin = absl::Minutes(10);
  EXPECT_EQ(retired->delete_after, activated_at + absl::Hours(12) + margin);
  EXPECT_EQ(FindKey(keys, "iam", KeyState::kNext), nullptr);
  EXPECT_EQ(FindKey(keys, "iam", KeyState::kActive)->kid, new_kid);
  EXPECT_NE(keyring->PublicJwks().Find(old_kid), nullptr);
  EXPECT_TRUE(VerifyToken(*old_token, keyring->PublicJwks(), kT0).ok());
  auto new_token = SignToken(*keyring, "iam", clock_.Now());
  ASSERT_TRUE(new_token.ok());
  auto verified = VerifyToken(*new_token, keyring->PublicJwks(), clock_.Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->kid(), new_kid);
  EXPECT_EQ(keyring->NextTransition(), activated_at + absl::Hours(12) + margin);

  // Still published until every token it signed has expired...
  clock_.Advance(absl::Hours(12) + margin - absl::Seconds(1));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_NE(keyring->PublicJwks().Find(old_kid), nullptr);
  // ...then gone, from the JWKS and from the store.
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(keyring->PublicJwks().Find(old_kid), nullptr);
  EXPECT_THAT(keyring->List(), SizeIs(2));
  for (const auto& row : Rows()) EXPECT_NE(row.kid, old_kid);
  EXPECT_EQ(SignerKid(*keyring, "iam"), new_kid);
  EXPECT_EQ(keyring->NextTransition(), absl::InfiniteFuture());
}

TEST_F(KeyringTest, RotateAllSkipsSlotsAlreadyRotating) {
  auto keyring = MustOpen(EcOptions());
  ASSERT_TRUE(keyring->Rotate("iam").ok());
  const std::string iam_next =
      FindKey(keyring->List(), "iam", KeyState::kNext)->kid;
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(keyring->RotateAll().ok());
  std::vector<KeyInfo> keys = keyring->List();
  EXPECT_THAT(keys, SizeIs(4));
  EXPECT_EQ(FindKey(keys, "iam", KeyState::kNext)->kid, iam_next);
  const KeyInfo* scoped_next = FindKey(keys, "scoped", KeyState::kNext);
  ASSERT_NE(scoped_next, nullptr);
  EXPECT_EQ(scoped_next->activate_at, kT0 + absl::Minutes(16));
  // Each slot activates on its own schedule.
  clock_.Advance(absl::Minutes(14));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(SignerKid(*keyring, "iam"), iam_next);
  EXPECT_NE(SignerKid(*keyring, "scoped"), scoped_next->kid);
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(SignerKid(*keyring, "scoped"), scoped_next->kid);
}

TEST_F(KeyringTest, ReopenKeepsKeysAndSignsVerifiably) {
  std::vector<KeyInfo> before;
  std::string jwks_json;
  std::string etag;
  {
    auto keyring = MustOpen(EcOptions());
    ASSERT_TRUE(keyring->Rotate("scoped").ok());
    before = keyring->List();
    jwks_json = keyring->PublicJwksJson();
    etag = keyring->ETag();
  }
  // A new connection to the same file, as after a restart.
  store_.reset();
  auto reopened_store = store::SqliteStore::Open(path_);
  ASSERT_TRUE(reopened_store.ok());
  store_ = *std::move(reopened_store);

  auto keyring = MustOpen(EcOptions());
  ASSERT_NE(keyring, nullptr);
  std::vector<KeyInfo> after = keyring->List();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].kid, before[i].kid);
    EXPECT_EQ(after[i].slot, before[i].slot);
    EXPECT_EQ(after[i].state, before[i].state);
    EXPECT_EQ(after[i].activate_at, before[i].activate_at);
  }
  EXPECT_EQ(keyring->PublicJwksJson(), jwks_json);
  EXPECT_EQ(keyring->ETag(), etag);

  auto previous = jose::JwkSet::FromJson(jwks_json);
  ASSERT_TRUE(previous.ok()) << previous.status();
  for (const char* slot : {"iam", "scoped"}) {
    auto token = SignToken(*keyring, slot, clock_.Now());
    ASSERT_TRUE(token.ok()) << token.status();
    auto verified = VerifyToken(*token, *previous, clock_.Now());
    EXPECT_TRUE(verified.ok()) << slot << ": " << verified.status();
  }
}

TEST_F(KeyringTest, SealedPrivateKeysAreNotPlaintext) {
  auto keyring = MustOpen(KeyringOptions());
  ASSERT_TRUE(keyring->Rotate("iam").ok());
  std::vector<store::SigningKeyRecord> rows = Rows();
  ASSERT_THAT(rows, SizeIs(4));
  for (const auto& row : rows) {
    SCOPED_TRACE(row.kid);
    // Public part: public members only.
    EXPECT_FALSE(absl::StrContains(row.public_jwk, "\"d\""));
    EXPECT_FALSE(absl::StrContains(row.public_jwk, "\"p\""));
    EXPECT_TRUE(absl::StrContains(row.public_jwk, row.kid));
    // Sealed part: nothing of the JWK shows.
    EXPECT_FALSE(absl::StrContains(row.sealed_private, "\"d\""));
    EXPECT_FALSE(absl::StrContains(row.sealed_private, "kty"));
    EXPECT_FALSE(absl::StrContains(row.sealed_private, row.kid));
    EXPECT_EQ(static_cast<uint8_t>(row.sealed_private[0]), Sealer::kVersion);
    // It opens with the master key and its own kid only.
    auto opened =
        sealer_->Open(row.sealed_private, Keyring::SealingContext(row.kid));
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_TRUE(absl::StrContains(*opened, "\"d\""));
    EXPECT_TRUE(absl::StrContains(*opened, row.kid));
    EXPECT_EQ(
        sealer_
            ->Open(row.sealed_private, Keyring::SealingContext(row.kid + "x"))
            .status()
            .code(),
        absl::StatusCode::kDataLoss);
  }
  // Nothing private in the published JWKS: the strict parser refuses
  // private members.
  EXPECT_TRUE(jose::JwkSet::FromJson(keyring->PublicJwksJson()).ok());
  EXPECT_FALSE(absl::StrContains(keyring->PublicJwksJson(), "\"d\""));
}

TEST_F(KeyringTest, WrongMasterKeyFailsToOpen) {
  { ASSERT_NE(MustOpen(EcOptions()), nullptr); }
  const auto rows_before = Rows();
  auto other_sealer = MakeSealer('X');
  auto keyring =
      Keyring::Open(store_.get(), other_sealer.get(), EcOptions(), &clock_);
  ASSERT_FALSE(keyring.ok());
  EXPECT_EQ(keyring.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(keyring.status().message(), HasSubstr("master key"));
  // Nothing was generated to "repair" the slots.
  EXPECT_THAT(Rows(), SizeIs(rows_before.size()));
}

TEST_F(KeyringTest, SealedKeyMovedToAnotherRowDoesNotOpen) {
  { ASSERT_NE(MustOpen(EcOptions()), nullptr); }
  std::vector<store::SigningKeyRecord> rows = Rows();
  ASSERT_THAT(rows, SizeIs(2));
  std::swap(rows[0].sealed_private, rows[1].sealed_private);
  ASSERT_TRUE(store_->UpdateSigningKeys(LeaderFence(), rows, {}).ok());
  auto keyring =
      Keyring::Open(store_.get(), sealer_.get(), EcOptions(), &clock_);
  EXPECT_EQ(keyring.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(KeyringTest, PublicJwkMustMatchThePrivateKey) {
  { ASSERT_NE(MustOpen(EcOptions()), nullptr); }
  std::vector<store::SigningKeyRecord> rows = Rows();
  // Publish scoped's public key under iam's kid.
  auto scoped_public = jose::Jwk::FromJson(rows[1].public_jwk);
  ASSERT_TRUE(scoped_public.ok());
  rows[0].public_jwk =
      scoped_public->WithKid(rows[0].kid).ToPublicJsonObject()->dump();
  ASSERT_TRUE(store_->UpdateSigningKeys(LeaderFence(), {rows[0]}, {}).ok());
  auto keyring =
      Keyring::Open(store_.get(), sealer_.get(), EcOptions(), &clock_);
  EXPECT_EQ(keyring.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(keyring.status().message(), HasSubstr("does not match"));
}

TEST_F(KeyringTest, OptionsAreValidated) {
  auto open_with = [&](KeyringOptions options) {
    return Keyring::Open(store_.get(), sealer_.get(), std::move(options),
                         &clock_)
        .status();
  };
  KeyringOptions options = EcOptions();
  options.jwks_max_age = absl::Minutes(10);
  options.publish_lead_time = absl::Minutes(9);
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(options.Validate().message(), HasSubstr("jwks_max_age"));
  EXPECT_EQ(open_with(options).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Rows(), SizeIs(0));  // Refused before touching the store.

  options.publish_lead_time = absl::Minutes(10);  // Equal is enough.
  EXPECT_TRUE(options.Validate().ok());

  options = EcOptions();
  options.slots.push_back(options.slots[0]);
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);

  options = EcOptions();
  options.slots[0].algorithm = jose::Algorithm::kHs256;
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);

  options = EcOptions();
  options.slots[0].max_token_lifetime = absl::ZeroDuration();
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);

  options = EcOptions();
  options.slots[0].name = "";
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);

  options.slots.clear();
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(Keyring::Open(nullptr, sealer_.get(), EcOptions(), &clock_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// A process whose clock is behind the one that activated a key must not sign
// with it early.
TEST_F(KeyringTest, SignerNeverUsesAKeyBeforeItsActivation) {
  FakeClock fast(kT0 + absl::Hours(1));
  auto slow_keyring = MustOpen(EcOptions());
  auto fast_keyring = MustOpen(EcOptions(), &fast);
  ASSERT_TRUE(slow_keyring->Rotate("iam").ok());
  const std::string new_kid =
      FindKey(slow_keyring->List(), "iam", KeyState::kNext)->kid;

  ASSERT_TRUE(Tick(*fast_keyring).ok());  // Activates it (its clock: +1h).
  EXPECT_EQ(SignerKid(*fast_keyring, "iam"), new_kid);

  ASSERT_TRUE(slow_keyring->Refresh().ok());  // Sees it active.
  EXPECT_EQ(FindKey(slow_keyring->List(), "iam", KeyState::kActive)->kid,
            new_kid);
  EXPECT_EQ(slow_keyring->Signer("iam").status().code(),
            absl::StatusCode::kUnavailable);

  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(SignerKid(*slow_keyring, "iam"), new_kid);
}

TEST_F(KeyringTest, FailedTransitionChangesNothing) {
  FlakyStore flaky(store_.get());
  auto keyring = Keyring::Open(&flaky, sealer_.get(), EcOptions(), &clock_);
  ASSERT_TRUE(keyring.ok()) << keyring.status();
  const std::string old_kid = SignerKid(**keyring, "iam");
  ASSERT_TRUE((*keyring)->Rotate("iam").ok());
  const auto rows_before = Rows();

  clock_.Advance(absl::Minutes(15));
  flaky.set_fail_updates(true);
  EXPECT_EQ(Tick(**keyring).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SignerKid(**keyring, "iam"), old_kid);
  const auto rows_after = Rows();
  ASSERT_EQ(rows_after.size(), rows_before.size());
  for (size_t i = 0; i < rows_after.size(); ++i) {
    EXPECT_EQ(rows_after[i].kid, rows_before[i].kid);
    EXPECT_EQ(rows_after[i].state, rows_before[i].state);
  }

  flaky.set_fail_updates(false);
  ASSERT_TRUE(Tick(**keyring).ok());
  EXPECT_NE(SignerKid(**keyring, "iam"), old_kid);
}

TEST_F(KeyringTest, NewlyConfiguredSlotGetsAKey) {
  KeyringOptions one_slot = EcOptions();
  one_slot.slots.resize(1);
  std::string iam_kid;
  {
    auto keyring = MustOpen(one_slot);
    iam_kid = SignerKid(*keyring, "iam");
    EXPECT_EQ(keyring->Signer("scoped").status().code(),
              absl::StatusCode::kNotFound);
  }
  clock_.Advance(absl::Hours(1));
  auto keyring = MustOpen(EcOptions());
  EXPECT_EQ(SignerKid(*keyring, "iam"), iam_kid);
  // The new slot's key is published first and signs only after the lead
  // time: verifiers may hold a cached JWKS from before the restart.
  const std::vector<KeyInfo> keys = keyring->List();
  const KeyInfo* scoped = FindKey(keys, "scoped", KeyState::kNext);
  ASSERT_NE(scoped, nullptr);
  EXPECT_EQ(scoped->activate_at, kT0 + absl::Hours(1) + absl::Minutes(15));
  EXPECT_NE(keyring->PublicJwks().Find(scoped->kid), nullptr);
  EXPECT_EQ(keyring->Signer("scoped").status().code(),
            absl::StatusCode::kUnavailable);
  clock_.Advance(absl::Minutes(15));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(SignerKid(*keyring, "scoped"), scoped->kid);
}

TEST_F(KeyringTest, ETagIsQuotedBase64UrlSha256OfTheJson) {
  auto keyring = MustOpen(EcOptions());
  std::shared_ptr<const PublishedJwks> published = keyring->Published();
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(published->json.data()),
         published->json.size(), digest);
  const std::string expected =
      absl::StrCat("\"",
                   jose::Base64UrlEncode(absl::string_view(
                       reinterpret_cast<const char*>(digest), sizeof(digest))),
                   "\"");
  EXPECT_EQ(published->etag, expected);
  EXPECT_EQ(keyring->ETag(), expected);
  EXPECT_EQ(keyring->PublicJwksJson(), published->json);
  EXPECT_EQ(published->keys.size(), 2u);
}

TEST_F(KeyringTest, ConcurrentSigningDuringRotations) {
  auto keyring = MustOpen(EcOptions());
  struct Signed {
    std::string token;
    absl::Time at;
  };
  absl::Mutex mu;
  std::vector<Signed> tokens;
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        const absl::Time now = clock_.Now();
        auto token = SignToken(*keyring, "iam", now);
        if (!token.ok()) {
          ++failures;
          continue;
        }
        absl::MutexLock lock(&mu);
        tokens.push_back({*std::move(token), now});
      }
    });
  }
  std::set<std::string> kids{SignerKid(*keyring, "iam")};
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(keyring->RotateAll().ok());
    clock_.Advance(absl::Minutes(16));
    ASSERT_TRUE(Tick(*keyring).ok());
    kids.insert(SignerKid(*keyring, "iam"));
    absl::SleepFor(absl::Milliseconds(20));
  }
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(kids.size(), 6u);

  // Every token verifies against the final JWKS (retired keys are kept 12h).
  const jose::JwkSet jwks = keyring->PublicJwks();
  std::set<std::string> used;
  ASSERT_FALSE(tokens.empty());
  for (const Signed& s : tokens) {
    auto verified = VerifyToken(s.token, jwks, s.at);
    ASSERT_TRUE(verified.ok()) << verified.status();
    used.insert(verified->kid());
  }
  EXPECT_GE(used.size(), 2u);
}

// A replica that lost the maintenance lease (another took it over) cannot
// apply a transition: the store checks the fence in the write's own
// transaction.
TEST_F(KeyringTest, TickUnderALostLeaseChangesNothing) {
  auto keyring = MustOpen(EcOptions());
  const std::string old_kid = SignerKid(*keyring, "iam");
  ASSERT_TRUE(keyring->Rotate("iam").ok());
  const store::Fence stale = LeaderFence();
  ASSERT_TRUE(store_->ReleaseLease("maintenance", "keyring-test").ok());
  auto other =
      store_->AcquireLease("maintenance", "other-replica", absl::Hours(1));
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->holder, "other-replica");
  EXPECT_EQ(other->token, stale.token + 1);

  clock_.Advance(absl::Minutes(15));
  const absl::Status status = keyring->Tick(stale);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_THAT(status.message(), HasSubstr("no longer held"));
  EXPECT_EQ(SignerKid(*keyring, "iam"), old_kid);
  for (const store::SigningKeyRecord& row : Rows()) {
    if (row.slot != "iam") continue;
    EXPECT_EQ(row.state,
              row.kid == old_kid ? KeyState::kActive : KeyState::kNext);
  }

  ASSERT_TRUE(keyring->Tick(store::FenceOf(*other)).ok());
  EXPECT_NE(SignerKid(*keyring, "iam"), old_kid);
}

// Replicas publish a new key within the propagation bound of its creation,
// so it signs only after the lead time plus the bound.
TEST_F(KeyringTest, ActivationWaitsForTheLeadTimePlusThePropagationBound) {
  KeyringOptions options = EcOptions();
  options.propagation_bound = absl::Seconds(1);
  auto keyring = MustOpen(options);
  ASSERT_TRUE(keyring->Rotate("iam").ok());
  const std::string next_kid =
      FindKey(keyring->List(), "iam", KeyState::kNext)->kid;
  EXPECT_EQ(FindKey(keyring->List(), "iam", KeyState::kNext)->activate_at,
            kT0 + absl::Minutes(15) + absl::Seconds(1));

  clock_.Advance(absl::Minutes(15));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_NE(SignerKid(*keyring, "iam"), next_kid);

  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Tick(*keyring).ok());
  EXPECT_EQ(SignerKid(*keyring, "iam"), next_kid);
  // Other replicas may sign with the retired key until they hear of the
  // change: it stays published the bound longer.
  const std::vector<KeyInfo> keys = keyring->List();
  const KeyInfo* retired = FindKey(keys, "iam", KeyState::kRetired);
  ASSERT_NE(retired, nullptr);
  EXPECT_EQ(*retired->delete_after, clock_.Now() + absl::Hours(12) +
                                        absl::Minutes(10) + absl::Seconds(1));

  options.propagation_bound = -absl::Seconds(1);
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
  options.propagation_bound = absl::Hours(2);
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
}

// Dex #976: replicas rotating at once must not leave a slot with two
// rotations in flight. Each reads "no next key" and inserts one; the store
// keeps one.
TEST_F(KeyringTest, ReplicasRotatingOneSlotAtOnceStartOneRotation) {
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<Keyring>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.push_back(MustOpen(EcOptions()));
    ASSERT_NE(replicas.back(), nullptr);
  }
  std::vector<absl::Status> results(kReplicas);
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      go.WaitForNotification();
      results[i] = replicas[i]->Rotate("iam");
    });
  }
  go.Notify();
  for (auto& th : threads) th.join();
  int started = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) {
      ++started;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    }
  }
  EXPECT_EQ(started, 1);
  int next_keys = 0;
  for (const store::SigningKeyRecord& row : Rows()) {
    if (row.slot == "iam" && row.state == KeyState::kNext) ++next_keys;
  }
  EXPECT_EQ(next_keys, 1);
}

}  // namespace
}  // namespace tokend::keys
