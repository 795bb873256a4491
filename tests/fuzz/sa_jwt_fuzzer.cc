// libFuzzer target: the service-account JWT path (SaJwtChecker::Check) over a
// real SqliteStore (temp dir under /tmp) holding one service account and one
// authorized RSA-2048 key, a fixed test key under a fixed id, at a FakeClock
// time: nothing about the environment varies between processes, so a run
// with a fixed -seed and -runs explores the same inputs on every machine.
// Two paths per input:
//  1. The raw bytes as the JWT.
//  2. The bytes split at the first NUL into header JSON and payload JSON (no
//     NUL: the whole input is the payload under a PS256 header naming the
//     authorized key), signed by hand as a compact JWS (PS256, saltlen 32,
//     with the authorized key's private key through EVP_DigestSign), so the
//     checker's header and claim rules (alg, kid lookup, exp/iat/nbf, aud
//     string/array, iss) are reached. JwtSigner::SignPayload refuses alg/kid
//     in the header, hence the hand-built token. The literal "@KID@" in the
//     header is replaced by the key id and "@SA@" anywhere by the account id,
//     so seeds can name them.
// Invariants: Check never crashes; every failure is UNAUTHENTICATED (the
// store is healthy, so no pass-through codes) with a message of at most
// kMaxMessageBytes printable ASCII that repeats no run of the private key's
// PEM body the input did not hold (the checker may echo short printable
// header values, which are the sender's own text, "PRIVATE KEY" included);
// an accepted token names the account in iss (and in the result), the
// authorized key in kid, has aud containing an accepted audience, numeric exp
// and iat with exp - iat <= 3600, and was signed by us (path 1 can only be
// accepted for a token path 2 made).
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

#include "absl/container/flat_hash_set.h"
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
#include "core/jose/jwk.h"
#include "core/store/records.h"
#include "core/store/sqlite_store.h"
#include "nlohmann/json.hpp"

namespace tokend::iam {
namespace {

constexpr char kAccountId[] = "ajefuzzsa1";
constexpr char kKeyId[] = "ajefuzzkey1";
constexpr size_t kMaxMessageBytes = 512;
// Any run this long of the private key's base64 counts as leaked key material.
constexpr size_t kKeyWindow = 16;
// A test key made for this fuzzer (openssl genpkey, RSA 2048) and used nowhere
// else: fixed so that runs repeat exactly.
constexpr char kPrivateKeyPem[] = R"(-----BEGIN PRIVATE KEY-----
MIIEuwIBADANBgkqhkiG9w0BAQEFAASCBKUwggShAgEAAoIBAQCluy+lCI+fzTGd
sbehW7IIb5MHU7A8WlbB+389s9Ag9eDMUe88pI8F9xpH+0fFvJrYfYn4okgPXbMw
QMIUUe2o3Vj4wa95jHSHbA9BPi2Ns8d4DRMQUNh1IhbNxv051ddR4AIANVoh+OvE
UQ5NjjjHWRkzbHTB5oOD1wqMLB65VJ7yxnUEK+AbNKkl3MMLQ4YzXOMCTk1KGOvg
OOo8EVx1qfEQI1fpAYI4un0XBkf8K+YvOR6YnJKWyCAxLdJEWh2rq3cZ0XJzeQ9W
86QUFT0q6dt79v4QH5DOiPoKMeIQI1CTXw75BgxUbJjaOemUnDUW80vxGqJyE9Uf
sSXl6x95AgMBAAECggEAAkmrgKHrPxSTJyqVDQfwIyUJCaXJFfIyIvs9k+dZDYj7
YCuPxI9pzvZekUUPDSzwvVNYbb8DL6s6HGlXU6D0ZgmlLyzmEavnQPR7dZf6X6SR
3GB8YfP7+EpNIsHsaQl9AUeKzU5oH70uYhvBuXgZiE0OcJIUFAgXtTJ3cnXTZnjT
Adz+Jw8cA9lDIfYJwtEpiftZZoBYM01szskFX16Y4AHxlKkZ5xqQJXsQLdXfCiLQ
+Yf1zupwpc5DSeYpthE4isNMo0DPXrEK0tAEJ8Gnv8eb4TPDa+uCwTTGmUeZl50O
t8JvtwFapwp9Ux/ed2ekuBoaGrmb+2DBgHlE5TfFkQKBgQDSqyzwMTKB8EGOWYoH
/8KPfIgpqO0WGinQHuJakb4BlME7Ofcl+Zhe4aBAfms0u0xltWKilGcjHcLXKKpO
33Xp2KEd2B0Ej035yCK7vm09q4oEr6D2SSHOeV49Dr1/IFWMTXsalMIUZIBpFpZD
zfV5iHvOKaXXr4g4hvcFw6iVKQKBgQDJZJm2/W6trOKoghzE817f8vmDKrDPuBZI
4YgRd4RYoNvvkaZMsFpROniFCtF3Bdniv/6D+YrvKVeKcMyJRHiQMCrqK8kHIuYu
FHzJigZCAbc1fod16HDEASeaJCiE6WL7/OcYISprwf5fyETqlSy1cUTdA1e+lXxC
Un8npeix0QKBgQC6fuDUbakZ0LgoLWn9dNQnNAZSYwInm9fCL2UQ6o57VdXN+Z2q
V5AlBrZYAdIkJ18VdwKvjJLVSoZu9Mf39OissKLJCcV+gOJ1qk/dRlHs00vmpBfp
j4pG/7iGcuMchGJXR0wglupNJT9sSJuTwON7yHBZbRMsom8EI67QwooeKQKBgHY5
ICNT0s0RWF0jRFA5rdA5ik99mB3YKvzNqFrYllCQ3YtdLQqH2/0jHey71QrR3H5H
xtkifHS5CDK01N0f3MaIAClHWtNdoVIbpMWKyPGmoC4/ALYupUPqiZzq7P5ZI0pZ
xC9eCNEJKJKBtjMfLwe0XoB/ndq7Vh543zwfIOKBAn88eO6/ovB5gfdW0uaL85y5
GJrGuk543cbMKYdAS49a59D+YxhRUa/oK3f1nYI7glxcVgKq1o4LicYzthnTs7XM
KT0+NDysY8oxEbbq2eanSB2Wg/ATbntlPWDFzw6motjp3Gsiii2HKurTyWNUUA0Q
631GLBhcXAUm5E0CaSxI
-----END PRIVATE KEY-----
)";
constexpr char kIssuer[] = "https://tokend.test";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

[[noreturn]] void Fail(absl::string_view what) {
  std::fprintf(stderr, "sa_jwt_fuzzer invariant: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

struct Env {
  Env() : clock(kNow) {
    static char dir[] = "/tmp/sa_jwt_fuzzer.XXXXXX";
    if (mkdtemp(dir) == nullptr) Fail("mkdtemp");
    // The store's files go when the run ends normally (a crash keeps them).
    std::atexit([] {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        std::remove(absl::StrCat(dir, "/tokend.db", suffix).c_str());
      }
      std::remove(dir);
    });
    auto opened = store::SqliteStore::Open(absl::StrCat(dir, "/tokend.db"));
    if (!opened.ok()) Fail(opened.status().ToString());
    db = *std::move(opened);
    store::ServiceAccountRecord account;
    account.id = kAccountId;
    account.name = "fuzz-account";
    account.created_at = kNow - absl::Hours(24);
    if (!db->InsertServiceAccount(account).ok()) Fail("insert account");
    auto jwk = jose::Jwk::FromPem(kPrivateKeyPem, jose::Algorithm::kPs256);
    if (!jwk.ok()) Fail(jwk.status().ToString());
    auto public_pem = jwk->ToPublicPem();
    if (!public_pem.ok()) Fail(public_pem.status().ToString());
    store::AuthorizedKeyRecord key;
    key.id = kKeyId;
    key.service_account_id = kAccountId;
    key.key_algorithm = KeyAlgorithm::kRsa2048;
    key.public_key_pem = *std::move(public_pem);
    key.created_at = kNow - absl::Hours(1);
    if (!db->InsertAuthorizedKey(key).ok()) Fail("insert authorized key");
    BIO* bio = BIO_new_mem_buf(kPrivateKeyPem, -1);
    private_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (private_key == nullptr) Fail("private key PEM");
    std::string body;
    for (absl::string_view line : absl::StrSplit(kPrivateKeyPem, '\n')) {
      if (!absl::StartsWith(line, "-----")) absl::StrAppend(&body, line);
    }
    for (size_t i = 0; i + kKeyWindow <= body.size(); ++i) {
      key_windows.insert(body.substr(i, kKeyWindow));
    }
    SaJwtCheckerOptions options;
    options.audiences = SaJwtCheckerOptions::DefaultAudiences(kIssuer);
    audiences = options.audiences;
    auto made = SaJwtChecker::Create(db.get(), &clock, options);
    if (!made.ok()) Fail(made.status().ToString());
    checker = *std::move(made);
  }
  FakeClock clock;
  std::unique_ptr<store::SqliteStore> db;
  EVP_PKEY* private_key = nullptr;
  // Every kKeyWindow-byte run of the private key PEM's base64 body.
  absl::flat_hash_set<std::string> key_windows;
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
  if (result.key_id != kKeyId) Fail("result kid");
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
  if (header.value("kid", nlohmann::json()) != kKeyId) Fail("accepted kid");
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

// What a refusal may say: bounded printable ASCII (it reaches logs and
// clients), and no key material the sender did not already hold.
void CheckRefusalMessage(const Env& env, absl::string_view input,
                         absl::string_view message) {
  if (message.size() > kMaxMessageBytes) Fail("message too long");
  for (char c : message) {
    if (c < 0x20 || c > 0x7e) Fail("unprintable byte in message");
  }
  for (size_t i = 0; i + kKeyWindow <= message.size(); ++i) {
    const absl::string_view window = message.substr(i, kKeyWindow);
    if (env.key_windows.contains(window) && !absl::StrContains(input, window)) {
      Fail("key material in message");
    }
  }
}

// `input` is the fuzzer's input `token` was made from.
void CheckOne(const Env& env, absl::string_view input, absl::string_view token,
              bool signed_by_us) {
  auto result = env.checker->Check(token);
  if (!result.ok()) {
    if (result.status().code() != absl::StatusCode::kUnauthenticated) {
      Fail(result.status().ToString());
    }
    CheckRefusalMessage(env, input, result.status().message());
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

  // Path 1: raw bytes. Nothing signs them with the authorized key, so
  // acceptance here would be a forgery.
  CheckOne(env, input, input, /*signed_by_us=*/false);

  // Path 2: header NUL payload, signed with the authorized key.
  std::string header = R"({"alg":"PS256","kid":"@KID@"})";
  absl::string_view payload = input;
  if (const size_t nul = input.find('\0'); nul != absl::string_view::npos) {
    header = std::string(input.substr(0, nul));
    payload = input.substr(nul + 1);
  }
  header =
      absl::StrReplaceAll(header, {{"@KID@", kKeyId}, {"@SA@", kAccountId}});
  const std::string payload_s =
      absl::StrReplaceAll(payload, {{"@SA@", kAccountId}});
  const std::string signing_input =
      absl::StrCat(tokend::jose::Base64UrlEncode(header), ".",
                   tokend::jose::Base64UrlEncode(payload_s));
  const std::string token = absl::StrCat(
      signing_input, ".",
      tokend::jose::Base64UrlEncode(SignPs256(env.private_key, signing_input)));
  CheckOne(env, input, token, /*signed_by_us=*/true);
  return 0;
}
