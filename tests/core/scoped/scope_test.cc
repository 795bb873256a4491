#include "core/scoped/scope.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace tokend::scoped {
namespace {

// Expected values below are written from the grammar in scope.h, never
// copied from a run.

struct AcceptCase {
  std::string name;
  std::string scope;
  std::vector<std::string> user_ids;
  std::vector<std::string> scopes;
  std::string normalized;
};

std::ostream& operator<<(std::ostream& os, const AcceptCase& c) {
  return os << c.name;
}

class AcceptTest : public ::testing::TestWithParam<AcceptCase> {};

TEST_P(AcceptTest, ParsesExactly) {
  const AcceptCase& c = GetParam();
  absl::StatusOr<ScopeSet> set = ParseScope(c.scope);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->user_ids, c.user_ids);
  EXPECT_EQ(set->scopes, c.scopes);
  EXPECT_EQ(set->normalized, c.normalized);

  // The normalized claim parses back to itself.
  absl::StatusOr<ScopeSet> again = ParseScope(set->normalized);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->user_ids, c.user_ids);
  EXPECT_EQ(again->scopes, c.scopes);
  EXPECT_EQ(again->normalized, c.normalized);
}

std::vector<AcceptCase> AcceptCases() {
  const std::string id128(128, 'i');
  std::vector<AcceptCase> cases = {
      // Scopes that act for no user stand alone.
      {"ReadBrands", "read:brands", {}, {"read:brands"}, "read:brands"},
      {"ReadBrand", "read:brands:b1", {}, {"read:brands:b1"}, "read:brands:b1"},
      {"WriteBrands", "write:brands", {}, {"write:brands"}, "write:brands"},
      {"WriteBrand",
       "write:brands:b1",
       {},
       {"write:brands:b1"},
       "write:brands:b1"},
      {"TenantsRead", "tenants:read", {}, {"tenants:read"}, "tenants:read"},
      {"TenantsBrandRead",
       "tenants:brand:read",
       {},
       {"tenants:brand:read"},
       "tenants:brand:read"},
      {"TenantRead",
       "tenant:t1:read",
       {},
       {"tenant:t1:read"},
       "tenant:t1:read"},
      // The tenant's id is "notification": a read scope, no user needed.
      {"TenantNamedNotification",
       "tenant:notification:read",
       {},
       {"tenant:notification:read"},
       "tenant:notification:read"},
      {"TenantBrandRead",
       "tenant:t1:brand:read",
       {},
       {"tenant:t1:brand:read"},
       "tenant:t1:brand:read"},
      {"TenantBrandWrite",
       "tenant:t1:brand:write",
       {},
       {"tenant:t1:brand:write"},
       "tenant:t1:brand:write"},
      // A user id alone is a token for that user with no other scope.
      {"UserIdOnly", "user_id:u1", {"u1"}, {}, "user_id:u1"},
      {"IdCharset",
       "user_id:Az09._@+=- read:brands:Az09._@+=- tenant:Az09._@+=-:read",
       {"Az09._@+=-"},
       {"read:brands:Az09._@+=-", "tenant:Az09._@+=-:read"},
       "user_id:Az09._@+=- read:brands:Az09._@+=- tenant:Az09._@+=-:read"},
      {"Id128Bytes",
       absl::StrCat("user_id:", id128, " read:brands:", id128,
                    " tenant:", id128, ":read"),
       {id128},
       {absl::StrCat("read:brands:", id128),
        absl::StrCat("tenant:", id128, ":read")},
       absl::StrCat("user_id:", id128, " read:brands:", id128,
                    " tenant:", id128, ":read")},
      // Canonical order: user ids as given, then the rest sorted by bytes
      // (':' < 's', so "tenant:…" sorts before "tenants:…").
      {"CanonicalOrder",
       "write:preferences user_id:u1 tenant:t1:brand:write read:brands:b1 "
       "inbox:write:events user_id:u2 tenants:read read:messages user_id:u1",
       {"u1", "u2"},
       {"inbox:write:events", "read:brands:b1", "read:messages",
        "tenant:t1:brand:write", "tenants:read", "write:preferences"},
       "user_id:u1 user_id:u2 inbox:write:events read:brands:b1 read:messages "
       "tenant:t1:brand:write tenants:read write:preferences"},
      {"UserIdsKeepTheirOrder",
       "user_id:b user_id:a user_id:c",
       {"b", "a", "c"},
       {},
       "user_id:b user_id:a user_id:c"},
      {"UserIdsAfterScopes",
       "read:brands user_id:z",
       {"z"},
       {"read:brands"},
       "user_id:z read:brands"},
      {"BrandsAndOneBrand",
       "write:brands:b write:brands read:brands:a read:brands",
       {},
       {"read:brands", "read:brands:a", "write:brands", "write:brands:b"},
       "read:brands read:brands:a write:brands write:brands:b"},
      {"TenantIdsSorted",
       "tenant:b:read tenant:a:read tenant:B:read",
       {},
       {"tenant:B:read", "tenant:a:read", "tenant:b:read"},
       "tenant:B:read tenant:a:read tenant:b:read"},
      // Duplicates collapse, the first user id keeping its place.
      {"Duplicates",
       "read:brands user_id:a read:brands user_id:b user_id:a read:brands",
       {"a", "b"},
       {"read:brands"},
       "user_id:a user_id:b read:brands"},
      // Runs of spaces, leading and trailing spaces.
      {"Spaces",
       "   user_id:a    read:messages  ",
       {"a"},
       {"read:messages"},
       "user_id:a read:messages"},
      {"OneSpaceEach", " read:brands ", {}, {"read:brands"}, "read:brands"},
      // Courier's own example (www2 issue-token reference): no user needed.
      {"PreferencesAlone",
       "read:preferences",
       {},
       {"read:preferences"},
       "read:preferences"},
      {"InboxAndTenantsWithoutUser",
       "inbox:read:messages tenant:t1:notification:write",
       {},
       {"inbox:read:messages", "tenant:t1:notification:write"},
       "inbox:read:messages tenant:t1:notification:write"},
      // Auth0-style and other real-world user ids end their item.
      {"UserIdAnyPrintable",
       "user_id:auth0|123 user_id:a:b read:messages",
       {"auth0|123", "a:b"},
       {"read:messages"},
       "user_id:auth0|123 user_id:a:b read:messages"},
  };
  // Every user-bound scope, with the user id it needs.
  for (const char* scope :
       {"read:messages", "read:user-tokens", "write:user-tokens"}) {
    std::string name = absl::StrCat("UserBound_", scope);
    for (char& ch : name) {
      if (ch == ':' || ch == '-') ch = '_';
    }
    cases.push_back({name,
                     absl::StrCat(scope, " user_id:u"),
                     {"u"},
                     {scope},
                     absl::StrCat("user_id:u ", scope)});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Scope, AcceptTest, ::testing::ValuesIn(AcceptCases()),
                         [](const ::testing::TestParamInfo<AcceptCase>& info) {
                           return info.param.name;
                         });

struct ErrorCase {
  std::string name;
  std::string scope;
  std::string message;  // Exact.
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) {
  return os << c.name;
}

class ErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorTest, FailsExactly) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<ScopeSet> set = ParseScope(c.scope);
  ASSERT_FALSE(set.ok()) << set->normalized;
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(), c.message);
}

std::string NeedsUser(absl::string_view scope) {
  return absl::StrCat("scope \"", scope, "\" needs a user_id:<id> scope");
}

std::vector<ErrorCase> ErrorCases() {
  const std::string id129(129, 'i');
  // The quoted item is cut to its first 64 bytes.
  const auto cut = [](absl::string_view item) {
    return absl::StrCat("\"", item.substr(0, 64), "...\"");
  };
  std::vector<ErrorCase> cases = {
      {"Empty", "", "scope is required"},
      {"OnlySpaces", "    ", "scope is required"},
      // Unknown scopes: exact, case-sensitive matching.
      {"InboxReadWrite", "inbox:read:write",
       "unknown scope \"inbox:read:write\""},
      {"UpperCase", "user_id:u READ:messages",
       "unknown scope \"READ:messages\""},
      {"UpperCaseUserId", "USER_ID:u", "unknown scope \"USER_ID:u\""},
      {"Singular", "user_id:u read:message", "unknown scope \"read:message\""},
      {"TenantUnknownAction", "user_id:u tenant:t1:notification:delete",
       "unknown scope \"tenant:t1:notification:delete\""},
      {"TenantWithoutAction", "tenant:t1", "unknown scope \"tenant:t1\""},
      {"TenantIdWithColon", "tenant:a:b:read",
       "unknown scope \"tenant:a:b:read\""},
      {"TenantsWrite", "tenants:write", "unknown scope \"tenants:write\""},
      {"TenantsPluralWithId", "tenants:t1:read",
       "unknown scope \"tenants:t1:read\""},
      {"SplitById", "user_id:a b", "unknown scope \"b\""},
      {"Quote", "a\"b", "unknown scope \"a\\\"b\""},
      {"FirstBadItemNamed", "read:brands nope1 nope2",
       "unknown scope \"nope1\""},
      // Known shapes with a bad id.
      {"EmptyUserId", "user_id:", "malformed scope \"user_id:\": empty id"},
      {"EmptyBrandId",
       "read:brands:", "malformed scope \"read:brands:\": empty id"},
      {"EmptyWriteBrandId",
       "write:brands:", "malformed scope \"write:brands:\": empty id"},
      {"EmptyTenantId", "tenant::read",
       "malformed scope \"tenant::read\": empty id"},
      {"BrandIdWithColon", "read:brands:a:b",
       "malformed scope \"read:brands:a:b\": id contains ':'"},
      {"UserIdNonAscii", "user_id:j\xc3\xb6hn",
       "malformed scope \"user_id:j\\xc3\\xb6hn\": id contains byte 0xC3"},
      {"TenantIdWithSlash", "tenant:a/b:brand:read",
       "malformed scope \"tenant:a/b:brand:read\": id contains '/'"},
      {"NonAsciiBrandId", "read:brands:\xc3\xa9",
       "malformed scope \"read:brands:\\xc3\\xa9\": id contains byte 0xC3"},
      {"UserId129", absl::StrCat("user_id:", id129),
       absl::StrCat("malformed scope ", cut(absl::StrCat("user_id:", id129)),
                    ": id longer than 128 bytes")},
      {"BrandId129", absl::StrCat("write:brands:", id129),
       absl::StrCat("malformed scope ",
                    cut(absl::StrCat("write:brands:", id129)),
                    ": id longer than 128 bytes")},
      {"TenantId129", absl::StrCat("tenant:", id129, ":read"),
       absl::StrCat("malformed scope ",
                    cut(absl::StrCat("tenant:", id129, ":read")),
                    ": id longer than 128 bytes")},
      // Control characters: only ' ' separates.
      {"Tab", "user_id:a\tread:messages",
       "scope \"user_id:a\\tread:messages\" contains a control character"},
      {"Newline", "read:brands\n",
       "scope \"read:brands\\n\" contains a control character"},
      {"CarriageReturn", "read:brands\r\nx",
       "scope \"read:brands\\r\\nx\" contains a control character"},
      {"Nul", std::string("read:brands\0", 12),
       "scope \"read:brands\\x00\" contains a control character"},
      {"Del", "user_id:a \x7f", "scope \"\\x7f\" contains a control character"},
      // A long bad item is cut to 64 bytes, then escaped.
      {"LongUnknownCut", std::string(100, 'x'),
       absl::StrCat("unknown scope \"", std::string(64, 'x'), "...\"")},
      {"LongNonAsciiEscaped",
       [] {
         std::string s;
         for (int i = 0; i < 40; ++i) s += "\xc3\xa9";
         return s;
       }(),
       [] {
         std::string s = "unknown scope \"";
         for (int i = 0; i < 32; ++i) s += "\\xc3\\xa9";
         return s + "...\"";
       }()},
      // User-bound scopes without a user; the first one in input is named.
      {"FirstUserBoundNamed",
       "read:brands inbox:read:messages write:user-tokens read:messages",
       NeedsUser("write:user-tokens")},
  };
  for (const char* scope :
       {"read:messages", "read:user-tokens", "write:user-tokens"}) {
    std::string name = absl::StrCat("NoUser_", scope);
    for (char& ch : name) {
      if (ch == ':' || ch == '-') ch = '_';
    }
    cases.push_back({name, scope, NeedsUser(scope)});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Scope, ErrorTest, ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

// The limits are inclusive: exactly at each one parses.

TEST(ScopeLimitsTest, ThirtyTwoItems) {
  std::vector<std::string> items;
  for (int i = 0; i < 32; ++i) items.push_back(absl::StrCat("user_id:u", i));
  const std::string scope = absl::StrJoin(items, " ");
  absl::StatusOr<ScopeSet> set = ParseScope(scope);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->user_ids.size(), 32u);
  EXPECT_EQ(set->user_ids[31], "u31");
  EXPECT_EQ(set->normalized, scope);

  const absl::StatusOr<ScopeSet> more =
      ParseScope(absl::StrCat(scope, " read:brands"));
  EXPECT_EQ(more.status(), absl::InvalidArgumentError("more than 32 scopes"));
}

TEST(ScopeLimitsTest, ItemsCountBeforeDeduplication) {
  std::vector<std::string> items(32, "read:brands");
  absl::StatusOr<ScopeSet> set = ParseScope(absl::StrJoin(items, " "));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->normalized, "read:brands");

  items.push_back("read:brands");
  EXPECT_EQ(ParseScope(absl::StrJoin(items, " ")).status(),
            absl::InvalidArgumentError("more than 32 scopes"));
}

TEST(ScopeLimitsTest, TooManyWinsOverLaterBadItem) {
  std::vector<std::string> items(33, "read:brands");
  items.push_back("nope");
  EXPECT_EQ(ParseScope(absl::StrJoin(items, " ")).status(),
            absl::InvalidArgumentError("more than 32 scopes"));
}

TEST(ScopeLimitsTest, ExactlyMaxBytesOfItems) {
  // 7 items of "user_id:" + 128 bytes (136 each), 7 separators and one item
  // of "user_id:" + 57 bytes (65): 952 + 7 + 65 = 1024.
  std::vector<std::string> items;
  for (char c = 'a'; c < 'h'; ++c) {
    items.push_back(absl::StrCat("user_id:", std::string(128, c)));
  }
  items.push_back(absl::StrCat("user_id:", std::string(57, 'h')));
  const std::string scope = absl::StrJoin(items, " ");
  ASSERT_EQ(scope.size(), kMaxScopeBytes);
  absl::StatusOr<ScopeSet> set = ParseScope(scope);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->user_ids.size(), 8u);
  EXPECT_EQ(set->normalized, scope);

  EXPECT_EQ(ParseScope(absl::StrCat(scope, " ")).status(),
            absl::InvalidArgumentError("scope is longer than 1024 bytes"));
}

TEST(ScopeLimitsTest, SpacesCountTowardsBytes) {
  const std::string scope =
      absl::StrCat("read:brands", std::string(1024 - 11, ' '));
  ASSERT_EQ(scope.size(), 1024u);
  absl::StatusOr<ScopeSet> set = ParseScope(scope);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->normalized, "read:brands");

  EXPECT_EQ(ParseScope(absl::StrCat(" ", scope)).status(),
            absl::InvalidArgumentError("scope is longer than 1024 bytes"));
}

TEST(ScopeMessageTest, EveryMessageIsPrintableAndShort) {
  // Whatever the item, the message is printable ASCII and bounded: 64 bytes
  // of item, each escaped to at most 4 characters, plus the fixed text.
  std::string worst;
  for (int i = 0; i < 200; ++i)
    worst.push_back(static_cast<char>(0x80 + i % 64));
  for (const std::string& scope :
       {worst, absl::StrCat("user_id:", worst), absl::StrCat("\x01", worst)}) {
    const absl::Status status = ParseScope(scope).status();
    ASSERT_FALSE(status.ok());
    EXPECT_LE(status.message().size(), 64u * 4 + 64) << status.message();
    for (char c : status.message()) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7F) << status.message();
    }
  }
}

}  // namespace
}  // namespace tokend::scoped
