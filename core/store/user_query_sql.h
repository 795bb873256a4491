// The SQL of UserStore::FindUserIds and CountUsers (user_store.h), shared by
// the SQLite and PostgreSQL backends: one WHERE clause with six parameters,
// so each backend prepares a fixed statement per order, whatever the query.
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

// "u.deleted_at_us IS NULL AND ...", over `users u`, with parameters 1..6
// (?N or $N): user ids, external ids, usernames, email addresses, phone
// numbers (JSON arrays or NULL), and a LIKE pattern (or NULL).
std::string UserFilterSql(SqlDialect dialect);

// "ORDER BY ..." for `order`, ties by id; byte order in both dialects.
std::string UserOrderSql(SqlDialect dialect, UserOrder order, bool descending);

// The six parameter values of UserFilterSql for `query`.
std::array<std::optional<std::string>, 6> UserFilterParams(
    const UserQuery& query);

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_USER_QUERY_SQL_H_
