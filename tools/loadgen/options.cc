#include "tools/loadgen/options.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tokend::loadgen {
namespace {

bool IsMetadataKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// True if `s` starts with optional spaces, then a metadata key, then ':'.
bool StartsWithKey(absl::string_view s) {
  s = absl::StripLeadingAsciiWhitespace(s);
  size_t i = 0;
  while (i < s.size() && IsMetadataKeyChar(absl::ascii_tolower(s[i]))) ++i;
  if (i == 0) return false;
  while (i < s.size() && absl::ascii_isspace(s[i])) ++i;
  return i < s.size() && s[i] == ':';
}

absl::StatusOr<std::pair<std::string, std::string>> ParseEntry(
    absl::string_view entry) {
  const size_t colon = entry.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata entry \"", entry, "\" is not \"key: value\""));
  }
  std::string key =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(entry.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(entry.substr(colon + 1)));
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata entry \"", entry, "\" has an empty key"));
  }
  for (char c : key) {
    if (!IsMetadataKeyChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata key \"", key,
                       "\" may only hold a-z, 0-9, '-', '_' and '.'"));
    }
  }
  if (absl::StartsWith(key, "grpc-")) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata key \"", key, "\" is reserved by gRPC"));
  }
  if (!absl::EndsWith(key, "-bin")) {
    for (char c : value) {
      if (c < 0x20 || c > 0x7e) {
        return absl::InvalidArgumentError(absl::StrCat(
            "metadata value for \"", key,
            "\" must be printable ASCII (use a -bin key for binary values)"));
      }
    }
  }
  return std::make_pair(std::move(key), std::move(value));
}

}  // namespace

absl::StatusOr<DescriptorSource> ParseDescriptorSource(absl::string_view s) {
  if (s == "auto") return DescriptorSource::kAuto;
  if (s == "binary") return DescriptorSource::kBinary;
  if (s == "reflection") return DescriptorSource::kReflection;
  return absl::InvalidArgumentError(absl::StrCat(
      "descriptor source \"", s, "\" is not one of auto, binary, reflection"));
}

absl::string_view DescriptorSourceName(DescriptorSource source) {
  switch (source) {
    case DescriptorSource::kAuto:
      return "auto";
    case DescriptorSource::kBinary:
      return "binary";
    case DescriptorSource::kReflection:
      return "reflection";
  }
  return "?";
}

absl::StatusOr<Metadata> ParseMetadata(absl::string_view text) {
  // First split on newlines, then on commas that start a new "key:" entry.
  std::vector<std::string> entries;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string current;
    for (absl::string_view piece : absl::StrSplit(line, ',')) {
      if (!current.empty() && StartsWithKey(piece)) {
        entries.push_back(std::move(current));
        current.clear();
      } else if (!current.empty()) {
        current.push_back(',');
      }
      absl::StrAppend(&current, piece);
    }
    entries.push_back(std::move(current));
  }
  Metadata metadata;
  for (const std::string& entry : entries) {
    if (absl::StripAsciiWhitespace(entry).empty()) continue;
    auto parsed = ParseEntry(entry);
    if (!parsed.ok()) return parsed.status();
    metadata.push_back(*std::move(parsed));
  }
  return metadata;
}

absl::Status ValidateLoadOptions(const LoadOptions& options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("--target is required (host:port)");
  }
  if (options.method.empty()) {
    return absl::InvalidArgumentError(
        "--method is required (package.Service/Method)");
  }
  if (options.concurrency < 1) {
    return absl::InvalidArgumentError("--concurrency must be at least 1");
  }
  if (options.channels < 1) {
    return absl::InvalidArgumentError("--channels must be at least 1");
  }
  if (options.channels > options.concurrency) {
    return absl::InvalidArgumentError(
        absl::StrCat("--channels (", options.channels,
                     ") must not exceed --concurrency (", options.concurrency,
                     "): every channel keeps at least one call outstanding"));
  }
  if (!(options.rate >= 0) || options.rate > 1e7) {
    return absl::InvalidArgumentError(
        "--rate must be between 0 (closed loop) and 10,000,000 calls/s");
  }
  if (options.rate > 0 && options.count > 0) {
    return absl::InvalidArgumentError(
        "--rate runs for --duration: it takes no --count");
  }
  if (options.count < 0) {
    return absl::InvalidArgumentError("--count must not be negative");
  }
  if (options.warmup < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--warmup must not be negative");
  }
  if (options.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be positive");
  }
  if (options.duration == absl::InfiniteDuration() && options.count == 0) {
    return absl::InvalidArgumentError(
        "an unbounded run needs --count or a finite --duration");
  }
  if (options.call_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout must not be negative");
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--connect_timeout must be positive");
  }
  if (!options.tls_server_name.empty() && options.tls_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_server_name needs --tls_ca");
  }
  if (!options.iam_key_file.empty()) {
    if (options.call_credentials != nullptr) {
      return absl::InvalidArgumentError(
          "--iam_key_file and call credentials are mutually exclusive");
    }
    for (const auto& entry : options.metadata) {
      if (entry.first == "authorization") {
        return absl::InvalidArgumentError(
            "--iam_key_file sets authorization; drop it from --metadata");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace tokend::loadgen
