// The families of tokens tokend signs, and how a token states its own: the
// "tkd_family" claim (RFC 8725 §3.11: make kinds of JWTs distinct), which
// a verifier checks against the family it expects and against the keyring
// slot whose key signed it. Tokens a session issues besides its default
// one (templates, Hasura) name the session in "tkd_sid", so revoking the
// session ends them too.
//
// Firebase custom tokens are not ours to shape (Google's format) nor to
// verify: another key signs them, and their audience is Google's.
#ifndef TOKEND_CORE_KEYS_TOKEN_FAMILY_H_
#define TOKEND_CORE_KEYS_TOKEN_FAMILY_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace tokend::keys {

inline constexpr char kFamilyClaim[] = "tkd_family";
inline constexpr char kSessionIdClaim[] = "tkd_sid";
// The claim of Hasura's session variables, which marks a Hasura token.
inline constexpr char kHasuraClaimsNamespace[] = "https://hasura.io/jwt/claims";

enum class TokenFamily {
  kIam,       // Yandex-style IAM tokens (the iam slot)
  kSession,   // Clerk's default session tokens (session slot; "sid")
  kTemplate,  // rendered from a JWT template (session slot, or the
              // template's own key)
  kHasura,    // Hasura claims for a session (session slot)
  kScoped,    // Courier-style scoped tokens (the scoped slot)
};

// "iam", "session", "template", "hasura", "scoped".
absl::string_view FamilyName(TokenFamily family);
std::optional<TokenFamily> ParseFamily(absl::string_view name);

// The family a keyring slot's keys sign; nullopt for the session slot,
// which signs three (see SlotSigns).
std::optional<TokenFamily> OnlyFamilyOfSlot(absl::string_view slot);
// Whether keys of `slot` sign tokens of `family`.
bool SlotSigns(absl::string_view slot, TokenFamily family);

}  // namespace tokend::keys

#endif  // TOKEND_CORE_KEYS_TOKEN_FAMILY_H_
