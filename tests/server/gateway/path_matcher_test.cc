#include "server/gateway/path_matcher.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/api/annotations.pb.h"
#include "tests/server/gateway/path_matcher_test.pb.h"
#include "tokend/admin/v1/api_keys.pb.h"
#include "tokend/api/v1/gateway.pb.h"
#include "tokend/iam/v1/service_accounts.pb.h"
#include "tokend/keys/v1/keyring.pb.h"
#include "tokend/sessions/v1/services.pb.h"
#include "tokend/verify/v1/verification.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace tokend::gateway {
namespace {

// absl::StrRepeat is newer than Debian's Abseil.
std::string Repeat(absl::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FileDescriptor;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::ServiceDescriptor;

// Services of a generated file; naming a message of the file keeps its
// descriptor linked in.
std::vector<const ServiceDescriptor*> Services(
    const FileDescriptor* file, const std::vector<std::string>& names) {
  std::vector<const ServiceDescriptor*> out;
  for (const std::string& name : names) {
    const ServiceDescriptor* s = file->FindServiceByName(name);
    EXPECT_NE(s, nullptr) << name;
    if (s != nullptr) out.push_back(s);
  }
  return out;
}

const FileDescriptor* TestFile() {
  return testing::gateway::Thing::descriptor()->file();
}

std::unique_ptr<PathMatcher> MustBuild(
    const std::vector<const ServiceDescriptor*>& services) {
  absl::StatusOr<std::unique_ptr<PathMatcher>> m = PathMatcher::Build(services);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *std::move(m) : nullptr;
}

// A lookup as one line: "Rpc[#rule] var=value ..." for a match (Rpc is the
// method's name, or its full name with full_names), "404", or
// "405 M1,M2,...".
std::string Describe(const LookupResult& r, bool full_names = false) {
  switch (r.kind) {
    case LookupResult::kNoRoute:
      return "404";
    case LookupResult::kMethodNotAllowed:
      return absl::StrCat("405 ", absl::StrJoin(r.allowed, ","));
    case LookupResult::kMatch:
      break;
  }
  const MethodBinding& b = *r.match.binding;
  std::string out = full_names ? b.method->full_name() : b.method->name();
  if (b.rule_index > 0) absl::StrAppend(&out, "#", b.rule_index);
  for (const auto& [name, value] : r.match.variables) {
    absl::StrAppend(&out, " ", name, "=", value);
  }
  return out;
}

struct LookupCase {
  std::string method;
  std::string path;
  std::string expected;
};

std::string CaseName(const ::testing::TestParamInfo<LookupCase>& info) {
  return absl::StrCat("case", info.index);
}

// ThingService + FileService + MiscService from path_matcher_test.proto.
class TestRoutesTest : public ::testing::TestWithParam<LookupCase> {
 protected:
  static void SetUpTestSuite() {
    matcher_ = MustBuild(Services(TestFile(), {"ThingService", "FileService",
                                               "MiscService"}))
                   .release();
  }
  static void TearDownTestSuite() {
    delete matcher_;
    matcher_ = nullptr;
  }
  static const PathMatcher* matcher_;
};
const PathMatcher* TestRoutesTest::matcher_ = nullptr;

TEST_P(TestRoutesTest, Lookup) {
  ASSERT_NE(matcher_, nullptr);
  const LookupCase& c = GetParam();
  EXPECT_EQ(Describe(matcher_->Lookup(c.method, c.path)), c.expected)
      << c.method << " " << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Basics, TestRoutesTest,
    ::testing::Values(
        LookupCase{"GET", "/v1/things", "ListThings"},
        LookupCase{"POST", "/v1/things", "CreateThing"},
        LookupCase{"QUERY", "/v1/things", "QueryThings"},
        LookupCase{"GET", "/v1/things/abc", "GetThing id=abc"},
        LookupCase{"PATCH", "/v1/things/abc", "UpdateThing id=abc"},
        LookupCase{"DELETE", "/v1/things/abc", "DeleteThing id=abc"},
        LookupCase{"GET", "/v1/things/abc/name", "GetThingName id=abc"},
        LookupCase{"GET", "/v1/nothing", "404"},
        LookupCase{"GET", "/v2/things", "404"},
        LookupCase{"GET", "/v1/things/abc/def", "404"},
        LookupCase{"GET", "/v1", "404"}, LookupCase{"GET", "/", "404"},
        LookupCase{"GET", "/.well-known/jwks.json",
                   "GetWellKnown name=jwks.json"},
        LookupCase{"GET", "/v1/nested/k%2Fx/7",
                   "GetNested inner.key=k/x inner.deep.level=7"},
        LookupCase{"GET", "/v1/typed/-1/true/RED/0.5/x",
                   "GetTyped num=-1 flag=true color=RED ratio=0.5 alt=x"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    AdditionalBindings, TestRoutesTest,
    ::testing::Values(
        LookupCase{"PUT", "/v1/things/abc", "UpdateThing#1 id=abc"},
        LookupCase{"POST", "/v1/things/abc/update", "UpdateThing#2 id=abc"},
        LookupCase{"GET", "/v1/things/abc/update", "405 POST"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    Precedence, TestRoutesTest,
    ::testing::Values(
        // Literal beats "*".
        LookupCase{"GET", "/v1/things/special", "GetSpecialThing"},
        // ... but only among rules of the request's method.
        LookupCase{"DELETE", "/v1/things/special", "DeleteThing id=special"},
        // Literal beats "**", "*" beats "**", with backtracking.
        LookupCase{"GET", "/v1/files/README", "GetReadme"},
        LookupCase{"GET", "/v1/files/README/x", "GetFile path=README/x"},
        LookupCase{"GET", "/v1/files/a/doc", "GetDoc dir=a"},
        LookupCase{"GET", "/v1/files/a/doc/x", "GetFile path=a/doc/x"},
        LookupCase{"GET", "/v1/files/a", "GetFile path=a"},
        LookupCase{"GET", "/v1/files/a/b", "GetFile path=a/b"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    MultiSegment, TestRoutesTest,
    ::testing::Values(LookupCase{"GET", "/v1/files/a/b/c",
                                 "GetFile path=a/b/c"},
                      // "**" matches zero segments.
                      LookupCase{"GET", "/v1/files", "GetFile path="},
                      LookupCase{"PUT", "/v1/files/x/y", "PutFile path=x/y"},
                      LookupCase{"GET", "/v1/projects/p1/keys/k1",
                                 "GetKey name=projects/p1/keys/k1"},
                      LookupCase{"GET", "/v1/projects/p1/keys", "404"},
                      LookupCase{"GET", "/v1/projects/p1/keys/k1/x", "404"},
                      LookupCase{"GET", "/v1/projects/p1/locks/k1", "404"},
                      LookupCase{"GET", "/v1/buckets/b1/blobs/x/y",
                                 "ListBlobs name=buckets/b1 path=x/y"},
                      LookupCase{"GET", "/v1/buckets/b1/blobs",
                                 "ListBlobs name=buckets/b1 path="}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    CustomVerbs, TestRoutesTest,
    ::testing::Values(
        LookupCase{"POST", "/v1/things/abc:revoke", "RevokeThing id=abc"},
        // The verb is after the LAST ':'.
        LookupCase{"POST", "/v1/things/a:b:revoke", "RevokeThing id=a:b"},
        LookupCase{"POST", "/v1/things:cancel", "CancelThings"},
        LookupCase{"GET", "/v1/things:cancel", "405 POST"},
        LookupCase{"GET", "/v1/files/a/b:meta", "GetFileMeta path=a/b"},
        LookupCase{"GET", "/v1/files/a:meta", "GetFileMeta path=a"},
        // No rule for GET with verb "revoke" here: the whole segment is
        // the id.
        LookupCase{"GET", "/v1/things/abc:revoke", "GetThing id=abc:revoke"},
        // An unknown verb stays part of the segment.
        LookupCase{"POST", "/v1/things/abc:unknown",
                   "405 DELETE,GET,HEAD,PATCH,PUT"},
        LookupCase{"GET", "/v1/things/abc:unknown", "GetThing id=abc:unknown"},
        // Verbs are case-sensitive.
        LookupCase{"POST", "/v1/things/abc:REVOKE",
                   "405 DELETE,GET,HEAD,PATCH,PUT"},
        // An escaped ':' is not a verb separator.
        LookupCase{"POST", "/v1/things/abc%3Arevoke",
                   "405 DELETE,GET,HEAD,PATCH,PUT"},
        LookupCase{"GET", "/v1/things/abc%3Arevoke", "GetThing id=abc:revoke"},
        // Nothing before the verb: no verb reading.
        LookupCase{"POST", "/v1/things/:revoke",
                   "405 DELETE,GET,HEAD,PATCH,PUT"},
        LookupCase{"POST", "/v1/things/..:revoke",
                   "405 DELETE,GET,HEAD,PATCH,PUT"},
        // ':' in a route without verbs stays in the variable.
        LookupCase{"GET", "/v1/sessions/a:b", "GetSession id=a:b"},
        LookupCase{"GET", "/v1/sessions/a:revoke", "GetSession id=a:revoke"},
        LookupCase{"GET", "/v1/sessions/a:b:c", "GetSession id=a:b:c"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    MethodNotAllowed, TestRoutesTest,
    ::testing::Values(
        LookupCase{"POST", "/v1/things/abc", "405 DELETE,GET,HEAD,PATCH,PUT"},
        LookupCase{"POST", "/v1/things/special",
                   "405 DELETE,GET,HEAD,PATCH,PUT"},
        LookupCase{"DELETE", "/v1/things", "405 GET,HEAD,POST,QUERY"},
        // Methods are case-sensitive (RFC 9110).
        LookupCase{"get", "/v1/things", "405 GET,HEAD,POST,QUERY"},
        LookupCase{"POST", "/v1/files/x", "405 GET,HEAD,PUT"},
        // Both readings count: GET (verb "meta") and GET, PUT (path "x:meta").
        LookupCase{"POST", "/v1/files/x:meta", "405 GET,HEAD,PUT"},
        LookupCase{"OPTIONS", "/v1/things/abc/name", "405 GET,HEAD"},
        // HEAD falls back to GET.
        LookupCase{"HEAD", "/v1/things", "ListThings"},
        LookupCase{"HEAD", "/v1/things/abc", "GetThing id=abc"},
        LookupCase{"HEAD", "/v1/things:cancel", "405 POST"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    PercentDecoding, TestRoutesTest,
    ::testing::Values(
        // One-segment variables decode fully, "%2F" included.
        LookupCase{"GET", "/v1/things/a%2Fb", "GetThing id=a/b"},
        LookupCase{"GET", "/v1/things/a%2fb", "GetThing id=a/b"},
        LookupCase{"GET", "/v1/things/a%20b%41", "GetThing id=a bA"},
        LookupCase{"GET", "/v1/things/%25", "GetThing id=%"},
        LookupCase{"GET", "/v1/things/%252F", "GetThing id=%2F"},
        LookupCase{"GET", "/v1/things/caf%C3%A9", "GetThing id=caf\xc3\xa9"},
        // '+' is a space only in queries.
        LookupCase{"GET", "/v1/things/a+b", "GetThing id=a+b"},
        LookupCase{"GET", "/v1/things/a=b@c;d", "GetThing id=a=b@c;d"},
        // Multi-segment variables keep "%2F" (normalised) and decode the
        // rest.
        LookupCase{"GET", "/v1/files/a%2Fb/c", "GetFile path=a%2Fb/c"},
        LookupCase{"GET", "/v1/files/a%20b/c%2fd", "GetFile path=a b/c%2Fd"},
        LookupCase{"GET", "/v1/projects/p%2F1/keys/k%3A1",
                   "GetKey name=projects/p%2F1/keys/k:1"},
        LookupCase{"GET", "/v1/buckets/b%2F1/blobs/x",
                   "ListBlobs name=buckets/b%2F1 path=x"},
        // Literals compare raw: an escaped literal does not match.
        LookupCase{"GET", "/v1/%74hings", "404"},
        LookupCase{"GET", "/v1/files/READM%45", "GetFile path=README"}),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    RefusedPaths, TestRoutesTest,
    ::testing::Values(
        LookupCase{"GET", "", "404"}, LookupCase{"GET", "v1/things", "404"},
        LookupCase{"GET", "*", "404"}, LookupCase{"GET", "/v1/things/", "404"},
        LookupCase{"GET", "//v1/things", "404"},
        LookupCase{"GET", "/v1//things", "404"},
        LookupCase{"GET", "/v1/./things", "404"},
        LookupCase{"GET", "/v1/things/..", "404"},
        LookupCase{"GET", "/v1/things/.", "404"},
        LookupCase{"GET", "/v1/things/%2e%2E", "404"},
        LookupCase{"GET", "/v1/things/.%2e", "404"},
        LookupCase{"GET", "/v1/things/%2E", "404"},
        LookupCase{"GET", "/v1/files/a/../b", "404"},
        LookupCase{"GET", "/v1/things/a%zz", "404"},
        LookupCase{"GET", "/v1/things/a%2", "404"},
        LookupCase{"GET", "/v1/things/a%", "404"},
        LookupCase{"GET", "/v1/things/a b", "404"},
        LookupCase{"GET", "/v1/things/a?b", "404"},
        LookupCase{"GET", "/v1/things/a#b", "404"},
        LookupCase{"GET", "/v1/things/a\"b", "404"},
        LookupCase{"GET", "/v1/things/a\\b", "404"},
        LookupCase{"GET", "/v1/things/caf\xc3\xa9", "404"},
        LookupCase{"GET", std::string("/v1/things/a\0b", 14), "404"},
        // Not dot segments.
        LookupCase{"GET", "/v1/things/...", "GetThing id=..."},
        LookupCase{"GET", "/v1/things/.a", "GetThing id=.a"},
        LookupCase{"GET", "/v1/things/%2e%2e%2e", "GetThing id=..."}),
    CaseName);

TEST(PathMatcherTest, PathLengthBound) {
  std::unique_ptr<PathMatcher> m =
      MustBuild(Services(TestFile(), {"ThingService"}));
  ASSERT_NE(m, nullptr);
  const std::string prefix = "/v1/things/";
  std::string id(kMaxPathBytes - prefix.size(), 'x');
  LookupResult r = m->Lookup("GET", prefix + id);
  ASSERT_EQ(r.kind, LookupResult::kMatch);
  EXPECT_EQ(r.match.variables[0].second, id);
  EXPECT_EQ(Describe(m->Lookup("GET", prefix + id + "x")), "404");
}

TEST(PathMatcherTest, CatchAllAtTheRoot) {
  std::unique_ptr<PathMatcher> m =
      MustBuild(Services(TestFile(), {"CatchAllService"}));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Describe(m->Lookup("GET", "/")), "Everything path=");
  EXPECT_EQ(Describe(m->Lookup("HEAD", "/")), "Everything path=");
  EXPECT_EQ(Describe(m->Lookup("GET", "/a")), "Everything path=a");
  EXPECT_EQ(Describe(m->Lookup("POST", "/a")), "Root name=a");
  EXPECT_EQ(Describe(m->Lookup("POST", "/a/b")), "405 GET,HEAD");
  EXPECT_EQ(Describe(m->Lookup("DELETE", "/")), "405 GET,HEAD");
  EXPECT_EQ(Describe(m->Lookup("DELETE", "/a")), "405 GET,HEAD,POST");
  EXPECT_EQ(Describe(m->Lookup("GET", "/a/b/c")), "Everything path=a/b/c");
  EXPECT_EQ(Describe(m->Lookup("GET", "/a/b/")), "404");

  // At most kMaxPathSegments segments.
  std::string path = Repeat("/s", kMaxPathSegments);
  LookupResult r = m->Lookup("GET", path);
  ASSERT_EQ(r.kind, LookupResult::kMatch);
  EXPECT_EQ(r.match.variables[0].second, path.substr(1));
  EXPECT_EQ(Describe(m->Lookup("GET", path + "/s")), "404");
}

TEST(PathMatcherTest, BindingsInRegistrationOrder) {
  std::unique_ptr<PathMatcher> m =
      MustBuild(Services(TestFile(), {"ThingService"}));
  ASSERT_NE(m, nullptr);
  std::vector<std::string> rows;
  for (const auto& b : m->bindings()) {
    rows.push_back(absl::StrCat(b->method->name(), "#", b->rule_index, " ",
                                b->http_method, " ", b->path_template, " body=",
                                b->body, " response_body=", b->response_body));
  }
  EXPECT_EQ(
      absl::StrJoin(rows, "\n"),
      absl::StrJoin(
          {
              "ListThings#0 GET /v1/things body= response_body=",
              "CreateThing#0 POST /v1/things body=* response_body=",
              "GetThing#0 GET /v1/things/{id} body= response_body=",
              "GetSpecialThing#0 GET /v1/things/special body= response_body=",
              "UpdateThing#0 PATCH /v1/things/{id} body=inner response_body=",
              "UpdateThing#1 PUT /v1/things/{id} body=* response_body=",
              "UpdateThing#2 POST /v1/things/{id}/update body=* "
              "response_body=",
              "DeleteThing#0 DELETE /v1/things/{id} body= response_body=",
              "RevokeThing#0 POST /v1/things/{id}:revoke body=* "
              "response_body=",
              "CancelThings#0 POST /v1/things:cancel body=* response_body=",
              "GetThingName#0 GET /v1/things/{id}/name body= "
              "response_body=name",
              "QueryThings#0 QUERY /v1/things body=* response_body=",
          },
          "\n"));
  // The parsed template travels with the binding.
  const MethodBinding& revoke = *m->bindings()[8];
  EXPECT_EQ(absl::StrJoin(revoke.path.segments, "/"), "v1/things/*");
  EXPECT_EQ(revoke.path.verb, "revoke");
}

TEST(PathMatcherTest, ConcurrentLookupsAgree) {
  std::unique_ptr<PathMatcher> m = MustBuild(
      Services(TestFile(), {"ThingService", "FileService", "MiscService"}));
  ASSERT_NE(m, nullptr);
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"GET", "/v1/things/abc"},     {"POST", "/v1/things/x:revoke"},
      {"GET", "/v1/files/a/b/c"},    {"POST", "/v1/things/abc"},
      {"GET", "/v1/things/special"}, {"GET", "/nothing"},
  };
  std::vector<std::string> expected;
  for (const auto& [method, path] : requests) {
    expected.push_back(Describe(m->Lookup(method, path)));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        size_t k = (i + t) % requests.size();
        if (Describe(m->Lookup(requests[k].first, requests[k].second)) !=
            expected[k]) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// ---------------------------------------------------------------------------
// The real services.

class RealServicesTest : public ::testing::TestWithParam<LookupCase> {
 protected:
  static void SetUpTestSuite() {
    std::vector<const ServiceDescriptor*> services;
    auto add = [&](const FileDescriptor* file,
                   const std::vector<std::string>& names) {
      for (const ServiceDescriptor* s : Services(file, names)) {
        services.push_back(s);
      }
    };
    add(yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor()->file(),
        {"IamTokenService"});
    add(yandex::cloud::iam::v1::GetKeyRequest::descriptor()->file(),
        {"KeyService"});
    add(tokend::keys::v1::Jwk::descriptor()->file(), {"KeyringService"});
    add(tokend::iam::v1::ServiceAccount::descriptor()->file(),
        {"ServiceAccountService", "OAuthTokenService"});
    add(tokend::verify::v1::VerifyRequest::descriptor()->file(),
        {"VerificationService"});
    add(tokend::admin::v1::ApiKey::descriptor()->file(), {"ApiKeyService"});
    matcher_ = MustBuild(services).release();
  }
  static void TearDownTestSuite() {
    delete matcher_;
    matcher_ = nullptr;
  }
  static const PathMatcher* matcher_;
};
const PathMatcher* RealServicesTest::matcher_ = nullptr;

TEST_P(RealServicesTest, Lookup) {
  ASSERT_NE(matcher_, nullptr);
  const LookupCase& c = GetParam();
  EXPECT_EQ(Describe(matcher_->Lookup(c.method, c.path), /*full_names=*/true),
            c.expected)
      << c.method << " " << c.path;
}

INSTANTIATE_TEST_SUITE_P(
    Routes, RealServicesTest,
    ::testing::Values(
        LookupCase{"POST", "/iam/v1/tokens",
                   "yandex.cloud.iam.v1.IamTokenService.Create"},
        LookupCase{"POST", "/iam/v1/tokens:revoke",
                   "yandex.cloud.iam.v1.IamTokenService.Revoke"},
        LookupCase{"POST", "/iam/v1/tokens:createForServiceAccount",
                   "yandex.cloud.iam.v1.IamTokenService."
                   "CreateForServiceAccount"},
        LookupCase{"GET", "/iam/v1/tokens", "405 POST"},
        LookupCase{"GET", "/iam/v1/tokens:revoke", "405 POST"},
        LookupCase{"POST", "/iam/v1/tokens/", "404"},
        LookupCase{"POST", "/iam/v1/tokens:bogus", "404"},
        LookupCase{"POST", "/iam/v1/tokens%3Arevoke", "404"},
        LookupCase{"GET", "/.well-known/jwks.json",
                   "tokend.keys.v1.KeyringService.GetJwks"},
        LookupCase{"HEAD", "/.well-known/jwks.json",
                   "tokend.keys.v1.KeyringService.GetJwks"},
        LookupCase{"POST", "/.well-known/jwks.json", "405 GET,HEAD"},
        LookupCase{"GET", "/.well-known/jwks.json/", "404"},
        LookupCase{"GET", "/.well-known/openid-configuration",
                   "tokend.keys.v1.KeyringService.GetOpenIdConfiguration"},
        LookupCase{"POST", "/v1/admin/signing-keys:rotate",
                   "tokend.keys.v1.KeyringService.RotateSigningKeys"},
        LookupCase{"GET", "/v1/admin/signing-keys",
                   "tokend.keys.v1.KeyringService.ListSigningKeys"},
        LookupCase{"GET", "/iam/v1/keys/ajek1",
                   "yandex.cloud.iam.v1.KeyService.Get key_id=ajek1"},
        LookupCase{"DELETE", "/iam/v1/keys/ajek1",
                   "yandex.cloud.iam.v1.KeyService.Delete key_id=ajek1"},
        LookupCase{"PATCH", "/iam/v1/keys/ajek1", "405 DELETE,GET,HEAD"},
        LookupCase{"GET", "/iam/v1/keys",
                   "yandex.cloud.iam.v1.KeyService.List"},
        LookupCase{"POST", "/iam/v1/keys",
                   "yandex.cloud.iam.v1.KeyService.Create"},
        LookupCase{"GET", "/iam/v1/serviceAccounts/sa1",
                   "tokend.iam.v1.ServiceAccountService.Get "
                   "service_account_id=sa1"},
        LookupCase{"POST", "/iam/v1/serviceAccounts/sa1:setTokenCreators",
                   "tokend.iam.v1.ServiceAccountService.SetTokenCreators "
                   "service_account_id=sa1"},
        LookupCase{"POST", "/v1/admin/oauthTokens:revoke",
                   "tokend.iam.v1.OAuthTokenService.Revoke"},
        LookupCase{"POST", "/v1/tokens:verify",
                   "tokend.verify.v1.VerificationService.Verify"},
        LookupCase{"POST", "/v1/admin/api-keys/ak_1:revoke",
                   "tokend.admin.v1.ApiKeyService.RevokeApiKey id=ak_1"},
        LookupCase{"GET", "/v1/admin/api-keys/ak_1:revoke", "405 POST"},
        LookupCase{"GET", "/v1/admin/api-keys",
                   "tokend.admin.v1.ApiKeyService.ListApiKeys"}),
    CaseName);

TEST(PathMatcherTest, RealBodiesAreRecorded) {
  std::unique_ptr<PathMatcher> m = MustBuild(Services(
      yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor()->file(),
      {"IamTokenService"}));
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->bindings().size(), 3u);
  for (const auto& b : m->bindings()) {
    EXPECT_EQ(b->http_method, "POST") << b->path_template;
    EXPECT_EQ(b->body, "*") << b->path_template;
  }
  EXPECT_EQ(m->bindings()[2]->path_template, "/iam/v1/tokens:revoke");
}

// ---------------------------------------------------------------------------
// Rule validation, on services built at run time over the test messages.

struct BuildCase {
  std::string name;
  // Text of the methods of service bad.S (MethodDescriptorProto fields),
  // with input and output .tokend.testing.gateway.Thing unless given.
  std::vector<std::string> methods;
  // "" when Build must succeed; otherwise the whole error message.
  std::string error;
};

absl::Status BuildFromText(const std::vector<std::string>& methods) {
  FileDescriptorProto file;
  file.set_name("bad.proto");
  file.set_package("bad");
  file.set_syntax("proto3");
  file.add_dependency(TestFile()->name());
  file.add_dependency("google/api/annotations.proto");
  file.add_dependency("tokend/api/v1/gateway.proto");
  file.add_dependency("tokend/sessions/v1/services.proto");
  auto* service = file.add_service();
  service->set_name("S");
  for (const std::string& text : methods) {
    auto* method = service->add_method();
    if (!google::protobuf::TextFormat::ParseFromString(text, method)) {
      return absl::InternalError(absl::StrCat("bad test text: ", text));
    }
    if (!method->has_input_type()) {
      method->set_input_type(".tokend.testing.gateway.Thing");
    }
    if (!method->has_output_type()) {
      method->set_output_type(".tokend.testing.gateway.Thing");
    }
  }
  DescriptorPool pool(DescriptorPool::generated_pool());
  const FileDescriptor* fd = pool.BuildFile(file);
  if (fd == nullptr) return absl::InternalError("descriptor did not build");
  absl::StatusOr<std::unique_ptr<PathMatcher>> m =
      PathMatcher::Build({fd->service(0)});
  return m.status();
}

class BuildTest : public ::testing::TestWithParam<BuildCase> {};

TEST_P(BuildTest, Validates) {
  // Make sure the extensions and the test messages are linked in.
  ASSERT_NE(google::api::http.number(), 0);
  ASSERT_NE(api::v1::ignored_parameters.number(), 0);
  ASSERT_NE(sessions::v1::CreateServiceTokenRequest::descriptor(), nullptr);
  ASSERT_NE(TestFile(), nullptr);
  absl::Status s = BuildFromText(GetParam().methods);
  if (GetParam().error.empty()) {
    EXPECT_TRUE(s.ok()) << s;
  } else {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_EQ(std::string(s.message()), GetParam().error);
  }
}

std::string M(absl::string_view name, absl::string_view rule) {
  return absl::StrCat("name: \"", name, "\" options { [google.api.http] { ",
                      rule, " } }");
}

// M with (tokend.api.v1.ignored_parameters) = each of `ignored`.
std::string MI(absl::string_view name, absl::string_view rule,
               const std::vector<std::string>& ignored) {
  std::string options;
  for (const std::string& n : ignored) {
    absl::StrAppend(&options, " [tokend.api.v1.ignored_parameters]: \"", n,
                    "\"");
  }
  return absl::StrCat("name: \"", name, "\" options { [google.api.http] { ",
                      rule, " }", options, " }");
}

constexpr char kThing[] = "tokend.testing.gateway.Thing";

INSTANTIATE_TEST_SUITE_P(
    Rules, BuildTest,
    ::testing::Values(
        BuildCase{"ok_typed",
                  {M("M", R"(get: "/v1/{num}/{flag}/{color}/{ratio}/{alt})"
                          R"(/{inner.deep.level}")")},
                  ""},
        BuildCase{"ok_custom_body_field_response_body",
                  {M("M", R"(custom { kind: "QUERY" path: "/v1/x" } )"
                          R"(body: "inner" response_body: "tags")")},
                  ""},
        BuildCase{"ok_delete_with_body",
                  {M("M", R"(delete: "/v1/x" body: "*")")},
                  ""},
        // Same template, different method or verb: no conflict.
        BuildCase{"ok_same_template_other_method",
                  {M("A", R"(get: "/v1/{id}")"), M("B", R"(post: "/v1/{id}")"),
                   M("C", R"(post: "/v1/{id}:go")"),
                   M("D", R"(post: "/v1/{id}:stop")")},
                  ""},
        BuildCase{"no_rule_is_fine", {"name: \"M\""}, ""},
        BuildCase{"bad_template",
                  {M("M", R"(get: "/v1/{id")")},
                  "bad.S.M (google.api.http): invalid path template "
                  "\"/v1/{id\": unterminated variable (missing '}') at "
                  "offset 7"},
        BuildCase{"missing_field",
                  {M("M", R"(get: "/v1/{nope}")")},
                  absl::StrCat("bad.S.M (google.api.http): path variable "
                               "\"nope\": ",
                               kThing, " has no field \"nope\"")},
        BuildCase{"repeated_field",
                  {M("M", R"(get: "/v1/{tags}")")},
                  absl::StrCat("bad.S.M (google.api.http): path variable "
                               "\"tags\": field ",
                               kThing, ".tags is repeated")},
        BuildCase{"map_field",
                  {M("M", R"(get: "/v1/{labels}")")},
                  absl::StrCat("bad.S.M (google.api.http): path variable "
                               "\"labels\": field ",
                               kThing, ".labels is a map")},
        BuildCase{"message_field",
                  {M("M", R"(get: "/v1/{inner}")")},
                  absl::StrCat("bad.S.M (google.api.http): path variable "
                               "\"inner\": field ",
                               kThing,
                               ".inner must be a string, number, bool or "
                               "enum, not message")},
        BuildCase{"bytes_field",
                  {M("M", R"(get: "/v1/{blob}")")},
                  absl::StrCat("bad.S.M (google.api.http): path variable "
                               "\"blob\": field ",
                               kThing,
                               ".blob must be a string, number, bool or enum, "
                               "not bytes")},
        BuildCase{"through_scalar",
                  {M("M", R"(get: "/v1/{id.x}")")},
                  absl::StrCat("bad.S.M (google.api.http): path variable "
                               "\"id.x\": field ",
                               kThing, ".id is not a message")},
        BuildCase{"through_repeated",
                  {M("M", R"(get: "/v1/{inner.children.key}")")},
                  "bad.S.M (google.api.http): path variable "
                  "\"inner.children.key\": field "
                  "tokend.testing.gateway.Inner.children is repeated"},
        BuildCase{"nested_missing",
                  {M("M", R"(get: "/v1/{inner.nope}")")},
                  "bad.S.M (google.api.http): path variable \"inner.nope\": "
                  "tokend.testing.gateway.Inner has no field \"nope\""},
        BuildCase{"nested_bytes",
                  {M("M", R"(get: "/v1/{inner.deep.blob}")")},
                  "bad.S.M (google.api.http): path variable "
                  "\"inner.deep.blob\": field "
                  "tokend.testing.gateway.Deep.blob must be a string, number, "
                  "bool or enum, not bytes"},
        BuildCase{"body_missing",
                  {M("M", R"(post: "/v1/x" body: "nope")")},
                  absl::StrCat("bad.S.M (google.api.http): body \"nope\": ",
                               kThing, " has no top-level field of that name")},
        BuildCase{"body_dotted",
                  {M("M", R"(post: "/v1/x" body: "inner.key")")},
                  absl::StrCat("bad.S.M (google.api.http): body "
                               "\"inner.key\": ",
                               kThing, " has no top-level field of that name")},
        BuildCase{"body_repeated",
                  {M("M", R"(post: "/v1/x" body: "tags")")},
                  absl::StrCat("bad.S.M (google.api.http): body \"tags\": "
                               "field ",
                               kThing, ".tags is repeated")},
        BuildCase{"body_map",
                  {M("M", R"(post: "/v1/x" body: "labels")")},
                  absl::StrCat("bad.S.M (google.api.http): body \"labels\": "
                               "field ",
                               kThing, ".labels is a map")},
        BuildCase{"body_on_get",
                  {M("M", R"(get: "/v1/x" body: "*")")},
                  "bad.S.M (google.api.http): a GET rule cannot have a body"},
        BuildCase{"body_also_in_path",
                  {M("M", R"(post: "/v1/{inner.key}" body: "inner")")},
                  "bad.S.M (google.api.http): body \"inner\" is also bound by "
                  "path variable \"inner.key\""},
        BuildCase{"response_body_missing",
                  {M("M", R"(get: "/v1/x" response_body: "nope")")},
                  absl::StrCat("bad.S.M (google.api.http): response_body "
                               "\"nope\": ",
                               kThing, " has no top-level field of that name")},
        BuildCase{"no_pattern",
                  {M("M", R"(body: "*")")},
                  "bad.S.M (google.api.http): no pattern (get, put, post, "
                  "delete, patch or custom)"},
        BuildCase{"custom_empty_kind",
                  {M("M", R"(custom { kind: "" path: "/v1/x" })")},
                  "bad.S.M (google.api.http): custom kind \"\" is not an HTTP "
                  "method token"},
        BuildCase{"custom_kind_with_space",
                  {M("M", R"(custom { kind: "GE T" path: "/v1/x" })")},
                  "bad.S.M (google.api.http): custom kind \"GE T\" is not an "
                  "HTTP method token"},
        BuildCase{"nested_additional_bindings",
                  {M("M", R"(get: "/v1/x" additional_bindings { get: "/v1/y" )"
                          R"(additional_bindings { get: "/v1/z" } })")},
                  "bad.S.M additional_bindings[0]: additional_bindings may "
                  "not nest"},
        BuildCase{"bad_additional_binding",
                  {M("M", R"(get: "/v1/x" additional_bindings { get: "/v1/y" }
                             additional_bindings { get: "/v1/**/z" })")},
                  "bad.S.M additional_bindings[1]: invalid path template "
                  "\"/v1/**/z\": '**' is allowed only as the last segment"},
        BuildCase{
            "duplicate_across_rpcs",
            {M("A", R"(get: "/v1/{id}")"), M("B", R"(get: "/v1/{name}")")},
            "duplicate route GET /v1/{name} in bad.S.B (google.api.http) "
            "conflicts with GET /v1/{id} in bad.S.A (google.api.http)"},
        BuildCase{"duplicate_with_verb",
                  {M("A", R"(post: "/v1/{id}:go" body: "*")"),
                   M("B", R"(post: "/v1/{name=*}:go")")},
                  "duplicate route POST /v1/{name=*}:go in bad.S.B "
                  "(google.api.http) conflicts with POST /v1/{id}:go in "
                  "bad.S.A (google.api.http)"},
        BuildCase{
            "duplicate_in_additional_bindings",
            {M("A", R"(get: "/v1/x" additional_bindings { get: "/v1/x" })")},
            "duplicate route GET /v1/x in bad.S.A additional_bindings[0] "
            "conflicts with GET /v1/x in bad.S.A (google.api.http)"},
        BuildCase{"ok_ignored_parameters",
                  {MI("M", R"(post: "/v1/x" body: "*")",
                      {"_clerk_js_version", "debug", "x.name"})},
                  ""},
        BuildCase{"ignored_parameter_is_a_field",
                  {MI("M", R"(post: "/v1/x" body: "*")", {"debug", "name"})},
                  absl::StrCat("bad.S.M (google.api.http): "
                               "(tokend.api.v1.ignored_parameters) \"name\" "
                               "could set field ",
                               kThing,
                               ".name; a listed name must resolve to no "
                               "field")},
        BuildCase{
            "ignored_parameter_is_a_json_name",
            {absl::StrCat(MI("M", R"(post: "/v1/x" body: "*")",
                             {"_clerk_session_id"}),
                          " input_type: "
                          "\".tokend.sessions.v1.CreateServiceTokenRequest\"")},
            "bad.S.M (google.api.http): "
            "(tokend.api.v1.ignored_parameters) \"_clerk_session_id\" "
            "could set field "
            "tokend.sessions.v1.CreateServiceTokenRequest.session_id; a "
            "listed name must resolve to no field"},
        BuildCase{"ignored_parameter_under_a_field",
                  {MI("M", R"(get: "/v1/x")", {"inner.nope"})},
                  absl::StrCat("bad.S.M (google.api.http): "
                               "(tokend.api.v1.ignored_parameters) "
                               "\"inner.nope\" could set field ",
                               kThing,
                               ".inner; a listed name must resolve to no "
                               "field")},
        // Form fields resolve in the body field's message.
        BuildCase{"ignored_parameter_is_a_body_field_field",
                  {MI("M", R"(post: "/v1/x" body: "inner")", {"key"})},
                  "bad.S.M (google.api.http): "
                  "(tokend.api.v1.ignored_parameters) \"key\" could set "
                  "field tokend.testing.gateway.Inner.key; a listed name must "
                  "resolve to no field"},
        BuildCase{"ignored_parameter_empty",
                  {MI("M", R"(get: "/v1/x")", {""})},
                  "bad.S.M (google.api.http): "
                  "(tokend.api.v1.ignored_parameters) \"\" must be 1 to 256 "
                  "bytes long"},
        BuildCase{
            "ignored_parameter_too_long",
            {MI("M", R"(get: "/v1/x")", {Repeat("a", 257)})},
            absl::StrCat("bad.S.M (google.api.http): "
                         "(tokend.api.v1.ignored_parameters) \"",
                         Repeat("a", 257), "\" must be 1 to 256 bytes long")},
        BuildCase{"ignored_parameter_twice",
                  {MI("M", R"(get: "/v1/x")", {"debug", "x", "debug"})},
                  "bad.S.M (google.api.http): "
                  "(tokend.api.v1.ignored_parameters) \"debug\" is listed "
                  "twice"},
        BuildCase{"duplicate_custom",
                  {M("A", R"(custom { kind: "QUERY" path: "/v1/**" })"),
                   M("B", R"(custom { kind: "QUERY" path: "/v1/{path=**}" })")},
                  "duplicate route QUERY /v1/{path=**} in bad.S.B "
                  "(google.api.http) conflicts with QUERY /v1/** in bad.S.A "
                  "(google.api.http)"}),
    [](const ::testing::TestParamInfo<BuildCase>& info) {
      return info.param.name;
    });

// The FAPI methods carry the list their rules declare; the others none.
TEST(PathMatcherTest, BindingsCarryIgnoredParameters) {
  const ServiceDescriptor* s =
      sessions::v1::CreateServiceTokenRequest::descriptor()
          ->file()
          ->FindServiceByName("SessionTokenService");
  ASSERT_NE(s, nullptr);
  std::unique_ptr<PathMatcher> m = MustBuild({s});
  ASSERT_NE(m, nullptr);
  const std::vector<std::string> clerk_js = {
      "__clerk_api_version", "_clerk_js_version", "debug",     "__clerk_db_jwt",
      "_is_native",          "expired_token",     "tab_state", "token",
      "force_origin"};
  int fapi = 0;
  for (const auto& binding : m->bindings()) {
    const std::string& name = binding->method->name();
    if (name == "CreateClientSessionToken" ||
        name == "CreateClientSessionTokenFromTemplate" ||
        name == "CreateServiceToken") {
      EXPECT_EQ(binding->ignored_parameters, clerk_js) << name;
      ++fapi;
    } else if (name == "HandshakeClient") {
      EXPECT_EQ(binding->ignored_parameters,
                (std::vector<std::string>{
                    "__clerk_api_version", "__clerk_hs_reason", "__session",
                    "suffixed_cookies", "__clerk_db_jwt", "organization_id"}));
      ASSERT_NE(binding->redirect_location, nullptr);
      EXPECT_EQ(binding->redirect_location->name(), "location");
    } else {
      EXPECT_TRUE(binding->ignored_parameters.empty()) << name;
    }
  }
  EXPECT_EQ(fapi, 3);
  LookupResult r =
      m->Lookup("POST", "/v1/client/sessions/sess_1/tokens/my_template");
  ASSERT_EQ(r.kind, LookupResult::kMatch);
  EXPECT_EQ(r.match.binding->ignored_parameters, clerk_js);
}

TEST(PathMatcherTest, SameServiceTwiceIsADuplicate) {
  const ServiceDescriptor* s =
      yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor()
          ->file()
          ->FindServiceByName("IamTokenService");
  ASSERT_NE(s, nullptr);
  absl::StatusOr<std::unique_ptr<PathMatcher>> m = PathMatcher::Build({s, s});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "duplicate route POST /iam/v1/tokens in "
            "yandex.cloud.iam.v1.IamTokenService.Create (google.api.http) "
            "conflicts with POST /iam/v1/tokens in "
            "yandex.cloud.iam.v1.IamTokenService.Create (google.api.http)");
}

}  // namespace
}  // namespace tokend::gateway
