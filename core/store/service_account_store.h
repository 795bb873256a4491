// ServiceAccountStore: service accounts and their authorized keys (one
// aggregate: a key belongs to exactly one account). Contract:
// signing_key_store.h.
#ifndef TOKEND_CORE_STORE_SERVICE_ACCOUNT_STORE_H_
#define TOKEND_CORE_STORE_SERVICE_ACCOUNT_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store {

class ServiceAccountStore {
 public:
  virtual ~ServiceAccountStore() = default;

  // AlreadyExists if the id, or the name of an account not deleted, is taken.
  virtual absl::Status InsertServiceAccount(
      const ServiceAccountRecord& rec) = 0;
  // The account, deleted or not (callers check deleted_at). NotFound if none.
  virtual absl::StatusOr<ServiceAccountRecord> GetServiceAccount(
      absl::string_view id) = 0;
  // Accounts not deleted, ordered by (created_at, id).
  virtual absl::StatusOr<std::vector<ServiceAccountRecord>>
  ListServiceAccounts() = 0;
  // Marks the account deleted at `at`; deleting a deleted account succeeds
  // and keeps the first time. NotFound if `id` is unknown.
  virtual absl::Status MarkServiceAccountDeleted(absl::string_view id,
                                                 absl::Time at) = 0;
  // Replaces the token creators (duplicates are dropped, order kept).
  // NotFound if `id` is unknown; FailedPrecondition if it is deleted.
  virtual absl::Status SetTokenCreators(
      absl::string_view id, const std::vector<std::string>& subject_ids) = 0;

  // AlreadyExists if the id is taken; NotFound if the account is unknown.
  virtual absl::Status InsertAuthorizedKey(const AuthorizedKeyRecord& rec) = 0;
  // The key, deleted or not. NotFound if none.
  virtual absl::StatusOr<AuthorizedKeyRecord> GetAuthorizedKey(
      absl::string_view id) = 0;
  // The account's keys that are not deleted, ordered by (created_at, id).
  virtual absl::StatusOr<std::vector<AuthorizedKeyRecord>> ListAuthorizedKeys(
      absl::string_view service_account_id) = 0;
  // As MarkServiceAccountDeleted, for a key.
  virtual absl::Status MarkAuthorizedKeyDeleted(absl::string_view id,
                                                absl::Time at) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_SERVICE_ACCOUNT_STORE_H_
