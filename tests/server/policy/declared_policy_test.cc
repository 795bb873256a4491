#include "server/policy/declared_policy.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "server/served_services.h"
#include "tokend/testing/v1/error_styles.pb.h"

namespace tokend::server {
namespace {

TEST(DeclaredPolicyTest, EveryServedMethodDeclaresOne) {
  EXPECT_TRUE(CheckDeclared(ServedServices()).ok())
      << CheckDeclared(ServedServices());
}

// The test-only services declare nothing: tokend would refuse to serve
// them, naming each method.
TEST(DeclaredPolicyTest, AnUndeclaredMethodIsNamed) {
  const auto* unstyled =
      tokend::testing::v1::Marker::descriptor()->file()->FindServiceByName(
          "Unstyled");
  ASSERT_NE(unstyled, nullptr);
  std::vector<const google::protobuf::ServiceDescriptor*> services =
      ServedServices();
  services.push_back(unstyled);
  absl::Status s = CheckDeclared(services);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(
      s.message(), "/tokend.testing.v1.Unstyled/Call: no policy declared"))
      << s;
}

TEST(DeclaredPolicyTest, ReadsTheDeclaration) {
  const MethodPolicy& create =
      DeclaredPolicy("yandex.cloud.iam.v1.IamTokenService", "Create");
  EXPECT_EQ(create.method, "/yandex.cloud.iam.v1.IamTokenService/Create");
  EXPECT_TRUE(create.anyone);
  EXPECT_EQ(create.credentials, 0u);
  EXPECT_EQ(create.rate_limit, api::v1::RATE_LIMIT_CLASS_IAM);

  const MethodPolicy& token = DeclaredPolicy(
      "tokend.sessions.v1.SessionTokenService", "CreateSessionToken");
  EXPECT_FALSE(token.anyone);
  EXPECT_TRUE(token.Accepts(api::v1::CREDENTIAL_ADMIN_KEY));
  EXPECT_TRUE(token.Accepts(api::v1::CREDENTIAL_SESSIONS_KEY));
  EXPECT_FALSE(token.Accepts(api::v1::CREDENTIAL_SCOPED_KEY));
  EXPECT_FALSE(token.Accepts(api::v1::CREDENTIAL_CLIENT_TOKEN));
  EXPECT_EQ(token.rate_limit, api::v1::RATE_LIMIT_CLASS_CLERK_BACKEND);
  // Looked up once: the same object every time.
  EXPECT_EQ(&token, &DeclaredPolicy("tokend.sessions.v1.SessionTokenService",
                                    "CreateSessionToken"));
}

}  // namespace
}  // namespace tokend::server
