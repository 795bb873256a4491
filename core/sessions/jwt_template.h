// Clerk-compatible JWT template claims (DESIGN.md §2.2): compile once when a
// template is saved, render per token.
//
// A template's claims are a JSON object. Every string value, at any depth
// (inside arrays too; keys never), may carry shortcodes `{{ expression }}`:
//
//   expression := operand ( "||" operand )*          at most 8 operands
//   operand    := path | 'string' | number | true | false | null
//   path       := name ( "." segment )*              e.g.
//   user.public_metadata.a name       := [A-Za-z_][A-Za-z0-9_-]* segment    :=
//   [A-Za-z0-9_-]+ 'string'   := single-quoted; \' and \\ are the only escapes
//   number     := a JSON number (RFC 8259 §6), finite
//
// Whitespace may surround operands and `||`, not sit inside one. The text
// between the braces is at most 256 bytes. A `}}` inside a quoted literal
// does not close the shortcode; a lone `{` or `}}` outside one is plain text,
// but `{{` always opens a shortcode.
//
// Paths are looked up in the render context: its first name must be `user` or
// `session` and at least one segment must follow (a bare `{{user}}` would hand
// out every field the caller put in the context); each segment indexes an
// object member. Anything else — another root, a missing member, a step
// through a non-object (arrays included) — is null, so unknown shortcode
// names compile and render null, as in Clerk. The engine knows no user fields:
// whatever the caller puts under "user"/"session" is visible to templates, so
// the context must hold only what templates may see (never private_metadata).
//
// `a || b || c` yields the first operand that is neither null nor false
// (an empty string, 0, [] and {} are values), else the last operand.
//
// A string that is exactly one shortcode (nothing outside the braces) is
// replaced by the value keeping its JSON type. Otherwise each shortcode is
// interpolated: strings raw, null as "null", numbers and booleans as JSON
// text, objects and arrays as compact JSON.
//
// Errors are InvalidArgument carrying a Clerk-style error code as a payload
// (ClerkCodeOf): "jwt_template_reserved_claim" (Clerk's own), and tokend's
// "jwt_template_invalid_claims" (not a bounded JSON object) and
// "jwt_template_invalid_shortcode" (a shortcode that does not parse). The same
// code is also attached as the status reason (core/common/error_reason.h),
// which is what server/ forwards to clients.
#ifndef TOKEND_CORE_SESSIONS_JWT_TEMPLATE_H_
#define TOKEND_CORE_SESSIONS_JWT_TEMPLATE_H_

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::sessions {

// Limits on a template's claims (DESIGN.md §7).
inline constexpr size_t kMaxTemplateClaimsBytes = 16 * 1024;
// Containers deep, the claims object counting as one.
inline constexpr int kMaxTemplateDepth = 10;
// Values inside the claims object, containers included.
inline constexpr size_t kMaxTemplateValues = 500;
// Bytes in one string, member names included.
inline constexpr size_t kMaxTemplateStringBytes = 4 * 1024;
// Bytes between `{{` and `}}`.
inline constexpr size_t kMaxShortcodeBytes = 256;
inline constexpr size_t kMaxShortcodeOperands = 8;

// Claims every template token gets automatically; a template may not set them
// at the top level (nested members of the same names are ordinary data).
// tkd_family and tkd_sid: core/keys/token_family.h.
inline constexpr const char* kReservedClaims[] = {
    "azp", "exp", "iat", "iss", "jti", "nbf", "sub", "tkd_family", "tkd_sid"};

// Status payload URL holding the Clerk error code (the `code` of Clerk's
// error shape) as plain text.
inline constexpr char kClerkCodePayload[] = "type.tokend/clerk_code";

inline constexpr char kReservedClaimCode[] = "jwt_template_reserved_claim";
inline constexpr char kInvalidClaimsCode[] = "jwt_template_invalid_claims";
inline constexpr char kInvalidShortcodeCode[] =
    "jwt_template_invalid_shortcode";

// The Clerk error code `status` carries, if any.
std::optional<std::string> ClerkCodeOf(const absl::Status& status);

class CompiledTemplate {
 public:
  // Validates and pre-parses a template's claims (JSON text): a JSON object
  // within the limits above, without duplicate member names or non-finite
  // numbers, no reserved claim at the top level (message exactly "You can't
  // use the reserved claim: '<name>'"), every shortcode well-formed.
  static absl::StatusOr<CompiledTemplate> Compile(
      absl::string_view claims_json);

  // The claims object for `context` = {"user": {...}, "session": {...}}.
  // Does no parsing and never throws (other than std::bad_alloc). Strings are
  // copied from `context` as they are: if those are not valid UTF-8, neither
  // is the result.
  nlohmann::json Render(const nlohmann::json& context) const;

  // Distinct shortcode expressions (by their parsed form, so `{{user.id}}`
  // and `{{ user.id }}` count once).
  size_t shortcode_count() const;

  CompiledTemplate(CompiledTemplate&&) noexcept;
  CompiledTemplate& operator=(CompiledTemplate&&) noexcept;
  CompiledTemplate(const CompiledTemplate&);
  CompiledTemplate& operator=(const CompiledTemplate&);
  ~CompiledTemplate();

  // Pre-parsed pieces, defined in the .cc file.
  struct Expression;
  struct Node;

 private:
  CompiledTemplate();

  std::vector<Expression> expressions_;  // Distinct shortcodes.
  std::unique_ptr<Node> root_;           // Null only once moved from.
};

}  // namespace tokend::sessions

#endif  // TOKEND_CORE_SESSIONS_JWT_TEMPLATE_H_
