#include "tools/tokenctl/iam_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/iam_key_file_source.h"
#include "client/token_source.h"
#include "core/iam/authorized_keys.h"
#include "core/iam/sa_jwt_checker.h"
#include "core/store/records.h"
#include "tokend/iam/v1/service_accounts.grpc.pb.h"
#include "tools/tokenctl/ctl_common.h"
#include "yandex/cloud/iam/v1/iam_token_service.grpc.pb.h"
#include "yandex/cloud/iam/v1/key_service.grpc.pb.h"

ABSL_FLAG(std::string, service_account_id, "",
          "key create: the service account to create the key for");
ABSL_FLAG(std::string, algorithm, "RSA_2048",
          "key create: RSA_2048 or RSA_4096");
ABSL_FLAG(std::string, out, "",
          "key create: where to write the key file (mode 0600; never "
          "overwritten)");
ABSL_FLAG(std::string, key, "", "iam token: the authorized key file");
ABSL_FLAG(std::string, audience, tokend::iam::kYandexIamAudience,
          "iam token: the aud of the service-account JWT");

namespace tokend::tokenctl {

const char kIamUsage[] =
    "  sa create NAME [DESCRIPTION] | sa list | sa delete ID\n"
    "  sa set-token-creators ID [SUBJECT...]\n"
    "  key create --service_account_id=ID [--algorithm=RSA_2048|RSA_4096] "
    "--out=key.json\n"
    "  key list SERVICE_ACCOUNT_ID | key delete KEY_ID\n"
    "  oauth create ACCOUNT_ID [DESCRIPTION] | oauth revoke ID_OR_TOKEN\n"
    "  iam token --key=key.json [--audience=URL]\n";

namespace {

namespace tiam = ::tokend::iam::v1;
namespace yiam = ::yandex::cloud::iam::v1;

using Args = std::vector<std::string>;

std::string Arg(const Args& args, size_t i) {
  return i < args.size() ? args[i] : "";
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::optional<int> ServiceAccounts(const Args& args) {
  const std::string sub = Arg(args, 1);
  if (!((sub == "create" && (args.size() == 3 || args.size() == 4)) ||
        (sub == "list" && args.size() == 2) ||
        (sub == "delete" && args.size() == 3) ||
        (sub == "set-token-creators" && args.size() >= 3))) {
    return std::nullopt;
  }
  auto stub = tiam::ServiceAccountService::NewStub(Connect());
  grpc::ClientContext context;
  AddAdminKey(&context);
  if (sub == "create") {
    tiam::CreateServiceAccountRequest request;
    request.set_name(args[2]);
    request.set_description(Arg(args, 3));
    tiam::ServiceAccount response;
    return PrintOrFail(stub->Create(&context, request, &response), response);
  }
  if (sub == "list") {
    // Every page, printed as one list.
    tiam::ListServiceAccountsResponse all;
    tiam::ListServiceAccountsRequest request;
    for (bool first = true; first || !request.page_token().empty();
         first = false) {
      grpc::ClientContext page_context;
      AddAdminKey(&page_context);
      tiam::ListServiceAccountsResponse page;
      grpc::Status status = stub->List(&page_context, request, &page);
      if (!status.ok()) return ReportStatus(status);
      for (auto& account : *page.mutable_service_accounts()) {
        *all.add_service_accounts() = std::move(account);
      }
      request.set_page_token(page.next_page_token());
    }
    return PrintOrFail(grpc::Status::OK, all);
  }
  if (sub == "delete") {
    tiam::DeleteServiceAccountRequest request;
    request.set_service_account_id(args[2]);
    google::protobuf::Empty response;
    return PrintOrFail(stub->Delete(&context, request, &response), response);
  }
  tiam::SetTokenCreatorsRequest request;
  request.set_service_account_id(args[2]);
  for (size_t i = 3; i < args.size(); ++i) request.add_token_creators(args[i]);
  tiam::ServiceAccount response;
  return PrintOrFail(stub->SetTokenCreators(&context, request, &response),
                     response);
}

// Creates --out exclusively (mode 0600) before asking for the key, so that a
// key is never created that cannot be written; removes it if the call fails.
int CreateKey() {
  const std::string out = absl::GetFlag(FLAGS_out);
  const std::string account = absl::GetFlag(FLAGS_service_account_id);
  if (out.empty()) Fail("key create needs --out=FILE");
  if (account.empty()) Fail("key create needs --service_account_id=ID");
  yiam::Key::Algorithm algorithm;
  if (!yiam::Key::Algorithm_Parse(absl::GetFlag(FLAGS_algorithm), &algorithm) ||
      algorithm == yiam::Key::ALGORITHM_UNSPECIFIED) {
    Fail("--algorithm must be RSA_2048 or RSA_4096");
  }
  const int fd =
      ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    Fail(absl::StrCat("cannot create ", out, ": ", std::strerror(errno),
                      errno == EEXIST ? " (refusing to overwrite)" : ""));
  }
  auto abandon = [&] {
    ::close(fd);
    ::unlink(out.c_str());
  };
  if (::fchmod(fd, 0600) != 0) {
    abandon();
    Fail(absl::StrCat("cannot chmod ", out, ": ", std::strerror(errno)));
  }

  auto stub = yiam::KeyService::NewStub(Connect());
  grpc::ClientContext context;
  AddAdminKey(&context);
  yiam::CreateKeyRequest request;
  request.set_service_account_id(account);
  request.set_key_algorithm(algorithm);
  yiam::CreateKeyResponse response;
  grpc::Status status = stub->Create(&context, request, &response);
  if (!status.ok()) {
    abandon();
    return ReportStatus(status);
  }

  const yiam::Key& key = response.key();
  store::AuthorizedKeyRecord record;
  record.id = key.id();
  record.service_account_id = key.service_account_id();
  record.description = key.description();
  record.key_algorithm = key.key_algorithm() == yiam::Key::RSA_4096
                             ? store::AuthorizedKeyAlgorithm::kRsa4096
                             : store::AuthorizedKeyAlgorithm::kRsa2048;
  record.public_key_pem = key.public_key();
  record.created_at = FromTimestamp(key.created_at());
  const std::string json =
      absl::StrCat(iam::KeyFileJson(record, response.private_key()), "\n");
  size_t written = 0;
  while (written < json.size()) {
    ssize_t n = ::write(fd, json.data() + written, json.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string error = std::strerror(errno);
      abandon();
      Fail(absl::StrCat("cannot write ", out, ": ", error, " (key ", key.id(),
                        " was created; delete it)"));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(out.c_str());
    Fail(absl::StrCat("cannot write ", out, " (key ", key.id(),
                      " was created; delete it)"));
  }
  // The public half only: the private key is in the file.
  return PrintOrFail(grpc::Status::OK, key);
}

std::optional<int> Keys(const Args& args) {
  const std::string sub = Arg(args, 1);
  if (sub == "create" && args.size() == 2) return CreateKey();
  if (!((sub == "list" || sub == "delete") && args.size() == 3)) {
    return std::nullopt;
  }
  auto stub = yiam::KeyService::NewStub(Connect());
  grpc::ClientContext context;
  AddAdminKey(&context);
  if (sub == "list") {
    yiam::ListKeysResponse all;
    yiam::ListKeysRequest request;
    request.set_service_account_id(args[2]);
    for (bool first = true; first || !request.page_token().empty();
         first = false) {
      grpc::ClientContext page_context;
      AddAdminKey(&page_context);
      yiam::ListKeysResponse page;
      grpc::Status status = stub->List(&page_context, request, &page);
      if (!status.ok()) return ReportStatus(status);
      for (auto& key : *page.mutable_keys()) *all.add_keys() = std::move(key);
      request.set_page_token(page.next_page_token());
    }
    return PrintOrFail(grpc::Status::OK, all);
  }
  yiam::DeleteKeyRequest request;
  request.set_key_id(args[2]);
  yandex::cloud::operation::Operation response;
  return PrintOrFail(stub->Delete(&context, request, &response), response);
}

// Resource ids are "aje" + 17 characters (core/iam/ids.h); anything else is
// taken for the token itself.
bool LooksLikeId(const std::string& s) {
  return s.size() == 20 && absl::StartsWith(s, "aje");
}

std::optional<int> OAuthTokens(const Args& args) {
  const std::string sub = Arg(args, 1);
  if (!((sub == "create" && (args.size() == 3 || args.size() == 4)) ||
        (sub == "revoke" && args.size() == 3))) {
    return std::nullopt;
  }
  auto stub = tiam::OAuthTokenService::NewStub(Connect());
  grpc::ClientContext context;
  AddAdminKey(&context);
  if (sub == "create") {
    tiam::CreateOAuthTokenRequest request;
    request.set_account_id(args[2]);
    request.set_description(Arg(args, 3));
    tiam::CreateOAuthTokenResponse response;
    return PrintOrFail(stub->Create(&context, request, &response), response);
  }
  tiam::RevokeOAuthTokenRequest request;
  if (LooksLikeId(args[2])) {
    request.set_oauth_token_id(args[2]);
  } else {
    request.set_oauth_token(args[2]);
  }
  tiam::OAuthToken response;
  return PrintOrFail(stub->Revoke(&context, request, &response), response);
}

// The client library's IamKeyFileSource signs the service-account JWT
// (PS256, kid = key id, one hour) and exchanges it; the response is printed
// as CreateIamTokenResponse, as tokend sent it.
int IamToken() {
  const std::string path = absl::GetFlag(FLAGS_key);
  if (path.empty()) Fail("iam token needs --key=key.json");
  client::IamKeyFileSourceOptions options;
  options.audience = absl::GetFlag(FLAGS_audience);
  auto source = client::IamKeyFileSource::FromFile(path, Connect(), options);
  if (!source.ok()) Fail(source.status().message());
  absl::StatusOr<client::Token> token = (*source)->GetToken({});
  if (!token.ok()) {
    return ReportStatus(
        grpc::Status(static_cast<grpc::StatusCode>(token.status().code()),
                     std::string(token.status().message())));
  }
  yiam::CreateIamTokenResponse response;
  response.set_iam_token(token->value);
  const absl::Duration since_epoch = token->expires_at - absl::UnixEpoch();
  absl::Duration nanos;
  response.mutable_expires_at()->set_seconds(
      absl::IDivDuration(since_epoch, absl::Seconds(1), &nanos));
  response.mutable_expires_at()->set_nanos(
      static_cast<int32_t>(nanos / absl::Nanoseconds(1)));
  return PrintOrFail(grpc::Status::OK, response);
}

}  // namespace

std::optional<int> RunIamCommand(const Args& args) {
  const std::string cmd = Arg(args, 0);
  if (cmd == "sa") return ServiceAccounts(args);
  if (cmd == "key") return Keys(args);
  if (cmd == "oauth") return OAuthTokens(args);
  if (cmd == "iam" && Arg(args, 1) == "token" && args.size() == 2) {
    return IamToken();
  }
  return std::nullopt;
}

}  // namespace tokend::tokenctl
