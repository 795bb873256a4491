// JSON -> request bytes, method-name parsing and method lookup in the
// protos linked into the binary.
#include "tools/loadgen/request_builder.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"
#include "loadgen_testing/v1/test_service.pb.h"
#include "tools/loadgen/method_resolver.h"

namespace tokend::loadgen {
namespace {

using ::testing::HasSubstr;
namespace test = ::tokend::loadgen::test::v1;

const google::protobuf::Descriptor& HealthRequestType() {
  return *grpc::health::v1::HealthCheckRequest::descriptor();
}

TEST(JsonToMessageBytesTest, HealthCheckRequest) {
  auto bytes =
      JsonToMessageBytes(HealthRequestType(), R"({"service": "tokend.Foo"})");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  grpc::health::v1::HealthCheckRequest expected;
  expected.set_service("tokend.Foo");
  EXPECT_EQ(*bytes, expected.SerializeAsString());
}

TEST(JsonToMessageBytesTest, EmptyJsonIsTheEmptyMessage) {
  for (const char* json : {"{}", "", "  \n"}) {
    auto bytes = JsonToMessageBytes(HealthRequestType(), json);
    ASSERT_TRUE(bytes.ok()) << json << ": " << bytes.status();
    EXPECT_EQ(*bytes, "") << json;
  }
}

TEST(JsonToMessageBytesTest, EveryKindOfField) {
  auto bytes = JsonToMessageBytes(*test::Sample::descriptor(), R"({
      "name": "n", "big": "9007199254740993", "numbers": [1, 2, 3],
      "color": "GREEN", "nested": {"ratio": 0.25}, "blob": "AAEC",
      "labels": {"k": "v"}, "ttl": "1.5s", "flag": true})");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  test::Sample sample;
  ASSERT_TRUE(sample.ParseFromString(*bytes));
  EXPECT_EQ(sample.name(), "n");
  EXPECT_EQ(sample.big(), 9007199254740993);
  EXPECT_THAT(sample.numbers(), ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(sample.color(), test::Sample::GREEN);
  EXPECT_EQ(sample.nested().ratio(), 0.25);
  EXPECT_EQ(sample.blob(), std::string("\x00\x01\x02", 3));
  EXPECT_EQ(sample.labels().at("k"), "v");
  EXPECT_EQ(sample.ttl().seconds(), 1);
  EXPECT_EQ(sample.ttl().nanos(), 500000000);
  EXPECT_TRUE(sample.flag());
}

TEST(JsonToMessageBytesTest, AcceptsOriginalFieldNames) {
  auto bytes = JsonToMessageBytes(*test::FailRequest::descriptor(),
                                  R"({"code": 5, "message": "m"})");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  test::FailRequest request;
  ASSERT_TRUE(request.ParseFromString(*bytes));
  EXPECT_EQ(request.code(), 5);
}

TEST(JsonToMessageBytesTest, UnknownFieldIsAnError) {
  auto bytes = JsonToMessageBytes(HealthRequestType(), R"({"servce": "x"})");
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bytes.status().message(),
              HasSubstr("not a valid grpc.health.v1.HealthCheckRequest"));
}

TEST(JsonToMessageBytesTest, MalformedJsonIsAnError) {
  for (const char* json : {"{", "[1]", "{\"service\": }", "not json"}) {
    auto bytes = JsonToMessageBytes(HealthRequestType(), json);
    EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument)
        << json;
    EXPECT_THAT(bytes.status().message(),
                HasSubstr("grpc.health.v1.HealthCheckRequest"))
        << json;
  }
}

TEST(JsonToMessageBytesTest, WrongValueTypeIsAnError) {
  EXPECT_EQ(JsonToMessageBytes(*test::Sample::descriptor(), R"({"big": "x"})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      JsonToMessageBytes(*test::Sample::descriptor(), R"({"color": "BLUE"})")
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(ParseMethodNameTest, AcceptedForms) {
  for (const char* text :
       {"grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Check",
        "grpc.health.v1.Health.Check"}) {
    auto name = ParseMethodName(text);
    ASSERT_TRUE(name.ok()) << text << ": " << name.status();
    EXPECT_EQ(name->service, "grpc.health.v1.Health");
    EXPECT_EQ(name->method, "Check");
    EXPECT_EQ(name->Path(), "/grpc.health.v1.Health/Check");
  }
}

TEST(ParseMethodNameTest, RejectsMalformedNames) {
  for (const char* text : {"", "Check", "/", "a.B/", "/Check", "a..B/C",
                           "a.B/C/D", "a.B/C d", "1a.B/C", "a.B/1C"}) {
    auto name = ParseMethodName(text);
    EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument) << text;
    if (!name.ok()) {
      EXPECT_THAT(name.status().message(),
                  HasSubstr("is not of the form package.Service/Method"));
    }
  }
}

absl::StatusOr<std::unique_ptr<ResolvedMethod>> ResolveFromBinary(
    const char* text) {
  auto name = ParseMethodName(text);
  if (!name.ok()) return name.status();
  return ResolveMethod(*name, DescriptorSource::kBinary, nullptr);
}

TEST(ResolveMethodTest, FindsLinkedMethod) {
  auto method = ResolveFromBinary("grpc.health.v1.Health/Check");
  ASSERT_TRUE(method.ok()) << method.status();
  EXPECT_EQ((*method)->source(), DescriptorSource::kBinary);
  EXPECT_EQ((*method)->descriptor().input_type(), &HealthRequestType());
}

TEST(ResolveMethodTest, AutoPrefersTheBinary) {
  auto name = ParseMethodName("tokend.loadgen.test.v1.TestService/Echo");
  ASSERT_TRUE(name.ok());
  // No channel needed: the binary knows the service.
  auto method = ResolveMethod(*name, DescriptorSource::kAuto, nullptr);
  ASSERT_TRUE(method.ok()) << method.status();
  EXPECT_EQ((*method)->descriptor().input_type(),
            test::EchoRequest::descriptor());
}

TEST(ResolveMethodTest, UnknownMethodListsTheKnownOnes) {
  auto method = ResolveFromBinary("grpc.health.v1.Health/Chek");
  EXPECT_EQ(method.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(method.status().message(),
              HasSubstr("service grpc.health.v1.Health has no method \"Chek\"; "
                        "it has: Check, Watch"));
}

TEST(ResolveMethodTest, UnknownServiceIsNotFound) {
  auto method = ResolveFromBinary("no.such.Service/Method");
  EXPECT_EQ(method.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(method.status().message(),
              HasSubstr("service no.such.Service is not among the protos "
                        "linked into loadgen"));
}

TEST(ResolveMethodTest, StreamingMethodIsRejected) {
  auto method = ResolveFromBinary("grpc.health.v1.Health/Watch");
  EXPECT_EQ(method.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(method.status().message(), HasSubstr("unary calls only"));
}

TEST(ResolveMethodTest, ReflectionWithoutChannelFails) {
  auto name = ParseMethodName("no.such.Service/Method");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(
      ResolveMethod(*name, DescriptorSource::kAuto, nullptr).status().code(),
      absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tokend::loadgen
