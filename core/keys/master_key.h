// The master key: 32 random bytes in a file of its own, under which signing
// keys are sealed at rest (DESIGN §3, sealer.h).
//
//   ASSIGN_OR_RETURN(std::string key,
//                    keys::LoadOrCreateMasterKey(data_dir + "/master.key"));
//   ASSIGN_OR_RETURN(std::unique_ptr<keys::Sealer> sealer,
//                    keys::Sealer::Create(key));
//
// The file holds exactly kMasterKeySize raw bytes and must not be readable or
// writable by group or others. A file that breaks either rule is refused with
// FailedPrecondition rather than repaired: it may not be ours.
#ifndef TOKEND_CORE_KEYS_MASTER_KEY_H_
#define TOKEND_CORE_KEYS_MASTER_KEY_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace tokend::keys {

inline constexpr size_t kMasterKeySize = 32;

// Reads the key at `path`. NotFound if there is no file; FailedPrecondition if
// it is not a regular file, has group/other permission bits, or is not
// kMasterKeySize bytes; PermissionDenied/Internal for I/O errors.
absl::StatusOr<std::string> LoadMasterKey(const std::string& path);

// LoadMasterKey, or, when `path` does not exist, creates it: kMasterKeySize
// bytes from RAND_bytes, mode 0600, written and fsync'ed under a temporary
// name (O_CREAT|O_EXCL) and then linked into place, so that a concurrent
// reader never sees a partial key and a crash never leaves a short file.
// If two processes race, both end up with the key that was linked first.
absl::StatusOr<std::string> LoadOrCreateMasterKey(const std::string& path);

}  // namespace tokend::keys

#endif  // TOKEND_CORE_KEYS_MASTER_KEY_H_
