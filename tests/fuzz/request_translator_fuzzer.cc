// libFuzzer target: the gateway's request translator over arbitrary HTTP
// inputs. Input layout, split at the first three '\n' (missing parts are
// empty): "<binding>\n<content-type>\n<query>\n<body>", where the first byte of
// <binding> picks one of the fixed bindings below (mod their count), over the
// translator test message (every field kind) and real tokend requests.
// Invariants beyond "no crash":
//   - failures are INVALID_ARGUMENT only (the bindings are valid, so never
//     INTERNAL), with a non-empty message of printable ASCII under 1 KiB
//     (client bytes are always escaped and cut), and IsUnsupportedMediaType
//     exactly when the message says "unsupported Content-Type";
//   - on success the path variables hold their values (the path wins);
//   - on success the message prints as proto3 JSON and that JSON, sent back
//     as a body "*" request, rebuilds an equal message (NaN == NaN).
#include <google/protobuf/message.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "server/gateway/content_type.h"
#include "server/gateway/request_translator.h"
#include "server/gateway/response_translator.h"
#include "tests/server/gateway/translator_test.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace {

using ::google::protobuf::Message;
using ::tokend::gateway::HttpRequestParts;
using ::tokend::gateway::RequestBinding;
using ::tokend::testing::gateway::translator::Everything;

struct Fixed {
  const Message* prototype;
  RequestBinding binding;
};

const std::vector<Fixed>& Bindings() {
  static const auto* const kBindings = [] {
    auto* bindings = new std::vector<Fixed>;
    auto add = [bindings](
                   const Message& prototype, std::string body,
                   std::vector<std::pair<std::string, std::string>> path) {
      Fixed fixed{&prototype, {}};
      fixed.binding.body = std::move(body);
      fixed.binding.path_variables = std::move(path);
      bindings->push_back(std::move(fixed));
    };
    const Message& everything = Everything::default_instance();
    add(everything, "*", {});
    add(everything, "inner", {{"str", "p"}, {"inner.name", "n"}});
    add(everything, "", {{"inner.leaf.value", "v"}, {"i64", "7"}});
    add(everything, "tags", {{"beta", "3"}});
    add(everything, "meta", {});
    add(yandex::cloud::iam::v1::CreateIamTokenRequest::default_instance(), "*",
        {});
    add(yandex::cloud::iam::v1::GetKeyRequest::default_instance(), "",
        {{"key_id", "k"}});
    add(yandex::cloud::iam::v1::ListKeysRequest::default_instance(), "", {});
    return bindings;
  }();
  return *kBindings;
}

absl::string_view NextLine(absl::string_view* rest) {
  const size_t nl = rest->find('\n');
  absl::string_view line = rest->substr(0, nl);
  rest->remove_prefix(nl == absl::string_view::npos ? rest->size() : nl + 1);
  return line;
}

void CheckFailure(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  const absl::string_view message = status.message();
  if (message.empty() || message.size() >= 1024) std::abort();
  for (char c : message) {
    if (c < 0x20 || c > 0x7e) std::abort();
  }
  if (tokend::gateway::IsUnsupportedMediaType(status) !=
      absl::StartsWith(message, "unsupported Content-Type")) {
    std::abort();
  }
}

// The path variables' values, read back through the same paths.
void CheckPathVariables(const Fixed& fixed, const Message& message) {
  if (message.GetDescriptor() != Everything::descriptor()) {
    if (fixed.binding.path_variables.empty()) return;
    const auto& request =
        static_cast<const yandex::cloud::iam::v1::GetKeyRequest&>(message);
    if (request.key_id() != "k") std::abort();
    return;
  }
  const auto& m = static_cast<const Everything&>(message);
  for (const auto& [path, value] : fixed.binding.path_variables) {
    const bool ok =
        (path == "str" && m.str() == value) ||
        (path == "inner.name" && m.inner().name() == value) ||
        (path == "inner.leaf.value" && m.inner().leaf().value() == value) ||
        (path == "i64" && m.i64() == 7) || (path == "beta" && m.beta() == 3);
    if (!ok) std::abort();
  }
}

void CheckRoundTrip(const Message& message) {
  absl::StatusOr<std::string> json =
      tokend::gateway::TranslateResponse(message, {});
  if (!json.ok()) std::abort();
  std::unique_ptr<Message> back(message.New());
  RequestBinding star;
  star.body = "*";
  const absl::Status status = tokend::gateway::TranslateRequest(
      star, HttpRequestParts{"application/json", *json, ""}, back.get());
  if (!status.ok()) std::abort();
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  if (!differencer.Compare(message, *back)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view rest(reinterpret_cast<const char*>(data), size);
  const absl::string_view selector = NextLine(&rest);
  const absl::string_view content_type = NextLine(&rest);
  const absl::string_view query = NextLine(&rest);
  const absl::string_view body = rest;
  const std::vector<Fixed>& bindings = Bindings();
  const Fixed& fixed =
      bindings[selector.empty()
                   ? 0
                   : static_cast<unsigned char>(selector[0]) % bindings.size()];

  std::unique_ptr<Message> message(fixed.prototype->New());
  const absl::Status status = tokend::gateway::TranslateRequest(
      fixed.binding, HttpRequestParts{content_type, body, query},
      message.get());
  if (!status.ok()) {
    CheckFailure(status);
    return 0;
  }
  CheckPathVariables(fixed, *message);
  CheckRoundTrip(*message);
  return 0;
}
