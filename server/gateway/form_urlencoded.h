// application/x-www-form-urlencoded decoding (WHATWG URL "urlencoded
// parsing"), shared by the gateway's query strings and form bodies: split on
// '&', then on the first '=', '+' means space, %XX escapes. Unlike the WHATWG
// parser, a malformed escape ("%4", "%zz") is an error rather than literal
// text: a client that sent it did not mean what a lenient reading would give.
#ifndef TOKEND_SERVER_GATEWAY_FORM_URLENCODED_H_
#define TOKEND_SERVER_GATEWAY_FORM_URLENCODED_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {

// Bounds on untrusted input: the gateway resolves every name against a
// descriptor, so a few hundred parameters already cost more than any real
// client needs.
inline constexpr size_t kMaxFormParameters = 100;
inline constexpr size_t kMaxParameterNameBytes = 256;

struct FormParameter {
  std::string name;   // decoded, non-empty
  std::string value;  // decoded; "" for "name" and "name="
};

// Decodes `%XX` escapes and, when `plus_is_space`, '+' as ' '. False on a
// malformed escape ('%' not followed by two hex digits).
bool PercentDecode(absl::string_view in, bool plus_is_space, std::string* out);

// The value of hex digit `c` (either case), or -1.
int HexDigitValue(char c);

// Untrusted text for an error message: double-quoted, C-escaped (so control
// bytes and invalid UTF-8 cannot reach a log or a JSON error body raw), cut to
// 64 bytes with "..." before the closing quote.
std::string QuoteForError(absl::string_view text);

// Splits and decodes `encoded` in order; empty pieces ("a=1&&b=2", a trailing
// '&') are skipped. `noun` names a parameter in errors ("query parameter",
// "form field"). Failures are INVALID_ARGUMENT:
//   too many <noun>s (limit 100)
//   <noun> name longer than 256 bytes
//   empty <noun> name
//   malformed percent-encoding in <noun> "<raw name>"   (name or value)
// Decoded bytes are not checked for UTF-8 here: names must match field
// names, and values are checked by the field they set.
absl::StatusOr<std::vector<FormParameter>> ParseFormUrlEncoded(
    absl::string_view encoded, absl::string_view noun);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_FORM_URLENCODED_H_
