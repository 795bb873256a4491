// The `scope` of Courier's `POST /auth/issue-token {scope, expires_in}`
// (DESIGN.md §2.3): a space-separated list of scopes, parsed per request.
//
//   user_id:<id>                          repeatable; the first is the `sub`
//   read:messages*  read:user-tokens*  write:user-tokens*
//   read:brands  read:brands:<id>  write:brands  write:brands:<id>
//   inbox:read:messages  inbox:write:events
//   read:preferences  write:preferences
//   tenants:read  tenants:notifications:read  tenants:notifications:write
//   tenants:brand:read
//   tenant:<id>:read  tenant:<id>:notification:read
//   tenant:<id>:notification:write  tenant:<id>:brand:read
//   tenant:<id>:brand:write
//
// Scopes marked * need at least one user_id:<id>, as Courier documents for
// exactly those three. Matching is exact and case-sensitive. A brand or
// tenant id is 1..kMaxScopeIdBytes bytes of [A-Za-z0-9._@+=-] (no ':', the
// separator inside tenant scopes); a user id, which ends its item, is
// 1..kMaxScopeIdBytes printable ASCII bytes (':' and '|' included, as in
// "auth0|123"). Items are separated by runs of
// ASCII spaces; leading and trailing spaces are ignored; any other control
// byte (tab, newline, DEL, ...) is an error. Duplicates collapse.
//
// Errors are InvalidArgument; messages name the offending item quoted,
// C-escaped and cut to 64 bytes:
//   scope is required                          (empty, or only spaces)
//   scope is longer than 1024 bytes
//   more than 32 scopes                        (counted before de-duplication)
//   scope "<item>" contains a control character
//   unknown scope "<item>"
//   malformed scope "<item>": <why>            (a known shape, bad id)
//   scope "<item>" needs a user_id:<id> scope
#ifndef TOKEND_CORE_SCOPED_SCOPE_H_
#define TOKEND_CORE_SCOPED_SCOPE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::scoped {

inline constexpr size_t kMaxScopeBytes = 1024;
inline constexpr size_t kMaxScopeItems = 32;
// Bytes in a user, brand or tenant id.
inline constexpr size_t kMaxScopeIdBytes = 128;

struct ScopeSet {
  // Ids of the user_id:<id> items (without the prefix), deduplicated, in
  // first-appearance order; user_ids[0] becomes the token's sub.
  std::vector<std::string> user_ids;
  // Every other scope as spelled (matching is exact, so that is the canonical
  // spelling), deduplicated, sorted by bytes.
  std::vector<std::string> scopes;
  // The token's `scope` claim: the user_id:<id> items in user_ids order, then
  // `scopes`, joined by single spaces. ParseScope(normalized) gives back the
  // same ScopeSet.
  std::string normalized;
};

absl::StatusOr<ScopeSet> ParseScope(absl::string_view scope);

}  // namespace tokend::scoped

#endif  // TOKEND_CORE_SCOPED_SCOPE_H_
