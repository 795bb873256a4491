#include "server/grpc_front/wire.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tokend::grpc_front {
namespace {

constexpr size_t kPrefixBytes = 5;

uint32_t ReadLength(absl::string_view prefix) {
  const auto byte = [&](int i) {
    return static_cast<uint32_t>(static_cast<uint8_t>(prefix[i]));
  };
  return byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4);
}

bool IsBinary(absl::string_view name) { return absl::EndsWith(name, "-bin"); }

}  // namespace

absl::Status MessageDeframer::Feed(absl::string_view data,
                                   std::vector<std::string>* messages) {
  if (!failed_.ok()) return failed_;
  while (!data.empty()) {
    if (pending_.empty() && data.size() >= kPrefixBytes) {
      // Most requests arrive whole in one DATA frame: parsed straight from
      // `data`, with no copy into pending_.
      const absl::StatusOr<uint32_t> length = CheckPrefix(data);
      if (!length.ok()) return failed_ = length.status();
      if (data.size() - kPrefixBytes < *length) {
        pending_.assign(data.data(), data.size());
        return absl::OkStatus();
      }
      messages->emplace_back(data.substr(kPrefixBytes, *length));
      data.remove_prefix(kPrefixBytes + *length);
      continue;
    }
    if (pending_.size() < kPrefixBytes) {
      const size_t take = std::min(kPrefixBytes - pending_.size(), data.size());
      pending_.append(data.data(), take);
      data.remove_prefix(take);
      if (pending_.size() < kPrefixBytes) return absl::OkStatus();
    }
    const absl::StatusOr<uint32_t> length = CheckPrefix(pending_);
    if (!length.ok()) return failed_ = length.status();
    const size_t need = kPrefixBytes + *length - pending_.size();
    const size_t take = std::min(need, data.size());
    pending_.append(data.data(), take);
    data.remove_prefix(take);
    if (take < need) return absl::OkStatus();
    messages->push_back(pending_.substr(kPrefixBytes));
    pending_.clear();
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> MessageDeframer::CheckPrefix(
    absl::string_view prefix) const {
  if (prefix[0] != 0) {
    return absl::UnimplementedError(
        "compressed messages are not supported (grpc-accept-encoding: "
        "identity)");
  }
  const uint32_t length = ReadLength(prefix);
  if (length > max_message_bytes_) {
    // A size limit, not a rate limit: INVALID_ARGUMENT, which no SDK
    // retries (RESOURCE_EXHAUSTED is kept for rate limits).
    return absl::InvalidArgumentError(
        absl::StrCat("received message larger than max (", length, " vs. ",
                     max_message_bytes_, ")"));
  }
  return length;
}

void AppendMessagePrefix(uint32_t length, std::string* out) {
  const char prefix[kPrefixBytes] = {
      0, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
      static_cast<char>(length >> 8), static_cast<char>(length)};
  out->append(prefix, kPrefixBytes);
}

std::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  const absl::string_view digits = value.substr(0, value.size() - 1);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
  }
  int64_t amount = 0;
  if (!absl::SimpleAtoi(digits, &amount)) return std::nullopt;
  switch (value.back()) {
    case 'H':
      return absl::Hours(amount);
    case 'M':
      return absl::Minutes(amount);
    case 'S':
      return absl::Seconds(amount);
    case 'm':
      return absl::Milliseconds(amount);
    case 'u':
      return absl::Microseconds(amount);
    case 'n':
      return absl::Nanoseconds(amount);
    default:
      return std::nullopt;
  }
}

std::string PercentEncode(absl::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7E && byte != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

bool IsForwardedHeader(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool legal = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                       c == '_' || c == '.' || c == '-';
    if (!legal) return false;
  }
  if (absl::StartsWith(name, "grpc-")) return false;
  // tokend's own metadata is set by its fronts, never taken from clients.
  if (absl::StartsWith(name, "x-tokend-")) return false;
  return name != "content-type" && name != "te" && name != "user-agent" &&
         name != "content-length" && name != "host";
}

std::optional<std::string> MetadataValue(absl::string_view name,
                                         absl::string_view wire_value) {
  if (IsBinary(name)) {
    // Base64Unescape accepts padded and unpadded input alike.
    std::string value;
    if (!absl::Base64Unescape(absl::StripTrailingAsciiWhitespace(wire_value),
                              &value)) {
      return std::nullopt;
    }
    return value;
  }
  for (char c : wire_value) {
    if (c < 0x20 || c > 0x7E) return std::nullopt;
  }
  return std::string(wire_value);
}

std::string WireValue(absl::string_view name, absl::string_view value) {
  return IsBinary(name) ? Base64Unpadded(value) : std::string(value);
}

std::string Base64Unpadded(absl::string_view bytes) {
  std::string encoded = absl::Base64Escape(bytes);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  return encoded;
}

}  // namespace tokend::grpc_front
