#include "tools/tokenctl/ctl_common.h"

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/common/files.h"
#include "core/common/net.h"
#include "google/protobuf/util/json_util.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tokend gRPC address");
ABSL_FLAG(std::string, admin_key_file, "./var/admin.key",
          "file holding the admin key");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA bundle; when set, connect with TLS");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate, for servers that require mTLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");

namespace tokend::tokenctl {
namespace {}  // namespace

void Fail(absl::string_view message) {
  std::cerr << "tokenctl: " << message << "\n";
  std::exit(2);
}

std::string MustRead(const std::string& path) {
  auto contents = tokend::ReadFileToString(path);
  if (!contents.ok()) Fail(contents.status().message());
  return *std::move(contents);
}

std::shared_ptr<grpc::Channel> Connect() {
  const std::string server = absl::GetFlag(FLAGS_server);
  const std::string ca_file = absl::GetFlag(FLAGS_tls_ca);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (ca_file.empty()) {
    // Credentials (the admin key) must not cross a network in the clear.
    if (!tokend::IsLoopbackHostPort(server)) {
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

int ReportStatus(const grpc::Status& status) {
  if (status.ok()) return 0;
  // gRPC's codes are absl's, numerically: print the name, not the number.
  std::cerr << "tokenctl: "
            << absl::StatusCodeToString(
                   static_cast<absl::StatusCode>(status.error_code()))
            << ": " << status.error_message() << "\n";
  return 1;
}

int PrintOrFail(const grpc::Status& status,
                const google::protobuf::Message& message) {
  if (!status.ok()) return ReportStatus(status);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
  return 0;
}

}  // namespace tokend::tokenctl
