// tokenctl's audit commands: local work on an audit log (--audit_log) with
// its key, no server involved.
#ifndef TOKEND_TOOLS_TOKENCTL_AUDIT_COMMANDS_H_
#define TOKEND_TOOLS_TOKENCTL_AUDIT_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

namespace tokend::tokenctl {

// Usage lines for the commands below.
extern const char kAuditUsage[];

// Runs `args` when it is
//   audit verify FILE...   checks the chain of the files, oldest first
//   audit hmac             the identifier of a secret read from stdin, as
//                          the log shows it (never from argv: ps shows it)
// and returns its exit status; nullopt when `args` is not an audit command.
std::optional<int> RunAuditCommand(const std::vector<std::string>& args);

}  // namespace tokend::tokenctl

#endif  // TOKEND_TOOLS_TOKENCTL_AUDIT_COMMANDS_H_
