// The SQL of UserStore::FindUserIds and CountUsers (user_store.h), shared by
// the SQLite and PostgreSQL backends: fixed statements, built once per
// dialect (one per order), whatever the query. Parameters 1..6 are the
// filters (UserFilterParams); FindUserIdsSql adds 7 (limit) and 8 (offset).
// List filters travel as JSON arrays (SQLite's json_each, PostgreSQL's
// jsonb_array_elements_text), NULL when not filtering.
#ifndef TOKEND_CORE_STORE_USER_QUERY_SQL_H_
#define TOKEND_CORE_STORE_USER_QUERY_SQL_H_

#include <array>
#include <optional>
#include <string>

#include "core/store/user_store.h"

namespace tokend::store {

enum class SqlDialect { kSqlite, kPostgres };

// "SELECT u.id FROM users u WHERE ... ORDER BY ... LIMIT 7 OFFSET 8"; ties
// by id, strings in byte order in both dialects.
const std::string& FindUserIdsSql(SqlDialect dialect, UserOrder order,
                                  bool descending);

// "SELECT COUNT(*) FROM users u WHERE ...".
const std::string& CountUsersSql(SqlDialect dialect);

// Parameters 1..6 for `query`: user ids, external ids, usernames, email
// addresses, phone numbers (JSON arrays or NULL), and a LIKE pattern (or
// NULL).
std::array<std::optional<std::string>, 6> UserFilterParams(
    const UserQuery& query);

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_USER_QUERY_SQL_H_
