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
//   verify TOKEN [AUDIENCE]   asks the server's Verify RPC
//   decode TOKEN              header and claims, NOT verified (local)
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/common/files.h"
#include "core/jose/base64url.h"
#include "google/protobuf/util/json_util.h"
#include "tokend/admin/v1/api_keys.grpc.pb.h"
#include "tokend/keys/v1/keyring.grpc.pb.h"
#include "tokend/verify/v1/verification.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tokend gRPC address");
ABSL_FLAG(std::string, admin_key_file, "./var/admin.key",
          "file holding the admin key");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle; when set, connect with TLS");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate, for servers that require mTLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");

namespace {

constexpr const char* kUsage =
    "usage: tokenctl [flags] COMMAND\n"
    "  keys list | keys rotate [SLOT] | jwks\n"
    "  apikey create SURFACE [NAME] | apikey list [SURFACE] | apikey revoke "
    "ID\n"
    "  verify TOKEN [AUDIENCE] | decode TOKEN\n";

[[noreturn]] void Fail(absl::string_view message) {
  std::cerr << "tokenctl: " << message << "\n";
  std::exit(2);
}

std::string MustRead(const std::string& path) {
  auto contents = tokend::ReadFileToString(path);
  if (!contents.ok()) Fail(contents.status().message());
  return *std::move(contents);
}

bool IsLoopback(absl::string_view target) {
  return absl::StartsWith(target, "127.") ||
         absl::StartsWith(target, "localhost:") ||
         absl::StartsWith(target, "[::1]:");
}

std::shared_ptr<grpc::Channel> Connect() {
  const std::string server = absl::GetFlag(FLAGS_server);
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (ca_file.empty()) {
    // Credentials (the admin key) must not cross a network in the clear.
    if (!IsLoopback(server)) {
      Fail("refusing plaintext to a non-loopback server; give --tls_ca");
    }
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = MustRead(ca_file);
    if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
      ssl.pem_cert_chain = MustRead(absl::GetFlag(FLAGS_tls_cert));
      ssl.pem_private_key = MustRead(absl::GetFlag(FLAGS_tls_key));
    }
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateChannel(server, credentials);
}

void AddAdminKey(grpc::ClientContext* context) {
  auto key = tokend::ReadFileToString(absl::GetFlag(FLAGS_admin_key_file));
  if (!key.ok()) {
    std::cerr << "tokenctl: " << key.status().message()
              << " (use --admin_key_file)\n";
    std::exit(2);
  }
  context->AddMetadata(
      "authorization",
      absl::StrCat("Bearer ", absl::StripAsciiWhitespace(*key)));
}

int PrintOrFail(const grpc::Status& status,
                const google::protobuf::Message& message) {
  if (!status.ok()) {
    // gRPC's codes are absl's, numerically: print the name, not the number.
    std::cerr << "tokenctl: "
              << absl::StatusCodeToString(
                     static_cast<absl::StatusCode>(status.error_code()))
              << ": " << status.error_message() << "\n";
    return 1;
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
  return 0;
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
    verify::VerifyResponse response;
    return PrintOrFail(stub->Verify(&context, request, &response), response);
  }
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  return Run(std::vector<std::string>(rest.begin() + 1, rest.end()));
}
