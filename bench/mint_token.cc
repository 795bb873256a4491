// mint_token: signs a token with a data directory's active key of one slot,
// as tokend would, for benchmarks of Verify (tokend has no issuing RPC of
// its own before the token APIs exist). Needs the master key, so it is as
// privileged as the server; never run it while tokend holds the directory.
//
//   mint_token --data_dir=./var --slot=iam --issuer=http://127.0.0.1:8080
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "core/common/clock.h"
#include "core/jose/raw_jwt.h"
#include "core/keys/keyring.h"
#include "core/keys/master_key.h"
#include "core/keys/sealer.h"
#include "core/store/sqlite_store.h"

ABSL_FLAG(std::string, data_dir, "./var", "tokend data directory");
ABSL_FLAG(std::string, slot, "iam", "keyring slot");
ABSL_FLAG(std::string, issuer, "http://127.0.0.1:8080", "iss claim");
ABSL_FLAG(std::string, audience, "bench", "aud claim");
ABSL_FLAG(absl::Duration, lifetime, absl::Hours(1), "exp - iat");

namespace {

absl::StatusOr<std::string> Mint() {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  auto store = tokend::store::SqliteStore::Open(dir + "/tokend.db");
  if (!store.ok()) return store.status();
  auto master = tokend::keys::LoadMasterKey(dir + "/master.key");
  if (!master.ok()) return master.status();
  auto sealer = tokend::keys::Sealer::Create(*master);
  if (!sealer.ok()) return sealer.status();
  auto keyring = tokend::keys::Keyring::Open(store->get(), sealer->get(), {},
                                             tokend::RealClock::Get());
  if (!keyring.ok()) return keyring.status();
  auto signer = (*keyring)->Signer(absl::GetFlag(FLAGS_slot));
  if (!signer.ok()) return signer.status();
  absl::Time now = absl::Now();
  auto raw = tokend::jose::RawJwtBuilder()
                 .SetIssuer(absl::GetFlag(FLAGS_issuer))
                 .SetSubject("bench-subject")
                 .SetAudience(absl::GetFlag(FLAGS_audience))
                 .SetJwtId("bench")
                 .SetIssuedAt(now)
                 .SetExpiration(now + absl::GetFlag(FLAGS_lifetime))
                 .Build();
  if (!raw.ok()) return raw.status();
  return (*signer)->SignAndEncode(*raw);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto token = Mint();
  if (!token.ok()) {
    std::fprintf(stderr, "mint_token: %s\n", token.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", token->c_str());
  return 0;
}
