// libFuzzer target: compact JWS/JWT verification and the parsers under it.
// Two paths per input:
//  1. The bytes as a compact token. Invariants beyond "no crash": base64url
//     decoding is canonical (encode(decode(x)) == x), and no token verifies
//     under a key that never signed anything (fresh keys per process; HMAC
//     secret unknown to inputs).
//  2. The bytes as header JSON and payload JSON, split at the first NUL byte
//     (no NUL: the whole input is the payload under {"alg":"HS256"}), signed
//     by hand with HMAC-SHA256 under a fixed test key and verified with that
//     key, so the validator gets past the signature into header and claim
//     checks (exp/nbf/iat/aud/iss types and ranges, skew, lifetime, issuer,
//     audience). The hand-built token (not JwtSigner::SignPayload, which
//     refuses alg/kid/crit/b64 in the header) lets the header be anything.
//     Invariants: failures are only INVALID_ARGUMENT or UNAUTHENTICATED; a
//     token the strict validator accepts is accepted by the lenient one and
//     carries the issuer and audience the strict one demands.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/jose/base64url.h"
#include "core/jose/bounded_json.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_validator.h"

namespace tokend::jose {
namespace {

struct Keys {
  Keys()
      : hmac(Jwk::Generate(Algorithm::kHs256).value()),
        validator(JwtValidatorBuilder()
                      .IgnoreIssuer()
                      .IgnoreAudiences()
                      .AllowMissingExpiration()
                      .AllowAlgorithms({std::begin(kAllAlgorithms),
                                        std::end(kAllAlgorithms)})
                      .Build()
                      .value()) {
    for (Algorithm alg :
         {Algorithm::kEs256, Algorithm::kEs512, Algorithm::kRs256,
          Algorithm::kPs256, Algorithm::kEdDsa}) {
      // Fixed, short kids so inputs can name them.
      const std::string kid(AlgorithmName(alg));
      (void)set.Add(
          Jwk::Generate(alg).value().WithKid(kid).PublicOnly().value());
    }
  }
  Jwk hmac;
  JwkSet set;
  JwtValidator validator;
};

// 32 fixed bytes: inputs can never learn a secret they could sign with, so
// path 2 signs on their behalf.
constexpr char kTestSecret[] = "tokend-jws-fuzzer-fixed-hmac-key";
constexpr char kTestKid[] = "fuzz-hs256";

struct SignedPath {
  SignedPath()
      : key(Jwk::FromSecret(absl::string_view(kTestSecret, 32),
                            Algorithm::kHs256)
                .value()
                .WithKid(kTestKid)),
        lenient(JwtValidatorBuilder()
                    .IgnoreIssuer()
                    .IgnoreAudiences()
                    .AllowMissingExpiration()
                    .SetClockSkew(absl::Minutes(2))
                    .AllowAlgorithms(
                        {std::begin(kAllAlgorithms), std::end(kAllAlgorithms)})
                    .Build()
                    .value()),
        strict(JwtValidatorBuilder()
                   .ExpectIssuer("iss-a")
                   .ExpectIssuer("iss-b")
                   .ExpectAudience("aud-a")
                   .SetClockSkew(absl::Minutes(2))
                   .SetMaxLifetime(absl::Hours(1))
                   .RequireClaim("sub")
                   .AllowAlgorithms({Algorithm::kHs256})
                   .Build()
                   .value()) {}
  Jwk key;
  JwtValidator lenient;
  JwtValidator strict;
};

bool ExpectedFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ||
         status.code() == absl::StatusCode::kUnauthenticated;
}

void FuzzSignedToken(absl::string_view input, absl::Time now) {
  static SignedPath* path = new SignedPath();
  absl::string_view header = "{\"alg\":\"HS256\"}";
  absl::string_view payload = input;
  if (const size_t nul = input.find('\0'); nul != absl::string_view::npos) {
    header = input.substr(0, nul);
    payload = input.substr(nul + 1);
  }
  const std::string signing_input =
      absl::StrCat(Base64UrlEncode(header), ".", Base64UrlEncode(payload));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), kTestSecret, 32,
           reinterpret_cast<const unsigned char*>(signing_input.data()),
           signing_input.size(), mac, &mac_len) == nullptr) {
    std::abort();
  }
  const std::string compact =
      absl::StrCat(signing_input, ".",
                   Base64UrlEncode(absl::string_view(
                       reinterpret_cast<const char*>(mac), mac_len)));

  auto lenient = path->lenient.Verify(compact, path->key, now);
  if (!lenient.ok() && !ExpectedFailure(lenient.status())) std::abort();
  auto strict = path->strict.Verify(compact, path->key, now);
  if (!strict.ok()) {
    if (!ExpectedFailure(strict.status())) std::abort();
    return;
  }
  // Everything the strict policy checks, the lenient one checks more loosely.
  if (!lenient.ok()) std::abort();
  auto iss = strict->GetIssuer();
  if (!iss.ok() || (*iss != "iss-a" && *iss != "iss-b")) std::abort();
  auto aud = strict->GetAudiences();
  if (!aud.ok() || std::find(aud->begin(), aud->end(), "aud-a") == aud->end()) {
    std::abort();
  }
  auto exp = strict->GetExpiration();
  auto iat = strict->GetIssuedAt();
  if (!exp.ok() || !iat.ok() || now >= *exp + absl::Minutes(2) ||
      *exp - *iat > absl::Hours(1) || *iat > now + absl::Minutes(2)) {
    std::abort();
  }
  if (!strict->HasSubject()) std::abort();
}

}  // namespace
}  // namespace tokend::jose

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokend::jose;
  static Keys* keys = new Keys();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  auto decoded = Base64UrlDecode(input);
  if (decoded.ok() && Base64UrlEncode(*decoded) != input) std::abort();
  (void)ParseJsonObject(input);

  const absl::Time now = absl::FromUnixSeconds(1700000000);
  if (keys->validator.Verify(input, keys->set, now).ok()) std::abort();
  if (keys->validator.Verify(input, keys->hmac, now).ok()) std::abort();

  FuzzSignedToken(input, now);
  return 0;
}
