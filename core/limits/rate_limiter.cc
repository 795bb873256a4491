#include "core/limits/rate_limiter.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokend::limits {

absl::StatusOr<Rate> ParseRate(absl::string_view text) {
  if (text == "off") return Rate{};
  const absl::Status invalid = absl::InvalidArgumentError(absl::StrCat(
      "rate must be N/PERIOD (e.g. 1000/10s) or off: ", text.substr(0, 64)));
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('/', 1));
  Rate rate;
  if (!absl::SimpleAtoi(parts.first, &rate.count) || rate.count < 1 ||
      rate.count > 1'000'000) {
    return invalid;
  }
  if (!absl::ParseDuration(parts.second, &rate.period) ||
      rate.period < absl::Milliseconds(1) || rate.period > absl::Hours(24)) {
    return invalid;
  }
  return rate;
}

std::string FormatRate(const Rate& rate) {
  if (rate.unlimited()) return "off";
  return absl::StrCat(rate.count, "/", absl::FormatDuration(rate.period));
}

void RateLimiter::Bucket::Refill(int64_t now, const Params& p) {
  if (now > updated) {
    const int64_t room = (p.capacity - level) / p.per_micro + 1;
    level = now - updated >= room
                ? p.capacity
                : std::min(p.capacity, level + (now - updated) * p.per_micro);
    updated = now;
  }
}

bool RateLimiter::Bucket::Idle(int64_t now, const Params& p) const {
  return now >= updated &&
         (now - updated) >= (p.capacity - level) / p.per_micro;
}

void RateLimiter::Bucket::Reset(int64_t now, const Params& p) {
  level = p.capacity;
  updated = now;
}

RateLimiter::RateLimiter(Rate rate, size_t slots)
    : rate_(rate),
      params_{rate.count * absl::ToInt64Microseconds(rate.period),
              absl::ToInt64Microseconds(rate.period), rate.count},
      buckets_(rate.unlimited() ? 1 : slots, params_) {}

absl::Duration RateLimiter::Take(uint64_t key, absl::Time now) {
  if (rate_.unlimited()) return absl::ZeroDuration();
  const int64_t micros = absl::ToUnixMicros(now);
  return buckets_.With(key, micros, [&](Bucket& bucket) {
    bucket.Refill(micros, params_);
    if (bucket.level >= params_.cost) {
      bucket.level -= params_.cost;
      return absl::ZeroDuration();
    }
    const int64_t missing = params_.cost - bucket.level;
    return absl::Microseconds((missing + params_.per_micro - 1) /
                              params_.per_micro);
  });
}

}  // namespace tokend::limits
