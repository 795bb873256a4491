// Store conformance: Users. Every backend runs these (store_conformance.h).
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

TEST_P(StoreConformanceTest, UserRoundTripEveryField) {
  Backend* const store = store_.get();

  UserRecord full = User("full");
  // Large metadata: 1 MiB of JSON-ish text with multi-byte characters.
  std::string big = "{\"blob\":\"";
  while (big.size() < (1 << 20)) big += "ÿ€𝄞 ";
  big += "\"}";
  full.unsafe_metadata_json = big;
  ASSERT_TRUE(store->InsertUser(full).ok());

  // Nothing optional set, metadata empty strings (stored verbatim).
  UserRecord bare;
  bare.id = "user_bare";
  bare.public_metadata_json = "";
  bare.private_metadata_json = "";
  bare.unsafe_metadata_json = "";
  bare.created_at = kT0;
  bare.updated_at = kT0;
  ASSERT_TRUE(store->InsertUser(bare).ok());

  absl::StatusOr<UserRecord> got = store->GetUser("user_full");
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameUser(*got, full);
  EXPECT_EQ(got->unsafe_metadata_json.size(), big.size());

  got = store->GetUser("user_bare");
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameUser(*got, bare);
  EXPECT_TRUE(got->email_addresses.empty());
  EXPECT_TRUE(got->phone_numbers.empty());
}

TEST_P(StoreConformanceTest, UserEmailAndPhoneOrderIsKept) {
  Backend* const store = store_.get();
  UserRecord rec = User("o");
  rec.email_addresses.clear();
  for (int i = 9; i >= 0; --i) {
    rec.email_addresses.push_back(
        {absl::StrCat("idn_e", i), absl::StrCat("u", i, "@x.io"), i % 2 == 0});
    rec.phone_numbers.push_back(
        {absl::StrCat("idn_p", i), absl::StrCat("+1555000", i), i % 3 == 0});
  }
  ASSERT_TRUE(store->InsertUser(rec).ok());
  absl::StatusOr<UserRecord> got = store->GetUser(rec.id);
  ASSERT_TRUE(got.ok());
  ExpectSameUser(*got, rec);
}

TEST_P(StoreConformanceTest, UserUniquenessViolationsAreAlreadyExists) {
  Backend* const store = store_.get();
  ASSERT_TRUE(store->InsertUser(User("a")).ok());

  struct Case {
    const char* what;
    UserRecord rec;
  };
  std::vector<Case> cases;
  {
    UserRecord r = User("b");
    r.id = "user_a";
    cases.push_back({"id", r});
  }
  {
    UserRecord r = User("b");
    r.external_id = "ext-a";
    cases.push_back({"external_id", r});
  }
  {
    UserRecord r = User("b");
    r.username = "name_a";
    cases.push_back({"username", r});
  }
  {
    UserRecord r = User("b");
    r.email_addresses[1].email_address = "a@example.com";
    cases.push_back({"email", r});
  }
  {
    UserRecord r = User("b");
    r.email_addresses[0].email_address = "A@EXAMPLE.com";
    cases.push_back({"email, other case", r});
  }
  {
    UserRecord r = User("b");
    r.email_addresses[0].id = "idn_e1a";
    cases.push_back({"email id", r});
  }
  {
    UserRecord r = User("b");
    r.phone_numbers[0].id = "idn_p1a";
    cases.push_back({"phone id", r});
  }
  {
    UserRecord r = User("b");
    r.email_addresses[1].email_address = r.email_addresses[0].email_address;
    cases.push_back({"email twice in one user", r});
  }
  for (const Case& c : cases) {
    absl::Status status = store->InsertUser(c.rec);
    EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists)
        << c.what << ": " << status;
    // Nothing of the failed insert remains: "b"'s identifiers are free.
    EXPECT_EQ(store->GetUser("user_b").status().code(),
              absl::StatusCode::kNotFound)
        << c.what;
  }
  ASSERT_TRUE(store->InsertUser(User("b")).ok());

  // Unset external ids and usernames never collide; phone numbers may repeat.
  for (const char* tag : {"c", "d"}) {
    UserRecord r = User(tag);
    r.external_id.clear();
    r.username.clear();
    r.phone_numbers[0].phone_number = "+15555550100";
    EXPECT_TRUE(store->InsertUser(r).ok()) << tag;
  }
  EXPECT_EQ(store->GetUser("user_c")->external_id, "");
  EXPECT_EQ(store->GetUser("user_d")->username, "");
}

TEST_P(StoreConformanceTest, UserNotFound) {
  Backend* const store = store_.get();
  EXPECT_EQ(store->GetUser("user_x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetUser("").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetUser(absl::string_view()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->UpdateUser(User("x")).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->MarkUserDeleted("user_x", kT0).code(),
            absl::StatusCode::kNotFound);
  // The failed update inserted no contacts.
  EXPECT_TRUE(store->InsertUser(User("x")).ok());
}

TEST_P(StoreConformanceTest, UserUpdateReplacesAllButCreationAndDeletion) {
  Backend* const store = store_.get();
  UserRecord rec = User("a");
  ASSERT_TRUE(store->InsertUser(rec).ok());

  UserRecord changed = rec;
  changed.external_id.clear();
  changed.first_name = "Ada";
  changed.locale = "en-GB";
  changed.legal_accepted_at.reset();
  changed.last_name = "";
  changed.username = "ada";
  changed.image_url = "";
  changed.email_addresses = {{"idn_new", "ada@example.net", true},
                             // Kept address, now verified.
                             {"idn_e1a", "a@example.com", true}};
  changed.primary_email_address_id = "idn_new";
  changed.phone_numbers.clear();
  changed.primary_phone_number_id.clear();
  changed.public_metadata_json = R"({"plan":"pro"})";
  changed.private_metadata_json = "{}";
  changed.unsafe_metadata_json = R"({"theme":"dark"})";
  changed.created_at = kT0 + absl::Hours(99);  // Ignored.
  changed.updated_at = kT0 + absl::Hours(1);
  ASSERT_TRUE(store->UpdateUser(changed).ok());

  absl::StatusOr<UserRecord> got = store->GetUser("user_a");
  ASSERT_TRUE(got.ok());
  UserRecord want = changed;
  want.created_at = rec.created_at;
  ExpectSameUser(*got, want);

  // The old identifiers are free, the new ones taken.
  UserRecord other = User("b");
  other.external_id = "ext-a";
  other.email_addresses[0].email_address = "a+alt@example.org";
  ASSERT_TRUE(store->InsertUser(other).ok());
  UserRecord clash = User("c");
  clash.username = "ada";
  EXPECT_EQ(store->InsertUser(clash).code(), absl::StatusCode::kAlreadyExists);
}

TEST_P(StoreConformanceTest, UserFailedUpdateChangesNothing) {
  Backend* const store = store_.get();
  UserRecord a = User("a");
  UserRecord b = User("b");
  ASSERT_TRUE(store->InsertUser(a).ok());
  ASSERT_TRUE(store->InsertUser(b).ok());

  UserRecord bad = a;
  bad.first_name = "changed";
  bad.username = "name_b";
  EXPECT_EQ(store->UpdateUser(bad).code(), absl::StatusCode::kAlreadyExists);
  bad = a;
  bad.first_name = "changed";
  bad.email_addresses.push_back({"idn_x", "B@example.com", false});
  EXPECT_EQ(store->UpdateUser(bad).code(), absl::StatusCode::kAlreadyExists);
  bad = a;
  bad.updated_at = absl::InfiniteFuture();
  EXPECT_EQ(store->UpdateUser(bad).code(), absl::StatusCode::kInvalidArgument);

  ExpectSameUser(*store->GetUser("user_a"), a);
  ExpectSameUser(*store->GetUser("user_b"), b);
}

TEST_P(StoreConformanceTest, UserMarkDeletedKeepsTheRecordAndFreesIdentifiers) {
  Backend* const store = store_.get();
  UserRecord a = User("a");
  ASSERT_TRUE(store->InsertUser(a).ok());
  ASSERT_TRUE(store->MarkUserDeleted("user_a", kT0 + absl::Hours(1)).ok());
  ASSERT_TRUE(store->MarkUserDeleted("user_a", kT0 + absl::Hours(2)).ok());

  absl::StatusOr<UserRecord> got = store->GetUser("user_a");
  ASSERT_TRUE(got.ok());
  UserRecord want = a;
  want.deleted_at = kT0 + absl::Hours(1);  // The first time is kept.
  ExpectSameUser(*got, want);

  EXPECT_EQ(store->UpdateUser(a).code(), absl::StatusCode::kFailedPrecondition);

  // A new user may take the external id, username and email addresses, but
  // not the id or the email/phone ids, which stay with the deleted record.
  UserRecord again = a;
  again.id = "user_a2";
  for (auto& e : again.email_addresses) e.id += "-2";
  for (auto& p : again.phone_numbers) p.id += "-2";
  ASSERT_TRUE(store->InsertUser(again).ok());
  EXPECT_EQ(store->InsertUser(a).code(), absl::StatusCode::kAlreadyExists);

  // A user inserted already deleted holds nothing either.
  UserRecord ghost = again;
  ghost.id = "user_ghost";
  for (auto& e : ghost.email_addresses) e.id += "-g";
  for (auto& p : ghost.phone_numbers) p.id += "-g";
  ghost.deleted_at = kT0;
  ASSERT_TRUE(store->InsertUser(ghost).ok());
  ExpectSameUser(*store->GetUser("user_ghost"), ghost);
}

// FindUserIds/CountUsers: Clerk's GET /users filters, combined with AND,
// each list matching any of its values; deleted users never match; the
// order is total (ties by id) and paging walks it without gaps.
TEST_P(StoreConformanceTest, UserQueryFiltersOrdersAndPages) {
  Backend* const store = store_.get();
  // a, b, c created a second apart; b renamed; d deleted.
  for (int i = 0; i < 4; ++i) {
    const std::string tag(1, static_cast<char>('a' + i));
    UserRecord u = User(tag);
    u.first_name = std::string(1, static_cast<char>('z' - i));  // z y x w
    u.phone_numbers[0].phone_number = absl::StrCat("+1555555010", i);
    u.created_at = kT0 + absl::Seconds(i);
    u.updated_at = kT0 + absl::Seconds(10 - i);
    if (tag == "c") u.username.clear();
    ASSERT_TRUE(store->InsertUser(u).ok()) << tag;
  }
  ASSERT_TRUE(store->MarkUserDeleted("user_d", kT0).ok());

  auto find = [&](UserQuery q) {
    absl::StatusOr<std::vector<std::string>> ids = store->FindUserIds(q);
    EXPECT_TRUE(ids.ok()) << ids.status();
    absl::StatusOr<int64_t> count = store->CountUsers(q);
    EXPECT_TRUE(count.ok()) << count.status();
    return std::make_pair(ids.ok() ? *ids : std::vector<std::string>{"error"},
                          count.ok() ? *count : -1);
  };
  UserQuery all;
  EXPECT_EQ(find(all).first,
            (std::vector<std::string>{"user_c", "user_b", "user_a"}));
  EXPECT_EQ(find(all).second, 3);

  UserQuery q;
  q.email_addresses = {"B@EXAMPLE.com", "nobody@example.com",
                       "a+alt@example.org"};
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_b", "user_a"}));
  q = {};
  q.user_ids = {"user_a", "user_d"};  // d is deleted.
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_a"}));
  q = {};
  q.external_ids = {"ext-b", "ext-c"};
  q.usernames = {"name_b"};
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_b"}));
  q = {};
  q.phone_numbers = {"+15555550102"};
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_c"}));
  // query: a substring of any identifier, ignoring ASCII case; LIKE's
  // wildcards are literal.
  q = {};
  q.query = "NAME_";
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_b", "user_a"}));
  q.query = "c@exa";
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_c"}));
  q.query = "%";
  EXPECT_EQ(find(q).second, 0);
  q.query = "_";  // In "user_a" etc.: literal underscores match.
  EXPECT_EQ(find(q).second, 3);

  q = {};
  q.order = UserOrder::kFirstName;
  q.descending = false;
  EXPECT_EQ(find(q).first,
            (std::vector<std::string>{"user_c", "user_b", "user_a"}));
  q.order = UserOrder::kUpdatedAt;
  EXPECT_EQ(find(q).first,
            (std::vector<std::string>{"user_c", "user_b", "user_a"}));
  q.order = UserOrder::kUsername;  // No username sorts as "".
  EXPECT_EQ(find(q).first,
            (std::vector<std::string>{"user_c", "user_a", "user_b"}));
  q.descending = true;
  q.limit = 1;
  q.offset = 1;
  EXPECT_EQ(find(q).first, (std::vector<std::string>{"user_a"}));
  EXPECT_EQ(find(q).second, 3);  // Counts ignore paging.
  q.offset = 3;
  EXPECT_TRUE(find(q).first.empty());
  q.limit = -1;
  EXPECT_EQ(store->FindUserIds(q).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreConformanceTest, UserOddInputIsStoredOrRejectedNeverFatal) {
  Backend* const store = store_.get();
  // Stored verbatim (the store is not the validator)...
  UserRecord rec = User("odd");
  rec.public_metadata_json = "not json at all";
  rec.image_url = std::string(100000, 'x');
  ASSERT_TRUE(store->InsertUser(rec).ok());
  ExpectSameUser(*store->GetUser(rec.id), rec);

  // ...or, for text a backend cannot hold (PostgreSQL TEXT takes neither NUL
  // bytes nor invalid UTF-8), refused as InvalidArgument with nothing
  // written; never a crash or a silently altered value.
  UserRecord nul = User("nul");
  nul.first_name = std::string("nul\0inside", 10);
  UserRecord bad_utf8 = User("utf8");
  bad_utf8.last_name = "\xff\xfe not utf-8 \xc3";
  for (const UserRecord& odd : {nul, bad_utf8}) {
    const absl::Status inserted = store->InsertUser(odd);
    if (inserted.ok()) {
      ExpectSameUser(*store->GetUser(odd.id), odd);
    } else {
      EXPECT_EQ(inserted.code(), absl::StatusCode::kInvalidArgument)
          << inserted;
      EXPECT_EQ(store->GetUser(odd.id).status().code(),
                absl::StatusCode::kNotFound);
    }
  }

  UserRecord inf = User("inf");
  inf.created_at = absl::InfinitePast();
  EXPECT_EQ(store->InsertUser(inf).code(), absl::StatusCode::kInvalidArgument);
  inf = User("inf");
  inf.deleted_at = absl::InfiniteFuture();
  EXPECT_EQ(store->InsertUser(inf).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetUser("user_inf").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->MarkUserDeleted("user_odd", absl::InfiniteFuture()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokend::store::conformance
