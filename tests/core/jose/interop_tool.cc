// Interop driver for tests/core/jose/interop_test.py (run by interop_test).
//
//   interop_tool sign    For every algorithm: generate a key, sign a token,
//                        print one JSON line {alg, token, jwk} (the public
//                        JWK, or for HS* the oct JWK holding the secret).
//   interop_tool verify  Read JSON lines {alg, token, jwk[, allow]} from
//                        stdin, verify each token (iss "pyjwt-interop", aud
//                        "tokend", skew 30 s; algorithms {alg} plus the
//                        optional "allow" list) and print one line per token:
//                        {alg, ok, stage, code, message, error, sub}. "stage"
//                        is "verify" when the status came from
//                        JwtValidator::Verify, else where the tool gave up
//                        ("input", "key", "policy"); "code" is the absl status
//                        code name (e.g. "UNAUTHENTICATED").
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "core/jose/jwk.h"
#include "core/jose/jwk_set.h"
#include "core/jose/jwt_signer.h"
#include "core/jose/jwt_validator.h"
#include "core/jose/raw_jwt.h"

namespace tokend::jose {
namespace {

using json = nlohmann::json;

int Sign() {
  const absl::Time now = absl::Now();
  for (Algorithm alg : kAllAlgorithms) {
    auto key = Jwk::Generate(alg);
    if (!key.ok()) {
      std::cerr << AlgorithmName(alg) << ": " << key.status() << "\n";
      return 1;
    }
    auto signer = JwtSigner::Create(*key);
    auto raw = RawJwtBuilder()
                   .SetTypeHeader("JWT")
                   .SetIssuer("tokend-interop")
                   .SetSubject(std::string("subject-") +
                               std::string(AlgorithmName(alg)))
                   .SetAudience("pyjwt")
                   .SetJwtId("jti-1")
                   .SetIssuedAt(now)
                   .SetNotBefore(now)
                   .SetExpiration(now + absl::Minutes(5))
                   .AddStringClaim("unicode", "h\xc3\xa9llo \xe2\x9c\x93")
                   .AddIntegerClaim("n", 42)
                   .Build();
    if (!signer.ok() || !raw.ok()) {
      std::cerr << AlgorithmName(alg) << ": signer or claims failed\n";
      return 1;
    }
    auto token = (*signer)->SignAndEncode(*raw);
    absl::StatusOr<std::string> jwk =
        IsHmac(alg) ? key->ToPrivateJson() : key->ToPublicJson();
    if (!token.ok() || !jwk.ok()) {
      std::cerr << AlgorithmName(alg) << ": signing failed\n";
      return 1;
    }
    json line = {{"alg", std::string(AlgorithmName(alg))},
                 {"token", *token},
                 {"jwk", json::parse(*jwk)}};
    std::cout << line.dump() << "\n";
  }
  return 0;
}

// Records a failure: where it happened, its code name and message.
void SetError(json& out, const char* stage, const absl::Status& status) {
  out["ok"] = false;
  out["stage"] = stage;
  out["code"] = absl::StatusCodeToString(status.code());
  out["message"] = std::string(status.message());
  out["error"] = std::string(stage) + ": " + status.ToString();
}

json VerifyLine(const std::string& text) {
  json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  json out = {{"ok", false}};
  if (!in.is_object() || !in.contains("alg") || !in["alg"].is_string() ||
      !in.contains("token") || !in["token"].is_string() ||
      !in.contains("jwk")) {
    SetError(out, "input", absl::InvalidArgumentError("bad input line"));
    return out;
  }
  out["alg"] = in["alg"];
  auto alg = AlgorithmFromName(in["alg"].get<std::string>());
  if (!alg.ok()) {
    SetError(out, "input", alg.status());
    return out;
  }
  std::set<Algorithm> allowed = {*alg};
  if (in.contains("allow")) {
    if (!in["allow"].is_array()) {
      SetError(out, "input", absl::InvalidArgumentError("allow not a list"));
      return out;
    }
    for (const json& name : in["allow"]) {
      auto extra = AlgorithmFromName(name.is_string() ? name.get<std::string>()
                                                      : std::string());
      if (!extra.ok()) {
        SetError(out, "input", extra.status());
        return out;
      }
      allowed.insert(*extra);
    }
  }
  auto key = Jwk::FromJsonObject(in["jwk"], *alg);
  if (!key.ok()) {
    SetError(out, "key", key.status());
    return out;
  }
  auto validator = JwtValidatorBuilder()
                       .ExpectIssuer("pyjwt-interop")
                       .ExpectAudience("tokend")
                       .AllowAlgorithms(allowed)
                       .SetClockSkew(absl::Seconds(30))
                       .Build();
  if (!validator.ok()) {
    SetError(out, "policy", validator.status());
    return out;
  }
  const std::string token = in["token"].get<std::string>();
  absl::StatusOr<VerifiedJwt> verified;
  if (IsHmac(*alg)) {
    verified = validator->Verify(token, *key, absl::Now());
  } else {
    // Asymmetric keys go through a JwkSet, as a real verifier's would.
    JwkSet set;
    auto pub = key->PublicOnly();
    absl::Status added = pub.ok() ? set.Add(*pub) : pub.status();
    if (!added.ok()) {
      SetError(out, "key", added);
      return out;
    }
    verified = validator->Verify(token, set, absl::Now());
  }
  if (!verified.ok()) {
    SetError(out, "verify", verified.status());
    return out;
  }
  out["ok"] = true;
  out["stage"] = "verify";
  out["code"] = "OK";
  out["sub"] = verified->GetSubject().value_or("");
  return out;
}

int Verify() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    std::cout << VerifyLine(line).dump() << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace tokend::jose

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "sign") return tokend::jose::Sign();
  if (mode == "verify") return tokend::jose::Verify();
  std::cerr << "usage: interop_tool sign|verify\n";
  return 2;
}
