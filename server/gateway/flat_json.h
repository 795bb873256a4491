// A single-pass reader for the commonest REST body: a JSON object whose
// values are all strings ({"jwt":"..."}, {"scope":"...","expires_in":"..."}).
// It accepts only what a strict RFC 8259 parser accepts and declines
// everything else (numbers, nesting, null, a BOM, any error), so that the
// general path (nlohmann's checker, then protobuf) judges and reports those.
#ifndef TOKEND_SERVER_GATEWAY_FLAT_JSON_H_
#define TOKEND_SERVER_GATEWAY_FLAT_JSON_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokend::gateway {

// On success `members` holds the decoded (key, value) pairs in order,
// duplicates included. On false its content is unspecified.
bool ParseFlatJsonObject(
    absl::string_view json,
    std::vector<std::pair<std::string, std::string>>* members);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_FLAT_JSON_H_
