// tokenctl's IAM commands (issue 3): service accounts, authorized keys,
// OAuth tokens (admin), and `iam token`, which signs a service-account JWT
// locally with a key file and exchanges it for an IAM token (no admin key).
#ifndef TOKEND_TOOLS_TOKENCTL_IAM_COMMANDS_H_
#define TOKEND_TOOLS_TOKENCTL_IAM_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

namespace tokend::tokenctl {

// Usage lines for the commands below.
extern const char kIamUsage[];

// Runs `args` (the command and its operands) when it is one of
//   sa create NAME [DESCRIPTION] | sa list | sa delete ID
//   sa set-token-creators ID SUBJECT...
//   key create --service_account_id=ID [--algorithm=RSA_2048|RSA_4096]
//              --out=key.json
//   key list SERVICE_ACCOUNT_ID | key delete KEY_ID
//   oauth create ACCOUNT_ID [DESCRIPTION] | oauth revoke ID_OR_TOKEN
//   iam token --key=key.json [--audience=URL]
// and returns its exit status; nullopt when `args` is none of them.
std::optional<int> RunIamCommand(const std::vector<std::string>& args);

}  // namespace tokend::tokenctl

#endif  // TOKEND_TOOLS_TOKENCTL_IAM_COMMANDS_H_
