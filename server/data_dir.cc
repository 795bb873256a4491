#include "server/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"

namespace tokend::server {
namespace {

constexpr size_t kMaxIssuerBytes = 2048;

// Writes `content` to `path` atomically: a temporary file, fsync, rename.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content) {
  const std::string tmp = path + ".tmp";
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n =
        write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!synced || rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> CheckDataDirPermissions(
    const std::string& data_dir) {
  std::vector<std::string> warnings;
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat ", data_dir, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "data directory ", data_dir,
        " is writable by other users, who could replace its database and "
        "keys; chmod 700 it"));
  }
  if ((st.st_mode & S_IWGRP) != 0) {
    warnings.push_back(absl::StrCat("data directory ", data_dir,
                                    " is writable by its group; chmod 700 it"));
  }
  for (const char* name : {"tokend.db", "tokend.db-wal", "tokend.db-shm"}) {
    const std::string path = absl::StrCat(data_dir, "/", name);
    if (stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      warnings.push_back(absl::StrCat(path,
                                      " is accessible by group or others (it "
                                      "holds sealed keys and secret hashes); "
                                      "chmod 600 it"));
    }
  }
  return warnings;
}

absl::StatusOr<DataDirLock> DataDirLock::Acquire(const std::string& data_dir) {
  const std::string path = data_dir + "/tokend.lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    int64_t pid = 0;
    const bool known =
        n > 0 &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)),
                         &pid);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data directory ", data_dir, " is in use by another tokend",
          known ? absl::StrCat(" (pid ", pid, ")") : "",
          "; one process per data directory (run replicas over "
          "--store=postgres://…)"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot lock ", path, ": ", std::strerror(err)));
  }
  // Record our pid for the message another process will show.
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) !=
                                   static_cast<ssize_t>(pid.size())) {
    // The lock holds without it; only the message loses the pid.
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) close(fd_);  // Releases the lock.
}

std::string DefaultIssuer(bool tls, absl::string_view http_address) {
  absl::string_view host = http_address;
  absl::string_view port;
  const size_t colon = http_address.rfind(':');
  if (colon != absl::string_view::npos) {
    host = http_address.substr(0, colon);
    port = http_address.substr(colon);  // ":8080"
  }
  if (host == "0.0.0.0" || host == "[::]" || host == "::" || host.empty()) {
    host = "localhost";
  }
  return absl::StrCat(tls ? "https" : "http", "://", host, port);
}

absl::StatusOr<std::string> ResolveIssuer(const std::string& data_dir,
                                          const std::string& flag_issuer,
                                          const std::string& default_issuer) {
  const std::string path = data_dir + "/issuer";
  std::string recorded;
  {
    std::ifstream in(path, std::ios::binary);
    if (in.good()) {
      std::stringstream ss;
      ss << in.rdbuf();
      recorded = std::string(absl::StripAsciiWhitespace(ss.str()));
      if (recorded.size() > kMaxIssuerBytes) {
        return absl::FailedPreconditionError(
            absl::StrCat(path, ": longer than ", kMaxIssuerBytes, " bytes"));
      }
    }
  }
  const std::string& chosen = !flag_issuer.empty() ? flag_issuer
                              : !recorded.empty()  ? recorded
                                                   : default_issuer;
  if (chosen != recorded) {
    RETURN_IF_ERROR(WriteFileAtomically(path, absl::StrCat(chosen, "\n")));
  }
  return chosen;
}

}  // namespace tokend::server
