#include "core/scoped/duration.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/scoped/error_text.h"

namespace tokend::scoped {
namespace {

// Seconds per unit; 0 marks milliseconds, the one unit below a second.
struct Unit {
  absl::string_view spelling;
  uint64_t seconds;
};

constexpr uint64_t kMinute = 60;
constexpr uint64_t kHour = 60 * kMinute;
constexpr uint64_t kDay = 24 * kHour;
constexpr uint64_t kYear = kDay * 365 + kDay / 4;  // 365.25 days, as ms.

constexpr Unit kUnits[] = {
    {"milliseconds", 0},
    {"millisecond", 0},
    {"msecs", 0},
    {"msec", 0},
    {"ms", 0},
    {"seconds", 1},
    {"second", 1},
    {"secs", 1},
    {"sec", 1},
    {"s", 1},
    {"minutes", kMinute},
    {"minute", kMinute},
    {"mins", kMinute},
    {"min", kMinute},
    {"m", kMinute},
    {"hours", kHour},
    {"hour", kHour},
    {"hrs", kHour},
    {"hr", kHour},
    {"h", kHour},
    {"days", kDay},
    {"day", kDay},
    {"d", kDay},
    {"weeks", 7 * kDay},
    {"week", 7 * kDay},
    {"w", 7 * kDay},
    {"years", kYear},
    {"year", kYear},
    {"yrs", kYear},
    {"yr", kYear},
    {"y", kYear},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status Invalid(absl::string_view text, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("expires_in ", QuoteForError(text), " ", what));
}

absl::Status Malformed(absl::string_view text) {
  return Invalid(text,
                 "is not a duration like \"2 hours\", \"1d\" or \"2.5 hrs\"");
}

// Decimal `digits` as a number; false when it does not fit in a uint64_t
// below 10^19 (already far beyond int64 seconds once leading zeros go).
bool ToInteger(absl::string_view digits, uint64_t* out) {
  while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > 19) return false;
  uint64_t value = 0;
  for (char c : digits) value = value * 10 + static_cast<uint64_t>(c - '0');
  *out = value;
  return true;
}

// floor(0.<fraction> * factor), exactly: long multiplication of the decimal
// fraction by `factor` from its last digit; what carries past the point is
// the integer part.
uint64_t FloorFractionTimes(absl::string_view fraction, uint64_t factor) {
  uint64_t carry = 0;
  for (size_t j = fraction.size(); j-- > 0;) {
    carry = (static_cast<uint64_t>(fraction[j] - '0') * factor + carry) / 10;
  }
  return carry;
}

}  // namespace

absl::StatusOr<absl::Duration> ParseExpiresIn(absl::string_view text,
                                              absl::Duration max) {
  if (text.empty()) return absl::InvalidArgumentError("expires_in is required");
  if (text.size() > kMaxDurationTextBytes) {
    return Invalid(
        text, absl::StrCat("is longer than ", kMaxDurationTextBytes, " bytes"));
  }

  // -?(?:\d+)?\.?\d+
  size_t i = 0;
  const bool negative = text[i] == '-';
  if (negative) ++i;
  const size_t whole_start = i;
  while (i < text.size() && IsDigit(text[i])) ++i;
  const absl::string_view whole = text.substr(whole_start, i - whole_start);
  absl::string_view fraction;
  if (i < text.size() && text[i] == '.') {
    const size_t fraction_start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    fraction = text.substr(fraction_start, i - fraction_start);
    if (fraction.empty()) return Malformed(text);
  } else if (whole.empty()) {
    return Malformed(text);
  }

  // ` *` then the unit; no unit means seconds (ms would read milliseconds).
  const size_t number_end = i;
  while (i < text.size() && text[i] == ' ') ++i;
  const absl::string_view unit_text = text.substr(i);
  uint64_t unit_seconds = 1;
  if (unit_text.empty()) {
    if (i != number_end) return Malformed(text);  // Trailing spaces.
  } else {
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (absl::EqualsIgnoreCase(unit_text, u.spelling)) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return Malformed(text);
    unit_seconds = unit->seconds;
  }

  const auto nonzero = [](char c) { return c != '0'; };
  const bool zero = std::none_of(whole.begin(), whole.end(), nonzero) &&
                    std::none_of(fraction.begin(), fraction.end(), nonzero);
  if (negative || zero) return Invalid(text, "must be positive");

  // Whole seconds, exactly. Milliseconds: floor(n / 1000) only needs the
  // integer part with its last three digits dropped.
  absl::string_view integer = whole;
  if (unit_seconds == 0) {
    integer.remove_suffix(std::min<size_t>(3, integer.size()));
    fraction = {};
    unit_seconds = 1;
  }
  uint64_t seconds = 0;
  bool overflow = !ToInteger(integer, &seconds);
  if (!overflow) {
    overflow =
        __builtin_mul_overflow(seconds, unit_seconds, &seconds) ||
        __builtin_add_overflow(
            seconds, FloorFractionTimes(fraction, unit_seconds), &seconds) ||
        seconds > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  }
  const auto too_long = [&] {
    return Invalid(text, absl::StrCat("is longer than the maximum of ",
                                      absl::FormatDuration(max)));
  };
  if (overflow) {
    // Beyond absl::Duration's finite range, so beyond any finite `max`.
    if (max == absl::InfiniteDuration()) return Invalid(text, "is too large");
    return too_long();
  }
  if (seconds == 0) return Invalid(text, "is shorter than 1 second");
  const absl::Duration duration = absl::Seconds(static_cast<int64_t>(seconds));
  if (duration > max) return too_long();
  return duration;
}

}  // namespace tokend::scoped
