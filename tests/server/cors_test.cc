// CorsPolicy: which origins get a grant, on which routes, with what.
#include "server/cors.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::server {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::Pair;

http::HttpRequest Request(
    std::string method,
    std::vector<std::pair<std::string, std::string>> headers) {
  http::HttpRequest r;
  r.method = std::move(method);
  r.headers = std::move(headers);
  return r;
}

// Which origins may be listed is authorized_parties_test's.
const sessions::AuthorizedParties& Parties() {
  static const auto* const parties =
      new sessions::AuthorizedParties(*sessions::AuthorizedParties::Create(
          {"https://app.example.com", "http://localhost:3000"}));
  return *parties;
}

CorsPolicy Policy() { return CorsPolicy(&Parties()); }

TEST(CorsPolicyTest, NoListGrantsNothing) {
  const CorsPolicy policy;
  EXPECT_EQ(policy.AllowedOrigin(
                Request("GET", {{"origin", "https://app.example.com"}})),
            "");
}

TEST(CorsPolicyTest, PreflightGrantsAllowedOriginsOnTheFrontendApiOnly) {
  const CorsPolicy policy = Policy();
  const http::HttpRequest ok =
      Request("OPTIONS", {{"origin", "https://app.example.com"},
                          {"access-control-request-method", "POST"},
                          {"access-control-request-headers", "authorization"}});
  std::optional<http::HttpResponse> r =
      policy.Preflight(ok, "/v1/client/sessions/s/tokens");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 204);
  EXPECT_THAT(r->headers, Contains(Pair("access-control-allow-origin",
                                        "https://app.example.com")));
  EXPECT_THAT(r->headers,
              Contains(Pair("access-control-allow-credentials", "true")));
  EXPECT_THAT(r->headers,
              Contains(Pair("access-control-allow-headers", "authorization")));

  // Origins compare exactly (ASCII case aside): no prefix or port slack.
  for (const char* origin :
       {"https://evil.example", "https://app.example.com.evil.example",
        "http://app.example.com", "http://localhost:3001", "null"}) {
    http::HttpRequest other = ok;
    other.headers[0].second = origin;
    r = policy.Preflight(other, "/v1/me/tokens");
    ASSERT_TRUE(r.has_value()) << origin;
    EXPECT_THAT(
        r->headers,
        Not(Contains(Pair("access-control-allow-origin", ::testing::_))))
        << origin;
  }
  http::HttpRequest upper = ok;
  upper.headers[0].second = "HTTPS://APP.example.com";
  EXPECT_THAT(
      policy.Preflight(upper, "/v1/me/tokens")->headers,
      Contains(Pair("access-control-allow-origin", "HTTPS://APP.example.com")));

  // Not a preflight, or not a browser route: handled as any request.
  EXPECT_FALSE(policy.Preflight(ok, "/v1/users").has_value());
  EXPECT_FALSE(policy.Preflight(ok, "/iam/v1/tokens").has_value());
  EXPECT_FALSE(policy
                   .Preflight(Request("OPTIONS",
                                      {{"origin", "https://app.example.com"}}),
                              "/v1/me/tokens")
                   .has_value());
  EXPECT_FALSE(policy.Preflight(Request("POST", ok.headers), "/v1/me/tokens")
                   .has_value());

  // Asked headers that are not a token list are not echoed.
  http::HttpRequest odd = ok;
  odd.headers[2].second = "x\r\nset-cookie: a=b";
  EXPECT_THAT(
      policy.Preflight(odd, "/v1/me/tokens")->headers,
      Not(Contains(Pair("access-control-allow-headers", ::testing::_))));
}

TEST(CorsPolicyTest, ResponsesVaryOnOriginAndEchoOnlyAllowedOnes) {
  const CorsPolicy policy = Policy();
  EXPECT_EQ(policy.AllowedOrigin(
                Request("POST", {{"origin", "http://localhost:3000"}})),
            "http://localhost:3000");
  EXPECT_EQ(policy.AllowedOrigin(Request("POST", {})), "");
  http::HttpResponse granted;
  CorsPolicy::Decorate("http://localhost:3000", &granted);
  EXPECT_THAT(granted.headers, Contains(Pair("vary", "Origin")));
  EXPECT_THAT(granted.headers, Contains(Pair("access-control-allow-origin",
                                             "http://localhost:3000")));
  http::HttpResponse refused;
  CorsPolicy::Decorate("", &refused);
  EXPECT_THAT(refused.headers, Contains(Pair("vary", "Origin")));
  EXPECT_EQ(refused.headers.size(), 1u);
}

}  // namespace
}  // namespace tokend::server
