// Authorized keys of service accounts (DESIGN §2.1): RSA key pairs whose
// private half is handed to the caller once and never stored; the service
// keeps only the SPKI public key PEM and checks PS256 JWTs against it
// (sa_jwt_checker.h).
//
// The key file is the public Yandex Cloud format:
//   {"id": "aje…", "service_account_id": "aje…",
//    "created_at": "2018-10-31T09:30:52Z", "key_algorithm": "RSA_2048",
//    "public_key": "-----BEGIN PUBLIC KEY-----\n…",
//    "private_key": "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID
//                    <id>\n-----BEGIN PRIVATE KEY-----\n…"}
// The private key is PKCS#8 PEM preceded by that RFC 7468 explanatory line,
// as the public service writes it; parsing tolerates any text before
// "-----BEGIN" (or none).
#ifndef TOKEND_CORE_IAM_AUTHORIZED_KEYS_H_
#define TOKEND_CORE_IAM_AUTHORIZED_KEYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/jose/jwk.h"
#include "core/store/records.h"
#include "core/store/service_account_store.h"

namespace tokend::iam {

// Stored with the key (records.h).
using KeyAlgorithm = store::AuthorizedKeyAlgorithm;

// "RSA_2048", "RSA_4096".
absl::string_view KeyAlgorithmName(KeyAlgorithm alg);
// InvalidArgument for anything else.
absl::StatusOr<KeyAlgorithm> KeyAlgorithmFromName(absl::string_view name);

// "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <key_id>".
std::string ExplanatoryLine(absl::string_view key_id);

struct CreatedAuthorizedKey {
  store::AuthorizedKeyRecord key;  // As stored: public key only.
  // PKCS#8 "PRIVATE KEY" PEM, without the explanatory line. Shown once.
  std::string private_key_pem;
  // The key file (format above), with the explanatory line.
  std::string key_file_json;
};

// Generates an RSA key for PS256, stores its public half under a fresh
// "aje…" id (ids.h) with created_at = clock.Now(), and returns the private
// half once. NotFound if the account is unknown, FailedPrecondition if it is
// deleted; store errors otherwise.
absl::StatusOr<CreatedAuthorizedKey> CreateAuthorizedKey(
    store::ServiceAccountStore* store, const Clock& clock,
    absl::string_view service_account_id, KeyAlgorithm algorithm,
    absl::string_view description);

// The key file JSON for a stored key and its private PEM (which may or may
// not already carry an explanatory line; one is added when missing).
std::string KeyFileJson(const store::AuthorizedKeyRecord& key,
                        absl::string_view private_key_pem);

struct AuthorizedKeyFile {
  std::string id;
  std::string service_account_id;  // Or "user_account_id" (YDB accepts it).
  absl::Time created_at = absl::UnixEpoch();
  std::string key_algorithm;
  std::string public_key_pem;   // May be empty if the file omits it.
  std::string private_key_pem;  // As in the file.
  jose::Jwk private_key;        // PS256, kid = id.
};

// Parses and checks a key file: id, service_account_id (or user_account_id)
// and private_key are required; the private key must import as an RSA PS256
// key, and match public_key when that is present. InvalidArgument otherwise
// (messages never contain key material).
absl::StatusOr<AuthorizedKeyFile> ParseKeyFile(absl::string_view json);

}  // namespace tokend::iam

#endif  // TOKEND_CORE_IAM_AUTHORIZED_KEYS_H_
