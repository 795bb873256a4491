#include "core/keys/master_key.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tokend::keys {
namespace {

absl::Status ErrnoError(int err, absl::string_view what,
                        const std::string& path) {
  std::string msg =
      absl::StrCat("master key ", path, ": ", what, ": ", strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

void Wipe(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAll(int fd, const std::string& data,
                      const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status FsyncDir(const std::string& path) {
  const std::string dir = DirName(path);
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open directory", dir);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return ErrnoError(err, "fsync directory", dir);
  return absl::OkStatus();
}

// Creates the key under a temporary name and links it to `path`. Returns
// AlreadyExists if `path` appeared meanwhile.
absl::Status CreateMasterKey(const std::string& path) {
  std::string key(kMasterKeySize, '\0');
  absl::Cleanup wipe_key = [&key] { Wipe(key); };
  uint8_t suffix[8];
  if (RAND_bytes(reinterpret_cast<uint8_t*>(key.data()), key.size()) != 1 ||
      RAND_bytes(suffix, sizeof(suffix)) != 1) {
    return absl::InternalError("master key: RAND_bytes failed");
  }
  const std::string tmp =
      absl::StrCat(path, ".tmp-",
                   absl::BytesToHexString(absl::string_view(
                       reinterpret_cast<const char*>(suffix), sizeof(suffix))));

  const int fd = open(
      tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, "create", tmp);
  absl::Cleanup remove_tmp = [&tmp] { unlink(tmp.c_str()); };
  {
    absl::Cleanup close_fd = [fd] { close(fd); };
    // The umask can only have removed bits; make the mode exact anyway.
    if (fchmod(fd, 0600) != 0) return ErrnoError(errno, "chmod", tmp);
    if (absl::Status s = WriteAll(fd, key, tmp); !s.ok()) return s;
    if (fsync(fd) != 0) return ErrnoError(errno, "fsync", tmp);
  }
  // link() never replaces an existing file: the first creator wins.
  if (link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("master key ", path, " already exists"));
    }
    return ErrnoError(errno, "link", path);
  }
  std::move(remove_tmp).Invoke();
  return FsyncDir(path);
}

}  // namespace

absl::StatusOr<std::string> LoadMasterKey(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", path);
  absl::Cleanup close_fd = [fd] { close(fd); };

  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError(errno, "stat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("master key ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "master key %s is accessible by group or others (mode %04o); "
        "run chmod 600 on it",
        path, st.st_mode & 07777));
  }
  if (st.st_size != static_cast<off_t>(kMasterKeySize)) {
    return absl::FailedPreconditionError(
        absl::StrCat("master key ", path, " is ", st.st_size,
                     " bytes; a master key is ", kMasterKeySize, " bytes"));
  }
  std::string key(kMasterKeySize, '\0');
  size_t done = 0;
  while (done < key.size()) {
    const ssize_t n = read(fd, key.data() + done, key.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      Wipe(key);
      return ErrnoError(err, "read", path);
    }
    if (n == 0) {
      Wipe(key);
      return absl::FailedPreconditionError(absl::StrCat(
          "master key ", path, " is shorter than ", kMasterKeySize, " bytes"));
    }
    done += static_cast<size_t>(n);
  }
  return key;
}

absl::StatusOr<std::string> LoadOrCreateMasterKey(const std::string& path) {
  absl::StatusOr<std::string> key = LoadMasterKey(path);
  if (key.status().code() != absl::StatusCode::kNotFound) return key;
  absl::Status created = CreateMasterKey(path);
  if (!created.ok() && created.code() != absl::StatusCode::kAlreadyExists) {
    return created;
  }
  return LoadMasterKey(path);
}

}  // namespace tokend::keys
