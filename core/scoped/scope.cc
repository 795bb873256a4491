#include "core/scoped/scope.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/scoped/error_text.h"

namespace tokend::scoped {
namespace {

constexpr absl::string_view kUserIdPrefix = "user_id:";
constexpr absl::string_view kTenantPrefix = "tenant:";
// Followed by a brand id.
constexpr absl::string_view kBrandPrefixes[] = {"read:brands:",
                                                "write:brands:"};

struct KnownScope {
  absl::string_view name;
  bool user_bound;
};

// user_bound: Courier documents that these "must be used in conjunction with
// one or more user_ids"; no other scope carries that rule.
constexpr KnownScope kFixedScopes[] = {
    {"read:messages", true},
    {"read:user-tokens", true},
    {"write:user-tokens", true},
    {"read:brands", false},
    {"write:brands", false},
    {"inbox:read:messages", false},
    {"inbox:write:events", false},
    {"read:preferences", false},
    {"write:preferences", false},
    {"tenants:read", false},
    {"tenants:notifications:read", false},
    {"tenants:notifications:write", false},
    {"tenants:brand:read", false},
};

// What follows tenant:<id>: .
constexpr KnownScope kTenantSuffixes[] = {
    {"read", false},
    {"notification:read", false},
    {"notification:write", false},
    {"brand:read", false},
    {"brand:write", false},
};

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
         c == '+' || c == '=' || c == '-';
}

std::string Describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7F) return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrFormat("byte 0x%02X", u);
}

absl::Status Unknown(absl::string_view item) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown scope ", QuoteForError(item)));
}

absl::Status Malformed(absl::string_view item, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed scope ", QuoteForError(item), ": ", why));
}

// A user id ends its item, so any printable byte but the separator can be
// in it: "auth0|123", "a:b", e-mail addresses.
bool IsUserIdChar(char c) { return c > 0x20 && c < 0x7F; }

// `id` is the id part of `item`, a scope of a known shape.
absl::Status CheckId(absl::string_view item, absl::string_view id,
                     bool (*allowed)(char) = IsIdChar) {
  if (id.empty()) return Malformed(item, "empty id");
  if (id.size() > kMaxScopeIdBytes) {
    return Malformed(
        item, absl::StrCat("id longer than ", kMaxScopeIdBytes, " bytes"));
  }
  for (char c : id) {
    if (!allowed(c)) {
      return Malformed(item, absl::StrCat("id contains ", Describe(c)));
    }
  }
  return absl::OkStatus();
}

struct Item {
  absl::string_view text;
  bool is_user_id = false;
  absl::string_view user_id;  // When is_user_id.
  bool user_bound = false;
};

absl::StatusOr<Item> Classify(absl::string_view text) {
  Item item;
  item.text = text;
  for (const KnownScope& known : kFixedScopes) {
    if (text == known.name) {
      item.user_bound = known.user_bound;
      return item;
    }
  }
  if (absl::StartsWith(text, kUserIdPrefix)) {
    item.is_user_id = true;
    item.user_id = text.substr(kUserIdPrefix.size());
    if (absl::Status s = CheckId(text, item.user_id, IsUserIdChar); !s.ok()) {
      return s;
    }
    return item;
  }
  for (absl::string_view prefix : kBrandPrefixes) {
    if (absl::StartsWith(text, prefix)) {
      if (absl::Status s = CheckId(text, text.substr(prefix.size())); !s.ok()) {
        return s;
      }
      return item;
    }
  }
  if (absl::StartsWith(text, kTenantPrefix)) {
    // Ids hold no ':', so the first one after the prefix ends the id.
    const absl::string_view rest = text.substr(kTenantPrefix.size());
    const size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) return Unknown(text);
    const absl::string_view suffix = rest.substr(colon + 1);
    for (const KnownScope& known : kTenantSuffixes) {
      if (suffix == known.name) {
        if (absl::Status s = CheckId(text, rest.substr(0, colon)); !s.ok()) {
          return s;
        }
        item.user_bound = known.user_bound;
        return item;
      }
    }
  }
  return Unknown(text);
}

}  // namespace

absl::StatusOr<ScopeSet> ParseScope(absl::string_view scope) {
  if (scope.size() > kMaxScopeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("scope is longer than ", kMaxScopeBytes, " bytes"));
  }

  // Views into `scope`: nothing is copied until the result is built.
  absl::InlinedVector<Item, kMaxScopeItems> items;
  size_t i = 0;
  while (true) {
    while (i < scope.size() && scope[i] == ' ') ++i;
    if (i == scope.size()) break;
    const size_t start = i;
    bool control = false;
    for (; i < scope.size() && scope[i] != ' '; ++i) {
      control |= IsControl(scope[i]);
    }
    const absl::string_view text = scope.substr(start, i - start);
    if (items.size() == kMaxScopeItems) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxScopeItems, " scopes"));
    }
    if (control) {
      return absl::InvalidArgumentError(absl::StrCat(
          "scope ", QuoteForError(text), " contains a control character"));
    }
    absl::StatusOr<Item> item = Classify(text);
    if (!item.ok()) return item.status();
    items.push_back(*item);
  }
  if (items.empty()) return absl::InvalidArgumentError("scope is required");

  absl::InlinedVector<absl::string_view, kMaxScopeItems> user_ids;
  absl::InlinedVector<absl::string_view, kMaxScopeItems> scopes;
  const Item* first_user_bound = nullptr;
  for (const Item& item : items) {
    if (item.is_user_id) {
      // At most 32 items: a linear search beats hashing here.
      if (std::find(user_ids.begin(), user_ids.end(), item.user_id) ==
          user_ids.end()) {
        user_ids.push_back(item.user_id);
      }
      continue;
    }
    if (item.user_bound && first_user_bound == nullptr) {
      first_user_bound = &item;
    }
    scopes.push_back(item.text);
  }
  if (first_user_bound != nullptr && user_ids.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scope ", QuoteForError(first_user_bound->text),
                     " needs a user_id:<id> scope"));
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());

  ScopeSet set;
  size_t bytes = 0;
  set.user_ids.reserve(user_ids.size());
  for (absl::string_view id : user_ids) {
    set.user_ids.emplace_back(id);
    bytes += kUserIdPrefix.size() + id.size() + 1;
  }
  set.scopes.reserve(scopes.size());
  for (absl::string_view s : scopes) {
    set.scopes.emplace_back(s);
    bytes += s.size() + 1;
  }
  set.normalized.reserve(bytes);
  for (absl::string_view id : user_ids) {
    if (!set.normalized.empty()) set.normalized.push_back(' ');
    absl::StrAppend(&set.normalized, kUserIdPrefix, id);
  }
  for (absl::string_view s : scopes) {
    if (!set.normalized.empty()) set.normalized.push_back(' ');
    set.normalized.append(s.data(), s.size());
  }
  return set;
}

}  // namespace tokend::scoped
