#include "tools/tokenctl/store_commands.h"

#include <iostream>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "core/store/postgres_store.h"
#include "core/store/sqlite_store.h"
#include "core/store/store_copy.h"

namespace tokend::tokenctl {

const char kStoreUsage[] =
    "  store copy SQLITE_FILE POSTGRES_URL   (stop the tokend that uses the "
    "file first)\n";

std::optional<int> RunStoreCommand(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "store") return std::nullopt;
  if (args.size() != 4 || args[1] != "copy") {
    std::cerr << "usage:\n" << kStoreUsage;
    return 2;
  }
  const std::string& from_path = args[2];
  const std::string& to_url = args[3];
  if (!absl::StartsWith(to_url, "postgres://") &&
      !absl::StartsWith(to_url, "postgresql://")) {
    std::cerr << "tokenctl: the destination must be a postgres:// URL\n";
    return 2;
  }
  // Opening migrates the source to this binary's schema, as tokend would.
  auto from = store::SqliteStore::Open(from_path);
  if (!from.ok()) {
    std::cerr << "tokenctl: " << from_path << ": " << from.status() << "\n";
    return 1;
  }
  store::PostgresStore::Options options;
  options.conninfo = to_url;
  auto to = store::PostgresStore::Open(std::move(options));
  if (!to.ok()) {
    // The status never repeats the URL (it may hold a password).
    std::cerr << "tokenctl: the destination: " << to.status() << "\n";
    return 1;
  }
  auto copied = store::CopyStore(**from, **to, absl::Now());
  if (!copied.ok()) {
    std::cerr << "tokenctl: " << copied.status() << "\n";
    return 1;
  }
  std::cout << "copied: " << copied->signing_keys << " signing keys, "
            << copied->api_keys << " API keys, " << copied->service_accounts
            << " service accounts, " << copied->authorized_keys
            << " authorized keys, " << copied->oauth_tokens << " OAuth tokens, "
            << copied->revoked_tokens << " revocations, " << copied->users
            << " users, " << copied->sessions << " sessions, "
            << copied->jwt_templates << " JWT templates\n"
            << "Start the replicas with the master key and admin key files of "
               "the old data dir, and the same --issuer.\n";
  return 0;
}

}  // namespace tokend::tokenctl
