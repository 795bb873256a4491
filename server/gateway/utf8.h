// Strict UTF-8 for the gateway: its JSON fast paths (flat_json, the flat
// response printer) and text parameters. Well-formed sequences only (Unicode
// table 3-7: no overlong form, no surrogate, nothing above U+10FFFF).
#ifndef TOKEND_SERVER_GATEWAY_UTF8_H_
#define TOKEND_SERVER_GATEWAY_UTF8_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tokend::gateway {

// Decodes the multi-byte sequence that starts at s[i], a non-ASCII byte,
// into *cp and its length *len; false if it is not well-formed.
bool DecodeUtf8(absl::string_view s, size_t i, uint32_t* cp, size_t* len);

// True when all of `s` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view s);

// Appends code point `cp` (at most U+10FFFF, not a surrogate) as UTF-8.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_UTF8_H_
