#include "core/jose/raw_jwt.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;
using nlohmann::json;

const absl::Time kT = absl::FromUnixSeconds(1700000000);

TEST(RawJwtTest, BuildsAllClaims) {
  ASSERT_OK_AND_ASSIGN(RawJwt jwt,
                       RawJwtBuilder()
                           .SetTypeHeader("JWT")
                           .SetIssuer("iss1")
                           .SetSubject("sub1")
                           .SetAudiences({"a", "b"})
                           .SetJwtId("id1")
                           .SetIssuedAt(kT)
                           .SetNotBefore(kT - absl::Seconds(5))
                           .SetExpiration(kT + absl::Minutes(1))
                           .AddStringClaim("s", "v")
                           .AddNumberClaim("n", 1.5)
                           .AddIntegerClaim("i", -7)
                           .AddBoolClaim("b", true)
                           .AddNullClaim("z")
                           .AddJsonObjectClaim("o", R"({"k":[1,2]})")
                           .AddJsonArrayClaim("arr", R"([1,"x"])")
                           .Build());
  const json c = json::parse(jwt.GetJsonPayload());
  EXPECT_EQ(c["iss"], "iss1");
  EXPECT_EQ(c["sub"], "sub1");
  EXPECT_EQ(c["aud"], json::array({"a", "b"}));
  EXPECT_EQ(c["jti"], "id1");
  EXPECT_EQ(c["iat"], 1700000000);
  EXPECT_EQ(c["nbf"], 1699999995);
  EXPECT_EQ(c["exp"], 1700000060);
  EXPECT_EQ(c["s"], "v");
  EXPECT_EQ(c["n"], 1.5);
  EXPECT_EQ(c["i"], -7);
  EXPECT_EQ(c["b"], true);
  EXPECT_TRUE(c["z"].is_null());
  EXPECT_EQ(c["o"]["k"][1], 2);
  EXPECT_EQ(c["arr"][1], "x");
  EXPECT_EQ(jwt.type_header().value(), "JWT");
  EXPECT_TRUE(jwt.HasClaim("z"));
  EXPECT_FALSE(jwt.HasClaim("missing"));
  // Compact: no whitespace.
  EXPECT_EQ(jwt.GetJsonPayload().find(' '), std::string::npos);
}

// Building from an rvalue moves the claims instead of copying them: the
// result is the same token, the builder's errors are still reported.
TEST(RawJwtTest, BuildingFromAnRvalueGivesTheSameToken) {
  RawJwtBuilder builder;
  builder.SetTypeHeader("JWT")
      .SetSubject("sub1")
      .SetExpiration(kT)
      .AddStringClaim("s", "v");
  ASSERT_OK_AND_ASSIGN(RawJwt copied, builder.Build());
  ASSERT_OK_AND_ASSIGN(RawJwt moved, std::move(builder).Build());
  EXPECT_EQ(moved.GetJsonPayload(), copied.GetJsonPayload());
  EXPECT_EQ(moved.GetJsonPayload(),
            R"({"exp":1700000000,"s":"v","sub":"sub1"})");
  EXPECT_EQ(moved.type_header().value(), "JWT");
  EXPECT_TRUE(moved.HasClaim("s"));
  RawJwtBuilder failing;
  failing.SetAudiences({}).WithoutExpiration();
  EXPECT_STATUS(std::move(failing).Build(), StatusCode::kInvalidArgument,
                "empty");
}

// The payload is written as text; nlohmann's dump() of the same claims is
// the oracle for its bytes (names in order, escapes, numbers), whatever the
// order of the setters, and a claim set twice keeps its last value.
TEST(RawJwtTest, PayloadIsTheBytesNlohmannWritesForTheSameClaims) {
  const json nested = json::parse(R"({"k":[1,2.25,"x\u0001"],"e":{}})");
  ASSERT_OK_AND_ASSIGN(
      RawJwt jwt,
      RawJwtBuilder()
          .AddStringClaim("zz",
                          "quote\" backslash\\ tab\t nl\n \x01 caf\xC3\xA9")
          .SetIssuer("first")
          .SetSubject("sub\x7F")
          .SetAudiences({"a", "b\""})
          .SetJwtId("id1")
          .SetIssuedAt(kT)
          .SetExpiration(kT + absl::Minutes(1))
          .AddNumberClaim("n", 0.1)
          .AddNumberClaim("big", 1e300)
          .AddNumberClaim("whole", 100.0)
          .AddIntegerClaim("i", std::numeric_limits<int64_t>::min())
          .AddBoolClaim("b", false)
          .AddNullClaim("z")
          .AddJsonObjectClaim("o", nested)
          .AddJsonArrayClaim("arr", R"([1,"x",{"y":null}])")
          .AddStringClaim("\xC3\xA9t\"e", "named")
          .AddStringClaim("A", "upper before lower")
          .SetIssuer("second")
          .Build());
  json expected = {
      {"zz", "quote\" backslash\\ tab\t nl\n \x01 caf\xC3\xA9"},
      {"iss", "second"},
      {"sub", "sub\x7F"},
      {"aud", {"a", "b\""}},
      {"jti", "id1"},
      {"iat", 1700000000},
      {"exp", 1700000060},
      {"n", 0.1},
      {"big", 1e300},
      {"whole", 100.0},
      {"i", std::numeric_limits<int64_t>::min()},
      {"b", false},
      {"z", nullptr},
      {"o", nested},
      {"arr", json::parse(R"([1,"x",{"y":null}])")},
      {"\xC3\xA9t\"e", "named"},
      {"A", "upper before lower"},
  };
  EXPECT_EQ(jwt.GetJsonPayload(), expected.dump());
  EXPECT_TRUE(jwt.HasClaim("\xC3\xA9t\"e"));
  EXPECT_TRUE(jwt.HasExpiration());
}

TEST(RawJwtTest, SingleAudienceIsAString) {
  ASSERT_OK_AND_ASSIGN(
      RawJwt jwt, RawJwtBuilder().SetAudience("a").WithoutExpiration().Build());
  EXPECT_EQ(jwt.GetJsonPayload(), R"({"aud":"a"})");
  EXPECT_STATUS(RawJwtBuilder()
                    .SetAudience("a")
                    .SetAudiences({"b"})
                    .WithoutExpiration()
                    .Build(),
                StatusCode::kInvalidArgument, "aud set twice");
  EXPECT_STATUS(RawJwtBuilder().SetAudiences({}).WithoutExpiration().Build(),
                StatusCode::kInvalidArgument, "empty");
}

TEST(RawJwtTest, ExpirationDecisionRequired) {
  EXPECT_STATUS(RawJwtBuilder().SetIssuer("x").Build(),
                StatusCode::kInvalidArgument,
                "neither SetExpiration() nor WithoutExpiration() was called");
  EXPECT_STATUS(RawJwtBuilder().SetExpiration(kT).WithoutExpiration().Build(),
                StatusCode::kInvalidArgument,
                "both SetExpiration() and WithoutExpiration() were called");
  ASSERT_OK_AND_ASSIGN(RawJwt no_exp,
                       RawJwtBuilder().WithoutExpiration().Build());
  EXPECT_FALSE(no_exp.HasExpiration());
  EXPECT_EQ(no_exp.GetJsonPayload(), "{}");
}

TEST(RawJwtTest, TimesAreFlooredToSeconds) {
  ASSERT_OK_AND_ASSIGN(RawJwt jwt,
                       RawJwtBuilder()
                           .SetExpiration(kT + absl::Milliseconds(999))
                           .SetIssuedAt(kT - absl::Milliseconds(1))
                           .Build());
  const json c = json::parse(jwt.GetJsonPayload());
  EXPECT_EQ(c["exp"], 1700000000);
  EXPECT_EQ(c["iat"], 1699999999);
  EXPECT_TRUE(c["exp"].is_number_integer());
}

TEST(RawJwtTest, TimesMustBeNumericDates) {
  EXPECT_STATUS(
      RawJwtBuilder().SetExpiration(absl::FromUnixSeconds(-1)).Build(),
      StatusCode::kInvalidArgument, "exp is outside");
  EXPECT_STATUS(RawJwtBuilder()
                    .SetExpiration(absl::FromUnixSeconds(253402300800))
                    .Build(),
                StatusCode::kInvalidArgument, "exp is outside");
  EXPECT_STATUS(RawJwtBuilder()
                    .SetIssuedAt(absl::InfiniteFuture())
                    .WithoutExpiration()
                    .Build(),
                StatusCode::kInvalidArgument, "iat is outside");
}

TEST(RawJwtTest, RegisteredNamesRefusedByGenericSetters) {
  for (const char* name : {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}) {
    EXPECT_STATUS(
        RawJwtBuilder().WithoutExpiration().AddStringClaim(name, "x").Build(),
        StatusCode::kInvalidArgument, "registered")
        << name;
    EXPECT_STATUS(
        RawJwtBuilder().WithoutExpiration().AddIntegerClaim(name, 1).Build(),
        StatusCode::kInvalidArgument, "registered");
    EXPECT_STATUS(
        RawJwtBuilder().WithoutExpiration().AddNullClaim(name).Build(),
        StatusCode::kInvalidArgument, "registered");
    EXPECT_STATUS(RawJwtBuilder()
                      .WithoutExpiration()
                      .AddJsonObjectClaim(name, "{}")
                      .Build(),
                  StatusCode::kInvalidArgument, "registered");
  }
}

TEST(RawJwtTest, RejectsBadValues) {
  EXPECT_STATUS(RawJwtBuilder()
                    .WithoutExpiration()
                    .AddNumberClaim("n", std::nan(""))
                    .Build(),
                StatusCode::kInvalidArgument, "finite");
  EXPECT_STATUS(
      RawJwtBuilder()
          .WithoutExpiration()
          .AddNumberClaim("n", std::numeric_limits<double>::infinity())
          .Build(),
      StatusCode::kInvalidArgument, "finite");
  EXPECT_STATUS(
      RawJwtBuilder().WithoutExpiration().AddStringClaim("s", "\xff").Build(),
      StatusCode::kInvalidArgument, "UTF-8");
  EXPECT_STATUS(RawJwtBuilder().WithoutExpiration().SetIssuer("\xc3").Build(),
                StatusCode::kInvalidArgument, "UTF-8");
  EXPECT_STATUS(RawJwtBuilder()
                    .WithoutExpiration()
                    .AddJsonObjectClaim("o", "[1]")
                    .Build(),
                StatusCode::kInvalidArgument, "not an object");
  EXPECT_STATUS(RawJwtBuilder()
                    .WithoutExpiration()
                    .AddJsonObjectClaim("o", R"({"a":1,"a":2})")
                    .Build(),
                StatusCode::kInvalidArgument, "duplicate");
  EXPECT_STATUS(
      RawJwtBuilder().WithoutExpiration().AddJsonArrayClaim("a", "{}").Build(),
      StatusCode::kInvalidArgument, "not a JSON array");
  EXPECT_STATUS(RawJwtBuilder()
                    .WithoutExpiration()
                    .AddJsonObjectClaim("o", json{{"x", std::nan("")}})
                    .Build(),
                StatusCode::kInvalidArgument, "non-finite");
  EXPECT_STATUS(RawJwtBuilder()
                    .WithoutExpiration()
                    .AddJsonObjectClaim("o", json{{"x", "\xff"}})
                    .Build(),
                StatusCode::kInvalidArgument, "not valid JSON");
}

TEST(RawJwtTest, FirstErrorWins) {
  auto result = RawJwtBuilder()
                    .AddStringClaim("iss", "x")
                    .AddNumberClaim("n", std::nan(""))
                    .Build();
  EXPECT_STATUS(result, StatusCode::kInvalidArgument, "registered");
}

}  // namespace
}  // namespace tokend::jose
