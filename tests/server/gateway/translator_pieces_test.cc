// The request translator's pieces on their own: content type, field paths,
// leaf values, parameter binding and the UTF-8 check. The whole translator
// is request_translator_test's.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "server/gateway/content_type.h"
#include "server/gateway/field_path.h"
#include "server/gateway/form_urlencoded.h"
#include "server/gateway/json_string.h"
#include "server/gateway/leaf_value.h"
#include "server/gateway/parameter_binding.h"
#include "server/gateway/utf8.h"
#include "tests/server/gateway/translator_test.pb.h"

namespace tokend::gateway {
namespace {

using ::tokend::testing::gateway::translator::Color;
using ::tokend::testing::gateway::translator::Everything;

const google::protobuf::FieldDescriptor* Field(const char* name) {
  return Everything::descriptor()->FindFieldByName(name);
}

TEST(ContentTypeTest, JsonWhateverTheLabelUnlessAFormBody) {
  struct {
    const char* content_type;
    const char* body;
    BodyFormat want;
  } cases[] = {
      {"", "{}", BodyFormat::kJson},
      {"application/json", "{}", BodyFormat::kJson},
      {"text/plain", "{\"a\":1}", BodyFormat::kJson},
      {"application/x-www-form-urlencoded", "{\"jwt\":\"x\"}",
       BodyFormat::kJson},
      {"application/x-www-form-urlencoded", "  [1]", BodyFormat::kJson},
      {"Application/X-WWW-Form-Urlencoded; charset=UTF-8", "a=b",
       BodyFormat::kForm},
      {"application/x-www-form-urlencoded", "%7B=b", BodyFormat::kForm},
      {"application/json; charset=\"utf-8\"; boundary=x", "{}",
       BodyFormat::kJson},
  };
  for (const auto& c : cases) {
    absl::StatusOr<BodyFormat> format =
        ParseContentType(c.content_type, c.body);
    ASSERT_TRUE(format.ok()) << c.content_type << ": " << format.status();
    EXPECT_EQ(*format, c.want) << c.content_type << " " << c.body;
  }
}

TEST(ContentTypeTest, OnlyAnotherCharsetIsUnsupported) {
  for (const char* raw : {"application/json; charset=latin1",
                          "application/x-www-form-urlencoded;charset=utf-16",
                          "text/plain; charset=\"iso-8859-1\""}) {
    absl::StatusOr<BodyFormat> format = ParseContentType(raw, "{}");
    ASSERT_FALSE(format.ok()) << raw;
    EXPECT_TRUE(IsUnsupportedMediaType(format.status())) << raw;
    EXPECT_EQ(format.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(IsUnsupportedMediaType(absl::InvalidArgumentError("x")));
}

TEST(FieldPathTest, ResolvesProtoAndJsonNamesToTheCanonicalPath) {
  absl::StatusOr<FieldPath> path =
      ResolvePath(Everything::descriptor(), "inner.leaf.value", "query");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->canonical, "inner.leaf.value");
  EXPECT_EQ(path->fields.size(), 3u);
  path = ResolvePath(Everything::descriptor(), "customJSON", "query");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->canonical, "custom_json");
  path = ResolvePath(Everything::descriptor(), "updateMask", "query");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(path->leaf(), Field("update_mask"));
}

TEST(FieldPathTest, RefusesWhatTextCannotSet) {
  struct {
    const char* dotted;
    const char* message;
  } cases[] = {
      {"nope", "unknown query \"nope\""},
      {"inner.nope", "unknown query \"inner.nope\""},
      {"str.x", "unknown query \"str.x\""},
      {"labels", "query \"labels\" cannot set map field \"labels\""},
      {"inner",
       "query \"inner\" cannot set message field \"inner\"; set its "
       "fields instead"},
      {"inners.name",
       "query \"inners.name\" cannot set fields inside "
       "repeated field \"inners\""},
  };
  for (const auto& c : cases) {
    absl::StatusOr<FieldPath> path =
        ResolvePath(Everything::descriptor(), c.dotted, "query");
    ASSERT_FALSE(path.ok()) << c.dotted;
    EXPECT_EQ(path.status().message(), c.message);
  }
}

TEST(FieldPathTest, OverlapsOnlyAtSegmentBoundaries) {
  EXPECT_TRUE(Overlaps("inner", "inner"));
  EXPECT_TRUE(Overlaps("inner", "inner.name"));
  EXPECT_TRUE(Overlaps("inner.leaf.value", "inner"));
  EXPECT_FALSE(Overlaps("inner", "inners"));
  EXPECT_FALSE(Overlaps("inner.name", "inner.leaf"));
}

TEST(LeafValueTest, EachTypeFromItsTextForm) {
  Everything m;
  ASSERT_TRUE(SetLeaf(&m, Field("i64"), "-9007199254740993", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("u32"), "4294967295", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("flag"), "true", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("score"), "-1.5e3", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("color"), "2", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("colors"), "RED", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("colors"), "GREEN", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("blob"), "_-8", "q").ok());  // URL-safe
  ASSERT_TRUE(SetLeaf(&m, Field("ttl"), "-1.5s", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("at"), "1970-01-01T00:00:01.5Z", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("limit"), "7", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("update_mask"), "a,b.cD", "q").ok());
  ASSERT_TRUE(SetLeaf(&m, Field("str"), "caf\xc3\xa9", "q").ok());
  EXPECT_EQ(m.i64(), -9007199254740993);
  EXPECT_EQ(m.u32(), 4294967295u);
  EXPECT_TRUE(m.flag());
  EXPECT_EQ(m.score(), -1500.0);
  EXPECT_EQ(m.color(), Color::GREEN);
  ASSERT_EQ(m.colors_size(), 2);
  EXPECT_EQ(m.colors(1), Color::GREEN);
  EXPECT_EQ(m.blob(), "\xff\xef");
  EXPECT_EQ(m.ttl().seconds(), -1);
  EXPECT_EQ(m.ttl().nanos(), -500000000);
  EXPECT_EQ(m.at().seconds(), 1);
  EXPECT_EQ(m.at().nanos(), 500000000);
  EXPECT_EQ(m.limit().value(), 7);
  ASSERT_EQ(m.update_mask().paths_size(), 2);
  EXPECT_EQ(m.update_mask().paths(1), "b.c_d");
  EXPECT_EQ(m.str(), "caf\xc3\xa9");
}

TEST(LeafValueTest, RefusesLooseForms) {
  struct {
    const char* field;
    const char* text;
  } cases[] = {
      {"i32", "+1"},
      {"i32", " 1"},
      {"i32", "2147483648"},
      {"u64", "-1"},
      {"flag", "True"},
      {"flag", "1"},
      {"score", "inf"},
      {"score", "0x10"},
      {"ratio", "1e39"},
      {"color", "BLUE"},
      {"color", "9"},
      {"blob", "a b"},
      {"ttl", "1"},
      {"ttl", "1.0000000001s"},
      {"at", "yesterday"},
      {"update_mask", "A"},
      {"update_mask", "a_b"},
      {"str", "\xc0\xaf"},
      {"str", "\xed\xa0\x80"},
  };
  for (const auto& c : cases) {
    Everything m;
    absl::Status status = SetLeaf(&m, Field(c.field), c.text, "q \"x\"");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << c.field << "=" << c.text;
    EXPECT_TRUE(absl::StartsWith(status.message(), "invalid value "))
        << status.message();
  }
}

absl::Status Apply(const char* query, const BoundFields& bound,
                   const std::vector<std::string>& ignored, Everything* m) {
  absl::StatusOr<std::vector<FormParameter>> params =
      ParseFormUrlEncoded(query, "query parameter");
  if (!params.ok()) return params.status();
  return ApplyParameters(*params, "query parameter", bound, ignored, m);
}

TEST(ParameterBindingTest, SetsNestedAndRepeatedInOrder) {
  Everything m;
  ASSERT_TRUE(
      Apply("inner.leaf.value=v&tags=a&tags=b&customJSON=c", {}, {}, &m).ok());
  EXPECT_EQ(m.inner().leaf().value(), "v");
  ASSERT_EQ(m.tags_size(), 2);
  EXPECT_EQ(m.tags(1), "b");
  EXPECT_EQ(m.custom_json(), "c");
}

TEST(ParameterBindingTest, RefusesWhatThePathOrBodyBound) {
  Everything m;
  BoundFields path;
  path.path = {"inner.name"};
  EXPECT_EQ(Apply("inner.name=x", path, {}, &m).message(),
            "query parameter \"inner.name\" is not allowed: field "
            "\"inner.name\" is bound by the URL path");
  BoundFields body;
  body.body_field = "inner";
  EXPECT_EQ(Apply("inner.leaf.flag=true", body, {}, &m).message(),
            "query parameter \"inner.leaf.flag\" is not allowed: field "
            "\"inner.leaf.flag\" is bound by the request body");
  BoundFields everything;
  everything.everything = true;
  EXPECT_EQ(Apply("str=x", everything, {}, &m).message(),
            "query parameter \"str\" is not allowed: the request body binds "
            "every field");
  EXPECT_EQ(Apply("str=a&str=b", {}, {}, &m).message(),
            "query parameter \"str\" given more than once for non-repeated "
            "field \"str\"");
  EXPECT_EQ(Apply("alpha=a&beta=1", {}, {}, &m).message(),
            "query parameter \"beta\" conflicts with field \"alpha\": both "
            "are in oneof \"choice\"");
}

TEST(ParameterBindingTest, IgnoredNamesAreDroppedBeforeEveryRule) {
  Everything m;
  BoundFields everything;
  everything.everything = true;
  EXPECT_TRUE(
      Apply("paginated=true&paginated=x", everything, {"paginated"}, &m).ok());
  EXPECT_EQ(Apply("Paginated=true", {}, {"paginated"}, &m).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Utf8Test, IsValidUtf8MatchesTable3_7) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc2\x80\xdf\xbf"));          // U+0080, U+07FF
  EXPECT_TRUE(IsValidUtf8("\xe0\xa0\x80\xef\xbf\xbf"));  // U+0800, U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));  // U+10000..
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));          // overlong 2-byte
  EXPECT_FALSE(IsValidUtf8("\xe0\x9f\xbf"));      // overlong 3-byte
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));  // overlong 4-byte
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("a\xe2\x82"));         // truncated at the end
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
}

TEST(JsonStringTest, LossyKeepsUtf8AndReplacesWhatIsNot) {
  std::string out;
  AppendJsonStringLossy("caf\xc3\xa9 \"q\" \x01 \xff\xc3", &out);
  // UTF-8 as it is (escaping bytes would double-encode it), invalid bytes
  // as U+FFFD each, controls and quotes escaped.
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\\"q\\\" \\u0001 \\ufffd\\ufffd\"");
  std::string strict;
  EXPECT_FALSE(AppendJsonString("\xff", &strict));
  strict.clear();
  EXPECT_TRUE(AppendJsonString("caf\xc3\xa9", &strict));
  EXPECT_EQ(strict, "\"caf\xc3\xa9\"");
}

}  // namespace
}  // namespace tokend::gateway
