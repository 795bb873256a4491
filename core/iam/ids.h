// Resource ids in the public Yandex Cloud shape: "aje" followed by 17
// characters of lowercase base32hex ("0-9a-v"), 20 characters in all, e.g.
// "ajeboa0du6edu6m43c3t". The 17 random characters carry 85 bits from the
// CSPRNG, so ids are unguessable as well as unique.
#ifndef TOKEND_CORE_IAM_IDS_H_
#define TOKEND_CORE_IAM_IDS_H_

#include <string>

#include "absl/status/statusor.h"

namespace tokend::iam {

inline constexpr char kIdPrefix[] = "aje";
inline constexpr int kIdRandomChars = 17;

// A fresh id; Internal only if the CSPRNG fails.
absl::StatusOr<std::string> NewResourceId();

}  // namespace tokend::iam

#endif  // TOKEND_CORE_IAM_IDS_H_
