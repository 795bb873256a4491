// Backend: one database holding every aggregate. Only what owns the database
// (the server's composition root, tools that copy a whole store, the
// conformance suite) sees this type; everything else takes the one narrow
// interface it needs (DESIGN §4).
#ifndef TOKEND_CORE_STORE_BACKEND_H_
#define TOKEND_CORE_STORE_BACKEND_H_

#include "core/store/api_key_store.h"
#include "core/store/change_feed_store.h"
#include "core/store/jwt_template_store.h"
#include "core/store/lease_store.h"
#include "core/store/oauth_token_store.h"
#include "core/store/revocation_store.h"
#include "core/store/service_account_store.h"
#include "core/store/session_store.h"
#include "core/store/signing_key_store.h"
#include "core/store/user_store.h"

namespace tokend::store {

class Backend : public SigningKeyStore,
                public ApiKeyStore,
                public ServiceAccountStore,
                public OAuthTokenStore,
                public RevocationStore,
                public UserStore,
                public SessionStore,
                public JwtTemplateStore,
                public ChangeFeedStore,
                public LeaseStore {
 public:
  ~Backend() override = default;
};

}  // namespace tokend::store

#endif  // TOKEND_CORE_STORE_BACKEND_H_
