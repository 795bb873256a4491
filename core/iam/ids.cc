#include "core/iam/ids.h"

#include <openssl/rand.h>

#include <cstdint>

#include "absl/status/status.h"

namespace tokend::iam {

absl::StatusOr<std::string> NewResourceId() {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuv";
  uint8_t bytes[kIdRandomChars];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return absl::InternalError("CSPRNG failure");
  }
  std::string id = kIdPrefix;
  // 32 divides 256: taking 5 bits of each byte is unbiased.
  for (uint8_t b : bytes) id.push_back(kAlphabet[b & 31]);
  return id;
}

}  // namespace tokend::iam
