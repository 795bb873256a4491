// Keyring: tokend's managed signing keys (DESIGN §3).
//
// One slot per token family, each bound to one algorithm. Every key of a slot
// moves through
//
//   next ──(activate_at reached; Tick)──> active ──(successor activated)──>
//   retired ──(delete_after reached; Tick)──> gone (row deleted)
//
//   next     published in the JWKS, not signing. Rotate() creates it with
//            activate_at = now + publish_lead_time + propagation_bound:
//            every replica publishes it within the bound, and
//            publish_lead_time >= jwks_max_age, so every verifier that
//            honours Cache-Control has fetched it from any replica before
//            any token signed with it exists.
//   active   the slot's signer; one per slot.
//   retired  published until every token it signed has expired:
//            delete_after = retired_at + the slot's max_token_lifetime +
//            RetirementMargin() (a signer taken just before the swap may
//            still sign; verifiers allow clock skew past exp).
//
// On first start (an empty store) every slot gets a key activated at once: no
// verifier can have cached a JWKS yet. A slot configured later gets a next
// key, published for the lead time before it signs, since verifiers cache the
// whole JWKS; until then Signer() for that slot is Unavailable.
//
// Every transition is one SigningKeyStore::UpdateSigningKeys call, so the
// database never shows a slot half-rotated. Transitions are the work of the
// one replica holding the maintenance lease (lease_store.h): Tick() takes its
// fence, and a replica that lost the lease cannot apply them. Others call
// Refresh() to re-read the store when the change feed says keys changed.
// Rotate() may run on any replica: the store keeps at most one next key per
// slot, so two replicas rotating at once start one rotation.
//
// Private keys are stored sealed (sealer.h) with associated data
// SealingContext(kid): a sealed key moved onto another row does not open.
// Open() unseals every key, so a wrong master key fails at start-up (DataLoss,
// "... wrong master key ...") rather than at the next rotation.
//
// Reading is cheap and lock-free for callers: Signer(), Published(), List()
// read an immutable snapshot swapped atomically after each change; signers
// are created once per key and reused. Rotate() and Tick() serialise on a
// mutex.
//
// Changing a slot's algorithm in KeyringOptions takes effect at the slot's
// next rotation; keys of slots no longer configured stay published until
// removed from the store, and never sign.
#ifndef TOKEND_CORE_KEYS_KEYRING_H_
#define TOKEND_CORE_KEYS_KEYRING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/jose/algorithm.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_signer.h"
#include "core/keys/sealer.h"
#include "core/store/lease_store.h"
#include "core/store/records.h"
#include "core/store/signing_key_store.h"

namespace tokend::keys {

// Slot names used by tokend's own token families.
inline constexpr char kSessionSlot[] = "session";
inline constexpr char kIamSlot[] = "iam";
inline constexpr char kScopedSlot[] = "scoped";

struct SlotConfig {
  std::string name;
  jose::Algorithm algorithm = jose::Algorithm::kEs256;
  // The longest lifetime of any token signed in this slot; issuers must not
  // exceed it. Retired keys stay published this long.
  absl::Duration max_token_lifetime = absl::Hours(1);
};

struct KeyringOptions {
  // session: RS256, 10 years (JWT templates and expires_in_seconds allow up to
  //          315360000 s, DESIGN §2.2);
  // iam:     ES256, 12 hours (§2.1);
  // scoped:  ES256, 1 year of 365.25 days (the default maximum expires_in,
  //          §2.3, as vercel/ms counts "1y").
  static std::vector<SlotConfig> DefaultSlots();

  std::vector<SlotConfig> slots = DefaultSlots();
  // How long a next key is published before it may sign. >= jwks_max_age.
  absl::Duration publish_lead_time = absl::Minutes(15);
  // Cache-Control max-age of the published JWKS.
  absl::Duration jwks_max_age = absl::Minutes(5);
  // How long a key change can take to reach every replica sharing the store
  // (server/replica_sync.h); zero for one process. Added to the lead time
  // and to the retirement margin.
  absl::Duration propagation_bound = absl::ZeroDuration();

  // InvalidArgument unless: at least one slot; slot names non-empty and
  // unique; no HMAC algorithm (its key could not be published);
  // max_token_lifetime > 0; jwks_max_age >= 0; publish_lead_time >=
  // jwks_max_age; 0 <= propagation_bound <= 1 hour.
  absl::Status Validate() const;
};

// What List() reports about a key: never private material.
struct KeyInfo {
  std::string kid;
  std::string slot;
  jose::Algorithm algorithm = jose::Algorithm::kEs256;
  store::KeyState state = store::KeyState::kNext;
  absl::Time created_at;
  absl::Time activate_at;
  std::optional<absl::Time> retired_at;    // Set when retired.
  std::optional<absl::Time> delete_after;  // Set when retired.
};

// The JWKS as served: the set, its JSON and the strong ETag of that JSON, all
// from one snapshot.
struct PublishedJwks {
  jose::JwkSet keys;
  // The slot of each published key, by kid.
  absl::flat_hash_map<std::string, std::string> slot_by_kid;
  std::string json;
  std::string etag;  // "\"" + base64url(SHA-256(json)) + "\""
};

class Keyring {
 public:
  // Loads (and unseals) every key in `store` and generates a key for each
  // configured slot that has none (Bootstrap). Due transitions wait for the
  // first Tick(). `store`, `sealer` and `clock` must outlive the Keyring.
  // Errors: InvalidArgument for bad options; DataLoss if a key does not
  // unseal (wrong master key) or its row is inconsistent; store errors.
  static absl::StatusOr<std::unique_ptr<Keyring>> Open(
      store::SigningKeyStore* store, const Sealer* sealer,
      KeyringOptions options, const Clock* clock);

  // How long past retired_at + max_token_lifetime a retired key stays
  // published: the JWKS max-age plus 5 minutes of verifier clock skew, plus
  // the propagation bound (other replicas sign with it until they hear).
  absl::Duration RetirementMargin() const {
    return options_.jwks_max_age + absl::Minutes(5) +
           options_.propagation_bound;
  }

  // Associated data binding a sealed private key to its kid.
  static std::string SealingContext(absl::string_view kid);

  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;
  ~Keyring();

  // Starts a rotation of `slot`: generates a next key, published now, with
  // activate_at = now + publish_lead_time + propagation_bound; the leader's
  // Tick() activates it then.
  // NotFound for an unknown slot; FailedPrecondition if the slot already has
  // a next key (one rotation at a time — it is not replaced or hurried).
  absl::Status Rotate(absl::string_view slot);
  // Rotate() for every configured slot that has no next key yet; slots with
  // a rotation in progress are left alone (not an error).
  absl::Status RotateAll();

  // The leader's work, under `fence` (the maintenance lease this process
  // holds): re-reads the store, then for each slot whose next key is due,
  // activates it and retires the previous active key (one UpdateSigningKeys
  // call); deletes retired keys past delete_after (one call). Call it
  // periodically; NextTransition() says when it next has work. On a store
  // error (FailedPrecondition: the lease was lost) the snapshot still
  // reflects what was committed, and the first error is returned.
  absl::Status Tick(const store::Fence& fence);

  // Re-reads the store and publishes what it holds: how a replica that does
  // not lead learns of transitions.
  absl::Status Refresh();

  // The active key's signer for `slot`. NotFound for an unknown slot;
  // Unavailable if the slot has no active key whose activate_at has been
  // reached (a key is never used before its activation time, even if another
  // process with a faster clock activated it).
  absl::StatusOr<std::shared_ptr<const jose::JwtSigner>> Signer(
      absl::string_view slot) const;

  // Next, active and retired keys of every slot, public parts only.
  std::shared_ptr<const PublishedJwks> Published() const;
  jose::JwkSet PublicJwks() const;
  std::string PublicJwksJson() const;
  std::string ETag() const;

  // Every key, ordered by slot and creation time.
  std::vector<KeyInfo> List() const;

  // Earliest pending activate_at (next keys) or delete_after (retired keys);
  // InfiniteFuture if nothing is scheduled.
  absl::Time NextTransition() const;

  const KeyringOptions& options() const { return options_; }

 private:
  struct ActiveSigner {
    std::shared_ptr<const jose::JwtSigner> signer;
    absl::Time activate_at;
  };
  // Immutable once published.
  struct Snapshot {
    absl::flat_hash_map<std::string, ActiveSigner> signers;  // By slot.
    std::shared_ptr<const PublishedJwks> jwks;
    std::vector<KeyInfo> keys;
    absl::Time next_transition = absl::InfiniteFuture();
  };
  // A loaded key, kept across snapshots so nothing is unsealed twice.
  struct LoadedKey {
    jose::Jwk public_key;
    jose::Jwk private_key;
    std::shared_ptr<const jose::JwtSigner> signer;  // Created when active.
  };

  Keyring(store::SigningKeyStore* store, const Sealer* sealer,
          KeyringOptions options, const Clock* clock);

  const SlotConfig* FindSlot(absl::string_view name) const;
  // From a next key's creation to its activation.
  absl::Duration LeadTime() const {
    return options_.publish_lead_time + options_.propagation_bound;
  }
  std::shared_ptr<const Snapshot> snapshot() const;

  absl::Status Bootstrap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status TickLocked(const store::Fence& fence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rotates `slot` given the current rows. `skip_if_pending`: a slot with a
  // next key (also one another replica just created) is left alone instead
  // of failing.
  absl::Status RotateLocked(const SlotConfig& slot,
                            const std::vector<store::SigningKeyRecord>& rows,
                            bool skip_if_pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Generates a key for `slot` and inserts it in `state`.
  absl::Status CreateKey(const SlotConfig& slot, store::KeyState state,
                         absl::Time now, absl::Time activate_at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Re-reads the store and publishes a new snapshot.
  absl::Status Reload() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<LoadedKey*> Load(const store::SigningKeyRecord& row,
                                  jose::Algorithm alg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  store::SigningKeyStore* const store_;
  const Sealer* const sealer_;
  const KeyringOptions options_;
  const Clock* const clock_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, LoadedKey> loaded_ ABSL_GUARDED_BY(mu_);

  // Read with std::atomic_load, replaced with std::atomic_store.
  std::shared_ptr<const Snapshot> snapshot_;
};

}  // namespace tokend::keys

#endif  // TOKEND_CORE_KEYS_KEYRING_H_
