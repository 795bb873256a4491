// The data directory's own state: which process owns it, and the issuer its
// tokens carry. Both must survive restarts and must not be shared.
#ifndef TOKEND_SERVER_DATA_DIR_H_
#define TOKEND_SERVER_DATA_DIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::server {

// The data directory holds the database (sealed keys, secret hashes) and
// the key files. A directory other users may write to is refused
// (FailedPrecondition naming the chmod): they could swap any of it. A
// group-writable directory, and a database file other users may read, are
// returned as warnings for the log (tokend creates both private; someone
// widened them).
absl::StatusOr<std::vector<std::string>> CheckDataDirPermissions(
    const std::string& data_dir);

// An exclusive flock(2) on <data_dir>/tokend.lock, held while the object
// lives; the kernel drops it when the process dies however it dies, so a
// crash never leaves a stale lock. Two processes on one SQLite data dir would
// each trust their own memory (revocations, key sets) and drift apart.
class DataDirLock {
 public:
  // FailedPrecondition naming the holder's pid when another process holds
  // the lock.
  static absl::StatusOr<DataDirLock> Acquire(const std::string& data_dir);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// http(s)://<http_address>, with a wildcard host (0.0.0.0, [::]) replaced by
// "localhost": a token must name an address a client can reach.
std::string DefaultIssuer(bool tls, absl::string_view http_address);

// The issuer of this data directory, recorded in <data_dir>/issuer: the
// operator's `flag_issuer` when given (and recorded), else the recorded one,
// else `default_issuer` (recorded on first start). With port 0 the default
// changes at every start; the recorded one does not, so earlier tokens keep
// verifying.
absl::StatusOr<std::string> ResolveIssuer(const std::string& data_dir,
                                          const std::string& flag_issuer,
                                          const std::string& default_issuer);

}  // namespace tokend::server

#endif  // TOKEND_SERVER_DATA_DIR_H_
