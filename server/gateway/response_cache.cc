#include "server/gateway/response_cache.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tokend::gateway {

ResponseCache::ResponseCache(ResponseCacheOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

std::optional<absl::Duration> ResponseCache::SharedMaxAge(
    absl::string_view cache_control) {
  bool is_public = false;
  std::optional<absl::Duration> max_age;
  for (absl::string_view directive : absl::StrSplit(cache_control, ',')) {
    directive = absl::StripAsciiWhitespace(directive);
    const std::string lower = absl::AsciiStrToLower(directive);
    if (lower == "public") {
      is_public = true;
    } else if (lower == "no-store" || lower == "no-cache" ||
               lower == "private") {
      return std::nullopt;
    } else if (absl::string_view rest = lower;
               absl::ConsumePrefix(&rest, "max-age=")) {
      int64_t seconds = 0;
      if (!absl::SimpleAtoi(rest, &seconds) || seconds <= 0) {
        return std::nullopt;
      }
      max_age = absl::Seconds(seconds);
    }
  }
  if (!is_public || !max_age.has_value()) return std::nullopt;
  return max_age;
}

std::shared_ptr<const CachedResponse> ResponseCache::Find(
    absl::string_view key) const {
  if (options_.max_ttl <= absl::ZeroDuration()) return nullptr;
  const absl::Time now = clock_->Now();
  absl::ReaderMutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.expires) return nullptr;
  return it->second.response;
}

void ResponseCache::MaybeStore(std::string key, absl::string_view cache_control,
                               CachedResponse response) {
  if (options_.max_ttl <= absl::ZeroDuration() ||
      response.body.size() > options_.max_body_bytes) {
    return;
  }
  std::optional<absl::Duration> max_age = SharedMaxAge(cache_control);
  if (!max_age.has_value()) return;
  const absl::Time now = clock_->Now();
  Entry entry{std::make_shared<const CachedResponse>(std::move(response)),
              now + std::min(*max_age, options_.max_ttl)};
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= options_.max_entries && !entries_.contains(key)) {
    // Full: drop what has expired; if nothing has, do not cache this one.
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (now >= it->second.expires) {
        entries_.erase(it++);
      } else {
        ++it;
      }
    }
    if (entries_.size() >= options_.max_entries) return;
  }
  entries_[std::move(key)] = std::move(entry);
}

}  // namespace tokend::gateway
