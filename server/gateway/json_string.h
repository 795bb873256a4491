// JSON strings as protobuf 3.21's JsonObjectWriter writes them
// (JsonEscaping::Escape): the response translator's fast printer must match
// it byte for byte, and the request log uses the same writer.
#ifndef TOKEND_SERVER_GATEWAY_JSON_STRING_H_
#define TOKEND_SERVER_GATEWAY_JSON_STRING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tokend::gateway {

// Appends `s` quoted and escaped; false if `s` is not valid UTF-8 (what was
// appended is then to be discarded).
bool AppendJsonString(absl::string_view s, std::string* out);

// The same, each byte that is not part of valid UTF-8 written as U+FFFD:
// for text from outside (logs), where any bytes may come.
void AppendJsonStringLossy(absl::string_view s, std::string* out);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_JSON_STRING_H_
