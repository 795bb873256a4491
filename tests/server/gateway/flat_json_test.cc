#include "server/gateway/flat_json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/server/gateway/flat_json_oracle.h"

namespace tokend::gateway {
namespace {

using Members = flat_json_oracle::JsonMembers;

// The members nlohmann reads, or false when it does not read `json` as an
// object of strings.
bool Oracle(const std::string& json, Members* members) {
  flat_json_oracle::NlohmannReading reading =
      flat_json_oracle::ReadWithNlohmann(json);
  if (!reading.flat) return false;
  *members = std::move(reading.members);
  return true;
}

// Whatever the flat reader accepts, nlohmann accepts with the same members.
void ExpectAgrees(const std::string& json) {
  Members got, want;
  if (!ParseFlatJsonObject(json, &got)) return;
  ASSERT_TRUE(Oracle(json, &want))
      << "accepted what is not a flat JSON object: " << json;
  EXPECT_EQ(got, want) << json;
}

TEST(FlatJsonTest, ReadsFlatObjects) {
  Members m;
  ASSERT_TRUE(ParseFlatJsonObject(R"({"jwt":"h.p.s"})", &m));
  EXPECT_EQ(m, (Members{{"jwt", "h.p.s"}}));
  ASSERT_TRUE(ParseFlatJsonObject(" \t\r\n{ \"a\" : \"1\" ,\"b\":\"\"}\n", &m));
  EXPECT_EQ(m, (Members{{"a", "1"}, {"b", ""}}));
  ASSERT_TRUE(ParseFlatJsonObject("{}", &m));
  EXPECT_TRUE(m.empty());
  ASSERT_TRUE(ParseFlatJsonObject(R"({"a":"1","a":"2"})", &m));
  EXPECT_EQ(m.size(), 2u);  // duplicates are the caller's to judge
}

TEST(FlatJsonTest, DecodesEscapesAndUtf8) {
  Members m;
  ASSERT_TRUE(ParseFlatJsonObject(
      R"({"k\u0041":"\"\\\/\b\f\n\r\t\u0000\u00e9\u20ac\ud83d\ude00"})", &m));
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].first, "kA");
  EXPECT_EQ(m[0].second, std::string("\"\\/\b\f\n\r\t\0\xc3\xa9\xe2\x82\xac"
                                     "\xf0\x9f\x98\x80",
                                     18));
  ASSERT_TRUE(ParseFlatJsonObject("{\"a\":\"\xc3\xa9\xef\xbf\xbf\x7f\"}", &m));
  EXPECT_EQ(m[0].second, "\xc3\xa9\xef\xbf\xbf\x7f");
}

TEST(FlatJsonTest, DeclinesEverythingElse) {
  Members m;
  for (const std::string json : {
           "",
           " ",
           "[]",
           R"("a")",
           "{",
           "}",
           R"({"a"})",
           R"({"a":})",
           R"({"a":1})",
           R"({"a":null})",
           R"({"a":true})",
           R"({"a":{}})",
           R"({"a":["b"]})",
           R"({"a":"b",})",
           R"({,"a":"b"})",
           R"({"a":"b"}x)",
           R"({"a":"b"}{})",
           R"({a:"b"})",
           R"({'a':'b'})",
           R"({"a":"b")",
           "\xef\xbb\xbf{}",  // BOM
           "{\"a\":\"\x01\"}",
           "{\"a\":\"\n\"}",  // raw control
           R"({"a":"\x"})",
           R"({"a":"\u12"})",
           R"({"a":"\u12g4"})",
           R"({"a":"\ud800"})",
           R"({"a":"\udc00"})",  // lone surrogates
           R"({"a":"\ud800\u0041"})",
           R"({"a":"\ud800x"})",
           "{\"a\":\"\x80\"}",
           "{\"a\":\"\xc0\xaf\"}",  // continuation, overlong
           "{\"a\":\"\xc3\"}",
           "{\"a\":\"\xe0\x80\xaf\"}",
           "{\"a\":\"\xed\xa0\x80\"}",      // UTF-8 surrogate
           "{\"a\":\"\xf4\x90\x80\x80\"}",  // above U+10FFFF
           "{\"a\":\"\xf5\x80\x80\x80\"}",
           "{\"a\":\"\xff\"}",
           R"({"a":"b" "c":"d"})",
           "{\"a\":\"b\"\x0b}",  // VT is not space
       }) {
    EXPECT_FALSE(ParseFlatJsonObject(json, &m)) << json;
  }
}

// Random objects built from valid and invalid pieces: whatever is accepted
// must be valid JSON with the same members; valid flat objects must be
// accepted (the fast path engages).
TEST(FlatJsonTest, AgreesWithNlohmannOnRandomInput) {
  std::mt19937 rng(8259);
  auto pick = [&rng](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  const std::vector<std::string> good = {"a",
                                         "Z",
                                         " ",
                                         "\\\"",
                                         "\\\\",
                                         "\\/",
                                         "\\b",
                                         "\\n",
                                         "\\u0000",
                                         "\\u001F",
                                         "\\u00e9",
                                         "\\uD83D\\uDE00",
                                         "\\uffff",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "\xf4\x8f\xbf\xbf",
                                         "\x7f",
                                         "<&'"};
  const std::vector<std::string> bad = {
      "\x01", "\x1f",     "\\x",          "\\u12", "\\uD800", "\\uDC00",
      "\x80", "\xc0\x80", "\xed\xa0\x80", "\xf8",  "\"",      "\\"};
  int accepted_valid = 0, valid = 0;
  for (int i = 0; i < 20000; ++i) {
    const bool corrupt = pick(4) == 0;
    std::string json = pick(8) == 0 ? " {" : "{";
    const size_t n = pick(4);
    for (size_t k = 0; k < n; ++k) {
      if (k > 0) json += pick(10) == 0 ? " , " : ",";
      for (int part = 0; part < 2; ++part) {
        json += "\"";
        for (size_t c = pick(5); c > 0; --c) {
          json += (corrupt && pick(6) == 0) ? bad[pick(bad.size())]
                                            : good[pick(good.size())];
        }
        json += "\"";
        if (part == 0) json += pick(8) == 0 ? " : " : ":";
      }
    }
    json += "}";
    if (corrupt && pick(3) == 0)
      json.insert(pick(json.size() + 1), 1, ",{}1\"\\"[pick(6)]);
    ExpectAgrees(json);
    if (::testing::Test::HasFailure()) break;
    Members ignored;
    if (Oracle(json, &ignored)) {
      ++valid;
      if (ParseFlatJsonObject(json, &ignored)) ++accepted_valid;
    }
  }
  // Every valid input here is a flat object, so all must be accepted.
  EXPECT_GT(valid, 10000);
  EXPECT_EQ(accepted_valid, valid);
}

}  // namespace
}  // namespace tokend::gateway
