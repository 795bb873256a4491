#include "core/jose/bounded_json.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;

TEST(BoundedJsonTest, ParsesObject) {
  ASSERT_OK_AND_ASSIGN(
      nlohmann::json j,
      ParseJsonObject(R"({"a":1,"b":[true,null,"x"],"c":{"d":2.5}})"));
  EXPECT_EQ(j["a"], 1);
  EXPECT_EQ(j["b"][2], "x");
  EXPECT_EQ(j["c"]["d"], 2.5);
}

TEST(BoundedJsonTest, TopLevelMustBeObject) {
  EXPECT_STATUS(ParseJsonObject("[1]"), StatusCode::kInvalidArgument,
                "not an object");
  EXPECT_STATUS(ParseJsonObject("\"s\""), StatusCode::kInvalidArgument,
                "not an object");
  EXPECT_STATUS(ParseJsonObject("1"), StatusCode::kInvalidArgument,
                "not an object");
  EXPECT_OK(ParseJsonValue("[1]"));
}

TEST(BoundedJsonTest, RejectsDuplicateNamesAtAnyLevel) {
  EXPECT_STATUS(ParseJsonObject(R"({"a":1,"a":2})"),
                StatusCode::kInvalidArgument, "duplicate");
  EXPECT_STATUS(ParseJsonObject(R"({"x":{"a":1,"b":2,"a":3}})"),
                StatusCode::kInvalidArgument, "duplicate");
  EXPECT_STATUS(ParseJsonObject(R"({"x":[{"a":1},{"a":1,"a":1}]})"),
                StatusCode::kInvalidArgument, "duplicate");
  // The same name in sibling objects is fine.
  EXPECT_OK(ParseJsonObject(R"({"x":{"a":1},"y":{"a":1}})"));
}

TEST(BoundedJsonTest, DuplicateDetectionIsExactOnEscapes) {
  // "\u0061" is "a": a duplicate after unescaping.
  EXPECT_STATUS(ParseJsonObject(R"({"a":1,"\u0061":2})"),
                StatusCode::kInvalidArgument, "duplicate");
}

TEST(BoundedJsonTest, BoundsDepth) {
  JsonLimits limits;
  limits.max_depth = 3;
  EXPECT_OK(ParseJsonObject(R"({"a":{"b":[1]}})", limits));
  EXPECT_STATUS(ParseJsonObject(R"({"a":{"b":[[1]]}})", limits),
                StatusCode::kInvalidArgument, "too deeply");
  // Default depth 16: an object inside 15 arrays is fine, 16 are not.
  std::string ok =
      "{\"a\":" + std::string(15, '[') + std::string(15, ']') + "}";
  EXPECT_OK(ParseJsonObject(ok));
  std::string deep =
      "{\"a\":" + std::string(16, '[') + std::string(16, ']') + "}";
  EXPECT_STATUS(ParseJsonObject(deep), StatusCode::kInvalidArgument,
                "too deeply");
}

TEST(BoundedJsonTest, DeepNestingDoesNotCrash) {
  std::string deep = "{\"a\":" + std::string(100000, '[');
  JsonLimits limits;
  limits.max_bytes = deep.size();
  EXPECT_STATUS(ParseJsonObject(deep, limits), StatusCode::kInvalidArgument,
                "");
}

TEST(BoundedJsonTest, BoundsSize) {
  JsonLimits limits;
  limits.max_bytes = 10;
  EXPECT_OK(ParseJsonObject(R"({"a":"12"})", limits));  // exactly 10
  EXPECT_STATUS(ParseJsonObject(R"({"a":"123"})", limits),
                StatusCode::kInvalidArgument, "exceeds 10 bytes");
  std::string big = "{\"a\":\"" + std::string(16384, 'x') + "\"}";
  EXPECT_STATUS(ParseJsonObject(big), StatusCode::kInvalidArgument, "exceeds");
}

TEST(BoundedJsonTest, RejectsInvalidUtf8) {
  EXPECT_STATUS(ParseJsonObject("{\"a\":\"\xff\"}"),
                StatusCode::kInvalidArgument, "invalid JSON");
  EXPECT_STATUS(ParseJsonObject("{\"a\":\"\xc3\"}"),
                StatusCode::kInvalidArgument, "invalid JSON");
  // Overlong encoding of '/'.
  EXPECT_STATUS(ParseJsonObject("{\"a\":\"\xc0\xaf\"}"),
                StatusCode::kInvalidArgument, "invalid JSON");
  // UTF-16 surrogate encoded in UTF-8 (CESU).
  EXPECT_STATUS(ParseJsonObject("{\"a\":\"\xed\xa0\x80\"}"),
                StatusCode::kInvalidArgument, "invalid JSON");
  // Lone surrogate escape.
  EXPECT_STATUS(ParseJsonObject(R"({"a":"\ud800"})"),
                StatusCode::kInvalidArgument, "invalid JSON");
  EXPECT_OK(ParseJsonObject("{\"a\":\"h\xc3\xa9llo \xf0\x9f\x98\x80\"}"));
}

TEST(BoundedJsonTest, RejectsNonJson) {
  for (const char* bad :
       {"", "{", "{}x", "{} {}", "{'a':1}", "{\"a\":NaN}", "{\"a\":1,}",
        "{\"a\":01}", "{\"a\":1e999}", "/*c*/{}", "\xef\xbb\xbf{}"}) {
    EXPECT_STATUS(ParseJsonObject(bad), StatusCode::kInvalidArgument, "")
        << bad;
  }
}

TEST(BoundedJsonTest, AllowsSurroundingWhitespace) {
  EXPECT_OK(ParseJsonObject(" \r\n{ \"a\" : 1 }\n"));
}

// nlohmann's serializer is the oracle: every ASCII byte, alone and between
// others, and multi-byte UTF-8, come out as its dump() writes them.
TEST(BoundedJsonTest, AppendJsonStringEscapesAsNlohmannDoes) {
  std::vector<std::string> inputs = {"", "plain", "caf\xC3\xA9",
                                     "\xF0\x9F\x94\x91 key", "\x7F"};
  for (int c = 0; c < 0x80; ++c) {
    inputs.push_back(std::string(1, static_cast<char>(c)));
    inputs.push_back("a" + std::string(1, static_cast<char>(c)) + "bc");
  }
  for (const std::string& in : inputs) {
    std::string out = "prefix";
    AppendJsonString(in, &out);
    EXPECT_EQ(out, "prefix" + nlohmann::json(in).dump()) << in;
  }
}

}  // namespace
}  // namespace tokend::jose
