#include "server/cache_invalidator.h"

namespace tokend::server {

void CacheInvalidator::Apply(const store::ChangeRecord& change) const {
  using store::ChangeKind;
  switch (change.kind) {
    case ChangeKind::kApiKey:
      targets_.api_keys->Forget(change.key);
      return;
    case ChangeKind::kServiceAccount:
      targets_.checker->InvalidateServiceAccount(change.key);
      return;
    case ChangeKind::kAuthorizedKey:
      targets_.checker->InvalidateKey(change.key);
      return;
    case ChangeKind::kUser:
      targets_.sessions->InvalidateUser(change.key);
      return;
    case ChangeKind::kSession:
      targets_.sessions->InvalidateSession(change.key);
      return;
    case ChangeKind::kJwtTemplate:
      // Keyed by id, cached by name (which the change may have renamed).
      targets_.sessions->InvalidateAllTemplates();
      return;
    case ChangeKind::kOAuthToken:
      targets_.iam->ForgetOAuthToken(change.key);
      return;
    case ChangeKind::kRevokedToken:
    case ChangeKind::kSigningKeys:
      return;  // Not caches (see the header).
  }
}

void CacheInvalidator::DropAll() const {
  targets_.api_keys->ForgetAll();
  targets_.checker->InvalidateAll();
  targets_.sessions->InvalidateAll();
  targets_.iam->ForgetAllOAuthTokens();
}

}  // namespace tokend::server
