// libFuzzer target: the service-account JWT path (SaJwtChecker::Check) over a
// real SqliteStore (temp dir under /tmp) holding one service account and one
// authorized RSA-2048 key made by CreateAuthorizedKey, at a FakeClock time.
// Two paths per input:
//  1. The raw bytes as the JWT.
//  2. The bytes split at the first NUL into header JSON and payload JSON (no
//     NUL: the whole input is the payload under a PS256 header naming the
//     authorized key), signed by hand as a compact JWS (PS256, saltlen 32,
//     with the authorized key's private key through EVP_DigestSign), so the
//     checker's header and claim rules (alg, kid lookup, exp/iat/nbf, aud
//     string/array, iss) are reached. JwtSigner::SignPayload refuses alg/kid
//     in the header, hence the hand-built token. Because the key id is fresh
//     per process, the literal "@KID@" in the header is replaced by it and
//     "@SA@" anywhere by the account id, so seeds can name them.
// Invariants: Check never crashes; every failure is UNAUTHENTICATED (the
// store is healthy, so no pass-through codes); an accepted token names the
// account in iss (and in the result), the authorized key in kid, has aud
// containing an accepted audience, numeric exp and iat with exp - iat <= 3600,
// and was signed by us (path 1 can only be accepted for a token path 2 made).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/common/clock.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/jose/base64url.h"
#include "core/store/records.h"
#include "core/store/sqlite_store.h"
#include "nlohmann/json.hpp"

namespace tokend::iam {
namespace {

constexpr char kAccountId[] = "ajefuzzsa1";
constexpr char kIssuer[] = "https://tokend.test";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

[[noreturn]] void Fail(absl::string_view what) {
  std::fprintf(stderr, "sa_jwt_fuzzer invariant: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

struct Env {
  Env() : clock(kNow) {
    char dir_template[] = "/tmp/sa_jwt_fuzzer.XXXXXX";
    const char* dir = mkdtemp(dir_template);
    if (dir == nullptr) Fail("mkdtemp");
    auto opened = store::SqliteStore::Open(absl::StrCat(dir, "/tokend.db"));
    if (!opened.ok()) Fail(opened.status().ToString());
    db = *std::move(opened);
    store::ServiceAccountRecord account;
    account.id = kAccountId;
    account.name = "fuzz-account";
    account.created_at = kNow - absl::Hours(24);
    if (!db->InsertServiceAccount(account).ok()) Fail("insert account");
    auto created = CreateAuthorizedKey(db.get(), clock, kAccountId,
                                       KeyAlgorithm::kRsa2048, "fuzz");
    if (!created.ok()) Fail(created.status().ToString());
    key_id = created->key.id;
    BIO* bio =
        BIO_new_mem_buf(created->private_key_pem.data(),
                        static_cast<int>(created->private_key_pem.size()));
    private_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (private_key == nullptr) Fail("private key PEM");
    SaJwtCheckerOptions options;
    options.audiences = SaJwtCheckerOptions::DefaultAudiences(kIssuer);
    audiences = options.audiences;
    auto made = SaJwtChecker::Create(db.get(), &clock, options);
    if (!made.ok()) Fail(made.status().ToString());
    checker = *std::move(made);
  }
  FakeClock clock;
  std::unique_ptr<store::SqliteStore> db;
  std::string key_id;
  EVP_PKEY* private_key = nullptr;
  std::vector<std::string> audiences;
  std::unique_ptr<SaJwtChecker> checker;
};

Env& GetEnv() {
  static Env* env = new Env();
  return *env;
}

std::string SignPs256(EVP_PKEY* key, absl::string_view signing_input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  std::string sig;
  size_t len = 0;
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1 ||
      EVP_DigestSign(
          ctx, nullptr, &len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    Fail("EVP_DigestSign setup");
  }
  sig.resize(len);
  if (EVP_DigestSign(
          ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
          reinterpret_cast<const unsigned char*>(signing_input.data()),
          signing_input.size()) != 1) {
    Fail("EVP_DigestSign");
  }
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// Independent re-check of an accepted token (nlohmann's own parser, not the
// checker's bounded one).
void CheckAccepted(const Env& env, absl::string_view token,
                   const CheckedSaJwt& result) {
  if (result.service_account_id != kAccountId) Fail("result account");
  if (result.key_id != env.key_id) Fail("result kid");
  if (result.expires_at - result.issued_at > absl::Hours(1)) {
    Fail("result lifetime");
  }
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) Fail("accepted token shape");
  auto header_json = jose::Base64UrlDecode(parts[0]);
  auto payload_json = jose::Base64UrlDecode(parts[1]);
  if (!header_json.ok() || !payload_json.ok()) Fail("accepted base64url");
  auto header = nlohmann::json::parse(*header_json, nullptr, false);
  auto payload = nlohmann::json::parse(*payload_json, nullptr, false);
  if (!header.is_object() || !payload.is_object()) Fail("accepted JSON");
  if (header.value("alg", nlohmann::json()) != "PS256") Fail("accepted alg");
  if (header.value("kid", nlohmann::json()) != env.key_id) Fail("accepted kid");
  if (payload.value("iss", nlohmann::json()) != kAccountId) Fail("iss");
  const nlohmann::json aud = payload.value("aud", nlohmann::json());
  auto accepted = [&](const nlohmann::json& a) {
    return a.is_string() &&
           std::find(env.audiences.begin(), env.audiences.end(),
                     a.get<std::string>()) != env.audiences.end();
  };
  bool aud_ok = accepted(aud);
  if (aud.is_array()) aud_ok = std::any_of(aud.begin(), aud.end(), accepted);
  if (!aud_ok) Fail("aud");
  const nlohmann::json exp = payload.value("exp", nlohmann::json());
  const nlohmann::json iat = payload.value("iat", nlohmann::json());
  if (!exp.is_number() || !iat.is_number()) Fail("exp/iat not numbers");
  if (exp.get<double>() - iat.get<double>() > 3600.0) Fail("exp - iat > 3600");
  if (kNow >= absl::FromUnixSeconds(0) + absl::Seconds(exp.get<double>()) +
                  absl::Minutes(5)) {
    Fail("accepted expired");
  }
}

void CheckOne(const Env& env, absl::string_view token, bool signed_by_us) {
  auto result = env.checker->Check(token);
  if (!result.ok()) {
    if (result.status().code() != absl::StatusCode::kUnauthenticated) {
      Fail(result.status().ToString());
    }
    if (absl::StrContains(result.status().message(), "PRIVATE KEY")) {
      Fail("key material in message");
    }
    return;
  }
  if (!signed_by_us) Fail("accepted a token the fuzzer did not sign");
  CheckAccepted(env, token, *result);
}

}  // namespace
}  // namespace tokend::iam

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)tokend::iam::GetEnv();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tokend::iam;
  const Env& env = GetEnv();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  // Path 1: raw bytes. The key is fresh per process and never signs the
  // raw input, so acceptance here would be a forgery.
  CheckOne(env, input, /*signed_by_us=*/false);

  // Path 2: header NUL payload, signed with the authorized key.
  std::string header = R"({"alg":"PS256","kid":"@KID@"})";
  absl::string_view payload = input;
  if (const size_t nul = input.find('\0'); nul != absl::string_view::npos) {
    header = std::string(input.substr(0, nul));
    payload = input.substr(nul + 1);
  }
  header = absl::StrReplaceAll(header,
                               {{"@KID@", env.key_id}, {"@SA@", kAccountId}});
  const std::string payload_s =
      absl::StrReplaceAll(payload, {{"@SA@", kAccountId}});
  const std::string signing_input =
      absl::StrCat(tokend::jose::Base64UrlEncode(header), ".",
                   tokend::jose::Base64UrlEncode(payload_s));
  const std::string token = absl::StrCat(
      signing_input, ".",
      tokend::jose::Base64UrlEncode(SignPs256(env.private_key, signing_input)));
  CheckOne(env, token, /*signed_by_us=*/true);
  return 0;
}
