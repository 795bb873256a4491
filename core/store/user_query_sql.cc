#include "core/store/user_query_sql.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tokend::store {
namespace {

constexpr int kOrders = 5;  // UserOrder's values.

// Parameter `n` in the dialect's notation; typed in PostgreSQL, which must
// know the type of a NULL.
std::string Param(SqlDialect d, int n) {
  return d == SqlDialect::kSqlite ? absl::StrCat("?", n)
                                  : absl::StrCat("$", n, "::text");
}

// The values of the JSON array parameter `n`, as a subquery; `lower` folds
// their ASCII case.
std::string Elements(SqlDialect d, int n, bool lower = false) {
  if (d == SqlDialect::kSqlite) {
    return absl::StrCat("SELECT ", lower ? "lower(value)" : "value",
                        " FROM json_each(?", n, ")");
  }
  return absl::StrCat("SELECT ", lower ? "lower(x)" : "x",
                      " FROM jsonb_array_elements_text($", n, "::jsonb) AS x");
}

// "u.deleted_at_us IS NULL AND ...", over `users u`, with parameters 1..6.
std::string UserFilterSql(SqlDialect d) {
  auto in_list = [&](absl::string_view column, int n, bool lower = false) {
    return absl::StrCat(" AND (", Param(d, n), " IS NULL OR ", column, " IN (",
                        Elements(d, n, lower), "))");
  };
  // A row of a user's contact table.
  auto contact = [](absl::string_view table, absl::string_view condition) {
    return absl::StrCat("EXISTS (SELECT 1 FROM ", table,
                        " c WHERE c.user_id = u.id AND ", condition, ")");
  };
  // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE any case (the
  // contract promises ASCII only).
  auto like = [&](absl::string_view column) {
    return absl::StrCat(column, d == SqlDialect::kSqlite ? " LIKE " : " ILIKE ",
                        Param(d, 6), " ESCAPE '\\'");
  };
  return absl::StrCat(
      "u.deleted_at_us IS NULL", in_list("u.id", 1),
      in_list("u.external_id", 2), in_list("u.username", 3),
      // Email addresses compare ignoring case; contacts match through their
      // own tables.
      " AND (", Param(d, 4), " IS NULL OR ",
      contact("user_email_addresses",
              absl::StrCat("lower(c.email_address) IN (",
                           Elements(d, 4, /*lower=*/true), ")")),
      ")", " AND (", Param(d, 5), " IS NULL OR ",
      contact("user_phone_numbers",
              absl::StrCat("c.phone_number IN (", Elements(d, 5), ")")),
      ")", " AND (", Param(d, 6), " IS NULL OR ", like("u.id"), " OR ",
      like("u.external_id"), " OR ", like("u.first_name"), " OR ",
      like("u.last_name"), " OR ", like("u.username"), " OR ",
      contact("user_email_addresses", like("c.email_address")), " OR ",
      contact("user_phone_numbers", like("c.phone_number")), ")");
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

// Every statement of one dialect: the count first, then each order
// ascending and descending.
std::vector<std::string> Statements(SqlDialect d) {
  const std::string where = UserFilterSql(d);
  const bool sqlite = d == SqlDialect::kSqlite;
  std::vector<std::string> out = {
      absl::StrCat("SELECT COUNT(*) FROM users u WHERE ", where)};
  for (int o = 0; o < kOrders; ++o) {
    for (bool desc : {false, true}) {
      out.push_back(
          absl::StrCat("SELECT u.id FROM users u WHERE ", where, " ",
                       UserOrderSql(d, static_cast<UserOrder>(o), desc),
                       sqlite ? " LIMIT ?7 OFFSET ?8" : " LIMIT $7 OFFSET $8"));
    }
  }
  return out;
}

const std::vector<std::string>& StatementsOf(SqlDialect d) {
  static const auto* const kSqlite =
      new std::vector<std::string>(Statements(SqlDialect::kSqlite));
  static const auto* const kPostgres =
      new std::vector<std::string>(Statements(SqlDialect::kPostgres));
  return d == SqlDialect::kSqlite ? *kSqlite : *kPostgres;
}

std::optional<std::string> JsonArray(const std::vector<std::string>& values) {
  if (values.empty()) return std::nullopt;
  return nlohmann::json(values).dump(-1, ' ', false,
                                     nlohmann::json::error_handler_t::replace);
}

}  // namespace

const std::string& FindUserIdsSql(SqlDialect d, UserOrder order,
                                  bool descending) {
  return StatementsOf(
      d)[1 + static_cast<int>(order) * 2 + (descending ? 1 : 0)];
}

const std::string& CountUsersSql(SqlDialect d) { return StatementsOf(d)[0]; }

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
