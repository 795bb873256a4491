// Records with every field set, for store tests: distinct by their arguments,
// binary where the real value is binary, non-ASCII where users type text.
#ifndef TOKEND_TESTS_CORE_STORE_CONFORMANCE_SAMPLE_RECORDS_H_
#define TOKEND_TESTS_CORE_STORE_CONFORMANCE_SAMPLE_RECORDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/store/records.h"

namespace tokend::store::conformance {

inline const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// ES256, created at kT0, activating 15 minutes later.
SigningKeyRecord Key(std::string kid, std::string slot, KeyState state);
ApiKeyRecord ApiKey(std::string id, ApiKeySurface surface);
ServiceAccountRecord Account(std::string id, absl::Time created);
AuthorizedKeyRecord AuthKey(std::string id, std::string account,
                            absl::Time created);
// Id "user_<tag>", with two email addresses and a phone number.
UserRecord User(absl::string_view tag);
SessionRecord Session(absl::string_view id, absl::string_view user_id,
                      absl::Time created_at);
JwtTemplateRecord Template(absl::string_view id, absl::string_view name);

// Field-by-field EXPECT_EQs (records have no operator==).
void ExpectSameKey(const SigningKeyRecord& a, const SigningKeyRecord& b);
void ExpectSameUser(const UserRecord& a, const UserRecord& b);
void ExpectSameSession(const SessionRecord& a, const SessionRecord& b);
void ExpectSameTemplate(const JwtTemplateRecord& a, const JwtTemplateRecord& b);

std::vector<std::string> Ids(const std::vector<SessionRecord>& sessions);

}  // namespace tokend::store::conformance

#endif  // TOKEND_TESTS_CORE_STORE_CONFORMANCE_SAMPLE_RECORDS_H_
