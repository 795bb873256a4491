#include "core/audit/audit_chain.h"

#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/jose/base64url.h"

namespace tokend::audit {
namespace {

constexpr absl::string_view kPrevPrefix = "{\"prev\":\"";
constexpr size_t kLinkLength = 43;  // base64url of 32 bytes, unpadded

std::string Hmac(absl::string_view key, absl::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  unsigned int out_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &out_len);
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

}  // namespace

absl::StatusOr<AuditKeys> AuditKeys::FromSecret(absl::string_view secret) {
  if (secret.size() < 16) {
    return absl::InvalidArgumentError("the audit key is shorter than 16 bytes");
  }
  // Separate keys, so a secret's identifier can never pass for a link.
  AuditKeys keys;
  keys.id_key_ = Hmac(secret, "tokend audit secret id v1");
  keys.chain_key_ = Hmac(secret, "tokend audit chain v1");
  return keys;
}

std::string AuditKeys::SecretId(absl::string_view secret) const {
  return absl::StrCat("hmac-sha256:",
                      absl::BytesToHexString(Hmac(id_key_, secret)));
}

std::string AuditKeys::Link(absl::string_view line) const {
  return jose::Base64UrlEncode(Hmac(chain_key_, line));
}

std::string ChainedLine(absl::string_view prev, absl::string_view event,
                        absl::string_view rest) {
  return absl::StrCat(kPrevPrefix, prev, "\",\"event\":\"", event, "\"", rest,
                      "}");
}

absl::Status ChainVerifier::Next(absl::string_view line) {
  auto broken = [](absl::string_view why) { return absl::DataLossError(why); };
  absl::string_view rest = line;
  if (!absl::ConsumePrefix(&rest, kPrevPrefix)) {
    return broken("not an audit line");
  }
  const size_t end = rest.find('"');
  if (end == absl::string_view::npos || (end != 0 && end != kLinkLength) ||
      !absl::StartsWith(rest.substr(end), "\",\"event\":\"") ||
      !absl::EndsWith(rest, "}")) {
    return broken("not an audit line");
  }
  const absl::string_view prev = rest.substr(0, end);
  if (lines_ == 0) {
    if (!prev.empty()) {
      // A rotated file links to its predecessor's last line, which is not
      // here; only an opening line may do so.
      if (!absl::StartsWith(
              rest.substr(end),
              absl::StrCat("\",\"event\":\"", kOpenedEvent, "\""))) {
        return broken("the log's first lines are missing");
      }
      continues_earlier_ = true;
    }
  } else if (prev != head_) {
    return broken(
        "does not follow the line before it (a line was edited, inserted or "
        "removed)");
  }
  head_ = keys_.Link(line);
  ++lines_;
  return absl::OkStatus();
}

}  // namespace tokend::audit
