#include "core/scoped/duration.h"

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tokend::scoped {
namespace {

// Expected values are worked out by hand from the grammar in duration.h
// (units in seconds: m 60, h 3600, d 86400, w 604800, y 365.25 d =
// 31557600), never copied from a run.

constexpr int64_t kYear = 31557600;
// Ten years: roomy enough for every value case. FormatDuration: "87660h".
const absl::Duration kTenYears = absl::Seconds(10 * kYear);

struct ValueCase {
  std::string name;
  std::string text;
  int64_t seconds;
  absl::Duration max = kTenYears;
};

std::ostream& operator<<(std::ostream& os, const ValueCase& c) {
  return os << c.name;
}

class ValueTest : public ::testing::TestWithParam<ValueCase> {};

TEST_P(ValueTest, ParsesExactly) {
  const ValueCase& c = GetParam();
  absl::StatusOr<absl::Duration> d = ParseExpiresIn(c.text, c.max);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, absl::Seconds(c.seconds)) << absl::FormatDuration(*d);
}

std::vector<ValueCase> ValueCases() {
  return {
      // The examples.
      {"TwoHours", "2 hours", 7200},
      {"OneD", "1d", 86400},
      {"ThreeDays", "3 days", 259200},
      {"TenH", "10h", 36000},
      {"TwoAndAHalfHrs", "2.5 hrs", 9000},
      {"OneMIsAMinute", "1m", 60},
      {"FiveS", "5s", 5},
      {"OneY", "1y", kYear},
      // Every unit spelling, and case does not matter.
      {"Milliseconds", "1500 milliseconds", 1},
      {"Millisecond", "1500 millisecond", 1},
      {"Msecs", "2500msecs", 2},
      {"Msec", "2500 msec", 2},
      {"Ms", "3000ms", 3},
      {"MsUpper", "3000 MS", 3},
      {"Seconds", "3 seconds", 3},
      {"Second", "3 second", 3},
      {"Secs", "3 secs", 3},
      {"Sec", "3sec", 3},
      {"S", "3 s", 3},
      {"SecondsMixedCase", "3 SeCoNdS", 3},
      {"Minutes", "2 minutes", 120},
      {"Minute", "2 minute", 120},
      {"Mins", "2 mins", 120},
      {"Min", "2min", 120},
      {"M", "2 m", 120},
      {"MUpperIsStillMinutes", "2M", 120},
      {"Hours", "2 hours", 7200},
      {"HoursUpper", "2 HOURS", 7200},
      {"Hour", "1 hour", 3600},
      {"Hrs", "2 hrs", 7200},
      {"Hr", "2hr", 7200},
      {"H", "2h", 7200},
      {"HUpper", "2H", 7200},
      {"Days", "2 days", 172800},
      {"Day", "1 Day", 86400},
      {"D", "2d", 172800},
      {"DUpper", "2D", 172800},
      {"Weeks", "2 weeks", 1209600},
      {"Week", "1 week", 604800},
      {"W", "1w", 604800},
      {"WUpper", "1W", 604800},
      {"Years", "2 years", 2 * kYear},
      {"Year", "1 year", kYear},
      {"Yrs", "1 yrs", kYear},
      {"Yr", "1yr", kYear},
      {"YearUpper", "1 YEAR", kYear},
      // Numbers.
      {"NoUnitIsSeconds", "90", 90},
      {"LeadingPoint", ".5h", 1800},
      {"OneAndAHalfMinutes", "1.5m", 90},
      {"LeadingZeros", "0001h", 3600},
      {"ManySpaces", "2  h", 7200},
      {"TruncatedToSeconds", "1.9s", 1},
      {"MillisecondsTruncated", "1500ms", 1},
      {"ThousandMs", "1000ms", 1},
      {"AlmostTwoSeconds", "1999.999ms", 1},
      {"FractionOfYear", "0.001y", 31557},          // 31557.6
      {"FractionNotQuiteAnHour", "59.999m", 3599},  // 3599.94
      // Exact decimal arithmetic: 0.7 and 0.1 are not binary fractions.
      {"PointSevenMinutes", "0.7m", 42},
      {"PointOneHour", "0.1h", 360},
      {"PointThreeDays", "0.3d", 25920},
      {"TinyFractionAboveOne", "1.0000000000000000001s", 1},
      {"ManyFractionDigits", absl::StrCat("0.", std::string(90, '9'), "h"),
       3599},  // Just below an hour.
      // 100 bytes is the limit, inclusive.
      {"HundredBytes", absl::StrCat(std::string(98, '0'), "1s"), 1},
      {"HundredDigits", absl::StrCat(std::string(99, '0'), "1"), 1},
      // Around a one-year maximum (8766 h).
      {"MaxExactlyYear", "1y", kYear, absl::Seconds(kYear)},
      {"Max365Days", "365d", 365 * 86400, absl::Seconds(kYear)},
      {"Max8766Hours", "8766h", kYear, absl::Seconds(kYear)},
      {"MaxInSeconds", "31557600", kYear, absl::Seconds(kYear)},
      // The truncated value is what is compared with the maximum.
      {"MaxPlusFraction", "31557600.9s", kYear, absl::Seconds(kYear)},
      {"MaxHourPlusFraction", "1.0002h", 3600, absl::Hours(1)},
      // The largest value an absl::Duration holds in whole seconds.
      {"Int64Seconds", "9223372036854775807s",
       std::numeric_limits<int64_t>::max(), absl::InfiniteDuration()},
  };
}

INSTANTIATE_TEST_SUITE_P(Duration, ValueTest, ::testing::ValuesIn(ValueCases()),
                         [](const ::testing::TestParamInfo<ValueCase>& info) {
                           return info.param.name;
                         });

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;  // Exact.
  absl::Duration max = kTenYears;
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) {
  return os << c.name;
}

class ErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorTest, FailsExactly) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<absl::Duration> d = ParseExpiresIn(c.text, c.max);
  ASSERT_FALSE(d.ok()) << absl::FormatDuration(*d);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.status().message(), c.message);
}

std::string Malformed(absl::string_view quoted) {
  return absl::StrCat("expires_in ", quoted,
                      " is not a duration like \"2 hours\", \"1d\" or \"2.5 "
                      "hrs\"");
}

std::vector<ErrorCase> ErrorCases() {
  const std::string ones(100, '1');
  const std::string quoted_ones =
      absl::StrCat("\"", ones.substr(0, 64), "...\"");
  return {
      {"Empty", "", "expires_in is required"},
      // Not the grammar.
      {"LeadingSpace", " 1h", Malformed("\" 1h\"")},
      {"TrailingSpace", "1h ", Malformed("\"1h \"")},
      {"TrailingSpaceNoUnit", "90 ", Malformed("\"90 \"")},
      {"Ago", "1 hour ago", Malformed("\"1 hour ago\"")},
      {"DoubledUnit", "1hh", Malformed("\"1hh\"")},
      {"UnitOnly", "h", Malformed("\"h\"")},
      {"TrailingPoint", "1.", Malformed("\"1.\"")},
      {"PointOnly", ".", Malformed("\".\"")},
      {"TwoPoints", "1.2.3", Malformed("\"1.2.3\"")},
      {"Exponent", "1e3", Malformed("\"1e3\"")},
      {"Hex", "0x10", Malformed("\"0x10\"")},
      {"FullwidthDigit", "\xef\xbc\x91h", Malformed("\"\\xef\\xbc\\x91h\"")},
      {"NaN", "NaN", Malformed("\"NaN\"")},
      {"Infinity", "Infinity", Malformed("\"Infinity\"")},
      {"Month", "1 month", Malformed("\"1 month\"")},
      {"Plus", "+1h", Malformed("\"+1h\"")},
      {"DoubleMinus", "--1h", Malformed("\"--1h\"")},
      {"MinusOnly", "-", Malformed("\"-\"")},
      {"SpaceAfterMinus", "- 1h", Malformed("\"- 1h\"")},
      {"Tab", "1\th", Malformed("\"1\\th\"")},
      {"Newline", "1h\n", Malformed("\"1h\\n\"")},
      {"Underscore", "1_000s", Malformed("\"1_000s\"")},
      {"Comma", "1,5h", Malformed("\"1,5h\"")},
      {"TwoUnits", "1h 30m", Malformed("\"1h 30m\"")},
      // Not positive.
      {"Zero", "0", "expires_in \"0\" must be positive"},
      {"ZeroSeconds", "0s", "expires_in \"0s\" must be positive"},
      {"ZeroPointZero", "0.000h", "expires_in \"0.000h\" must be positive"},
      {"MinusZero", "-0", "expires_in \"-0\" must be positive"},
      {"Negative", "-1h", "expires_in \"-1h\" must be positive"},
      {"NegativeFraction", "-.5h", "expires_in \"-.5h\" must be positive"},
      // Under a second once truncated.
      {"HalfSecond", "500ms", "expires_in \"500ms\" is shorter than 1 second"},
      {"AlmostASecond", "999ms",
       "expires_in \"999ms\" is shorter than 1 second"},
      {"PointNineSeconds", "0.9",
       "expires_in \"0.9\" is shorter than 1 second"},
      {"FractionalMs", "1.5ms",
       "expires_in \"1.5ms\" is shorter than 1 second"},
      // Too long for the maximum.
      {"Max366Days", "366d",
       "expires_in \"366d\" is longer than the maximum of 8766h",
       absl::Seconds(kYear)},
      {"MaxPlusOneSecond", "31557601",
       "expires_in \"31557601\" is longer than the maximum of 8766h",
       absl::Seconds(kYear)},
      {"HourPlusOneSecond", "3601s",
       "expires_in \"3601s\" is longer than the maximum of 1h", absl::Hours(1)},
      {"TwoYears", "2y",
       "expires_in \"2y\" is longer than the maximum of 8766h",
       absl::Seconds(kYear)},
      {"HundredDigitsOverMax", ones,
       absl::StrCat("expires_in ", quoted_ones,
                    " is longer than the maximum of 87660h")},
      {"HundredDigitsInfiniteMax", ones,
       absl::StrCat("expires_in ", quoted_ones, " is too large"),
       absl::InfiniteDuration()},
      {"Int64SecondsPlusOne", "9223372036854775808s",
       "expires_in \"9223372036854775808s\" is too large",
       absl::InfiniteDuration()},
      {"Int64SecondsInMinutes", "9223372036854775807m",
       "expires_in \"9223372036854775807m\" is too large",
       absl::InfiniteDuration()},
      {"HugeMilliseconds", absl::StrCat(std::string(30, '9'), "ms"),
       absl::StrCat("expires_in \"", std::string(30, '9'), "ms\" is too large"),
       absl::InfiniteDuration()},
      // Longer than 100 bytes, whatever it says.
      {"HundredOneBytes", absl::StrCat(std::string(99, '0'), "1s"),
       absl::StrCat("expires_in \"", std::string(64, '0'),
                    "...\" is longer than 100 bytes")},
  };
}

INSTANTIATE_TEST_SUITE_P(Duration, ErrorTest, ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace tokend::scoped
