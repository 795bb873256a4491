#include "core/limits/lockout.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokend::limits {

absl::StatusOr<LockoutOptions> ParseLockout(absl::string_view text) {
  LockoutOptions options;
  if (text == "off") {
    options.budget = 0;
    return options;
  }
  const absl::Status invalid = absl::InvalidArgumentError(
      absl::StrCat("lockout must be BUDGET/REFILL (e.g. 100/6s) or off: ",
                   text.substr(0, 64)));
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits('/', 1));
  if (!absl::SimpleAtoi(parts.first, &options.budget) || options.budget < 1 ||
      options.budget > 1'000'000) {
    return invalid;
  }
  if (!absl::ParseDuration(parts.second, &options.refill) ||
      options.refill < absl::Milliseconds(1) ||
      options.refill > absl::Hours(24)) {
    return invalid;
  }
  return options;
}

void Lockout::Entry::Refill(int64_t now, const Params& p) {
  // Nothing is forgiven while locked.
  const int64_t from = std::max(updated, locked_until);
  if (now > from) {
    left = std::min(p.budget, left + (now - from));
    updated = now;
    if (left >= p.budget) strikes = 0;
  }
}

bool Lockout::Entry::Idle(int64_t now, const Params& p) const {
  const int64_t from = std::max(updated, locked_until);
  return now >= from && left + (now - from) >= p.budget;
}

void Lockout::Entry::Reset(int64_t now, const Params& p) {
  left = p.budget;
  updated = now;
  locked_until = 0;
  strikes = 0;
}

Lockout::Lockout(LockoutOptions options, size_t slots)
    : options_(options),
      params_{options.budget * absl::ToInt64Microseconds(options.refill),
              absl::ToInt64Microseconds(options.refill),
              absl::ToInt64Microseconds(options.first_lock),
              absl::ToInt64Microseconds(options.max_lock)},
      entries_(options.budget > 0 ? slots : 1, params_) {}

bool Lockout::Locked(uint64_t key, absl::Time now) {
  if (!enabled()) return false;
  const int64_t micros = absl::ToUnixMicros(now);
  return entries_.With(key, micros,
                       [&](Entry& e) { return micros < e.locked_until; });
}

bool Lockout::Reserve(uint64_t key, absl::Time now) {
  if (!enabled()) return true;
  const int64_t micros = absl::ToUnixMicros(now);
  return entries_.With(key, micros, [&](Entry& e) {
    if (micros < e.locked_until) return false;
    e.Refill(micros, params_);
    if (e.left < params_.unit) return false;
    e.left -= params_.unit;
    return true;
  });
}

void Lockout::Succeeded(uint64_t key, absl::Time now) {
  if (!enabled()) return;
  const int64_t micros = absl::ToUnixMicros(now);
  entries_.With(key, micros, [&](Entry& e) {
    e.Refill(micros, params_);
    e.left = std::min(params_.budget, e.left + params_.unit);
  });
}

bool Lockout::Failed(uint64_t key, absl::Time now) {
  if (!enabled()) return false;
  const int64_t micros = absl::ToUnixMicros(now);
  return entries_.With(key, micros, [&](Entry& e) {
    e.Refill(micros, params_);
    if (e.left >= params_.unit || micros < e.locked_until) return false;
    int64_t lock = params_.first_lock;
    for (int i = 0; i < e.strikes && lock < params_.max_lock; ++i) lock *= 2;
    lock = std::min(lock, params_.max_lock);
    e.locked_until = micros + lock;
    e.updated = e.locked_until;
    ++e.strikes;
    return true;
  });
}

}  // namespace tokend::limits
