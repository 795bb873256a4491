// SessionStore: users' sessions. Contract: signing_key_store.h.
#ifndef TOKEND_CORE_STORE_SESSION_STORE_H_
#define TOKEND_CORE_STORE_SESSION_STORE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // AlreadyExists if the id or a non-empty client token hash is taken;
  // NotFound if the user is unknown (a deleted user is not checked here).
  virtual absl::Status InsertSession(const SessionRecord& rec) = 0;
  // The session, whatever its status. NotFound if none.
  virtual absl::StatusOr<SessionRecord> GetSession(absl::string_view id) = 0;
  // By SHA-256 of the client token (an index probe; see
  // ApiKeyStore::FindApiKeyByHash), whatever its status. NotFound if none,
  // and always for "".
  virtual absl::StatusOr<SessionRecord> FindSessionByClientTokenHash(
      absl::string_view client_token_hash) = 0;
  // The sessions of `user_id` ("" for every user's), only those in `status`
  // when it is set, ordered newest first (created_at descending, then id
  // ascending); `offset` rows are skipped and at most `limit` returned.
  // InvalidArgument if limit or offset is negative.
  virtual absl::StatusOr<std::vector<SessionRecord>> ListSessions(
      absl::string_view user_id, std::optional<SessionStatus> status,
      int64_t limit, int64_t offset) = 0;
  // How many sessions ListSessions(user_id, status, ...) walks in all (a
  // paginated list's total_count).
  virtual absl::StatusOr<int64_t> CountSessions(
      absl::string_view user_id, std::optional<SessionStatus> status) = 0;
  // Sets the status and updated_at = `now`. Any transition is accepted (the
  // caller owns the state machine). NotFound if `id` is unknown.
  virtual absl::Status UpdateSessionStatus(absl::string_view id,
                                           SessionStatus status,
                                           absl::Time now) = 0;
  // Moves last_active_at forward to `at` (an earlier `at` leaves it: touches
  // from several replicas may arrive out of order). updated_at is not
  // changed. NotFound if `id` is unknown.
  virtual absl::Status TouchSession(absl::string_view id, absl::Time at) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_SESSION_STORE_H_
