#include "server/gateway/error_response.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tokend/testing/v1/error_styles.pb.h"

namespace tokend::gateway {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::Pair;

using Headers = std::vector<std::pair<std::string, std::string>>;

TEST(HttpStatusFromGrpcTest, CanonicalTable) {
  const std::vector<std::pair<grpc::StatusCode, int>> table = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::CANCELLED, 499},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 400},
      {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::OUT_OF_RANGE, 400},
      {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
      {static_cast<grpc::StatusCode>(42), 500},
  };
  for (const auto& [code, http] : table) {
    EXPECT_EQ(HttpStatusFromGrpc(code), http) << static_cast<int>(code);
  }
}

TEST(ErrorStyleOfTest, ReadsTheServiceOption) {
  const google::protobuf::FileDescriptor* file =
      testing::v1::Marker::descriptor()->file();
  EXPECT_EQ(ErrorStyleOf(file->FindServiceByName("ClerkStyled")),
            api::v1::ERROR_STYLE_CLERK);
  EXPECT_EQ(ErrorStyleOf(file->FindServiceByName("CourierStyled")),
            api::v1::ERROR_STYLE_COURIER);
  EXPECT_EQ(ErrorStyleOf(file->FindServiceByName("Unstyled")),
            api::v1::ERROR_STYLE_UNSPECIFIED);
  EXPECT_EQ(ErrorStyleOf(nullptr), api::v1::ERROR_STYLE_UNSPECIFIED);
}

TEST(RenderErrorTest, GoogleRpcStatusEveryCode) {
  for (int code = 1; code <= 16; ++code) {
    grpc::Status status(static_cast<grpc::StatusCode>(code), "went wrong");
    ErrorResponse r =
        RenderError(api::v1::ERROR_STYLE_UNSPECIFIED, status, "req-1");
    EXPECT_EQ(r.http_status,
              HttpStatusFromGrpc(static_cast<grpc::StatusCode>(code)));
    nlohmann::json body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["code"], code);
    EXPECT_EQ(body["message"], "went wrong");
    EXPECT_THAT(r.headers, Not(Contains(Pair("x-should-retry", "false"))));
  }
}

TEST(RenderErrorTest, GoogleRpcStatusKeepsDetails) {
  google::rpc::Status rpc;
  rpc.set_code(3);
  rpc.set_message("ignored: the grpc::Status wins");
  google::rpc::ErrorInfo info;
  info.set_reason("JWT_EXPIRED");
  info.set_domain("tokend");
  rpc.add_details()->PackFrom(info);
  grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "bad jwt",
                      rpc.SerializeAsString());
  ErrorResponse r = RenderError(api::v1::ERROR_STYLE_UNSPECIFIED, status, "");
  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["code"], 3);
  EXPECT_EQ(body["message"], "bad jwt");
  ASSERT_EQ(body["details"].size(), 1u);
  EXPECT_EQ(body["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ErrorInfo");
  EXPECT_EQ(body["details"][0]["reason"], "JWT_EXPIRED");
}

TEST(RenderErrorTest, ClerkDefaultsFromTheCode) {
  grpc::Status status(grpc::StatusCode::NOT_FOUND,
                      "No session was found with id sess_404");
  ErrorResponse r = RenderError(api::v1::ERROR_STYLE_CLERK, status, "trace123");
  EXPECT_EQ(r.http_status, 404);
  nlohmann::json body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["errors"].size(), 1u);
  EXPECT_EQ(body["errors"][0]["code"], "resource_not_found");
  EXPECT_EQ(body["errors"][0]["message"], "Resource not found");
  EXPECT_EQ(body["errors"][0]["long_message"],
            "No session was found with id sess_404");
  EXPECT_TRUE(body["errors"][0]["meta"].is_object());
  EXPECT_TRUE(body["meta"].is_object());
  EXPECT_EQ(body["clerk_trace_id"], "trace123");

  r = RenderError(api::v1::ERROR_STYLE_CLERK,
                  grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no"), "t");
  EXPECT_EQ(r.http_status, 401);
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"][0]["code"],
            "authentication_invalid");
}

TEST(RenderErrorTest, ClerkErrorInfoRefinesCodeMessageAndMeta) {
  google::rpc::Status rpc;
  google::rpc::ErrorInfo info;
  info.set_reason("clerk_key_invalid");
  (*info.mutable_metadata())["message"] = "Invalid secret key";
  (*info.mutable_metadata())["param_name"] = "expires_in_seconds";
  rpc.add_details()->PackFrom(info);
  grpc::Status status(grpc::StatusCode::UNAUTHENTICATED,
                      "The provided Clerk Secret Key is invalid.",
                      rpc.SerializeAsString());
  ErrorResponse r = RenderError(api::v1::ERROR_STYLE_CLERK, status, "t1");
  nlohmann::json error = nlohmann::json::parse(r.body)["errors"][0];
  EXPECT_EQ(error["code"], "clerk_key_invalid");
  EXPECT_EQ(error["message"], "Invalid secret key");
  EXPECT_EQ(error["long_message"], "The provided Clerk Secret Key is invalid.");
  EXPECT_EQ(error["meta"]["param_name"], "expires_in_seconds");
  EXPECT_FALSE(error["meta"].contains("message"));
}

TEST(RenderErrorTest, CourierStyleAndRetryHint) {
  ErrorResponse r = RenderError(
      api::v1::ERROR_STYLE_COURIER,
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "Invalid scope: x"),
      "r");
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(
      nlohmann::json::parse(r.body),
      nlohmann::json::parse(
          R"({"message":"Invalid scope: x","type":"invalid_request_error"})"));
  EXPECT_THAT(r.headers, Contains(Pair("x-should-retry", "false")));

  r = RenderError(api::v1::ERROR_STYLE_COURIER,
                  grpc::Status(grpc::StatusCode::INTERNAL, "boom"), "r");
  EXPECT_EQ(r.http_status, 500);
  EXPECT_EQ(nlohmann::json::parse(r.body)["type"], "api_error");
  EXPECT_THAT(r.headers, Not(Contains(Pair("x-should-retry", "false"))));

  // A rate limit is the one 4xx worth retrying; the SDK is told so.
  r = RenderError(api::v1::ERROR_STYLE_COURIER,
                  grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow"),
                  "r", "3");
  EXPECT_EQ(r.http_status, 429);
  EXPECT_THAT(r.headers, Contains(Pair("x-should-retry", "true")));
  EXPECT_THAT(r.headers, Not(Contains(Pair("x-should-retry", "false"))));
  EXPECT_THAT(r.headers, Contains(Pair("retry-after", "3")));
}

TEST(RenderErrorTest, RetryAfterOnlyOn429) {
  const grpc::Status limited(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down");
  for (auto style :
       {api::v1::ERROR_STYLE_UNSPECIFIED, api::v1::ERROR_STYLE_CLERK,
        api::v1::ERROR_STYLE_COURIER}) {
    ErrorResponse r = RenderError(style, limited, "r", "7");
    EXPECT_EQ(r.http_status, 429);
    EXPECT_THAT(r.headers, Contains(Pair("retry-after", "7")));
  }
  EXPECT_THAT(
      RenderError(api::v1::ERROR_STYLE_UNSPECIFIED, limited, "r").headers,
      Contains(Pair("retry-after", "1")));
  EXPECT_THAT(
      RenderError(api::v1::ERROR_STYLE_UNSPECIFIED, limited, "r", "-5\r\nx: y")
          .headers,
      Contains(Pair("retry-after", "1")));
  const Headers none =
      RenderError(api::v1::ERROR_STYLE_UNSPECIFIED,
                  grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"), "r", "7")
          .headers;
  for (const auto& [name, value] : none) EXPECT_NE(name, "retry-after");
}

TEST(RenderErrorTest, InvalidUtf8InMessagesStillYieldsJson) {
  grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "bad \xff byte");
  for (auto style :
       {api::v1::ERROR_STYLE_CLERK, api::v1::ERROR_STYLE_COURIER}) {
    ErrorResponse r = RenderError(style, status, "r");
    EXPECT_NO_THROW(nlohmann::json::parse(r.body)) << r.body;
  }
}

}  // namespace
}  // namespace tokend::gateway
