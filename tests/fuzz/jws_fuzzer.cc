// libFuzzer target: compact JWS/JWT verification and the parsers under it.
// Invariants checked beyond "no crash": base64url decoding is canonical
// (encode(decode(x)) == x), and no token verifies under a key that never
// signed anything (fresh keys per process; HMAC secret unknown to inputs).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

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
  return 0;
}
