// Bounded JSON parsing for untrusted input (token headers and claims, JWKs).
//
// ParseJsonObject accepts only RFC 8259 JSON whose top-level value is an
// object, at most `max_bytes` long and `max_depth` containers deep, with valid
// UTF-8 and no duplicate member names at any level (RFC 7515 §5.2 lets us
// reject them, and last-wins parsing is a classic source of confusion between
// two parsers). Every failure is InvalidArgument and never echoes the input.
// Never throws.
#ifndef TOKEND_CORE_JOSE_BOUNDED_JSON_H_
#define TOKEND_CORE_JOSE_BOUNDED_JSON_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::jose {

struct JsonLimits {
  size_t max_bytes = 16384;
  // Number of nested containers, the top-level object counting as one.
  int max_depth = 16;
};

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text,
                                               const JsonLimits& limits = {});

// As ParseJsonObject, but any JSON value is accepted at the top level.
absl::StatusOr<nlohmann::json> ParseJsonValue(absl::string_view text,
                                              const JsonLimits& limits = {});

// True iff `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF); what nlohmann accepts and emits.
bool IsValidUtf8(absl::string_view s);

// Appends `s`, which must be valid UTF-8, as a JSON string literal, escaped
// byte for byte as nlohmann's dump() escapes it (so text written here and
// text nlohmann writes agree), without building a DOM.
void AppendJsonString(absl::string_view s, std::string* out);

}  // namespace tokend::jose

#endif  // TOKEND_CORE_JOSE_BOUNDED_JSON_H_
