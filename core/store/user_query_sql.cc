#include "core/store/user_query_sql.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"

namespace tokend::store {
namespace {

// Parameter `n` in the dialect's notation.
std::string P(SqlDialect d, int n) {
  return absl::StrCat(d == SqlDialect::kSqlite ? "?" : "$", n);
}

// The values of the JSON array parameter `n`.
std::string Elements(SqlDialect d, int n) {
  return d == SqlDialect::kSqlite
             ? absl::StrCat("SELECT value FROM json_each(", P(d, n), ")")
             : absl::StrCat("SELECT jsonb_array_elements_text(", P(d, n),
                            "::jsonb)");
}

std::optional<std::string> JsonArray(const std::vector<std::string>& values) {
  if (values.empty()) return std::nullopt;
  return nlohmann::json(values).dump(-1, ' ', false,
                                     nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string UserFilterSql(SqlDialect d) {
  // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE any case (the
  // contract promises ASCII only).
  const std::string like = d == SqlDialect::kSqlite ? "LIKE" : "ILIKE";
  const std::string pattern =
      d == SqlDialect::kSqlite ? P(d, 6) : absl::StrCat(P(d, 6), "::text");
  auto matches = [&](absl::string_view column) {
    return absl::StrCat(column, " ", like, " ", pattern, " ESCAPE '\\'");
  };
  auto list = [&](int n) {
    return d == SqlDialect::kSqlite ? P(d, n) : absl::StrCat(P(d, n), "::text");
  };
  return absl::StrCat(
      "u.deleted_at_us IS NULL", " AND (", list(1), " IS NULL OR u.id IN (",
      Elements(d, 1), "))", " AND (", list(2), " IS NULL OR u.external_id IN (",
      Elements(d, 2), "))", " AND (", list(3), " IS NULL OR u.username IN (",
      Elements(d, 3), "))", " AND (", list(4),
      " IS NULL OR EXISTS (SELECT 1 FROM user_email_addresses e WHERE "
      "e.user_id = u.id AND lower(e.email_address) IN (",
      d == SqlDialect::kSqlite
          ? "SELECT lower(value) FROM json_each(?4)"
          : "SELECT lower(x) FROM jsonb_array_elements_text($4::jsonb) AS x",
      ")))", " AND (", list(5),
      " IS NULL OR EXISTS (SELECT 1 FROM user_phone_numbers p WHERE "
      "p.user_id = u.id AND p.phone_number IN (",
      Elements(d, 5), ")))", " AND (", pattern, " IS NULL OR ", matches("u.id"),
      " OR ", matches("u.external_id"), " OR ", matches("u.first_name"), " OR ",
      matches("u.last_name"), " OR ", matches("u.username"),
      " OR EXISTS (SELECT 1 FROM user_email_addresses e WHERE e.user_id = "
      "u.id AND ",
      matches("e.email_address"),
      ") OR EXISTS (SELECT 1 FROM user_phone_numbers p WHERE p.user_id = u.id "
      "AND ",
      matches("p.phone_number"), "))");
}

std::string UserOrderSql(SqlDialect d, UserOrder order, bool descending) {
  absl::string_view column = "u.created_at_us";
  bool text = false;
  switch (order) {
    case UserOrder::kCreatedAt:
      break;
    case UserOrder::kUpdatedAt:
      column = "u.updated_at_us";
      break;
    case UserOrder::kFirstName:
      column = "u.first_name";
      text = true;
      break;
    case UserOrder::kLastName:
      column = "u.last_name";
      text = true;
      break;
    case UserOrder::kUsername:
      column = "COALESCE(u.username, '')";
      text = true;
      break;
  }
  // Byte order in both: SQLite's BINARY, PostgreSQL's "C".
  const std::string collate =
      d == SqlDialect::kPostgres ? " COLLATE \"C\"" : "";
  return absl::StrCat("ORDER BY ", column, text ? collate : "",
                      descending ? " DESC" : " ASC", ", u.id", collate);
}

std::array<std::optional<std::string>, 6> UserFilterParams(const UserQuery& q) {
  std::optional<std::string> pattern;
  if (!q.query.empty()) {
    pattern =
        absl::StrCat("%",
                     absl::StrReplaceAll(
                         q.query, {{"\\", "\\\\"}, {"%", "\\%"}, {"_", "\\_"}}),
                     "%");
  }
  return {JsonArray(q.user_ids),      JsonArray(q.external_ids),
          JsonArray(q.usernames),     JsonArray(q.email_addresses),
          JsonArray(q.phone_numbers), pattern};
}

}  // namespace tokend::store
