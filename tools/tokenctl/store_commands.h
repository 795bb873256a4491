// tokenctl's store commands: direct database work, with no server involved.
#ifndef TOKEND_TOOLS_TOKENCTL_STORE_COMMANDS_H_
#define TOKEND_TOOLS_TOKENCTL_STORE_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

namespace tokend::tokenctl {

// Usage lines for the commands below.
extern const char kStoreUsage[];

// Runs `args` when it is
//   store copy SQLITE_FILE POSTGRES_URL
// (moving a single-process data dir, e.g. var/tokend.db, into an empty
// PostgreSQL database for replicas; stop that tokend first) and returns its
// exit status; nullopt when `args` is not a store command.
std::optional<int> RunStoreCommand(const std::vector<std::string>& args);

}  // namespace tokend::tokenctl

#endif  // TOKEND_TOOLS_TOKENCTL_STORE_COMMANDS_H_
