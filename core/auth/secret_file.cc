#include "core/auth/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tokend::auth {
namespace {

constexpr size_t kMaxSecretFileBytes = 4096;

absl::Status ErrnoStatus(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::StatusOr<std::string> ReadSecret(const std::string& path, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus("stat", path);
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, " is accessible by group or others; chmod 600 it"));
  }
  if (st.st_size <= 0 || st.st_size > static_cast<off_t>(kMaxSecretFileBytes)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " has an unexpected size"));
  }
  std::string data(st.st_size, '\0');
  ssize_t n = pread(fd, data.data(), data.size(), 0);
  if (n != static_cast<ssize_t>(data.size())) return ErrnoStatus("read", path);
  std::string secret(absl::StripAsciiWhitespace(data));
  if (secret.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is empty"));
  }
  return secret;
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateSecretFile(
    const std::string& path,
    const std::function<absl::StatusOr<std::string>()>& generate) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    auto secret = ReadSecret(path, fd);
    close(fd);
    return secret;
  }
  if (errno != ENOENT) return ErrnoStatus("open", path);

  ASSIGN_OR_RETURN(std::string secret, generate());
  // Write the whole file under a temporary name, then link() it into place:
  // link never replaces an existing file, so the first creator wins and no
  // reader ever sees a partly written file.
  std::string tmp = path + ".tmp-XXXXXX";
  fd = mkostemp(tmp.data(), O_CLOEXEC);  // O_EXCL, mode 0600.
  if (fd < 0) return ErrnoStatus("create", tmp);
  std::string line = secret + "\n";
  bool ok = fchmod(fd, 0600) == 0 &&
            write(fd, line.data(), line.size()) ==
                static_cast<ssize_t>(line.size()) &&
            fsync(fd) == 0;
  absl::Status error = ok ? absl::OkStatus() : ErrnoStatus("write", tmp);
  close(fd);
  if (ok && link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      // Another thread or process created it first: use theirs.
      unlink(tmp.c_str());
      return LoadOrCreateSecretFile(path, generate);
    }
    error = ErrnoStatus("link", path);
  }
  unlink(tmp.c_str());
  if (!error.ok()) return error;
  return secret;
}

}  // namespace tokend::auth
