// UserStore: users with their email addresses and phone numbers (records.h:
// UserRecord). Contract: signing_key_store.h.
#ifndef TOKEND_CORE_STORE_USER_STORE_H_
#define TOKEND_CORE_STORE_USER_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

enum class UserOrder {
  kCreatedAt,
  kUpdatedAt,
  kFirstName,
  kLastName,
  kUsername
};

// Which users FindUserIds and CountUsers walk: users not deleted that match
// every filter given; a list filter matches any of its values.
struct UserQuery {
  std::vector<std::string> user_ids;
  std::vector<std::string> external_ids;
  std::vector<std::string> usernames;
  std::vector<std::string> email_addresses;  // Compared ignoring ASCII case.
  std::vector<std::string> phone_numbers;
  // A substring of the id, external id, first or last name, username, an
  // email address or a phone number, ignoring ASCII case; "" for none.
  std::string query;
  UserOrder order = UserOrder::kCreatedAt;  // Ties by id, ascending.
  bool descending = true;
  // Strings compare byte by byte; no username sorts as "".
  int64_t limit = 10;
  int64_t offset = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;

  // Adds a user with its email addresses and phone numbers. AlreadyExists if
  // the id, an email address or phone number id, or (among users not
  // deleted) the external id, the username or an email address is taken.
  virtual absl::Status InsertUser(const UserRecord& rec) = 0;
  // The user, deleted or not (callers check deleted_at). NotFound if none.
  virtual absl::StatusOr<UserRecord> GetUser(absl::string_view id) = 0;
  // Every user's id, deleted or not, ordered by (created_at, id): for
  // copying a whole store.
  virtual absl::StatusOr<std::vector<std::string>> ListUserIds() = 0;
  // The ids of the users `query` matches, in its order, `offset` skipped and
  // at most `limit` (InvalidArgument if either is negative).
  virtual absl::StatusOr<std::vector<std::string>> FindUserIds(
      const UserQuery& query) = 0;
  // How many users `query` matches in all (limit and offset ignored).
  virtual absl::StatusOr<int64_t> CountUsers(const UserQuery& query) = 0;
  // Replaces every field of the user `rec.id` except created_at and
  // deleted_at, which are kept; email addresses and phone numbers are
  // replaced as a whole. NotFound if the id is unknown; FailedPrecondition if
  // the user is deleted; AlreadyExists as for InsertUser (nothing changes).
  virtual absl::Status UpdateUser(const UserRecord& rec) = 0;
  // Marks the user deleted at `at`, freeing its external id, username and
  // email addresses. Deleting a deleted user succeeds and keeps the first
  // time. NotFound if `id` is unknown. In the same transaction the user's
  // active sessions become revoked (updated_at = `at`), as Clerk ends a
  // deleted user's sessions; others keep their status.
  virtual absl::Status MarkUserDeleted(absl::string_view id, absl::Time at) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_USER_STORE_H_
