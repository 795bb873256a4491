// Helpers shared by the signer and validator tests: hand-built tokens with
// arbitrary headers, for the cases a JwtSigner refuses to produce.
#ifndef TOKEND_TESTS_CORE_JOSE_JWT_TEST_UTIL_H_
#define TOKEND_TESTS_CORE_JOSE_JWT_TEST_UTIL_H_

#include <nlohmann/json.hpp>
#include <string>

#include "core/jose/base64url.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"
#include "gtest/gtest.h"

namespace tokend::jose::test {

inline std::string SignatureB64(const Jwk& key, absl::string_view input) {
  uint8_t sig[internal::kMaxSignatureBytes];
  size_t len = 0;
  const absl::Status s = internal::Sign(key, input, sig, &len);
  EXPECT_TRUE(s.ok()) << s;
  return Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(sig), len));
}

// header.payload.signature; no signature (empty third part) when key is null.
inline std::string MakeTokenFromText(absl::string_view header_json,
                                     absl::string_view payload_json,
                                     const Jwk* key) {
  std::string input =
      Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  const std::string sig = key == nullptr ? "" : SignatureB64(*key, input);
  return input + "." + sig;
}

inline std::string MakeToken(const nlohmann::json& header,
                             const nlohmann::json& payload, const Jwk* key) {
  return MakeTokenFromText(header.dump(), payload.dump(), key);
}

// Splits a compact token into its three parts.
inline std::vector<std::string> Parts(const std::string& token) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = token.find('.', start);
    out.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace tokend::jose::test

#endif  // TOKEND_TESTS_CORE_JOSE_JWT_TEST_UTIL_H_
