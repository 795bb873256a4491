// Shared plumbing of the tokenctl commands: the connection flags, the admin
// key, and printing a response (or the failed status) the same way.
#ifndef TOKEND_TOOLS_TOKENCTL_CTL_COMMON_H_
#define TOKEND_TOOLS_TOKENCTL_CTL_COMMON_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace tokend::tokenctl {

// Prints "tokenctl: MESSAGE" and exits 2.
[[noreturn]] void Fail(absl::string_view message);

// The whole file, or Fail().
std::string MustRead(const std::string& path);

// A channel to --server: TLS with --tls_ca (and mTLS with --tls_cert and
// --tls_key), plaintext only to loopback.
std::shared_ptr<grpc::Channel> Connect();

// "authorization: Bearer <admin key>" from --admin_key_file, or exits 2.
void AddAdminKey(grpc::ClientContext* context);

// Prints the failed status as "tokenctl: CODE_NAME: message" to stderr and
// returns 1; or prints `message` as JSON (proto field names) and returns 0.
int PrintOrFail(const grpc::Status& status,
                const google::protobuf::Message& message);

// As PrintOrFail, for the error side only: returns 0 when `status` is OK.
int ReportStatus(const grpc::Status& status);

}  // namespace tokend::tokenctl

#endif  // TOKEND_TOOLS_TOKENCTL_CTL_COMMON_H_
