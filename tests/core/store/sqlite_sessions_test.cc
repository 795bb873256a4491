// SqliteStore: users, sessions and JWT templates (schema migration 3).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/store/sqlite_store.h"
#include "core/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int counter = 0;
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name, "-",
                                  getpid(), "-", ++counter, ".db");
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return path;
}

std::unique_ptr<SqliteStore> MustOpen(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// A user with every field set; `tag` keeps identifiers distinct.
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
  rec.created_at = kT0 + absl::Microseconds(123456);
  rec.updated_at = kT0 + absl::Seconds(5);
  return rec;
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
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.deleted_at, b.deleted_at);
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

// Runs `sql` on a separate raw connection; returns the first column of every
// row.
std::vector<std::string> RawQuery(const std::string& path,
                                  const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
      SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::string> out;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    out.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
  }
  EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// ---- Records ----

TEST(SessionStatusTest, NamesRoundTrip) {
  for (SessionStatus status :
       {SessionStatus::kActive, SessionStatus::kRevoked, SessionStatus::kEnded,
        SessionStatus::kExpired}) {
    EXPECT_EQ(ParseSessionStatus(SessionStatusName(status)), status);
  }
  EXPECT_EQ(SessionStatusName(SessionStatus::kActive), "active");
  EXPECT_EQ(SessionStatusName(SessionStatus::kRevoked), "revoked");
  EXPECT_EQ(SessionStatusName(SessionStatus::kEnded), "ended");
  EXPECT_EQ(SessionStatusName(SessionStatus::kExpired), "expired");
  EXPECT_EQ(ParseSessionStatus("Active"), std::nullopt);
  EXPECT_EQ(ParseSessionStatus(""), std::nullopt);
  EXPECT_EQ(ParseSessionStatus("pending"), std::nullopt);
}

// A Store that overrides only the required methods: the new ones answer
// Unimplemented, so older test doubles keep compiling and behave.
class MinimalStore : public Store {
 public:
  absl::StatusOr<std::vector<SigningKeyRecord>> ListSigningKeys() override {
    return std::vector<SigningKeyRecord>{};
  }
  absl::Status InsertSigningKey(const SigningKeyRecord&) override {
    return absl::OkStatus();
  }
  absl::Status UpdateSigningKeys(const std::vector<SigningKeyRecord>&,
                                 const std::vector<std::string>&) override {
    return absl::OkStatus();
  }
  absl::Status InsertApiKey(const ApiKeyRecord&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<ApiKeyRecord> FindApiKeyByHash(absl::string_view) override {
    return absl::NotFoundError("");
  }
  absl::StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(
      std::optional<absl::string_view>) override {
    return std::vector<ApiKeyRecord>{};
  }
  absl::Status RevokeApiKey(absl::string_view, absl::Time) override {
    return absl::OkStatus();
  }
};

TEST(StoreDefaultsTest, NewMethodsAreUnimplemented) {
  MinimalStore store;
  const auto kUnimplemented = absl::StatusCode::kUnimplemented;
  EXPECT_EQ(store.InsertUser(User("a")).code(), kUnimplemented);
  EXPECT_EQ(store.GetUser("a").status().code(), kUnimplemented);
  EXPECT_EQ(store.UpdateUser(User("a")).code(), kUnimplemented);
  EXPECT_EQ(store.MarkUserDeleted("a", kT0).code(), kUnimplemented);
  EXPECT_EQ(store.InsertSession(Session("s", "u", kT0)).code(), kUnimplemented);
  EXPECT_EQ(store.GetSession("s").status().code(), kUnimplemented);
  EXPECT_EQ(store.FindSessionByClientTokenHash("h").status().code(),
            kUnimplemented);
  EXPECT_EQ(store.ListSessions("", std::nullopt, 10, 0).status().code(),
            kUnimplemented);
  EXPECT_EQ(store.UpdateSessionStatus("s", SessionStatus::kEnded, kT0).code(),
            kUnimplemented);
  EXPECT_EQ(store.TouchSession("s", kT0).code(), kUnimplemented);
  EXPECT_EQ(store.InsertJwtTemplate(Template("j", "n")).code(), kUnimplemented);
  EXPECT_EQ(store.GetJwtTemplate("j").status().code(), kUnimplemented);
  EXPECT_EQ(store.FindJwtTemplateByName("n").status().code(), kUnimplemented);
  EXPECT_EQ(store.ListJwtTemplates().status().code(), kUnimplemented);
  EXPECT_EQ(store.UpdateJwtTemplate(Template("j", "n")).code(), kUnimplemented);
  EXPECT_EQ(store.DeleteJwtTemplate("j").code(), kUnimplemented);
}

// ---- Users ----

TEST(SqliteUsersTest, RoundTripEveryField) {
  auto store = MustOpen(TempPath("users"));
  ASSERT_NE(store, nullptr);

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
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST(SqliteUsersTest, EmailAndPhoneOrderIsKept) {
  auto store = MustOpen(TempPath("user-order"));
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

TEST(SqliteUsersTest, UniquenessViolationsAreAlreadyExists) {
  auto store = MustOpen(TempPath("user-unique"));
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

TEST(SqliteUsersTest, NotFound) {
  auto store = MustOpen(TempPath("user-notfound"));
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

TEST(SqliteUsersTest, UpdateReplacesAllButCreationAndDeletion) {
  auto store = MustOpen(TempPath("user-update"));
  UserRecord rec = User("a");
  ASSERT_TRUE(store->InsertUser(rec).ok());

  UserRecord changed = rec;
  changed.external_id.clear();
  changed.first_name = "Ada";
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

TEST(SqliteUsersTest, FailedUpdateChangesNothing) {
  auto store = MustOpen(TempPath("user-update-fail"));
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

TEST(SqliteUsersTest, MarkDeletedKeepsTheRecordAndFreesIdentifiers) {
  auto store = MustOpen(TempPath("user-delete"));
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

TEST(SqliteUsersTest, OddInputIsStoredOrRejectedNeverFatal) {
  auto store = MustOpen(TempPath("user-odd"));
  UserRecord rec = User("odd");
  rec.first_name = std::string("nul\0inside", 10);
  rec.last_name = "\xff\xfe not utf-8 \xc3";
  rec.public_metadata_json = "not json at all";
  rec.image_url = std::string(100000, 'x');
  ASSERT_TRUE(store->InsertUser(rec).ok());
  ExpectSameUser(*store->GetUser(rec.id), rec);

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

// ---- Sessions ----

class SqliteSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TempPath("sessions");
    store_ = MustOpen(path_);
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->InsertUser(User("u1")).ok());
    ASSERT_TRUE(store_->InsertUser(User("u2")).ok());
  }

  std::string path_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteSessionsTest, RoundTripAndLookups) {
  SessionRecord a = Session("sess_a", "user_u1", kT0);
  a.actor_json = R"({"sub":"user_admin","iss":"https://dashboard"})";
  a.status = SessionStatus::kExpired;
  a.updated_at = kT0 + absl::Seconds(1);
  a.last_active_at = kT0 + absl::Seconds(2);
  SessionRecord b = Session("sess_b", "user_u1", kT0);
  b.client_token_hash = "";  // No client token.
  ASSERT_TRUE(store_->InsertSession(a).ok());
  ASSERT_TRUE(store_->InsertSession(b).ok());

  absl::StatusOr<SessionRecord> got = store_->GetSession("sess_a");
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameSession(*got, a);
  got = store_->GetSession("sess_b");
  ASSERT_TRUE(got.ok());
  ExpectSameSession(*got, b);

  got = store_->FindSessionByClientTokenHash(a.client_token_hash);
  ASSERT_TRUE(got.ok());
  ExpectSameSession(*got, a);
  // An empty hash matches nothing, not even the session without a token.
  EXPECT_EQ(store_->FindSessionByClientTokenHash("").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      store_->FindSessionByClientTokenHash(absl::string_view()).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->FindSessionByClientTokenHash(std::string(32, '\0'))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetSession("sess_zzz").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteSessionsTest, InsertErrors) {
  SessionRecord a = Session("sess_a", "user_u1", kT0);
  ASSERT_TRUE(store_->InsertSession(a).ok());

  SessionRecord dup_id = Session("sess_a", "user_u2", kT0);
  EXPECT_EQ(store_->InsertSession(dup_id).code(),
            absl::StatusCode::kAlreadyExists);
  SessionRecord dup_hash = Session("sess_c", "user_u2", kT0);
  dup_hash.client_token_hash = a.client_token_hash;
  EXPECT_EQ(store_->InsertSession(dup_hash).code(),
            absl::StatusCode::kAlreadyExists);
  SessionRecord no_user = Session("sess_d", "user_nobody", kT0);
  EXPECT_EQ(store_->InsertSession(no_user).code(), absl::StatusCode::kNotFound);
  SessionRecord bad_time = Session("sess_e", "user_u1", kT0);
  bad_time.expire_at = absl::InfiniteFuture();
  EXPECT_EQ(store_->InsertSession(bad_time).code(),
            absl::StatusCode::kInvalidArgument);

  // Several sessions without a client token coexist.
  for (const char* id : {"sess_n1", "sess_n2"}) {
    SessionRecord r = Session(id, "user_u2", kT0);
    r.client_token_hash.clear();
    EXPECT_TRUE(store_->InsertSession(r).ok()) << id;
  }
  // A deleted user's sessions are the caller's business.
  ASSERT_TRUE(store_->MarkUserDeleted("user_u2", kT0).ok());
  EXPECT_TRUE(store_->InsertSession(Session("sess_f", "user_u2", kT0)).ok());
  absl::StatusOr<std::vector<SessionRecord>> all =
      store_->ListSessions("", std::nullopt, 100, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, SizeIs(4));
}

TEST_F(SqliteSessionsTest, ListOrderFilterAndPaging) {
  // created_at: s1 oldest ... s5 newest; s3a/s3b tie (ordered by id).
  ASSERT_TRUE(store_->InsertSession(Session("s1", "user_u1", kT0)).ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s2", "user_u2", kT0 + absl::Seconds(1)))
          .ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s3b", "user_u1", kT0 + absl::Seconds(2)))
          .ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s3a", "user_u1", kT0 + absl::Seconds(2)))
          .ok());
  ASSERT_TRUE(
      store_->InsertSession(Session("s5", "user_u2", kT0 + absl::Seconds(4)))
          .ok());
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("s3a", SessionStatus::kRevoked,
                                        kT0 + absl::Minutes(1))
                  .ok());
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("s2", SessionStatus::kEnded,
                                        kT0 + absl::Minutes(1))
                  .ok());

  auto list = [&](absl::string_view user, std::optional<SessionStatus> status,
                  int64_t limit, int64_t offset) {
    absl::StatusOr<std::vector<SessionRecord>> got =
        store_->ListSessions(user, status, limit, offset);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? Ids(*got) : std::vector<std::string>{"error"};
  };
  EXPECT_THAT(list("", std::nullopt, 100, 0),
              ElementsAre("s5", "s3a", "s3b", "s2", "s1"));
  EXPECT_THAT(list("user_u1", std::nullopt, 100, 0),
              ElementsAre("s3a", "s3b", "s1"));
  EXPECT_THAT(list("user_u2", std::nullopt, 100, 0), ElementsAre("s5", "s2"));
  EXPECT_THAT(list("", SessionStatus::kActive, 100, 0),
              ElementsAre("s5", "s3b", "s1"));
  EXPECT_THAT(list("user_u1", SessionStatus::kActive, 100, 0),
              ElementsAre("s3b", "s1"));
  EXPECT_THAT(list("user_u1", SessionStatus::kRevoked, 100, 0),
              ElementsAre("s3a"));
  EXPECT_THAT(list("user_u2", SessionStatus::kExpired, 100, 0), IsEmpty());
  EXPECT_THAT(list("user_nobody", std::nullopt, 100, 0), IsEmpty());

  // Paging walks the same order without gaps or repeats.
  EXPECT_THAT(list("", std::nullopt, 2, 0), ElementsAre("s5", "s3a"));
  EXPECT_THAT(list("", std::nullopt, 2, 2), ElementsAre("s3b", "s2"));
  EXPECT_THAT(list("", std::nullopt, 2, 4), ElementsAre("s1"));
  EXPECT_THAT(list("", std::nullopt, 2, 6), IsEmpty());
  EXPECT_THAT(list("", std::nullopt, 0, 0), IsEmpty());
  EXPECT_THAT(list("", std::nullopt, std::numeric_limits<int64_t>::max(),
                   std::numeric_limits<int64_t>::max()),
              IsEmpty());
  EXPECT_THAT(list("user_u1", SessionStatus::kActive, 1, 1), ElementsAre("s1"));

  EXPECT_EQ(store_->ListSessions("", std::nullopt, -1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListSessions("", std::nullopt, 1, -1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteSessionsTest, StatusUpdatesAndTouch) {
  SessionRecord a = Session("sess_a", "user_u1", kT0);
  ASSERT_TRUE(store_->InsertSession(a).ok());

  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("sess_a", SessionStatus::kRevoked,
                                        kT0 + absl::Minutes(3))
                  .ok());
  absl::StatusOr<SessionRecord> got = store_->GetSession("sess_a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, SessionStatus::kRevoked);
  EXPECT_EQ(got->updated_at, kT0 + absl::Minutes(3));
  EXPECT_EQ(got->last_active_at, a.last_active_at);
  EXPECT_EQ(got->created_at, a.created_at);

  // Any transition is stored as asked.
  ASSERT_TRUE(store_
                  ->UpdateSessionStatus("sess_a", SessionStatus::kActive,
                                        kT0 + absl::Minutes(4))
                  .ok());
  EXPECT_EQ(store_->GetSession("sess_a")->status, SessionStatus::kActive);

  ASSERT_TRUE(store_->TouchSession("sess_a", kT0 + absl::Minutes(10)).ok());
  ASSERT_TRUE(store_->TouchSession("sess_a", kT0 + absl::Minutes(5)).ok());
  got = store_->GetSession("sess_a");
  EXPECT_EQ(got->last_active_at, kT0 + absl::Minutes(10));  // Not backwards.
  EXPECT_EQ(got->updated_at, kT0 + absl::Minutes(4));       // Untouched.

  EXPECT_EQ(
      store_->UpdateSessionStatus("sess_x", SessionStatus::kEnded, kT0).code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->TouchSession("sess_x", kT0).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_
                ->UpdateSessionStatus("sess_a", SessionStatus::kEnded,
                                      absl::InfinitePast())
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- JWT templates ----

TEST(SqliteJwtTemplatesTest, RoundTripEveryField) {
  auto store = MustOpen(TempPath("templates"));
  JwtTemplateRecord plain = Template("jtmp_1", "convex");
  JwtTemplateRecord custom = Template("jtmp_2", "hasura ☃");
  custom.custom_signing_key = true;
  custom.signing_algorithm = "ES384";
  custom.sealed_signing_key = std::string("\x00\x01\xff\x00sealed\x00", 11);
  custom.lifetime_seconds = 315360000;
  custom.allowed_clock_skew_seconds = 0;
  custom.claims_json = "{}";
  JwtTemplateRecord extreme = Template("jtmp_3", "");
  extreme.lifetime_seconds = std::numeric_limits<int64_t>::min();
  extreme.allowed_clock_skew_seconds = std::numeric_limits<int64_t>::max();
  extreme.claims_json = std::string(64 * 1024, '[');
  for (const JwtTemplateRecord* rec : {&plain, &custom, &extreme}) {
    ASSERT_TRUE(store->InsertJwtTemplate(*rec).ok()) << rec->id;
  }
  for (const JwtTemplateRecord* rec : {&plain, &custom, &extreme}) {
    absl::StatusOr<JwtTemplateRecord> got = store->GetJwtTemplate(rec->id);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSameTemplate(*got, *rec);
    got = store->FindJwtTemplateByName(rec->name);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSameTemplate(*got, *rec);
  }
  EXPECT_EQ(store->GetJwtTemplate("jtmp_x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->FindJwtTemplateByName("Convex").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SqliteJwtTemplatesTest, NamesAreUniqueAndListedInOrder) {
  auto store = MustOpen(TempPath("templates-unique"));
  ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_1", "supabase")).ok());
  ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_2", "convex")).ok());
  ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_3", "Zeta")).ok());
  EXPECT_EQ(store->InsertJwtTemplate(Template("jtmp_4", "convex")).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->InsertJwtTemplate(Template("jtmp_1", "other")).code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<std::vector<JwtTemplateRecord>> list =
      store->ListJwtTemplates();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> names;
  for (const JwtTemplateRecord& t : *list) names.push_back(t.name);
  EXPECT_THAT(names, ElementsAre("Zeta", "convex", "supabase"));  // Bytewise.
}

TEST(SqliteJwtTemplatesTest, UpdateAndDelete) {
  auto store = MustOpen(TempPath("templates-update"));
  JwtTemplateRecord a = Template("jtmp_a", "alpha");
  JwtTemplateRecord b = Template("jtmp_b", "beta");
  ASSERT_TRUE(store->InsertJwtTemplate(a).ok());
  ASSERT_TRUE(store->InsertJwtTemplate(b).ok());

  JwtTemplateRecord renamed = a;
  renamed.name = "gamma";
  renamed.claims_json = R"({"role":"{{user.public_metadata.role}}"})";
  renamed.lifetime_seconds = 30;
  renamed.allowed_clock_skew_seconds = 300;
  renamed.custom_signing_key = true;
  renamed.signing_algorithm = "HS256";
  renamed.sealed_signing_key = "sealed-hmac";
  renamed.created_at = kT0 + absl::Hours(50);  // Ignored.
  renamed.updated_at = kT0 + absl::Hours(1);
  ASSERT_TRUE(store->UpdateJwtTemplate(renamed).ok());
  JwtTemplateRecord want = renamed;
  want.created_at = a.created_at;
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_a"), want);
  EXPECT_EQ(store->FindJwtTemplateByName("alpha").status().code(),
            absl::StatusCode::kNotFound);
  ExpectSameTemplate(*store->FindJwtTemplateByName("gamma"), want);

  // Back to no custom key.
  JwtTemplateRecord plain = want;
  plain.custom_signing_key = false;
  plain.signing_algorithm.clear();
  plain.sealed_signing_key.clear();
  ASSERT_TRUE(store->UpdateJwtTemplate(plain).ok());
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_a"), plain);

  // Renaming onto another's name fails and changes nothing.
  JwtTemplateRecord clash = plain;
  clash.name = "beta";
  clash.lifetime_seconds = 999;
  EXPECT_EQ(store->UpdateJwtTemplate(clash).code(),
            absl::StatusCode::kAlreadyExists);
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_a"), plain);
  ExpectSameTemplate(*store->GetJwtTemplate("jtmp_b"), b);

  EXPECT_EQ(store->UpdateJwtTemplate(Template("jtmp_x", "x")).code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(store->DeleteJwtTemplate("jtmp_b").ok());
  EXPECT_EQ(store->DeleteJwtTemplate("jtmp_b").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetJwtTemplate("jtmp_b").status().code(),
            absl::StatusCode::kNotFound);
  // The name is free again.
  EXPECT_TRUE(store->InsertJwtTemplate(Template("jtmp_c", "beta")).ok());
  EXPECT_THAT(*store->ListJwtTemplates(), SizeIs(2));
}

// ---- Files, statements, migrations ----

TEST(SqliteSessionsFileTest, EverythingSurvivesReopen) {
  const std::string path = TempPath("sessions-reopen");
  UserRecord user = User("r");
  SessionRecord session = Session("sess_r", "user_r", kT0);
  JwtTemplateRecord tmpl = Template("jtmp_r", "reopen");
  tmpl.sealed_signing_key = std::string("\x00key", 4);
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertUser(user).ok());
    ASSERT_TRUE(store->InsertSession(session).ok());
    ASSERT_TRUE(store->InsertJwtTemplate(tmpl).ok());
    ASSERT_TRUE(store
                    ->UpdateSessionStatus("sess_r", SessionStatus::kEnded,
                                          kT0 + absl::Hours(1))
                    .ok());
    ASSERT_TRUE(store->MarkUserDeleted("user_r", kT0 + absl::Hours(2)).ok());
  }
  auto store = MustOpen(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->migrations_applied(), 0);
  user.deleted_at = kT0 + absl::Hours(2);
  ExpectSameUser(*store->GetUser("user_r"), user);
  session.status = SessionStatus::kEnded;
  session.updated_at = kT0 + absl::Hours(1);
  ExpectSameSession(*store->GetSession("sess_r"), session);
  ExpectSameSession(
      *store->FindSessionByClientTokenHash(session.client_token_hash), session);
  ExpectSameTemplate(*store->FindJwtTemplateByName("reopen"), tmpl);
  EXPECT_TRUE(store->CheckIntegrity().ok());
}

TEST(SqliteSessionsFileTest, PreparedStatementsAreReused) {
  auto store = MustOpen(TempPath("sessions-stmts"));
  auto exercise = [&](int i) {
    const std::string tag = absl::StrCat(i);
    UserRecord user = User(tag);
    ASSERT_TRUE(store->InsertUser(user).ok());
    ASSERT_TRUE(store->GetUser(user.id).ok());
    user.first_name = "again";
    ASSERT_TRUE(store->UpdateUser(user).ok());
    SessionRecord s = Session(absl::StrCat("sess_", i), user.id, kT0);
    ASSERT_TRUE(store->InsertSession(s).ok());
    ASSERT_TRUE(store->GetSession(s.id).ok());
    ASSERT_TRUE(store->FindSessionByClientTokenHash(s.client_token_hash).ok());
    ASSERT_TRUE(store->ListSessions("", std::nullopt, 5, 0).ok());
    ASSERT_TRUE(store->ListSessions(user.id, std::nullopt, 5, 0).ok());
    ASSERT_TRUE(store->ListSessions("", SessionStatus::kActive, 5, 0).ok());
    ASSERT_TRUE(
        store->ListSessions(user.id, SessionStatus::kActive, 5, 0).ok());
    ASSERT_TRUE(
        store->UpdateSessionStatus(s.id, SessionStatus::kRevoked, kT0).ok());
    ASSERT_TRUE(store->TouchSession(s.id, kT0).ok());
    ASSERT_TRUE(store->MarkUserDeleted(user.id, kT0).ok());
    JwtTemplateRecord t = Template(absl::StrCat("jtmp_", i), tag);
    ASSERT_TRUE(store->InsertJwtTemplate(t).ok());
    ASSERT_TRUE(store->GetJwtTemplate(t.id).ok());
    ASSERT_TRUE(store->FindJwtTemplateByName(t.name).ok());
    ASSERT_TRUE(store->ListJwtTemplates().ok());
    ASSERT_TRUE(store->UpdateJwtTemplate(t).ok());
    ASSERT_TRUE(store->DeleteJwtTemplate(t.id).ok());
  };
  exercise(0);
  const size_t count = store->prepared_statement_count();
  for (int i = 1; i < 10; ++i) exercise(i);
  EXPECT_EQ(store->prepared_statement_count(), count);
}

std::string ReadRunfile(const std::string& path) {
  const char* dir = std::getenv("TEST_SRCDIR");
  std::ifstream in(absl::StrCat(dir != nullptr ? dir : ".", "/tokend/", path),
                   std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes the database described by an SQL dump into a new file at `path`.
void LoadDump(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
      SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// A file written by the previous release (schema version 2,
// testdata/schema_v2.sql) is upgraded in place: only migration 3 runs, the
// old rows stay readable, the new tables work, and the resulting schema is
// exactly that of a freshly created database.
TEST(SqliteSessionsFileTest, UpgradesAVersion2Database) {
  const std::string path = TempPath("from-v2");
  LoadDump(path, ReadRunfile("tests/core/store/testdata/schema_v2.sql"));
  ASSERT_THAT(RawQuery(path, "SELECT MAX(version) FROM schema_migrations"),
              ElementsAre("2"));
  ASSERT_EQ(SqliteStore::LatestSchemaVersion(), 3);

  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->schema_version(), 3);
    EXPECT_EQ(store->migrations_applied(), 1);

    // Rows written at version 2 are intact.
    absl::StatusOr<ServiceAccountRecord> sa = store->GetServiceAccount("sa1");
    ASSERT_TRUE(sa.ok()) << sa.status();
    EXPECT_EQ(sa->name, "name-sa1");
    EXPECT_THAT(sa->token_creators, ElementsAre("user-1"));
    EXPECT_TRUE(store->GetAuthorizedKey("k1").ok());
    absl::StatusOr<std::vector<SigningKeyRecord>> keys =
        store->ListSigningKeys();
    ASSERT_TRUE(keys.ok());
    ASSERT_THAT(*keys, SizeIs(1));
    EXPECT_EQ((*keys)[0].sealed_private,
              std::string("\x01\x00\xff sealed", 10));
    absl::StatusOr<std::vector<ApiKeyRecord>> api_keys =
        store->ListApiKeys(std::nullopt);
    ASSERT_TRUE(api_keys.ok());
    ASSERT_THAT(*api_keys, SizeIs(1));
    EXPECT_EQ((*api_keys)[0].revoked_at, kT0);
    EXPECT_TRUE(
        store->FindOAuthTokenByHash(std::string("\x00\x11\x22\x33", 4)).ok());
    EXPECT_TRUE(*store->IsTokenRevoked("jti-1"));

    // The new tables work.
    ASSERT_TRUE(store->InsertUser(User("up")).ok());
    ASSERT_TRUE(store->InsertSession(Session("sess_up", "user_up", kT0)).ok());
    ASSERT_TRUE(store->InsertJwtTemplate(Template("jtmp_up", "up")).ok());
    EXPECT_TRUE(store->CheckIntegrity().ok());
  }
  {
    auto store = MustOpen(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->migrations_applied(), 0);
    EXPECT_TRUE(store->GetSession("sess_up").ok());
  }

  const std::string fresh = TempPath("fresh-v3");
  { ASSERT_NE(MustOpen(fresh), nullptr); }
  const std::string kSchema =
      "SELECT type || ' ' || name || ' ' || tbl_name || ': ' || "
      "COALESCE(sql, '') FROM sqlite_master ORDER BY type, name";
  EXPECT_EQ(RawQuery(path, kSchema), RawQuery(fresh, kSchema));
  EXPECT_EQ(RawQuery(path,
                     "SELECT version || ' ' || description FROM "
                     "schema_migrations ORDER BY version"),
            RawQuery(fresh,
                     "SELECT version || ' ' || description FROM "
                     "schema_migrations ORDER BY version"));
}

}  // namespace
}  // namespace tokend::store
