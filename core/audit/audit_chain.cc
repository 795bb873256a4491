#include "core/audit/audit_chain.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

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
  return HmacSha256(key).Mac(data);
}

}  // namespace

HmacSha256::HmacSha256(absl::string_view key) {
  unsigned char block[SHA256_CBLOCK] = {0};
  if (key.size() > sizeof(block)) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
           block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[SHA256_CBLOCK];
  for (size_t i = 0; i < sizeof(pad); ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, sizeof(pad));
  for (size_t i = 0; i < sizeof(pad); ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, sizeof(pad));
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

std::string HmacSha256::Mac(absl::string_view data) const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(digest, &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, digest, sizeof(digest));
  SHA256_Final(digest, &ctx);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

absl::StatusOr<AuditKeys> AuditKeys::FromSecret(absl::string_view secret) {
  if (secret.size() < 16) {
    return absl::InvalidArgumentError("the audit key is shorter than 16 bytes");
  }
  // Separate keys, so a secret's identifier can never pass for a link.
  std::string id_key = Hmac(secret, "tokend audit secret id v1");
  std::string chain_key = Hmac(secret, "tokend audit chain v1");
  AuditKeys keys(id_key, chain_key);
  OPENSSL_cleanse(id_key.data(), id_key.size());
  OPENSSL_cleanse(chain_key.data(), chain_key.size());
  return keys;
}

std::string AuditKeys::SecretId(absl::string_view secret) const {
  return absl::StrCat("hmac-sha256:", absl::BytesToHexString(id_.Mac(secret)));
}

std::string AuditKeys::Link(absl::string_view line) const {
  return jose::Base64UrlEncode(chain_.Mac(line));
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
