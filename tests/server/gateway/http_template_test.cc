#include "server/gateway/http_template.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tokend::gateway {
namespace {

// absl::StrRepeat is newer than Debian's Abseil.
std::string Repeat(absl::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

// "seg/seg/...:verb" then " name[start,end)" per variable: one string that
// pins every field of the parse, so a table row can state all of it.
std::string Describe(const HttpTemplate& t) {
  std::string out = absl::StrJoin(t.segments, "/");
  if (!t.verb.empty()) absl::StrAppend(&out, ":", t.verb);
  for (const HttpTemplate::Variable& v : t.variables) {
    absl::StrAppend(&out, " ", absl::StrJoin(v.field_path, "."), "[",
                    v.start_segment, ",", v.end_segment, ")");
  }
  return out;
}

struct GoodCase {
  std::string input;
  std::string expected;
};

class GoodTemplateTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodTemplateTest, Parses) {
  absl::StatusOr<HttpTemplate> t = ParseHttpTemplate(GetParam().input);
  ASSERT_TRUE(t.ok()) << GetParam().input << ": " << t.status();
  EXPECT_EQ(Describe(*t), GetParam().expected) << GetParam().input;
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, GoodTemplateTest,
    ::testing::Values(
        GoodCase{"/v1/things", "v1/things"},
        GoodCase{"/v1/things/{id}", "v1/things/* id[2,3)"},
        // {var} is {var=*}.
        GoodCase{"/v1/things/{id=*}", "v1/things/* id[2,3)"},
        GoodCase{"/v1/{name=projects/*/keys/*}",
                 "v1/projects/*/keys/* name[1,5)"},
        GoodCase{"/v1/files/{path=**}", "v1/files/** path[2,-1)"},
        GoodCase{"/v1/{name=buckets/*}/blobs/{path=**}",
                 "v1/buckets/*/blobs/** name[1,3) path[4,-1)"},
        GoodCase{"/iam/v1/tokens:revoke", "iam/v1/tokens:revoke"},
        GoodCase{"/iam/v1/tokens:createForServiceAccount",
                 "iam/v1/tokens:createForServiceAccount"},
        GoodCase{"/v1/things/{id}:revoke", "v1/things/*:revoke id[2,3)"},
        GoodCase{"/v1/files/{path=**}:meta", "v1/files/**:meta path[2,-1)"},
        GoodCase{"/v1/*/things/**", "v1/*/things/**"},
        GoodCase{"/v1/*:batch", "v1/*:batch"},
        GoodCase{"/v1/**:batch", "v1/**:batch"},
        GoodCase{"/v1/nested/{inner.deep.level}",
                 "v1/nested/* inner.deep.level[2,3)"},
        GoodCase{"/.well-known/jwks.json", ".well-known/jwks.json"},
        GoodCase{"/v1/a-b_c~d.e!$&'()+,;", "v1/a-b_c~d.e!$&'()+,;"},
        GoodCase{"/{x=**}", "** x[0,-1)"}, GoodCase{"/*", "*"},
        GoodCase{"/**", "**"},
        GoodCase{"/v1/{a}/{b}/{c}", "v1/*/*/* a[1,2) b[2,3) c[3,4)"},
        GoodCase{"/v1/{_x1.Y_2}", "v1/* _x1.Y_2[1,2)"},
        // A literal inside a variable, then more literals after it.
        GoodCase{"/v1/{name=things/*}/x", "v1/things/*/x name[1,3)"},
        // Field paths that share a prefix are distinct variables.
        GoodCase{"/v1/{a.b}/{a.c}", "v1/*/* a.b[1,2) a.c[2,3)"},
        GoodCase{"/v1/a:do-it.now", "v1/a:do-it.now"},
        GoodCase{"/v1/..x/x..", "v1/..x/x.."}));

TEST(HttpTemplateTest, AcceptsTheBounds) {
  // 64 one-letter segments: "/a/a/.../a" = 128 bytes.
  std::string path = absl::StrCat(Repeat("/a", kMaxTemplateSegments));
  absl::StatusOr<HttpTemplate> t = ParseHttpTemplate(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->segments.size(), kMaxTemplateSegments);

  std::string long_literal =
      absl::StrCat("/", std::string(kMaxTemplateBytes - 1, 'x'));
  ASSERT_EQ(long_literal.size(), kMaxTemplateBytes);
  EXPECT_TRUE(ParseHttpTemplate(long_literal).ok());
}

struct BadCase {
  std::string input;
  // A substring of the message: the problem and, where it says so, its
  // offset.
  std::string message;
};

class BadTemplateTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadTemplateTest, IsRejectedPrecisely) {
  absl::StatusOr<HttpTemplate> t = ParseHttpTemplate(GetParam().input);
  ASSERT_FALSE(t.ok()) << GetParam().input << " -> " << Describe(*t);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find(GetParam().message), std::string::npos)
      << GetParam().input << ": " << t.status().message();
  EXPECT_EQ(t.status().message().rfind("invalid path template", 0), 0u)
      << t.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, BadTemplateTest,
    ::testing::Values(
        BadCase{"", "must start with '/' at offset 0"},
        BadCase{"v1/things", "must start with '/' at offset 0"},
        BadCase{"/", "empty segment at offset 1"},
        BadCase{"//", "empty segment at offset 1"},
        BadCase{"/v1//things", "empty segment at offset 4"},
        BadCase{"/v1/", "empty segment at offset 4"},
        BadCase{"/:verb", "empty segment at offset 1"},
        BadCase{"/v1/**/things", "'**' is allowed only as the last segment"},
        BadCase{"/v1/{name=**}/x", "'**' is allowed only as the last segment"},
        BadCase{"/{a=**}/{b=**}", "'**' is allowed only as the last segment"},
        BadCase{"/v1/{a={b}}", "nested variables are not allowed at offset 7"},
        BadCase{"/v1/{a=projects/{b}}",
                "nested variables are not allowed at offset 16"},
        BadCase{"/v1/{a}/{a}", "variable \"a\" is bound twice"},
        BadCase{"/v1/{a.b}/{a.b=*}", "variable \"a.b\" is bound twice"},
        BadCase{"/v1/{a", "unterminated variable (missing '}') at offset 6"},
        BadCase{"/v1/{a=b", "unterminated variable (missing '}') at offset 8"},
        BadCase{"/v1/a}", "'}' without a matching '{' at offset 5"},
        BadCase{"/v1/{}", "expected a field name at offset 5"},
        BadCase{"/v1/{1a}", "expected a field name at offset 5"},
        BadCase{"/v1/{a.}", "expected a field name at offset 7"},
        BadCase{"/v1/{a..b}", "expected a field name at offset 7"},
        BadCase{"/v1/{a b}", "expected '}' to close the variable at offset 6"},
        BadCase{"/v1/{a=b:c}",
                "expected '}' to close the variable at offset 8"},
        BadCase{"/v1/{a=}", "empty segment at offset 7"},
        BadCase{"/v1/a*", "variables and wildcards must be whole segments"},
        BadCase{"/v1/x{a}", "variables and wildcards must be whole segments"},
        BadCase{"/v1/***", "'*' and '**' must be whole segments at offset 6"},
        BadCase{"/v1/*a", "'*' and '**' must be whole segments at offset 5"},
        BadCase{"/v1/{a}x", "unexpected character after a segment"},
        BadCase{"/v1/things:", "empty custom verb at offset 11"},
        BadCase{"/v1/things:a:b", "the custom verb must end the template"},
        BadCase{"/v1/things:a/b", "the custom verb must end the template"},
        BadCase{"/v1/a:{b}",
                "character '{' is not allowed in a custom verb at offset 6"},
        BadCase{"/v1/a%20b", "character '%' is not allowed in a literal"},
        BadCase{"/v1/a b", "character ' ' is not allowed in a literal"},
        BadCase{"/v1/a=b", "character '=' is not allowed in a literal"},
        BadCase{"/v1/a?b", "character '?' is not allowed in a literal"},
        BadCase{"/v1/a@b", "character '@' is not allowed in a literal"},
        BadCase{std::string("/v1/a\0b", 7),
                "character '\\x00' is not allowed in a literal"},
        BadCase{"/v1/\xc3\xa9", "is not allowed in a literal at offset 4"},
        BadCase{"/v1/./x", "'.' and '..' segments never match"},
        BadCase{"/v1/{a=..}", "'.' and '..' segments never match"}));

TEST(HttpTemplateTest, RejectsOverTheBounds) {
  std::string too_many = absl::StrCat(Repeat("/a", kMaxTemplateSegments + 1));
  absl::StatusOr<HttpTemplate> t = ParseHttpTemplate(too_many);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("more than 64 segments"),
            std::string::npos)
      << t.status();

  // A variable's own segments count too.
  std::string in_variable =
      absl::StrCat("/v/{x=", Repeat("a/", kMaxTemplateSegments - 1), "a}");
  EXPECT_FALSE(ParseHttpTemplate(in_variable).ok());

  std::string too_long = absl::StrCat("/", std::string(kMaxTemplateBytes, 'x'));
  t = ParseHttpTemplate(too_long);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("longer than 1024 bytes (1025)"),
            std::string::npos)
      << t.status();
  // The over-long input is not echoed back.
  EXPECT_LT(t.status().message().size(), 100u);
}

TEST(HttpTemplateTest, LiteralCharacterSetIsUnreservedPlusSubDelims) {
  std::string allowed;
  for (int c = 0; c < 256; ++c) {
    if (IsTemplateLiteralChar(static_cast<char>(c))) {
      allowed.push_back(static_cast<char>(c));
    }
  }
  EXPECT_EQ(allowed,
            "!$&'()+,-.0123456789;ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
            "abcdefghijklmnopqrstuvwxyz~");
}

}  // namespace
}  // namespace tokend::gateway
