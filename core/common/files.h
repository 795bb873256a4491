// Whole-file reads for small files (certificates, key files, requests).
#ifndef TOKEND_CORE_COMMON_FILES_H_
#define TOKEND_CORE_COMMON_FILES_H_

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace tokend {

// NotFound when the file cannot be opened, DataLoss when reading fails.
inline absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return contents.str();
}

// ReadFileToString for a file holding a private key: PermissionDenied when
// group or others may access it, as the master and admin keys are refused.
inline absl::StatusOr<std::string> ReadPrivateFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        path,
        " holds a private key and is accessible by group or others; "
        "chmod 600 it"));
  }
  return ReadFileToString(path);
}

}  // namespace tokend

#endif  // TOKEND_CORE_COMMON_FILES_H_
