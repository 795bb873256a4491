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
  fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Another process created it first: use theirs.
    return LoadOrCreateSecretFile(path, generate);
  }
  if (fd < 0) return ErrnoStatus("create", path);
  std::string line = secret + "\n";
  bool ok = write(fd, line.data(), line.size()) ==
                static_cast<ssize_t>(line.size()) &&
            fsync(fd) == 0;
  close(fd);
  if (!ok) {
    unlink(path.c_str());
    return ErrnoStatus("write", path);
  }
  return secret;
}

}  // namespace tokend::auth
