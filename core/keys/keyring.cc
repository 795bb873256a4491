#include "core/keys/keyring.h"

#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/auth/secrets.h"
#include "core/common/status_macros.h"
#include "core/jose/base64url.h"

namespace tokend::keys {
namespace {

using store::KeyState;
using store::SigningKeyRecord;

std::string StrongETag(absl::string_view json) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(json.data()), json.size(), digest);
  return absl::StrCat(
      "\"",
      jose::Base64UrlEncode(absl::string_view(
          reinterpret_cast<const char*>(digest), sizeof(digest))),
      "\"");
}

absl::Status WithContext(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(),
                      absl::StrCat(what, ": ", status.message()));
}

}  // namespace

// ---- Options ----

std::vector<SlotConfig> KeyringOptions::DefaultSlots() {
  return {
      {kSessionSlot, jose::Algorithm::kRs256, absl::Seconds(315360000)},
      {kIamSlot, jose::Algorithm::kEs256, absl::Hours(12)},
      {kScopedSlot, jose::Algorithm::kEs256, absl::Hours(8766)},
  };
}

absl::Status KeyringOptions::Validate() const {
  if (slots.empty()) {
    return absl::InvalidArgumentError("keyring: no slots configured");
  }
  absl::flat_hash_set<absl::string_view> names;
  for (const SlotConfig& slot : slots) {
    if (slot.name.empty()) {
      return absl::InvalidArgumentError("keyring: a slot has an empty name");
    }
    if (!names.insert(slot.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring: slot '", slot.name, "' configured twice"));
    }
    if (jose::IsHmac(slot.algorithm)) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring: slot '", slot.name, "' uses ",
                       jose::AlgorithmName(slot.algorithm),
                       "; HMAC keys cannot be published in a JWKS"));
    }
    if (slot.max_token_lifetime <= absl::ZeroDuration() ||
        slot.max_token_lifetime == absl::InfiniteDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("keyring: slot '", slot.name,
                       "' needs a positive, finite max_token_lifetime"));
    }
  }
  if (propagation_bound < absl::ZeroDuration() ||
      propagation_bound > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "keyring: propagation_bound must be between 0 and 1 hour");
  }
  if (jwks_max_age < absl::ZeroDuration() ||
      jwks_max_age == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        "keyring: jwks_max_age must be finite and not negative");
  }
  if (publish_lead_time < jwks_max_age ||
      publish_lead_time == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "keyring: publish_lead_time (", absl::FormatDuration(publish_lead_time),
        ") must be finite and at least jwks_max_age (",
        absl::FormatDuration(jwks_max_age),
        "), or verifiers holding a cached JWKS would see tokens signed by a "
        "key they have not fetched"));
  }
  return absl::OkStatus();
}

// ---- Keyring ----

std::string Keyring::SealingContext(absl::string_view kid) {
  return absl::StrCat("tokend signing key\n", kid);
}

Keyring::Keyring(store::SigningKeyStore* store, const Sealer* sealer,
                 KeyringOptions options, const Clock* clock)
    : store_(store),
      sealer_(sealer),
      options_(std::move(options)),
      clock_(clock) {
  // Open() publishes the real snapshot before returning; until then readers
  // would see an empty set, never a null one.
  auto empty = std::make_shared<Snapshot>();
  auto jwks = std::make_shared<PublishedJwks>();
  jwks->json = jwks->keys.ToJson();
  jwks->etag = StrongETag(jwks->json);
  empty->jwks = std::move(jwks);
  snapshot_ = std::move(empty);
}

Keyring::~Keyring() = default;

absl::StatusOr<std::unique_ptr<Keyring>> Keyring::Open(
    store::SigningKeyStore* store, const Sealer* sealer, KeyringOptions options,
    const Clock* clock) {
  if (store == nullptr || sealer == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError(
        "keyring: store, sealer and clock are required");
  }
  RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<Keyring> keyring(
      new Keyring(store, sealer, std::move(options), clock));
  absl::MutexLock lock(&keyring->mu_);
  // Load (and unseal) what exists before generating anything, so a wrong
  // master key fails here without touching the store.
  RETURN_IF_ERROR(keyring->Reload());
  RETURN_IF_ERROR(keyring->Bootstrap());
  return keyring;
}

const SlotConfig* Keyring::FindSlot(absl::string_view name) const {
  for (const SlotConfig& slot : options_.slots) {
    if (slot.name == name) return &slot;
  }
  return nullptr;
}

std::shared_ptr<const Keyring::Snapshot> Keyring::snapshot() const {
  return std::atomic_load(&snapshot_);
}

absl::Status Keyring::Bootstrap() {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> rows,
                   store_->ListSigningKeys());
  const absl::Time now = clock_->Now();
  // Verifiers cache the whole JWKS, not one slot: only a store with no key at
  // all (first start) may sign at once. A slot added later publishes its
  // first key for the lead time like any rotation.
  const bool first_start = rows.empty();
  bool created = false;
  for (const SlotConfig& slot : options_.slots) {
    const bool has_live_key =
        std::any_of(rows.begin(), rows.end(), [&](const SigningKeyRecord& r) {
          return r.slot == slot.name && r.state != KeyState::kRetired;
        });
    if (has_live_key) continue;
    absl::Status status =
        first_start ? CreateKey(slot, KeyState::kActive, now, now)
                    : CreateKey(slot, KeyState::kNext, now, now + LeadTime());
    // AlreadyExists: another replica sharing the store bootstrapped the slot
    // first; use its key.
    if (!status.ok() && status.code() != absl::StatusCode::kAlreadyExists) {
      return status;
    }
    created = true;
  }
  if (created) RETURN_IF_ERROR(Reload());
  return absl::OkStatus();
}

absl::Status Keyring::CreateKey(const SlotConfig& slot, KeyState state,
                                absl::Time now, absl::Time activate_at) {
  ASSIGN_OR_RETURN(jose::Jwk private_key, jose::Jwk::Generate(slot.algorithm));
  ASSIGN_OR_RETURN(jose::Jwk public_key, private_key.PublicOnly());
  ASSIGN_OR_RETURN(nlohmann::json public_json, public_key.ToPublicJsonObject());
  ASSIGN_OR_RETURN(std::string private_json, private_key.ToPrivateJson());

  SigningKeyRecord row;
  row.kid = private_key.kid();
  row.slot = slot.name;
  row.algorithm = slot.algorithm;
  row.state = state;
  row.public_jwk = public_json.dump();
  absl::StatusOr<std::string> sealed =
      sealer_->Seal(private_json, SealingContext(row.kid));
  // Wipe the plaintext JWK copy now that it is sealed.
  auth::WipeSecret(private_json);
  if (!sealed.ok()) return sealed.status();
  row.sealed_private = *std::move(sealed);
  row.created_at = now;
  row.activate_at = activate_at;
  RETURN_IF_ERROR(store_->InsertSigningKey(row));
  loaded_.insert_or_assign(
      row.kid, LoadedKey{std::move(public_key), std::move(private_key),
                         /*signer=*/nullptr});
  return absl::OkStatus();
}

absl::StatusOr<Keyring::LoadedKey*> Keyring::Load(const SigningKeyRecord& row,
                                                  jose::Algorithm alg) {
  auto it = loaded_.find(row.kid);
  if (it != loaded_.end()) return &it->second;

  const std::string what = absl::StrCat("keyring: signing key '", row.kid,
                                        "' (slot '", row.slot, "')");
  absl::StatusOr<std::string> private_json =
      sealer_->Open(row.sealed_private, SealingContext(row.kid));
  if (!private_json.ok()) {
    return absl::DataLossError(absl::StrCat(
        what,
        ": cannot unseal the private key (is this the master key the "
        "keys were created with?): ",
        private_json.status().message()));
  }
  absl::StatusOr<jose::Jwk> private_key =
      jose::Jwk::FromJson(*private_json, alg);
  auth::WipeSecret(*private_json);
  if (!private_key.ok()) {
    return absl::DataLossError(absl::StrCat(
        what, ": sealed private key is not a valid ", jose::AlgorithmName(alg),
        " JWK: ", private_key.status().message()));
  }
  if (!private_key->has_private() || private_key->kid() != row.kid) {
    return absl::DataLossError(
        absl::StrCat(what, ": sealed private key does not match the row"));
  }
  absl::StatusOr<jose::Jwk> public_key =
      jose::Jwk::FromJson(row.public_jwk, alg);
  if (!public_key.ok()) {
    return absl::DataLossError(absl::StrCat(
        what, ": bad public JWK: ", public_key.status().message()));
  }
  // The published half must be the private key's own public half, or the
  // JWKS would not verify what this key signs.
  absl::StatusOr<jose::Jwk> derived = private_key->PublicOnly();
  absl::StatusOr<nlohmann::json> derived_json =
      derived.ok() ? derived->ToPublicJsonObject()
                   : absl::StatusOr<nlohmann::json>(derived.status());
  absl::StatusOr<nlohmann::json> stored_json = public_key->ToPublicJsonObject();
  if (!derived_json.ok() || !stored_json.ok() ||
      *derived_json != *stored_json || public_key->kid() != row.kid) {
    return absl::DataLossError(absl::StrCat(
        what, ": public JWK does not match the sealed private key"));
  }
  auto [inserted, _] = loaded_.emplace(
      row.kid, LoadedKey{*std::move(public_key), *std::move(private_key),
                         /*signer=*/nullptr});
  return &inserted->second;
}

absl::Status Keyring::Reload() {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> rows,
                   store_->ListSigningKeys());
  auto next = std::make_shared<Snapshot>();
  auto jwks = std::make_shared<PublishedJwks>();
  absl::flat_hash_set<std::string> present;
  for (const SigningKeyRecord& row : rows) {
    ASSIGN_OR_RETURN(LoadedKey * key, Load(row, row.algorithm));
    present.insert(row.kid);
    jwks->slot_by_kid[row.kid] = row.slot;
    RETURN_IF_ERROR(
        WithContext(jwks->keys.Add(key->public_key),
                    absl::StrCat("keyring: publishing '", row.kid, "'")));
    next->keys.push_back(KeyInfo{row.kid, row.slot, row.algorithm, row.state,
                                 row.created_at, row.activate_at,
                                 row.retired_at, row.delete_after});
    switch (row.state) {
      case KeyState::kNext:
        next->next_transition =
            std::min(next->next_transition, row.activate_at);
        break;
      case KeyState::kRetired:
        // A retired row always has delete_after; one without is kept.
        next->next_transition =
            std::min(next->next_transition,
                     row.delete_after.value_or(absl::InfiniteFuture()));
        break;
      case KeyState::kActive:
        if (FindSlot(row.slot) == nullptr) break;  // Not ours to sign with.
        if (key->signer == nullptr) {
          ASSIGN_OR_RETURN(std::unique_ptr<jose::JwtSigner> signer,
                           jose::JwtSigner::Create(key->private_key));
          key->signer = std::move(signer);
        }
        next->signers[row.slot] = ActiveSigner{key->signer, row.activate_at};
        break;
    }
  }
  // Forget keys that are gone.
  for (auto it = loaded_.begin(); it != loaded_.end();) {
    if (!present.contains(it->first)) {
      loaded_.erase(it++);
    } else {
      ++it;
    }
  }
  jwks->json = jwks->keys.ToJson();
  jwks->etag = StrongETag(jwks->json);
  next->jwks = std::move(jwks);
  std::atomic_store(&snapshot_,
                    std::shared_ptr<const Snapshot>(std::move(next)));
  return absl::OkStatus();
}

absl::Status Keyring::Tick(const store::Fence& fence) {
  absl::MutexLock lock(&mu_);
  return TickLocked(fence);
}

absl::Status Keyring::Refresh() {
  absl::MutexLock lock(&mu_);
  return Reload();
}

absl::Status Keyring::TickLocked(const store::Fence& fence) {
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> rows,
                   store_->ListSigningKeys());
  const absl::Time now = clock_->Now();
  absl::Status first_error;
  auto note = [&first_error](absl::Status status) {
    if (first_error.ok()) first_error = std::move(status);
  };

  // Activations, one transaction per slot.
  for (const SlotConfig& slot : options_.slots) {
    const SigningKeyRecord* promote = nullptr;
    const SigningKeyRecord* active = nullptr;
    std::vector<const SigningKeyRecord*> due;
    for (const SigningKeyRecord& row : rows) {
      if (row.slot != slot.name) continue;
      if (row.state == KeyState::kActive) active = &row;
      if (row.state != KeyState::kNext || row.activate_at > now) continue;
      due.push_back(&row);
      // The latest-scheduled due key wins (several only if processes raced).
      if (promote == nullptr ||
          std::tie(row.activate_at, row.created_at, row.kid) >
              std::tie(promote->activate_at, promote->created_at,
                       promote->kid)) {
        promote = &row;
      }
    }
    if (promote == nullptr) continue;
    std::vector<SigningKeyRecord> updates;
    std::vector<std::string> deletes;
    SigningKeyRecord activated = *promote;
    activated.state = KeyState::kActive;
    updates.push_back(std::move(activated));
    if (active != nullptr) {
      SigningKeyRecord retired = *active;
      retired.state = KeyState::kRetired;
      retired.retired_at = now;
      retired.delete_after = now + slot.max_token_lifetime + RetirementMargin();
      updates.push_back(std::move(retired));
    }
    // Due keys that lost never signed anything: drop them.
    for (const SigningKeyRecord* row : due) {
      if (row != promote) deletes.push_back(row->kid);
    }
    note(WithContext(store_->UpdateSigningKeys(fence, updates, deletes),
                     absl::StrCat("keyring: activating '", promote->kid,
                                  "' in slot '", slot.name, "'")));
  }

  // Deletions: every retired key whose tokens have all expired.
  std::vector<std::string> expired;
  for (const SigningKeyRecord& row : rows) {
    if (row.state == KeyState::kRetired && row.delete_after.has_value() &&
        *row.delete_after <= now) {
      expired.push_back(row.kid);
    }
  }
  if (!expired.empty()) {
    note(WithContext(store_->UpdateSigningKeys(fence, {}, expired),
                     "keyring: deleting expired keys"));
  }

  // Always publish what the store now holds (also picks up other processes'
  // changes), even after a partial failure.
  absl::Status reload = Reload();
  if (!first_error.ok()) return first_error;
  return reload;
}

absl::Status Keyring::Rotate(absl::string_view slot_name) {
  const SlotConfig* slot = FindSlot(slot_name);
  if (slot == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("keyring: no slot '", slot_name, "'"));
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> rows,
                   store_->ListSigningKeys());
  RETURN_IF_ERROR(RotateLocked(*slot, rows, /*skip_if_pending=*/false));
  return Reload();
}

absl::Status Keyring::RotateAll() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(std::vector<SigningKeyRecord> rows,
                   store_->ListSigningKeys());
  absl::Status first_error;
  for (const SlotConfig& slot : options_.slots) {
    absl::Status status = RotateLocked(slot, rows, /*skip_if_pending=*/true);
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  absl::Status reload = Reload();
  if (!first_error.ok()) return first_error;
  return reload;
}

absl::Status Keyring::RotateLocked(const SlotConfig& slot,
                                   const std::vector<SigningKeyRecord>& rows,
                                   bool skip_if_pending) {
  for (const SigningKeyRecord& row : rows) {
    if (row.slot != slot.name || row.state != KeyState::kNext) continue;
    if (skip_if_pending) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "keyring: slot '", slot.name, "' is already rotating: key '", row.kid,
        "' activates at ", absl::FormatTime(row.activate_at)));
  }
  const absl::Time now = clock_->Now();
  absl::Status status = CreateKey(slot, KeyState::kNext, now, now + LeadTime());
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    // Another replica started this slot's rotation since the rows were read.
    if (skip_if_pending) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("keyring: slot '", slot.name,
                     "' is already rotating (started by another replica)"));
  }
  return status;
}

absl::StatusOr<std::shared_ptr<const jose::JwtSigner>> Keyring::Signer(
    absl::string_view slot) const {
  std::shared_ptr<const Snapshot> snap = snapshot();
  auto it = snap->signers.find(slot);
  if (it == snap->signers.end()) {
    if (FindSlot(slot) == nullptr) {
      return absl::NotFoundError(absl::StrCat("keyring: no slot '", slot, "'"));
    }
    return absl::UnavailableError(
        absl::StrCat("keyring: slot '", slot, "' has no active key"));
  }
  if (clock_->Now() < it->second.activate_at) {
    return absl::UnavailableError(absl::StrCat(
        "keyring: the active key of slot '", slot,
        "' is not due yet (clock behind the process that activated it?)"));
  }
  return it->second.signer;
}

std::shared_ptr<const PublishedJwks> Keyring::Published() const {
  return snapshot()->jwks;
}

jose::JwkSet Keyring::PublicJwks() const { return Published()->keys; }

std::string Keyring::PublicJwksJson() const { return Published()->json; }

std::string Keyring::ETag() const { return Published()->etag; }

std::vector<KeyInfo> Keyring::List() const { return snapshot()->keys; }

absl::Time Keyring::NextTransition() const {
  return snapshot()->next_transition;
}

}  // namespace tokend::keys
