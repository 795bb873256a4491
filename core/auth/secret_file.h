// Files holding one secret (the admin key): created with mode 0600 on first
// use, refused when other users can read them.
#ifndef TOKEND_CORE_AUTH_SECRET_FILE_H_
#define TOKEND_CORE_AUTH_SECRET_FILE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace tokend::auth {

// Reads the secret at `path` (surrounding whitespace trimmed). When the file
// does not exist, writes `generate()` to it (O_EXCL, 0600, fsync) and returns
// it. A file readable by group or others is refused (PermissionDenied).
absl::StatusOr<std::string> LoadOrCreateSecretFile(
    const std::string& path,
    const std::function<absl::StatusOr<std::string>()>& generate);

}  // namespace tokend::auth

#endif  // TOKEND_CORE_AUTH_SECRET_FILE_H_
