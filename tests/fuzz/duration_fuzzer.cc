// libFuzzer target: ParseExpiresIn on arbitrary bytes, against a maximum the
// first byte picks. It must never crash; a rejection is InvalidArgument with
// a bounded, printable message; an accepted value is whole seconds, at least
// 1 s and at most the maximum, and agrees with a floating-point reading of
// the text (the parser itself computes exactly).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/scoped/duration.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Seed files start with '0'..'5', which cover every case.
absl::Duration PickMax(uint8_t b) {
  switch (b % 6) {
    case 0:
      return absl::Hours(8766);  // One year, the service default.
    case 1:
      return absl::Hours(1) + absl::Milliseconds(500);
    case 2:
      return absl::Seconds(1);
    case 3:
      return absl::ZeroDuration();
    case 4:
      return absl::Seconds(std::numeric_limits<int64_t>::max());
    default:
      return absl::InfiniteDuration();
  }
}

// Seconds per unit spelling, independently of duration.cc.
double UnitSeconds(std::string unit) {
  absl::AsciiStrToLower(&unit);
  if (unit.empty()) return 1;
  switch (unit[0]) {
    case 'm':
      return absl::StartsWith(unit, "ms") || absl::StartsWith(unit, "mil")
                 ? 0.001
                 : 60;
    case 's':
      return 1;
    case 'h':
      return 3600;
    case 'd':
      return 86400;
    case 'w':
      return 604800;
    case 'y':
      return 31557600;
  }
  std::abort();  // Accepted, yet not a unit.
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::Duration max = PickMax(data[0]);
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  absl::StatusOr<absl::Duration> d = tokend::scoped::ParseExpiresIn(text, max);
  if (!d.ok()) {
    Check(d.status().code() == absl::StatusCode::kInvalidArgument);
    Check(d.status().message().size() <= 64 * 4 + 128);
    for (char c : d.status().message()) Check(c >= 0x20 && c < 0x7F);
    return 0;
  }
  Check(text.size() <= tokend::scoped::kMaxDurationTextBytes);
  Check(*d >= absl::Seconds(1));
  Check(*d <= max);
  Check(*d == absl::Trunc(*d, absl::Seconds(1)));

  // The number is everything up to the first space or letter.
  size_t end = 0;
  while (end < text.size() && text[end] != ' ' &&
         !absl::ascii_isalpha(static_cast<unsigned char>(text[end]))) {
    ++end;
  }
  absl::string_view unit = text.substr(end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  double number = 0;
  Check(absl::SimpleAtod(text.substr(0, end), &number));
  Check(std::isfinite(number) && number > 0);
  const double want = number * UnitSeconds(std::string(unit));
  const double got = absl::ToDoubleSeconds(*d);
  // got = floor(exact value); the double is within a relative 1e-12 of it.
  Check(got <= want * (1 + 1e-12) + 1e-9);
  Check(got > want * (1 - 1e-12) - 1);
  return 0;
}
