// libFuzzer target: JWK, JWKS and PEM import. Whatever imports must export
// and re-import to the same key (same thumbprint, same algorithm).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"

namespace {

using tokend::jose::Algorithm;
using tokend::jose::Jwk;

void CheckRoundTrip(const Jwk& key) {
  auto thumb = key.Thumbprint();
  if (!thumb.ok()) std::abort();
  auto priv = key.has_private() ? key.ToPrivateJson() : key.ToPublicJson();
  if (!priv.ok()) std::abort();
  auto again = Jwk::FromJson(*priv, key.algorithm());
  if (!again.ok() || again->Thumbprint().value() != *thumb ||
      again->algorithm() != key.algorithm()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto key = Jwk::FromJson(input); key.ok()) CheckRoundTrip(*key);
  // The first byte picks an algorithm hint for the rest.
  if (size > 0) {
    const Algorithm alg = tokend::jose::kAllAlgorithms[data[0] % 13];
    const absl::string_view rest = input.substr(1);
    if (auto key = Jwk::FromJson(rest, alg); key.ok()) CheckRoundTrip(*key);
    if (auto key = Jwk::FromPem(rest, alg); key.ok()) CheckRoundTrip(*key);
  }
  if (auto set = tokend::jose::JwkSet::FromJson(input); set.ok()) {
    auto again = tokend::jose::JwkSet::FromJson(set->ToJson());
    if (!again.ok() || again->size() != set->size()) std::abort();
  }
  return 0;
}
