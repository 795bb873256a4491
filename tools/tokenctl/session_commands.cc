#include "tools/tokenctl/session_commands.h"

#include <cstdint>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tokend/sessions/v1/resources.pb.h"
#include "tokend/sessions/v1/services.grpc.pb.h"
#include "tools/tokenctl/ctl_common.h"

ABSL_FLAG(std::string, first_name, "", "users create: the first name");
ABSL_FLAG(std::string, last_name, "", "users create: the last name");
ABSL_FLAG(std::string, username, "", "users create: the username");
ABSL_FLAG(std::string, external_id, "",
          "users create: the id of the user in your own system");
ABSL_FLAG(std::vector<std::string>, email, {},
          "users create: email addresses, repeated or comma-separated; the "
          "first is the primary address");
ABSL_FLAG(std::string, public_metadata, "",
          "users create: public metadata, a JSON object");
ABSL_FLAG(std::string, user_id, "",
          "sessions create: the session's user (required); sessions list: "
          "only this user's sessions");
ABSL_FLAG(std::optional<int64_t>, expires_in_seconds, std::nullopt,
          "sessions create: the session's lifetime (default 7 days); "
          "sessions token: the token's lifetime (default 60 s, or the "
          "template's)");
ABSL_FLAG(std::string, status, "",
          "sessions list: only sessions in this state (active, revoked, "
          "ended, expired)");
ABSL_FLAG(std::optional<int32_t>, limit, std::nullopt,
          "sessions list: at most this many sessions, 1..500 (default: all)");
ABSL_FLAG(std::string, template, "",
          "sessions token: render the token from this JWT template");
ABSL_FLAG(std::string, name, "", "templates create/update: the template name");
ABSL_FLAG(std::string, claims, "",
          "templates create/update: the claims, a JSON object with "
          "{{shortcodes}}");
ABSL_FLAG(std::optional<int32_t>, lifetime, std::nullopt,
          "templates create/update: token lifetime in seconds (default 60)");
ABSL_FLAG(std::optional<int32_t>, allowed_clock_skew, std::nullopt,
          "templates create/update: allowed clock skew in seconds (default 5)");
ABSL_FLAG(std::string, signing_algorithm, "",
          "templates create/update: sign with a key of your own with this "
          "algorithm (RS256, ES256, EdDSA, HS256, ...; needs "
          "--signing_key_file); on update, \"none\" goes back to tokend's "
          "session keys");
ABSL_FLAG(std::string, signing_key_file, "",
          "templates create/update: the PEM private key, or the HMAC secret "
          "for HS* (trailing whitespace is not part of it)");

namespace tokend::tokenctl {

const char kSessionUsage[] =
    "  users create [--first_name=] [--last_name=] [--username=] "
    "[--external_id=]\n"
    "               [--email=A@B]... [--public_metadata=JSON]\n"
    "  users get ID | users delete ID\n"
    "  sessions create --user_id=ID [--expires_in_seconds=N]   prints the "
    "client token once\n"
    "  sessions get ID | sessions revoke ID\n"
    "  sessions list [--user_id=ID] [--status=STATUS] [--limit=N]\n"
    "  sessions token ID [--template=NAME] [--expires_in_seconds=N]\n"
    "  templates create --name=NAME --claims=JSON [--lifetime=S] "
    "[--allowed_clock_skew=S]\n"
    "                   [--signing_algorithm=ALG "
    "--signing_key_file=PEM_OR_SECRET_FILE]\n"
    "  templates update ID [flags of create; those not given are kept;\n"
    "                   --signing_algorithm=none drops a custom key]\n"
    "  templates get ID | templates list | templates delete ID\n";

namespace {

namespace sv1 = ::tokend::sessions::v1;

using Args = std::vector<std::string>;

std::string Arg(const Args& args, size_t i) {
  return i < args.size() ? args[i] : "";
}

// Protobuf's JSON with each field's json_name (Clerk's snake_case).
std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    Fail("cannot print the response as JSON");
  }
  if (pretty && !absl::EndsWith(json, "\n")) json.push_back('\n');
  return json;
}

// The failed status (exit 1), or `message` as one JSON object (exit 0).
int Print(const grpc::Status& status,
          const google::protobuf::Message& message) {
  if (!status.ok()) return ReportStatus(status);
  std::cout << ToJson(message, /*pretty=*/true);
  return 0;
}

// `items` as one JSON array, as the REST surface answers a list; each item
// printed as Print would, in the order of its fields.
template <typename Item>
int PrintList(const google::protobuf::RepeatedPtrField<Item>& items) {
  std::string json = "[";
  for (const Item& item : items) {
    // JSON strings hold no raw newline: every one starts a line to indent.
    json += json.size() == 1 ? "\n " : ",\n ";
    json += absl::StrReplaceAll(
        absl::StripTrailingAsciiWhitespace(ToJson(item, /*pretty=*/true)),
        {{"\n", "\n "}});
  }
  json += items.empty() ? "]\n" : "\n]\n";
  std::cout << json;
  return 0;
}

// The value of --FLAG, which must be a JSON object, or Fail().
google::protobuf::Struct MustParseObject(absl::string_view flag,
                                         const std::string& json) {
  google::protobuf::Struct object;
  auto status = google::protobuf::util::JsonStringToMessage(json, &object);
  if (!status.ok()) {
    Fail(absl::StrCat("--", flag,
                      " must be a JSON object: ", status.message().ToString()));
  }
  return object;
}

// A stub's call with a fresh context carrying the admin key.
template <typename Stub, typename Method, typename Request, typename Response>
grpc::Status Call(Stub& stub, Method method, const Request& request,
                  Response* response) {
  grpc::ClientContext context;
  AddAdminKey(&context);
  return (stub.*method)(&context, request, response);
}

std::optional<int> Users(const Args& args) {
  const std::string sub = Arg(args, 1);
  if (!((sub == "create" && args.size() == 2) ||
        ((sub == "get" || sub == "delete") && args.size() == 3))) {
    return std::nullopt;
  }
  auto stub = sv1::UserService::NewStub(Connect());
  if (sub == "create") {
    sv1::CreateUserRequest request;
    request.set_first_name(absl::GetFlag(FLAGS_first_name));
    request.set_last_name(absl::GetFlag(FLAGS_last_name));
    request.set_username(absl::GetFlag(FLAGS_username));
    request.set_external_id(absl::GetFlag(FLAGS_external_id));
    for (const std::string& email : absl::GetFlag(FLAGS_email)) {
      absl::string_view address = absl::StripAsciiWhitespace(email);
      if (!address.empty()) request.add_email_address(std::string(address));
    }
    const std::string metadata = absl::GetFlag(FLAGS_public_metadata);
    if (!metadata.empty()) {
      *request.mutable_public_metadata() =
          MustParseObject("public_metadata", metadata);
    }
    sv1::User response;
    return Print(
        Call(*stub, &sv1::UserService::Stub::CreateUser, request, &response),
        response);
  }
  if (sub == "get") {
    sv1::GetUserRequest request;
    request.set_user_id(args[2]);
    sv1::User response;
    return Print(
        Call(*stub, &sv1::UserService::Stub::GetUser, request, &response),
        response);
  }
  sv1::DeleteUserRequest request;
  request.set_user_id(args[2]);
  sv1::DeletedObject response;
  return Print(
      Call(*stub, &sv1::UserService::Stub::DeleteUser, request, &response),
      response);
}

// Without --limit, every session: pages of the server's largest limit.
int ListSessions() {
  constexpr int32_t kPage = 500;
  auto stub = sv1::SessionService::NewStub(Connect());
  sv1::ListSessionsRequest request;
  request.set_user_id(absl::GetFlag(FLAGS_user_id));
  request.set_status(absl::GetFlag(FLAGS_status));
  const std::optional<int32_t> limit = absl::GetFlag(FLAGS_limit);
  sv1::ListSessionsResponse all;
  if (limit.has_value()) {
    request.set_limit(*limit);
    grpc::Status status =
        Call(*stub, &sv1::SessionService::Stub::ListSessions, request, &all);
    if (!status.ok()) return ReportStatus(status);
    return PrintList(all.data());
  }
  request.set_limit(kPage);
  for (;;) {
    sv1::ListSessionsResponse page;
    grpc::Status status =
        Call(*stub, &sv1::SessionService::Stub::ListSessions, request, &page);
    if (!status.ok()) return ReportStatus(status);
    for (auto& session : *page.mutable_data()) {
      *all.add_data() = std::move(session);
    }
    if (page.data_size() < kPage) break;
    request.set_offset(request.offset() + kPage);
  }
  return PrintList(all.data());
}

int SessionToken(const std::string& session_id) {
  auto stub = sv1::SessionTokenService::NewStub(Connect());
  const std::optional<int64_t> expires_in =
      absl::GetFlag(FLAGS_expires_in_seconds);
  const std::string template_name = absl::GetFlag(FLAGS_template);
  sv1::Token response;
  if (template_name.empty()) {
    sv1::CreateSessionTokenRequest request;
    request.set_session_id(session_id);
    if (expires_in.has_value()) request.set_expires_in_seconds(*expires_in);
    return Print(
        Call(*stub, &sv1::SessionTokenService::Stub::CreateSessionToken,
             request, &response),
        response);
  }
  sv1::CreateSessionTokenFromTemplateRequest request;
  request.set_session_id(session_id);
  request.set_template_name(template_name);
  if (expires_in.has_value()) request.set_expires_in_seconds(*expires_in);
  return Print(
      Call(*stub,
           &sv1::SessionTokenService::Stub::CreateSessionTokenFromTemplate,
           request, &response),
      response);
}

std::optional<int> Sessions(const Args& args) {
  const std::string sub = Arg(args, 1);
  if (sub == "list" && args.size() == 2) return ListSessions();
  if (sub == "token" && args.size() == 3) return SessionToken(args[2]);
  if (!((sub == "create" && args.size() == 2) ||
        ((sub == "get" || sub == "revoke") && args.size() == 3))) {
    return std::nullopt;
  }
  auto stub = sv1::SessionService::NewStub(Connect());
  sv1::Session response;
  if (sub == "create") {
    sv1::CreateSessionRequest request;
    request.set_user_id(absl::GetFlag(FLAGS_user_id));
    if (request.user_id().empty()) Fail("sessions create needs --user_id=ID");
    if (auto expires_in = absl::GetFlag(FLAGS_expires_in_seconds)) {
      request.set_expires_in_seconds(*expires_in);
    }
    return Print(Call(*stub, &sv1::SessionService::Stub::CreateSession, request,
                      &response),
                 response);
  }
  if (sub == "get") {
    sv1::GetSessionRequest request;
    request.set_session_id(args[2]);
    return Print(
        Call(*stub, &sv1::SessionService::Stub::GetSession, request, &response),
        response);
  }
  sv1::RevokeSessionRequest request;
  request.set_session_id(args[2]);
  return Print(Call(*stub, &sv1::SessionService::Stub::RevokeSession, request,
                    &response),
               response);
}

// What a JWT template create or update sends.
struct TemplateFields {
  std::string name;
  google::protobuf::Struct claims;
  std::optional<int32_t> lifetime;
  std::optional<int32_t> allowed_clock_skew;
  bool custom_signing_key = false;
  std::string signing_algorithm;
  std::string signing_key;
};

template <typename Request>
void SetTemplateFields(TemplateFields fields, Request* request) {
  request->set_name(std::move(fields.name));
  *request->mutable_claims() = std::move(fields.claims);
  if (fields.lifetime.has_value()) request->set_lifetime(*fields.lifetime);
  if (fields.allowed_clock_skew.has_value()) {
    request->set_allowed_clock_skew(*fields.allowed_clock_skew);
  }
  request->set_custom_signing_key(fields.custom_signing_key);
  request->set_signing_algorithm(std::move(fields.signing_algorithm));
  request->set_signing_key(std::move(fields.signing_key));
}

// The flags of `templates create` and `templates update` over `current` (the
// template as it is, for update; the defaults for create).
TemplateFields TemplateFlags(const std::string& command,
                             const sv1::JwtTemplate* current) {
  TemplateFields fields;
  fields.name = absl::GetFlag(FLAGS_name);
  const std::string claims = absl::GetFlag(FLAGS_claims);
  if (!claims.empty()) fields.claims = MustParseObject("claims", claims);
  fields.lifetime = absl::GetFlag(FLAGS_lifetime);
  fields.allowed_clock_skew = absl::GetFlag(FLAGS_allowed_clock_skew);
  if (current == nullptr) {
    if (fields.name.empty()) Fail(command + " needs --name=NAME");
    if (claims.empty()) Fail(command + " needs --claims=JSON_OBJECT");
  } else {
    if (fields.name.empty()) fields.name = current->name();
    if (claims.empty()) fields.claims = current->claims();
    if (!fields.lifetime.has_value() && current->has_lifetime()) {
      fields.lifetime = current->lifetime();
    }
    if (!fields.allowed_clock_skew.has_value() &&
        current->has_allowed_clock_skew()) {
      fields.allowed_clock_skew = current->allowed_clock_skew();
    }
  }

  const std::string algorithm = absl::GetFlag(FLAGS_signing_algorithm);
  const std::string key_file = absl::GetFlag(FLAGS_signing_key_file);
  if (algorithm == "none") {
    if (!key_file.empty()) {
      Fail("--signing_key_file makes no sense with --signing_algorithm=none");
    }
  } else if (!algorithm.empty()) {
    if (key_file.empty()) {
      Fail("--signing_algorithm needs --signing_key_file=PEM_OR_SECRET_FILE");
    }
    fields.custom_signing_key = true;
    fields.signing_algorithm = algorithm;
    fields.signing_key =
        std::string(absl::StripTrailingAsciiWhitespace(MustRead(key_file)));
  } else if (!key_file.empty()) {
    Fail("--signing_key_file needs --signing_algorithm=ALG");
  } else if (current != nullptr && current->custom_signing_key()) {
    // tokend never returns the key, so an update without it would drop it.
    Fail(absl::StrCat(
        "template ", current->id(),
        " signs with a key of its own, which tokend never returns: give "
        "--signing_algorithm and --signing_key_file again, or "
        "--signing_algorithm=none to sign with tokend's session keys"));
  }
  return fields;
}

std::optional<int> Templates(const Args& args) {
  const std::string sub = Arg(args, 1);
  if (!(((sub == "create" || sub == "list") && args.size() == 2) ||
        ((sub == "get" || sub == "update" || sub == "delete") &&
         args.size() == 3))) {
    return std::nullopt;
  }
  using Stub = sv1::JwtTemplateService::Stub;
  auto stub = sv1::JwtTemplateService::NewStub(Connect());
  if (sub == "create") {
    sv1::CreateJwtTemplateRequest request;
    SetTemplateFields(TemplateFlags("templates create", nullptr), &request);
    sv1::JwtTemplate response;
    return Print(Call(*stub, &Stub::CreateJwtTemplate, request, &response),
                 response);
  }
  if (sub == "list") {
    sv1::ListJwtTemplatesRequest request;  // limit 0: all of them
    sv1::ListJwtTemplatesResponse response;
    grpc::Status status =
        Call(*stub, &Stub::ListJwtTemplates, request, &response);
    if (!status.ok()) return ReportStatus(status);
    return PrintList(response.data());
  }
  if (sub == "delete") {
    sv1::DeleteJwtTemplateRequest request;
    request.set_template_id(args[2]);
    sv1::DeletedObject response;
    return Print(Call(*stub, &Stub::DeleteJwtTemplate, request, &response),
                 response);
  }
  sv1::GetJwtTemplateRequest get;
  get.set_template_id(args[2]);
  sv1::JwtTemplate current;
  grpc::Status status = Call(*stub, &Stub::GetJwtTemplate, get, &current);
  if (sub == "get" || !status.ok()) return Print(status, current);
  // UpdateJwtTemplate replaces the template: send what is kept as well.
  sv1::UpdateJwtTemplateRequest request;
  request.set_template_id(args[2]);
  SetTemplateFields(TemplateFlags("templates update", &current), &request);
  sv1::JwtTemplate response;
  return Print(Call(*stub, &Stub::UpdateJwtTemplate, request, &response),
               response);
}

}  // namespace

std::optional<int> RunSessionCommand(const Args& args) {
  const std::string cmd = Arg(args, 0);
  if (cmd == "users") return Users(args);
  if (cmd == "sessions") return Sessions(args);
  if (cmd == "templates") return Templates(args);
  return std::nullopt;
}

std::vector<std::string> JoinRepeatedFlag(const std::vector<std::string>& argv,
                                          absl::string_view name) {
  std::vector<std::string> out;
  std::vector<std::string> values;
  std::optional<size_t> first;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--") {
      out.insert(out.end(), argv.begin() + i, argv.end());
      break;
    }
    absl::string_view arg = argv[i];
    std::optional<std::string> value;
    // argv[0] is the program; "-NAME" and "--NAME" are the same flag.
    if (i > 0 && absl::ConsumePrefix(&arg, "-")) {
      absl::ConsumePrefix(&arg, "-");
      if (arg == name && i + 1 < argv.size()) {
        value = argv[++i];
      } else if (absl::ConsumePrefix(&arg, name) &&
                 absl::ConsumePrefix(&arg, "=")) {
        value = std::string(arg);
      }
    }
    if (!value.has_value()) {
      out.push_back(argv[i]);
      continue;
    }
    if (!first.has_value()) {
      first = out.size();
      out.emplace_back();
    }
    values.push_back(*std::move(value));
  }
  if (first.has_value()) {
    out[*first] = absl::StrCat("--", name, "=", absl::StrJoin(values, ","));
  }
  return out;
}

}  // namespace tokend::tokenctl
