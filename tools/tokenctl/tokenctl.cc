// tokenctl: the admin and debugging CLI for tokend.
//
//   tokenctl [--server=127.0.0.1:50051] [--admin_key_file=./var/admin.key]
//            [--tls_ca=ca.pem] COMMAND ...
//
//   keys list                 signing keys with state and times (admin)
//   keys rotate [SLOT]        prepare new keys (admin)
//   jwks                      the public JWKS
//   apikey create SURFACE [NAME]   prints the secret once (admin)
//   apikey list [SURFACE]     (admin)
//   apikey revoke ID          (admin)
//   verify TOKEN [AUDIENCE] [--family=F]
//                             asks the server's Verify RPC (an audience or
//                             a family is required)
//   decode TOKEN              header and claims, NOT verified (local)
//   sa create NAME [DESCRIPTION] | sa list | sa delete ID
//   sa set-token-creators ID [SUBJECT...]          (admin)
//   key create --service_account_id=ID [--algorithm=RSA_2048|RSA_4096]
//              --out=key.json     writes the key file, mode 0600 (admin)
//   key list SERVICE_ACCOUNT_ID | key delete KEY_ID  (admin)
//   oauth create ACCOUNT_ID [DESCRIPTION]  prints the token once (admin)
//   oauth revoke ID_OR_TOKEN  (admin)
//   iam token --key=key.json [--audience=URL]
//                             signs the SA JWT locally, exchanges it
//   users create [--first_name=] [--last_name=] [--username=] [--external_id=]
//                [--email=A@B]... [--public_metadata=JSON]       (admin)
//   users get ID | users delete ID                                (admin)
//   sessions create --user_id=ID [--expires_in_seconds=N]
//                             prints the client token once (admin)
//   sessions get ID | sessions revoke ID                          (admin)
//   sessions list [--user_id=ID] [--status=STATUS] [--limit=N]   (admin)
//   sessions token ID [--template=NAME] [--expires_in_seconds=N]
//                             a session token (JWT) (admin)
//   templates create --name=NAME --claims=JSON [--lifetime=S]
//                    [--allowed_clock_skew=S]
//                    [--signing_algorithm=ALG --signing_key_file=FILE]
//   templates update ID [flags of create]                         (admin)
//   templates get ID | templates list | templates delete ID      (admin)
//   scoped issue --scope="user_id:U inbox:read:messages" --expires_in="2 hours"
//                             a scoped client token (Courier's issue-token)
//                             with the admin key, or --api_key_file (sck_…)
//   audit verify FILE...      checks an audit log's chain, oldest file first
//   audit hmac                a secret's identifier in the audit log (stdin)
//                             (both local, with --audit_key_file)
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/jose/base64url.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"
#include "tokend/scoped/v1/scoped_tokens.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"
#include "tools/tokenctl/audit_commands.h"
#include "tools/tokenctl/ctl_common.h"
#include "tools/tokenctl/iam_commands.h"
#include "tools/tokenctl/session_commands.h"
#include "tools/tokenctl/store_commands.h"

ABSL_FLAG(std::string, scope, "",
          "scoped issue: space-separated scopes, e.g. \"user_id:u1 "
          "inbox:read:messages\"");
ABSL_FLAG(std::string, expires_in, "",
          "scoped issue: the token's lifetime, e.g. \"2 hours\", \"1d\"");
ABSL_FLAG(std::string, family, "",
          "verify: the family the token must be of (iam, session, template, "
          "hasura, scoped); verify needs it or an AUDIENCE");
ABSL_FLAG(std::string, api_key_file, "",
          "scoped issue: a file holding a scoped API key (sck_…) to use "
          "instead of the admin key");

namespace {

using tokend::tokenctl::AddAdminKey;
using tokend::tokenctl::Connect;
using tokend::tokenctl::PrintOrFail;

const std::string& Usage() {
  static const std::string* usage = new std::string(absl::StrCat(
      "usage: tokenctl [flags] COMMAND\n"
      "  keys list | keys rotate [SLOT] | jwks\n"
      "  apikey create SURFACE [NAME] | apikey list [SURFACE] | apikey revoke "
      "ID\n"
      "  verify TOKEN [AUDIENCE] [--family=FAMILY] | decode TOKEN\n"
      "  scoped issue --scope=SCOPES --expires_in=DURATION "
      "[--api_key_file=FILE]\n",
      tokend::tokenctl::kIamUsage, tokend::tokenctl::kSessionUsage,
      tokend::tokenctl::kStoreUsage, tokend::tokenctl::kAuditUsage));
  return *usage;
}

int Decode(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) {
    std::cerr << "tokenctl: not a compact JWS (expected 3 parts)\n";
    return 1;
  }
  auto header = tokend::jose::Base64UrlDecode(parts[0]);
  auto payload = tokend::jose::Base64UrlDecode(parts[1]);
  if (!header.ok() || !payload.ok()) {
    std::cerr << "tokenctl: bad base64url\n";
    return 1;
  }
  std::cout << "# NOT VERIFIED: decoded only; use `tokenctl verify` to check "
               "the signature\n"
            << "header: " << *header << "\n"
            << "claims: " << *payload << "\n";
  return 0;
}

int Run(const std::vector<std::string>& args) {
  auto arg = [&](size_t i) { return i < args.size() ? args[i] : ""; };
  const std::string cmd = arg(0), sub = arg(1);
  namespace keys = tokend::keys::v1;
  namespace admin = tokend::admin::v1;
  namespace verify = tokend::verify::v1;

  if (cmd == "decode" && args.size() == 2) return Decode(args[1]);
  if (cmd == "keys" && (sub == "list" || sub == "rotate")) {
    auto stub = keys::KeyringService::NewStub(Connect());
    grpc::ClientContext context;
    AddAdminKey(&context);
    if (sub == "list") {
      keys::ListSigningKeysResponse response;
      return PrintOrFail(stub->ListSigningKeys(&context, {}, &response),
                         response);
    }
    keys::RotateSigningKeysRequest request;
    request.set_slot(arg(2));
    keys::RotateSigningKeysResponse response;
    return PrintOrFail(stub->RotateSigningKeys(&context, request, &response),
                       response);
  }
  if (cmd == "jwks") {
    auto stub = keys::KeyringService::NewStub(Connect());
    grpc::ClientContext context;
    keys::Jwks response;
    return PrintOrFail(stub->GetJwks(&context, {}, &response), response);
  }
  if (cmd == "apikey" && !sub.empty()) {
    auto stub = admin::ApiKeyService::NewStub(Connect());
    grpc::ClientContext context;
    AddAdminKey(&context);
    if (sub == "create" && args.size() >= 3) {
      admin::CreateApiKeyRequest request;
      request.set_surface(args[2]);
      request.set_name(arg(3));
      admin::CreateApiKeyResponse response;
      return PrintOrFail(stub->CreateApiKey(&context, request, &response),
                         response);
    }
    if (sub == "list") {
      admin::ListApiKeysRequest request;
      request.set_surface(arg(2));
      admin::ListApiKeysResponse response;
      return PrintOrFail(stub->ListApiKeys(&context, request, &response),
                         response);
    }
    if (sub == "revoke" && args.size() == 3) {
      admin::RevokeApiKeyRequest request;
      request.set_id(args[2]);
      admin::ApiKey response;
      return PrintOrFail(stub->RevokeApiKey(&context, request, &response),
                         response);
    }
  }
  if (cmd == "verify" && args.size() >= 2) {
    auto stub = verify::VerificationService::NewStub(Connect());
    grpc::ClientContext context;
    verify::VerifyRequest request;
    request.set_token(args[1]);
    request.set_audience(arg(2));
    request.set_family(absl::GetFlag(FLAGS_family));
    verify::VerifyResponse response;
    return PrintOrFail(stub->Verify(&context, request, &response), response);
  }
  if (cmd == "scoped" && sub == "issue" && args.size() == 2) {
    auto stub = tokend::scoped::v1::ScopedTokenService::NewStub(Connect());
    grpc::ClientContext context;
    const std::string key_file = absl::GetFlag(FLAGS_api_key_file);
    if (key_file.empty()) {
      AddAdminKey(&context);
    } else {
      context.AddMetadata(
          "authorization",
          absl::StrCat("Bearer ", absl::StripAsciiWhitespace(
                                      tokend::tokenctl::MustRead(key_file))));
    }
    tokend::scoped::v1::IssueTokenRequest request;
    request.set_scope(absl::GetFlag(FLAGS_scope));
    request.mutable_expires_in()->set_string_value(
        absl::GetFlag(FLAGS_expires_in));
    tokend::scoped::v1::IssueTokenResponse response;
    return PrintOrFail(stub->IssueToken(&context, request, &response),
                       response);
  }
  if (auto rc = tokend::tokenctl::RunIamCommand(args)) return *rc;
  if (auto rc = tokend::tokenctl::RunSessionCommand(args)) return *rc;
  if (auto rc = tokend::tokenctl::RunStoreCommand(args)) return *rc;
  if (auto rc = tokend::tokenctl::RunAuditCommand(args)) return *rc;
  std::cerr << Usage();
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(Usage());
  // --help lists the flags of every tokenctl source file, not only this one.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "tools/tokenctl/");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  // --email may be repeated (users create); absl would keep the last only.
  std::vector<std::string> joined = tokend::tokenctl::JoinRepeatedFlag(
      std::vector<std::string>(argv, argv + argc), "email");
  std::vector<char*> joined_argv;
  for (std::string& arg : joined) joined_argv.push_back(arg.data());
  joined_argv.push_back(nullptr);
  std::vector<char*> rest = absl::ParseCommandLine(
      static_cast<int>(joined.size()), joined_argv.data());
  return Run(std::vector<std::string>(rest.begin() + 1, rest.end()));
}
