#include "core/sessions/jwt_template.h"

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/common/error_reason.h"
#include "gtest/gtest.h"

namespace tokend::sessions {
namespace {

using json = nlohmann::json;

// A user and session as the token service would pass them.
const char kContext[] = R"({
  "user": {
    "id": "user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": "Ada Lovelace",
    "primary_email_address": "ada@example.com",
    "primary_phone_number": "+15555550100",
    "email_verified": true,
    "phone_number_verified": false,
    "image_url": "https://img.example.com/ada.png",
    "created_at": 1700000000,
    "external_id": null,
    "username": "ada",
    "public_metadata": {
      "role": "admin",
      "city": "Zürich",
      "tags": ["a", "b"],
      "profile": {"interests": ["math", "engines"], "age": 36, "score": 1.5,
                  "verified": true, "nothing": null}
    },
    "unsafe_metadata": {"theme": "dark",
                        "nested": {"zero": 0, "no": false, "empty": ""}}
  },
  "session": {"id": "sess_2NNEqL2nrIRdJ194ndJqAHwEfxD", "actor": null}
})";

struct RenderCase {
  std::string name;
  std::string claims;
  std::string want;  // JSON text of the rendered claims.
  std::string context = kContext;
};

std::ostream& operator<<(std::ostream& os, const RenderCase& c) {
  return os << c.name;
}

class RenderTest : public ::testing::TestWithParam<RenderCase> {};

TEST_P(RenderTest, RendersExactly) {
  const RenderCase& c = GetParam();
  absl::StatusOr<CompiledTemplate> compiled =
      CompiledTemplate::Compile(c.claims);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const json rendered = compiled->Render(json::parse(c.context));
  // dump() equality also tells 1 from 1.0, which json's == does not.
  EXPECT_EQ(rendered.dump(), json::parse(c.want).dump()) << c.claims;
}

std::vector<RenderCase> RenderCases() {
  return {
      // Every documented shortcode.
      {"UserId", R"({"uid":"{{user.id}}"})",
       R"({"uid":"user_2NNEqL2nrIRdJ194ndJqAHwEfxC"})"},
      {"EveryUserField", R"({
          "first": "{{user.first_name}}", "last": "{{user.last_name}}",
          "full": "{{user.full_name}}",
          "email": "{{user.primary_email_address}}",
          "phone": "{{user.primary_phone_number}}",
          "email_verified": "{{user.email_verified}}",
          "phone_verified": "{{user.phone_number_verified}}",
          "image": "{{user.image_url}}", "created": "{{user.created_at}}",
          "ext": "{{user.external_id}}", "username": "{{user.username}}"})",
       R"({"first":"Ada","last":"Lovelace","full":"Ada Lovelace",
           "email":"ada@example.com","phone":"+15555550100",
           "email_verified":true,"phone_verified":false,
           "image":"https://img.example.com/ada.png","created":1700000000,
           "ext":null,"username":"ada"})"},
      {"Metadata",
       R"({"pub":"{{user.public_metadata}}","unsafe":"{{user.unsafe_metadata}}"})",
       R"({"pub":{"role":"admin","city":"Zürich","tags":["a","b"],
                  "profile":{"interests":["math","engines"],"age":36,
                             "score":1.5,"verified":true,"nothing":null}},
           "unsafe":{"theme":"dark","nested":{"zero":0,"no":false,"empty":""}}})"},
      {"Session", R"({"sid":"{{session.id}}","act":"{{session.actor}}"})",
       R"({"sid":"sess_2NNEqL2nrIRdJ194ndJqAHwEfxD","act":null})"},
      {"SessionActorObject",
       R"({"act":"{{session.actor}}","a":"{{session.actor.sub}}"})",
       R"({"act":{"iss":"https://admin.example.com","sub":"user_admin"},
           "a":"user_admin"})",
       R"({"user":{},"session":{"actor":{"iss":"https://admin.example.com",
                                         "sub":"user_admin"}}})"},
      {"WhitespaceInsideBraces",
       "{\"a\":\"{{ user.id }}\",\"b\":\"{{\\tuser.username\\n}}\"}",
       R"({"a":"user_2NNEqL2nrIRdJ194ndJqAHwEfxC","b":"ada"})"},

      // Metadata paths.
      {"NestedPathPresent", R"({
          "interests": "{{user.public_metadata.profile.interests}}",
          "age": "{{user.public_metadata.profile.age}}",
          "score": "{{user.public_metadata.profile.score}}",
          "ok": "{{user.public_metadata.profile.verified}}",
          "theme": "{{user.unsafe_metadata.theme}}",
          "zero": "{{user.unsafe_metadata.nested.zero}}"})",
       R"({"interests":["math","engines"],"age":36,"score":1.5,"ok":true,
           "theme":"dark","zero":0})"},
      {"NestedPathAbsent", R"({
          "a": "{{user.public_metadata.missing}}",
          "b": "{{user.public_metadata.profile.missing.deeper}}",
          "c": "{{user.public_metadata.profile.nothing}}",
          "d": "{{user.unsafe_metadata.nested.no.x}}"})",
       R"({"a":null,"b":null,"c":null,"d":null})"},
      {"PathThroughNonObject", R"({
          "string": "{{user.public_metadata.role.length}}",
          "array": "{{user.public_metadata.tags.0}}",
          "number": "{{user.created_at.x}}",
          "null": "{{user.external_id.x}}"})",
       R"({"string":null,"array":null,"number":null,"null":null})"},
      {"MetadataWithoutThePath", R"({"m":"{{user.public_metadata}}"})",
       R"({"m":null})", R"({"user":{"id":"u"}})"},

      // Unknown shortcodes render null.
      {"UnknownShortcodes", R"({
          "field": "{{user.favorite_color}}", "root": "{{org.id}}",
          "bare_name": "{{foo}}", "bare_user": "{{user}}",
          "bare_session": "{{session}}", "private": "{{user.private_metadata}}",
          "in_text": "x={{org.id}}"})",
       R"({"field":null,"root":null,"bare_name":null,"bare_user":null,
           "bare_session":null,"private":null,"in_text":"x=null"})"},
      {"EmptyContext",
       R"({"a":"{{user.id}}","b":"{{session.id}} {{user.id}}"})",
       R"({"a":null,"b":"null null"})", "{}"},
      {"NonObjectContext", R"({"a":"{{user.id}}","b":"{{user.x || 'd'}}"})",
       R"({"a":null,"b":"d"})", "[1,2]"},
      {"NonObjectRoot", R"({"a":"{{user.id}}"})", R"({"a":null})",
       R"({"user":"user_1"})"},

      // Types survive exactly where the whole string is one shortcode.
      {"TypesInArraysAndObjects", R"({
          "list": ["{{user.id}}", 1, "{{user.email_verified}}",
                   ["{{session.id}}", "{{user.public_metadata.tags}}"]],
          "obj": {"deep": {"n": "{{user.created_at}}", "keep": "plain"}},
          "mixed": [{"v": "{{user.public_metadata.profile.score}}"}, null]})",
       R"({"list":["user_2NNEqL2nrIRdJ194ndJqAHwEfxC",1,true,
                   ["sess_2NNEqL2nrIRdJ194ndJqAHwEfxD",["a","b"]]],
           "obj":{"deep":{"n":1700000000,"keep":"plain"}},
           "mixed":[{"v":1.5},null]})"},
      {"ConstantsUntouched",
       R"({"a":1,"b":[true,null,2.5,-0.0,18446744073709551615],"c":{"d":"plain"},"e":{}})",
       R"({"a":1,"b":[true,null,2.5,-0.0,18446744073709551615],"c":{"d":"plain"},"e":{}})"},
      {"EmptyTemplate", "{}", "{}"},
      {"KeysAreNeverTemplated", R"({"{{user.id}}":"{{user.username}}"})",
       R"({"{{user.id}}":"ada"})"},
      {"ReservedNamesNestedAreData",
       R"({"nested":{"sub":"{{user.id}}","iss":"x"},"list":[{"exp":1}],"SUB":2})",
       R"({"nested":{"sub":"user_2NNEqL2nrIRdJ194ndJqAHwEfxC","iss":"x"},
           "list":[{"exp":1}],"SUB":2})"},

      // Interpolation.
      {"InterpolateString", R"({"hi":"Hi {{user.first_name}}!"})",
       R"({"hi":"Hi Ada!"})"},
      {"InterpolateNull", R"({"n":"{{user.external_id}} {{user.first_name}}"})",
       R"({"n":"null Ada"})"},
      {"InterpolateNumbers",
       R"({"i":"at {{user.created_at}}","f":"{{user.public_metadata.profile.score}}x","z":"{{user.unsafe_metadata.nested.zero}}%"})",
       R"({"i":"at 1700000000","f":"1.5x","z":"0%"})"},
      {"InterpolateBools",
       R"({"b":"v={{user.email_verified}}/{{user.phone_number_verified}}"})",
       R"({"b":"v=true/false"})"},
      {"InterpolateObjectAndArray",
       R"({"o":"m={{user.public_metadata.profile}}","a":"{{user.public_metadata.tags}}!"})",
       R"({"o":"m={\"age\":36,\"interests\":[\"math\",\"engines\"],\"nothing\":null,\"score\":1.5,\"verified\":true}",
           "a":"[\"a\",\"b\"]!"})"},
      {"AdjacentShortcodes", R"({"n":"{{user.first_name}}{{user.last_name}}"})",
       R"({"n":"AdaLovelace"})"},
      {"WhitespaceOutsideBracesInterpolates",
       R"({"a":" {{user.created_at}}","b":"{{user.email_verified}} "})",
       R"({"a":" 1700000000","b":"true "})"},
      {"InterpolateLiterals",
       R"({"a":"{{1.5}}/{{ -2 }}/{{true}}/{{null}}/{{'s'}}"})",
       R"({"a":"1.5/-2/true/null/s"})"},

      // `||` chains.
      {"OrFirstPresent", R"({"a":"{{user.external_id || user.id}}"})",
       R"({"a":"user_2NNEqL2nrIRdJ194ndJqAHwEfxC"})"},
      {"OrSkipsFalse", R"({"a":"{{user.phone_number_verified || 'no'}}"})",
       R"({"a":"no"})"},
      {"OrEmptyStringIsPresent",
       R"({"a":"{{user.unsafe_metadata.nested.empty || 'x'}}"})",
       R"({"a":""})"},
      {"OrZeroAndEmptyContainersArePresent", R"({
          "zero": "{{user.unsafe_metadata.nested.zero || 5}}",
          "obj": "{{user.public_metadata.profile || 'none'}}"})",
       R"({"zero":0,"obj":{"interests":["math","engines"],"age":36,
                          "score":1.5,"verified":true,"nothing":null}})"},
      {"OrLiteralFallback",
       R"({"a":"{{user.missing || org.id || 'anonymous'}}"})",
       R"({"a":"anonymous"})"},
      {"OrAllNullGivesLast", R"({"a":"{{user.external_id || user.missing}}"})",
       R"({"a":null})"},
      {"OrAllFalsyGivesLastValue", R"({
          "false_last": "{{user.external_id || user.phone_number_verified}}",
          "null_last": "{{user.phone_number_verified || user.external_id}}",
          "literal_false": "{{null || false}}"})",
       R"({"false_last":false,"null_last":null,"literal_false":false})"},
      {"OrInsideText",
       R"({"a":"Hello {{ user.nickname || user.username || 'guest' }}!"})",
       R"({"a":"Hello ada!"})"},
      {"OrEightOperands", R"({"a":"{{a||b||c||d||e||f||g||'h'}}"})",
       R"({"a":"h"})"},

      // Literals of each kind.
      {"Literals", R"({
          "s": "{{'str'}}", "empty": "{{''}}", "int": "{{42}}",
          "neg": "{{-1.5}}", "e3": "{{1e3}}", "big": "{{18446744073709551615}}",
          "t": "{{true}}", "f": "{{ false }}", "n": "{{null}}"})",
       R"({"s":"str","empty":"","int":42,"neg":-1.5,"e3":1000.0,
           "big":18446744073709551615,"t":true,"f":false,"n":null})"},
      {"StringLiteralEscapes", R"({"q":"{{ 'it\\'s' }}","b":"{{ 'a\\\\b' }}"})",
       R"({"q":"it's","b":"a\\b"})"},
      {"StringLiteralHoldsBracesAndBars",
       R"({"a":"{{ 'a}}b' }}","b":"{{ 'x || y' }}","c":"{{ '{{' }}"})",
       R"({"a":"a}}b","b":"x || y","c":"{{"})"},
      {"KeywordPathsAreNotLiterals",
       R"({"a":"{{true.x}}","b":"{{user.true}}"})", R"({"a":null,"b":null})"},

      // Braces that are not shortcodes.
      {"LoneBraces", R"({
          "a": "{", "b": "a { b }", "c": "}}", "d": "{ {user.id} }",
          "e": "x}}y", "f": "{}", "g": "{user.id}", "h": "}}{{user.username}}"})",
       R"({"a":"{","b":"a { b }","c":"}}","d":"{ {user.id} }","e":"x}}y",
           "f":"{}","g":"{user.id}","h":"}}ada"})"},

      // Unicode.
      {"Unicode", R"({
          "имя": "{{user.first_name}}",
          "greet": "Привет, {{user.first_name}} 👋",
          "city": "{{user.public_metadata.city}}",
          "lit": "{{user.missing || 'Grüße 🌍'}}",
          "escaped": "\u00e9{{user.username}}"})",
       R"({"имя":"Ada","greet":"Привет, Ada 👋","city":"Zürich",
           "lit":"Grüße 🌍","escaped":"éada"})"},
  };
}

INSTANTIATE_TEST_SUITE_P(JwtTemplate, RenderTest,
                         ::testing::ValuesIn(RenderCases()),
                         [](const ::testing::TestParamInfo<RenderCase>& info) {
                           return info.param.name;
                         });

// The parameterized cases read their context from JSON text; this one needs a
// string that is not valid UTF-8, which only a json built in code can hold.
TEST(RenderMiscTest, InvalidUtf8InContextNeverThrows) {
  absl::StatusOr<CompiledTemplate> t = CompiledTemplate::Compile(
      R"({"m":"m={{user.public_metadata}}","raw":"{{user.public_metadata.bad}}"})");
  ASSERT_TRUE(t.ok()) << t.status();
  json context;
  context["user"]["public_metadata"]["bad"] = "\xFF";
  const json rendered = t->Render(context);
  // Objects are dumped with U+FFFD for the bad byte; a raw string is copied.
  EXPECT_EQ(rendered["m"], "m={\"bad\":\"\xEF\xBF\xBD\"}");
  EXPECT_EQ(rendered["raw"].get<std::string>(), "\xFF");
}

TEST(RenderMiscTest, RendersRepeatedlyAndIndependently) {
  absl::StatusOr<CompiledTemplate> t =
      CompiledTemplate::Compile(R"({"id":"{{user.id}}","n":"#{{user.n}}"})");
  ASSERT_TRUE(t.ok()) << t.status();
  for (int i = 0; i < 3; ++i) {
    json context = {{"user", {{"id", i}, {"n", i * 10}}}};
    EXPECT_EQ(t->Render(context).dump(),
              json({{"id", i}, {"n", absl::StrCat("#", i * 10)}}).dump());
  }
  CompiledTemplate copy = *t;  // Copies render the same.
  EXPECT_EQ(copy.Render({{"user", {{"id", "x"}}}}).dump(),
            R"({"id":"x","n":"#null"})");
}

TEST(ShortcodeCountTest, CountsDistinctExpressions) {
  struct Case {
    std::string claims;
    size_t want;
  };
  const Case cases[] = {
      {"{}", 0},
      {R"({"a":"plain","b":1})", 0},
      {R"({"a":"{{user.id}}"})", 1},
      {R"({"a":"{{user.id}}","b":"{{ user.id }}","c":"x {{user.id}}",
           "d":["{{user.id}}"]})",
       1},
      {R"({"a":"{{user.id}}","b":"{{user.first_name}}","c":"{{org.id}}"})", 3},
      {R"({"a":"{{user.id || 'x'}}","b":"{{user.id || 'y'}}","c":"{{'x'}}",
           "d":"{{ 1 }}","e":"{{1.0}}","f":"{{'1'}}"})",
       6},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CompiledTemplate> t = CompiledTemplate::Compile(c.claims);
    ASSERT_TRUE(t.ok()) << c.claims << ": " << t.status();
    EXPECT_EQ(t->shortcode_count(), c.want) << c.claims;
  }
}

// ---------------------------------------------------------------------------
// Rejections.

struct ErrorCase {
  std::string name;
  std::string claims;
  std::string code;     // Clerk code payload.
  std::string message;  // Exact status message.
};

std::ostream& operator<<(std::ostream& os, const ErrorCase& c) {
  return os << c.name;
}

class CompileErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CompileErrorTest, RejectsExactly) {
  const ErrorCase& c = GetParam();
  absl::StatusOr<CompiledTemplate> t = CompiledTemplate::Compile(c.claims);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(t.status().message()), c.message);
  EXPECT_EQ(ClerkCodeOf(t.status()).value_or("<none>"), c.code);
  EXPECT_EQ(ReasonOf(t.status()).value_or("<none>"), c.code);
}

std::string Nested(int depth) {  // `depth` containers, the object included.
  return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
         "}";
}

std::string ManyValues(int n) {
  std::string s = "{\"a\":[";
  for (int i = 1; i < n; ++i) absl::StrAppend(&s, i > 1 ? "," : "", i);
  return s + "]}";
}

// An object of exactly `bytes` bytes (>= 16) whose strings stay short.
std::string Sized(size_t bytes) {
  std::string s = "{";
  for (int i = 0; s.size() + 4000 + 16 < bytes; ++i) {
    absl::StrAppend(&s, "\"k", i, "\":\"", std::string(4000, 'x'), "\",");
  }
  // The last member: "z":"…"} takes 7 bytes besides its text.
  return absl::StrCat(s, "\"z\":\"", std::string(bytes - s.size() - 7, 'x'),
                      "\"}");
}

std::string Chain(int operands) {
  std::string s = "{\"a\":\"{{x";
  for (int i = 1; i < operands; ++i) s += "||x";
  return s + "}}\"}";
}

const char kShortcode[] = "jwt_template_invalid_shortcode";
const char kClaims[] = "jwt_template_invalid_claims";
const char kReserved[] = "jwt_template_reserved_claim";

std::vector<ErrorCase> ErrorCases() {
  std::vector<ErrorCase> cases;
  for (const char* name : kReservedClaims) {
    cases.push_back(
        {absl::StrCat("Reserved_", name),
         absl::StrCat(R"({"ok":1,")", name, R"(":"{{user.id}}"})"), kReserved,
         absl::StrCat("You can't use the reserved claim: '", name, "'")});
  }
  std::vector<ErrorCase> more = {
      // Not a JSON object within the limits.
      {"Array", "[]", kClaims, "invalid claims: JSON value is not an object"},
      {"String", R"("{{user.id}}")", kClaims,
       "invalid claims: JSON value is not an object"},
      {"Number", "1", kClaims, "invalid claims: JSON value is not an object"},
      {"Null", "null", kClaims, "invalid claims: JSON value is not an object"},
      {"Empty", "", kClaims, "invalid claims: invalid JSON at byte 1"},
      {"Unterminated", R"({"a":1)", kClaims,
       "invalid claims: invalid JSON at byte 7"},
      {"MissingValue", R"({"a":})", kClaims,
       "invalid claims: invalid JSON at byte 6"},
      {"SingleQuotedJson", "{'a':1}", kClaims,
       "invalid claims: invalid JSON at byte 2"},
      {"TrailingGarbage", R"({"a":1} x)", kClaims,
       "invalid claims: invalid JSON at byte 9"},
      {"NumberOverflow", R"({"a":1e999})", kClaims,
       "invalid claims: invalid JSON at byte 10"},
      {"DuplicateKey", R"({"a":1,"a":2})", kClaims,
       "invalid claims: duplicate member name"},
      {"Oversized", Sized(kMaxTemplateClaimsBytes + 1), kClaims,
       "invalid claims: JSON exceeds 16384 bytes"},
      {"TooDeep", Nested(kMaxTemplateDepth + 1), kClaims,
       "invalid claims: JSON nested too deeply"},
      {"TooManyValues", ManyValues(kMaxTemplateValues + 1), kClaims,
       "invalid claims: more than 500 values"},
      {"LongString",
       "{\"a\":\"" + std::string(kMaxTemplateStringBytes + 1, 'x') + "\"}",
       kClaims, "invalid claims: a string is longer than 4096 bytes"},
      {"LongKey",
       "{\"" + std::string(kMaxTemplateStringBytes + 1, 'k') + "\":1}", kClaims,
       "invalid claims: a string is longer than 4096 bytes"},

      // Shortcodes that do not parse.
      {"Unclosed", R"({"a":"{{user.id"})", kShortcode,
       R"(invalid shortcode "{{user.id": missing closing '}}')"},
      {"UnclosedSingleBrace", R"({"a":"{{user.id}"})", kShortcode,
       R"(invalid shortcode "{{user.id}": missing closing '}}')"},
      {"SecondUnclosed", R"({"a":"{{user.id}} {{"})", kShortcode,
       R"(invalid shortcode "{{": missing closing '}}')"},
      {"EmptyShortcode", R"({"a":"{{}}"})", kShortcode,
       R"(invalid shortcode "{{}}": empty shortcode)"},
      {"BlankShortcode", R"({"a":"x {{   }}"})", kShortcode,
       R"(invalid shortcode "{{   }}": empty shortcode)"},
      {"TripleBraces", R"({"a":"{{{user.id}}}"})", kShortcode,
       R"(invalid shortcode "{{{user.id}}": unexpected '{')"},
      {"UnterminatedLiteral", R"({"a":"{{ 'abc }}"})", kShortcode,
       R"(invalid shortcode "{{ 'abc }}": unterminated string literal)"},
      {"DoubleQuotedLiteral", R"({"a":"{{ \"abc\" }}"})", kShortcode,
       R"(invalid shortcode "{{ "abc" }}": string literals take single quotes)"},
      {"BadEscape", R"({"a":"{{ 'a\\nb' }}"})", kShortcode,
       R"(invalid shortcode "{{ 'a\nb' }}": unsupported escape in string literal (only \' and \\))"},
      {"LeadingZero", R"({"a":"{{ 01 }}"})", kShortcode,
       R"(invalid shortcode "{{ 01 }}": invalid number literal '01')"},
      {"BareMinus", R"({"a":"{{ - }}"})", kShortcode,
       R"(invalid shortcode "{{ - }}": invalid number literal '-')"},
      {"TrailingDot", R"({"a":"{{ 1. }}"})", kShortcode,
       R"(invalid shortcode "{{ 1. }}": invalid number literal '1.')"},
      {"PlusSign", R"({"a":"{{ +1 }}"})", kShortcode,
       R"(invalid shortcode "{{ +1 }}": unexpected '+')"},
      {"LiteralOverflow", R"({"a":"{{ 1e999 }}"})", kShortcode,
       R"(invalid shortcode "{{ 1e999 }}": invalid number literal '1e999')"},
      {"NumberThenName", R"({"a":"{{ 1x }}"})", kShortcode,
       R"(invalid shortcode "{{ 1x }}": unexpected 'x' (operands are joined by '||'))"},
      {"TooLongChain", Chain(kMaxShortcodeOperands + 1), kShortcode,
       R"(invalid shortcode "{{x||x||x||x||x||x||x||x||x}}": more than 8 operands)"},
      {"DanglingOr", R"({"a":"{{ user.id || }}"})", kShortcode,
       R"(invalid shortcode "{{ user.id || }}": expected an operand after '||')"},
      {"LeadingOr", R"({"a":"{{ || user.id }}"})", kShortcode,
       R"(invalid shortcode "{{ || user.id }}": unexpected '|')"},
      {"SingleBar", R"({"a":"{{ user.id | 'x' }}"})", kShortcode,
       R"(invalid shortcode "{{ user.id | 'x' }}": unexpected '|' (operands are joined by '||'))"},
      {"TwoOperandsNoOr", R"({"a":"{{ user.id user.username }}"})", kShortcode,
       R"(invalid shortcode "{{ user.id user.username }}": unexpected 'u' (operands are joined by '||'))"},
      {"DoubleDot", R"({"a":"{{ user..id }}"})", kShortcode,
       R"(invalid shortcode "{{ user..id }}": expected a name after '.')"},
      {"TrailingPathDot", R"({"a":"{{ user. }}"})", kShortcode,
       R"(invalid shortcode "{{ user. }}": expected a name after '.')"},
      {"LeadingPathDot", R"({"a":"{{ .user }}"})", kShortcode,
       R"(invalid shortcode "{{ .user }}": unexpected '.')"},
      {"SpaceInsidePath", R"({"a":"{{ user. id }}"})", kShortcode,
       R"(invalid shortcode "{{ user. id }}": expected a name after '.')"},
      {"ControlCharacter", R"({"a":"{{ \u0001 }}"})", kShortcode,
       "invalid shortcode \"{{ \x01 }}\": unexpected byte 0x01"},
      {"NonAsciiName", R"({"a":"{{ user.имя }}"})", kShortcode,
       "invalid shortcode \"{{ user.имя }}\": expected a name after '.'"},
      {"TooLongExpression",
       "{\"a\":\"{{" + std::string(kMaxShortcodeBytes + 1, 'x') + "}}\"}",
       kShortcode,
       "invalid shortcode \"{{" + std::string(kMaxShortcodeBytes, 'x') +
           "\": longer than 256 bytes"},
      {"ShortcodeDeepInArray", R"({"a":{"b":[1,{"c":["ok","{{}}"]}]}})",
       kShortcode, R"(invalid shortcode "{{}}": empty shortcode)"},
  };
  cases.insert(cases.end(), more.begin(), more.end());
  return cases;
}

INSTANTIATE_TEST_SUITE_P(JwtTemplate, CompileErrorTest,
                         ::testing::ValuesIn(ErrorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& info) {
                           return info.param.name;
                         });

// The limits are inclusive: exactly at each one compiles.
TEST(CompileLimitsTest, AcceptsExactlyAtTheLimits) {
  const std::string at_limits[] = {
      Sized(kMaxTemplateClaimsBytes),
      Nested(kMaxTemplateDepth),
      ManyValues(kMaxTemplateValues),
      "{\"a\":\"" + std::string(kMaxTemplateStringBytes, 'x') + "\"}",
      "{\"" + std::string(kMaxTemplateStringBytes, 'k') + "\":1}",
      "{\"a\":\"{{" + std::string(kMaxShortcodeBytes, 'x') + "}}\"}",
      "{\"a\":\"{{ '" + std::string(kMaxShortcodeBytes - 4, 'x') + "' }}\"}",
      Chain(kMaxShortcodeOperands),
  };
  EXPECT_EQ(at_limits[0].size(), kMaxTemplateClaimsBytes);
  for (const std::string& claims : at_limits) {
    absl::StatusOr<CompiledTemplate> t = CompiledTemplate::Compile(claims);
    EXPECT_TRUE(t.ok()) << claims.substr(0, 80) << ": " << t.status();
  }
}

TEST(ClerkCodeOfTest, AbsentOnOtherStatuses) {
  EXPECT_EQ(ClerkCodeOf(absl::OkStatus()), std::nullopt);
  EXPECT_EQ(ClerkCodeOf(absl::InvalidArgumentError("x")), std::nullopt);
}

}  // namespace
}  // namespace tokend::sessions
