// libFuzzer target: PathMatcher::Lookup with an arbitrary method and path
// over fixed route tables (the test services of
// tests/server/gateway/path_matcher_test.proto, tokend's real services, and a
// root catch-all). Input: "METHOD\nPATH"; without a newline the method is
// GET. Lookup must never crash and its answer must be self-consistent: a
// match names a registered binding for the request's method (HEAD may use
// GET) with one value per template variable; 405 lists sorted, distinct
// methods that exclude the request's; refused shapes are 404.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "server/gateway/path_matcher.h"
#include "tests/server/gateway/path_matcher_test.pb.h"
#include "tokend/admin/v1/api_keys.pb.h"
#include "tokend/iam/v1/service_accounts.pb.h"
#include "tokend/keys/v1/keyring.pb.h"
#include "tokend/verify/v1/verification.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace {

using ::google::protobuf::FileDescriptor;
using ::google::protobuf::ServiceDescriptor;
using ::tokend::gateway::LookupResult;
using ::tokend::gateway::MethodBinding;
using ::tokend::gateway::PathMatcher;

void Check(bool ok) {
  if (!ok) std::abort();
}

std::unique_ptr<PathMatcher> MustBuild(
    const std::vector<std::pair<const FileDescriptor*, const char*>>& names) {
  std::vector<const ServiceDescriptor*> services;
  for (const auto& [file, name] : names) {
    const ServiceDescriptor* s = file->FindServiceByName(name);
    Check(s != nullptr);
    services.push_back(s);
  }
  auto m = PathMatcher::Build(services);
  Check(m.ok());
  return *std::move(m);
}

const std::vector<std::unique_ptr<PathMatcher>>& Matchers() {
  static const auto* matchers = [] {
    const FileDescriptor* test =
        tokend::testing::gateway::Thing::descriptor()->file();
    auto* v = new std::vector<std::unique_ptr<PathMatcher>>();
    v->push_back(MustBuild({{test, "ThingService"},
                            {test, "FileService"},
                            {test, "MiscService"}}));
    v->push_back(MustBuild({
        {yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor()->file(),
         "IamTokenService"},
        {yandex::cloud::iam::v1::GetKeyRequest::descriptor()->file(),
         "KeyService"},
        {tokend::keys::v1::Jwk::descriptor()->file(), "KeyringService"},
        {tokend::iam::v1::ServiceAccount::descriptor()->file(),
         "ServiceAccountService"},
        {tokend::iam::v1::ServiceAccount::descriptor()->file(),
         "OAuthTokenService"},
        {tokend::verify::v1::VerifyRequest::descriptor()->file(),
         "VerificationService"},
        {tokend::admin::v1::ApiKey::descriptor()->file(), "ApiKeyService"},
    }));
    v->push_back(MustBuild({{test, "CatchAllService"}}));
    return v;
  }();
  return *matchers;
}

void CheckResult(const PathMatcher& m, absl::string_view method,
                 absl::string_view path, const LookupResult& r) {
  const bool refused_shape = path.empty() || path[0] != '/' ||
                             path.size() > tokend::gateway::kMaxPathBytes ||
                             (path.size() > 1 && path.back() == '/');
  switch (r.kind) {
    case LookupResult::kNoRoute:
      Check(r.match.binding == nullptr && r.allowed.empty());
      break;
    case LookupResult::kMatch: {
      Check(!refused_shape);
      const MethodBinding* b = r.match.binding;
      Check(b != nullptr);
      Check(std::any_of(m.bindings().begin(), m.bindings().end(),
                        [&](const auto& p) { return p.get() == b; }));
      Check(b->http_method == method ||
            (method == "HEAD" && b->http_method == "GET"));
      Check(r.match.variables.size() == b->path.variables.size());
      for (size_t i = 0; i < r.match.variables.size(); ++i) {
        Check(r.match.variables[i].first ==
              absl::StrJoin(b->path.variables[i].field_path, "."));
      }
      Check(r.allowed.empty());
      break;
    }
    case LookupResult::kMethodNotAllowed:
      Check(!refused_shape);
      Check(r.match.binding == nullptr);
      Check(!r.allowed.empty());
      Check(std::is_sorted(r.allowed.begin(), r.allowed.end()));
      Check(std::adjacent_find(r.allowed.begin(), r.allowed.end()) ==
            r.allowed.end());
      Check(std::find(r.allowed.begin(), r.allowed.end(), method) ==
            r.allowed.end());
      if (method == "HEAD") {
        Check(std::find(r.allowed.begin(), r.allowed.end(), "GET") ==
              r.allowed.end());
      }
      // Every allowed method does match.
      for (const std::string& other : r.allowed) {
        Check(m.Lookup(other, path).kind == LookupResult::kMatch);
      }
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::string_view method = "GET";
  absl::string_view path = input;
  size_t newline = input.find('\n');
  if (newline != absl::string_view::npos) {
    method = input.substr(0, newline);
    path = input.substr(newline + 1);
  }
  for (const auto& m : Matchers()) {
    CheckResult(*m, method, path, m->Lookup(method, path));
  }
  return 0;
}
