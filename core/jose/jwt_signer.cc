#include "core/jose/jwt_signer.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"
#include "core/jose/jws.h"

namespace tokend::jose {
namespace {

using json = nlohmann::json;

// Callers rendering claims themselves get room for large templates.
constexpr JsonLimits kPayloadLimits{/*max_bytes=*/65536, /*max_depth=*/16};

// A JSON string literal for `s`, which must be valid UTF-8 (checked by
// Create for the kid, by RawJwtBuilder for "typ").
std::string JsonString(absl::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JwtSigner>> JwtSigner::Create(
    const Jwk& private_key) {
  if (!private_key.has_private()) {
    return absl::FailedPreconditionError("JwtSigner needs a private key");
  }
  if (!IsValidUtf8(private_key.kid())) {
    return absl::InvalidArgumentError("kid is not valid UTF-8");
  }
  std::unique_ptr<JwtSigner> signer(new JwtSigner(private_key));
  // Sign once so a key libcrypto cannot use fails here, not per token.
  uint8_t sig[internal::kMaxSignatureBytes];
  size_t len = 0;
  RETURN_IF_ERROR(internal::Sign(private_key, "probe", sig, &len));
  return signer;
}

JwtSigner::JwtSigner(Jwk key) : key_(std::move(key)) {
  header_prefix_ =
      absl::StrCat("{\"alg\":", JsonString(AlgorithmName(key_.algorithm())));
  if (!key_.kid().empty()) {
    absl::StrAppend(&header_prefix_, ",\"kid\":", JsonString(key_.kid()));
  }
  encoded_plain_header_ = Base64UrlEncode(absl::StrCat(header_prefix_, "}"));
}

absl::Status JwtSigner::AppendSignature(std::string* out) const {
  uint8_t sig[internal::kMaxSignatureBytes];
  size_t len = 0;
  RETURN_IF_ERROR(internal::Sign(key_, *out, sig, &len));
  out->push_back('.');
  AppendBase64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(sig), len), out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> JwtSigner::SignAndEncode(const RawJwt& jwt) const {
  const std::string& payload = jwt.GetJsonPayload();
  std::string out;
  std::string typed_header;
  absl::string_view header = encoded_plain_header_;
  if (jwt.HasTypeHeader()) {
    typed_header = Base64UrlEncode(absl::StrCat(
        header_prefix_, ",\"typ\":", JsonString(*jwt.type_header()), "}"));
    header = typed_header;
  }
  out.reserve(header.size() + 1 + Base64UrlEncodedLength(payload.size()) + 1 +
              Base64UrlEncodedLength(internal::kMaxSignatureBytes / 2));
  out.append(header.data(), header.size());
  out.push_back('.');
  AppendBase64UrlEncode(payload, &out);
  RETURN_IF_ERROR(AppendSignature(&out));
  return out;
}

absl::StatusOr<std::string> JwtSigner::SignPayload(
    absl::string_view header_json, absl::string_view payload_json) const {
  std::string header = header_prefix_;
  if (!header_json.empty()) {
    ASSIGN_OR_RETURN(json extra, ParseJsonObject(header_json));
    for (const char* reserved : {"alg", "kid", "crit", "b64"}) {
      if (extra.contains(reserved)) {
        return absl::InvalidArgumentError(
            absl::StrCat("header member ", reserved, " is set by the signer"));
      }
    }
    for (auto it = extra.begin(); it != extra.end(); ++it) {
      absl::StrAppend(&header, ",", JsonString(it.key()), ":",
                      it.value().dump());
    }
  }
  header.push_back('}');
  RETURN_IF_ERROR(ParseJsonObject(payload_json, kPayloadLimits).status());
  std::string out;
  AppendBase64UrlEncode(header, &out);
  out.push_back('.');
  AppendBase64UrlEncode(payload_json, &out);
  RETURN_IF_ERROR(AppendSignature(&out));
  return out;
}

}  // namespace tokend::jose
