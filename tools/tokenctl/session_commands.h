// tokenctl's session commands (issue 5): users, sessions, session tokens and
// JWT templates over tokend.sessions.v1's UserService, SessionService,
// SessionTokenService and JwtTemplateService, with the admin key.
#ifndef TOKEND_TOOLS_TOKENCTL_SESSION_COMMANDS_H_
#define TOKEND_TOOLS_TOKENCTL_SESSION_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tokend::tokenctl {

// Usage lines for the commands below.
extern const char kSessionUsage[];

// Runs `args` (the command and its operands) when it is one of
//   users create [--first_name=] [--last_name=] [--username=]
//                [--external_id=] [--email=A[,B]...] [--public_metadata=JSON]
//   users get ID | users delete ID
//   sessions create --user_id=ID [--expires_in_seconds=N]
//   sessions get ID | sessions revoke ID
//   sessions list [--user_id=] [--status=] [--limit=]
//   sessions token ID [--template=NAME] [--expires_in_seconds=N]
//   templates create --name=N --claims=JSON [--lifetime=S]
//                    [--allowed_clock_skew=S]
//                    [--signing_algorithm=ALG --signing_key_file=FILE]
//   templates get ID | templates list | templates delete ID
//   templates update ID [the flags of create]
// and returns its exit status; nullopt when `args` is none of them.
std::optional<int> RunSessionCommand(const std::vector<std::string>& args);

// absl keeps only the last value of a flag given twice. Returns `argv` with
// every `--NAME=V` / `--NAME V` (or `-NAME`) joined into one `--NAME=V1,V2`
// at the place of the first, so that a list flag such as --email can be
// repeated. Arguments after "--" are left alone.
std::vector<std::string> JoinRepeatedFlag(const std::vector<std::string>& argv,
                                          absl::string_view name);

}  // namespace tokend::tokenctl

#endif  // TOKEND_TOOLS_TOKENCTL_SESSION_COMMANDS_H_
