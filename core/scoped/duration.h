// The `expires_in` of Courier's `POST /auth/issue-token {scope, expires_in}`
// (DESIGN.md §2.3): a duration in the grammar of vercel/ms@2,
//
//   /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|
//     minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i
//
// that is an optional '-', ASCII digits with at most one '.' that must be
// followed by a digit ("10", "2.5", ".5"; not "1." or "."), any number of
// ASCII spaces, then a unit in any ASCII case: "m" is minutes, a year is
// 365.25 days. Two deliberate deviations from ms: a number without a unit is
// SECONDS (ms reads milliseconds), and spaces after the number must be
// followed by a unit ("90 " is rejected; ms accepts it).
//
// The value is computed exactly from the decimal text (no floating point), so
// "0.7m" is 42 s, never 41.
#ifndef TOKEND_CORE_SCOPED_DURATION_H_
#define TOKEND_CORE_SCOPED_DURATION_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::scoped {

// As ms@2, which gives up on longer strings.
inline constexpr size_t kMaxDurationTextBytes = 100;

// `text` as a duration truncated to whole seconds, at least 1 s and at most
// `max` (the truncated value is what is compared). Errors are
// InvalidArgument; <v> is `text` quoted, C-escaped and cut to 64 bytes:
//   expires_in is required                           (empty)
//   expires_in <v> is longer than 100 bytes
//   expires_in <v> is not a duration like "2 hours", "1d" or "2.5 hrs"
//   expires_in <v> must be positive                  (zero or negative)
//   expires_in <v> is shorter than 1 second          (after truncation)
//   expires_in <v> is longer than the maximum of <max>   (absl::FormatDuration)
//   expires_in <v> is too large                      (beyond int64 seconds,
//                                                     with an infinite max)
absl::StatusOr<absl::Duration> ParseExpiresIn(absl::string_view text,
                                              absl::Duration max);

}  // namespace tokend::scoped

#endif  // TOKEND_CORE_SCOPED_DURATION_H_
