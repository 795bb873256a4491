#include "server/gateway/request_translator.h"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/content_type.h"
#include "server/gateway/form_urlencoded.h"
#include "server/gateway/json_body.h"
#include "tests/server/gateway/translator_test.pb.h"
#include "tokend/api/v1/gateway.pb.h"
#include "tokend/keys/v1/keyring.pb.h"
#include "tokend/sessions/v1/services.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::Message;
using ::google::protobuf::MessageFactory;
using ::google::protobuf::TextFormat;
using ::google::protobuf::util::MessageDifferencer;
using ::tokend::testing::gateway::translator::Everything;
using ::tokend::testing::gateway::translator::JsonNameClash;

constexpr char kJson[] = "application/json";
constexpr char kForm[] = "application/x-www-form-urlencoded";

// One request, and either the exact message it must produce (text format;
// MessageDifferencer tells "set to 0" from "unset" for oneofs and optional
// fields) or the exact status.
struct Case {
  std::string name;
  // A function, not a Descriptor*: the table is built before main().
  const Descriptor* (*type)() = &Everything::descriptor;
  RequestBinding binding;
  // binding.ignored_parameters points here when the case runs (a Case is
  // copied around).
  std::vector<std::string> ignored;
  std::string content_type;
  std::string body;
  std::string query;
  std::string want;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string error;
  bool unsupported = false;

  Case& Of(const Descriptor* (*t)()) {
    type = t;
    return *this;
  }
  Case& BodyRule(std::string rule) {
    binding.body = std::move(rule);
    return *this;
  }
  Case& Path(std::string field, std::string value) {
    binding.path_variables.emplace_back(std::move(field), std::move(value));
    return *this;
  }
  Case& Ignore(std::vector<std::string> names) {
    ignored = std::move(names);
    return *this;
  }
  Case& Body(std::string type_header, std::string text) {
    content_type = std::move(type_header);
    body = std::move(text);
    return *this;
  }
  Case& Json(std::string text) { return Body(kJson, std::move(text)); }
  Case& Form(std::string text) { return Body(kForm, std::move(text)); }
  Case& Query(std::string text) {
    query = std::move(text);
    return *this;
  }
  Case& Want(std::string text) {
    want = std::move(text);
    return *this;
  }
  Case& Invalid(std::string message) {
    code = absl::StatusCode::kInvalidArgument;
    error = std::move(message);
    return *this;
  }
  Case& Unsupported(std::string message) {
    unsupported = true;
    return Invalid(std::move(message));
  }
  Case& Internal(std::string message) {
    code = absl::StatusCode::kInternal;
    error = std::move(message);
    return *this;
  }
};

// gtest would dump the bytes of the struct.
void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

Case C(std::string name) {
  Case c;
  c.name = std::move(name);
  return c;
}

// body "*" JSON over Everything.
Case J(std::string name, std::string json) {
  return C(std::move(name)).BodyRule("*").Json(std::move(json));
}

// Query only (no body binding) over Everything.
Case Q(std::string name, std::string query) {
  return C(std::move(name)).Query(std::move(query));
}

std::string Repeat(absl::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

// {"a":{"a":...1...}} with `objects` objects, and the text format of the
// google.protobuf.Struct it parses to.
std::string NestedJson(int objects) {
  return Repeat(R"({"a":)", objects) + "1" + Repeat("}", objects);
}

std::string NestedStruct(int objects) {
  std::string value = "number_value: 1";
  for (int i = 1; i < objects; ++i) {
    value = absl::StrCat("struct_value { fields { key: \"a\" value { ", value,
                         " } } }");
  }
  return absl::StrCat("fields { key: \"a\" value { ", value, " } }");
}

std::unique_ptr<Message> NewMessage(const Descriptor* type) {
  return std::unique_ptr<Message>(
      MessageFactory::generated_factory()->GetPrototype(type)->New());
}

void RunCase(const Case& c, Message* message) {
  RequestBinding binding = c.binding;
  binding.ignored_parameters = c.ignored;
  const absl::Status status = TranslateRequest(
      binding, HttpRequestParts{c.content_type, c.body, c.query}, message);
  if (c.code == absl::StatusCode::kOk) {
    ASSERT_TRUE(status.ok()) << status;
    std::unique_ptr<Message> want(message->New());
    ASSERT_TRUE(TextFormat::ParseFromString(c.want, want.get())) << c.want;
    EXPECT_TRUE(MessageDifferencer::Equals(*message, *want))
        << "got:  " << message->ShortDebugString()
        << "\nwant: " << want->ShortDebugString();
    return;
  }
  EXPECT_EQ(status.code(), c.code) << status;
  EXPECT_EQ(std::string(status.message()), c.error);
  EXPECT_EQ(IsUnsupportedMediaType(status), c.unsupported) << status;
}

class TranslateTest : public ::testing::TestWithParam<Case> {};

TEST_P(TranslateTest, Generated) {
  std::unique_ptr<Message> message = NewMessage(GetParam().type());
  RunCase(GetParam(), message.get());
}

// The gateway may hold DynamicMessages built from the same descriptors; the
// translator must work through reflection alone.
TEST_P(TranslateTest, Dynamic) {
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<Message> message(
      factory.GetPrototype(GetParam().type())->New());
  RunCase(GetParam(), message.get());
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

// ---------------------------------------------------------------------------
// JSON bodies.

INSTANTIATE_TEST_SUITE_P(
    JsonBody, TranslateTest,
    ::testing::Values(
        J("EmptyBodyIsEmptyMessage", "").Want(""),
        J("EmptyObject", "{}").Want(""),
        J("Scalars",
          R"({"str":"a","blob":"aGk=","i32":-5,"i64":"9223372036854775807",)"
          R"("u32":7,"u64":"18446744073709551615","s32":-3,"f64":"8",)"
          R"("flag":true,"ratio":0.5,"score":-2.25,"color":"GREEN"})")
            .Want(R"(str: "a" blob: "hi" i32: -5 i64: 9223372036854775807
                     u32: 7 u64: 18446744073709551615 s32: -3 f64: 8
                     flag: true ratio: 0.5 score: -2.25 color: GREEN)"),
        J("ProtoNamesAndJsonNames",
          R"({"custom_json":"x","update_mask":"fooBar","innerMap":{}})")
            .Want(R"(custom_json: "x" update_mask { paths: "foo_bar" })"),
        J("ExplicitJsonName", R"({"customJSON":"x"})")
            .Want(R"(custom_json: "x")"),
        J("Nested", R"({"inner":{"name":"n","color":"RED","ids":["1",2],)"
                    R"("leaf":{"value":"v","notes":["a","b"]}},)"
                    R"("inners":[{"name":"a"},{"name":"b"}]})")
            .Want(R"(inner { name: "n" color: RED ids: 1 ids: 2
                             leaf { value: "v" notes: "a" notes: "b" } }
                     inners { name: "a" } inners { name: "b" })"),
        J("Maps",
          R"({"labels":{"a":"1","b":"2"},"innerMap":{"k":{"name":"n"}}})")
            .Want(
                R"(labels { key: "a" value: "1" } labels { key: "b" value: "2" }
                     inner_map { key: "k" value { name: "n" } })"),
        J("WellKnownTypes",
          R"({"at":"2020-01-01T00:00:00.5Z","ttl":"1.5s","limit":"5",)"
          R"("nickname":"nick","enabled":false,"times":["1970-01-01T00:00:01Z"],)"
          R"("meta":{"a":[1,null,{"b":"c"}]}})")
            .Want(R"(at { seconds: 1577836800 nanos: 500000000 }
                     ttl { seconds: 1 nanos: 500000000 } limit { value: 5 }
                     nickname { value: "nick" } enabled { }
                     times { seconds: 1 }
                     meta { fields { key: "a" value { list_value {
                       values { number_value: 1 } values { null_value: NULL_VALUE }
                       values { struct_value { fields { key: "b"
                         value { string_value: "c" } } } } } } } })"),
        J("OneofMember", R"({"beta":"0"})").Want("beta: 0"),
        J("OptionalPresence", R"({"maybe":""})").Want(R"(maybe: "")"),
        J("NullLeavesUnset", R"({"inner":null,"str":null})").Want(""),
        J("Utf8", "{\"str\":\"\xc3\xa9\\u00e9\"}").Want(R"(str: "éé")"),
        J("CharsetUtf8", R"({"str":"a"})")
            .Body("application/json; charset=UTF-8", R"({"str":"a"})")
            .Want(R"(str: "a")"),
        J("QuotedCharsetAndOtherParams", "")
            .Body("Application/JSON ; foo=bar; charset=\"utf-8\"", "{}")
            .Want(""),
        // The root object, "meta" and 30 more: 32 levels.
        J("DepthLimitReached", R"({"meta":)" + NestedJson(31) + "}")
            .Want(absl::StrCat("meta { ", NestedStruct(31), " }")),
        // Same-named keys in different objects are not duplicates.
        J("SameKeyInSiblingObjects",
          R"({"inners":[{"name":"a"},{"name":"b"}],"inner":{"name":"c"}})")
            .Want(R"(inners { name: "a" } inners { name: "b" }
                     inner { name: "c" })"),

        // Errors.
        J("UnknownField", R"({"foo":1})").Invalid(R"(unknown field "foo")"),
        J("UnknownNestedField", R"({"inner":{"leaf":{"zz":true}}})")
            .Invalid(R"(unknown field "inner.leaf.zz")"),
        J("UnknownFieldInRepeated", R"({"inners":[{},{"bad":1}]})")
            .Invalid(R"(unknown field "inners[1].bad")"),
        J("WrongScalarType", R"({"i32":"abc"})")
            .Invalid(
                R"(invalid value for field "i32" (expected int32): "abc")"),
        J("IntOutOfRange", R"({"i32":2147483648})")
            .Invalid(
                R"(invalid value for field "i32" (expected int32): 2147483648)"),
        J("StringGivenNumber", R"({"str":1})")
            .Invalid(R"(invalid value for field "str" (expected string): 1)"),
        J("UnknownEnumName", R"({"color":"BLUE"})")
            .Invalid(
                R"(invalid value for field "color" (expected tokend.testing.gateway.translator.Color): "BLUE")"),
        J("BadBase64", R"({"blob":"!!"})")
            .Invalid(
                R"(invalid value for field "blob" (expected bytes): "!!")"),
        J("BadTimestamp", R"({"at":"yesterday"})")
            .Invalid(
                R"(invalid value for field "at" (expected google.protobuf.Timestamp): Field 'at', Invalid time format: yesterday)"),
        J("ArrayForScalar", R"({"str":[]})")
            .Invalid(
                R"(invalid value for field "str": an array for a non-repeated field)"),
        J("ArrayForNestedScalar", R"({"inner":{"name":[]}})")
            .Invalid(
                R"(invalid value for field "inner.name": an array for a non-repeated field)"),
        J("ObjectForNestedScalar", R"({"inner":{"name":{}}})")
            .Invalid(
                R"(invalid value for field "inner.name": an object for a non-message field)"),
        J("ScalarForMessage", R"({"inner":1})")
            .Invalid(
                R"(invalid value for field "inner" (expected tokend.testing.gateway.translator.Inner): 1)"),
        J("BadRepeatedElement", R"({"inner":{"ids":["1","x"]}})")
            .Invalid(
                R"(invalid value for field "inner.ids[1]" (expected int64): "x")"),
        J("ListForMap", R"({"labels":[]})")
            .Invalid("invalid JSON body: Cannot bind a list to map for field "
                     "'labels'."),
        J("ObjectForMapString", R"({"labels":{"a":{}}})")
            .Invalid(
                "invalid JSON body: JSON transcoder produced invalid protobuf "
                "output."),
        J("TwoOneofMembers", R"({"alpha":"a","beta":"1"})")
            .Invalid(R"(oneof "choice" already set; cannot also set "beta")"),
        J("OneofMessageThenScalar",
          R"({"inner":{"name":"x"},"gamma":{"name":"a"},"alpha":"b"})")
            .Invalid(R"(oneof "choice" already set; cannot also set "alpha")"),
        J("DuplicateKey", R"({"str":"a","str":"b"})")
            .Invalid(R"(duplicate field "str" in JSON body)"),
        J("DuplicateViaJsonName", R"({"customJSON":"a","custom_json":"b"})")
            .Invalid(R"(duplicate field "custom_json" in JSON body)"),
        // Paths protobuf's parser takes but cannot print back the same way.
        J("FieldMaskThatDoesNotRoundTrip", R"({"updateMask":"fooB_v"})")
            .Invalid(
                R"(invalid value for field "update_mask" (expected comma-separated lowerCamel field paths))"),
        J("DuplicateViaCamelCase", R"({"update_mask":"a","updateMask":"b"})")
            .Invalid(R"(duplicate field "update_mask" in JSON body)"),
        J("DuplicateNested", R"({"inner":{"leaf":{"flag":true,"flag":false}}})")
            .Invalid(R"(duplicate field "flag" in JSON body)"),
        J("DuplicateInRepeatedElement",
          R"({"inners":[{},{"name":"a","name":"b"}]})")
            .Invalid(R"(duplicate field "name" in JSON body)"),
        J("DuplicateMapKey", R"({"labels":{"a":"1","a":"2"}})")
            .Invalid(R"(duplicate key "a" in JSON body)"),
        J("DuplicateStructKey", R"({"meta":{"k":1,"k":1}})")
            .Invalid(R"(duplicate key "k" in JSON body)"),
        J("TooDeep", R"({"meta":)" + NestedJson(32) + "}")
            .Invalid("JSON body nested deeper than 32 levels"),
        J("TooDeepInsideArrays",
          R"({"meta":{"a":)" + Repeat("[", 40) + Repeat("]", 40) + "}}")
            .Invalid("JSON body nested deeper than 32 levels"),
        J("Truncated", R"({"str":)")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 8: syntax "
                "error while parsing value - unexpected end of input; "
                "expected '[', '{', or a literal"),
        // protobuf's own parser would accept these three.
        J("SingleQuotes", R"({'str':"a"})")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 2: syntax "
                "error while parsing object key - invalid literal; expected "
                "string literal"),
        J("BareKey", R"({str:"a"})")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 2: syntax "
                "error while parsing object key - invalid literal; expected "
                "string literal"),
        J("TrailingGarbage", R"({"str":"a"} x)")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 13: syntax "
                "error while parsing value - invalid literal; expected end of "
                "input"),
        J("InvalidUtf8", "{\"str\":\"\xff\"}")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 9: syntax "
                "error while parsing value - invalid string: ill-formed UTF-8 "
                "byte"),
        J("LoneSurrogate", R"({"str":"\ud800"})")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 15: syntax "
                "error while parsing value - invalid string: surrogate "
                "U+D800..U+DBFF must be followed by U+DC00..U+DFFF"),
        J("NotAnObject", "[]")
            .Invalid("malformed JSON body: expected an object"),
        J("ScalarNotAnObject", R"("str")")
            .Invalid("malformed JSON body: expected an object"),
        J("WhitespaceOnly", " ")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 2: syntax "
                "error while parsing value - unexpected end of input; expected "
                "'[', '{', or a literal")),
    CaseName);

// ---------------------------------------------------------------------------
// Content types and body rules.

INSTANTIATE_TEST_SUITE_P(
    ContentType, TranslateTest,
    ::testing::Values(
        // As grpc-gateway: JSON whatever the label says, so the vendors'
        // documented `curl --data '{...}'` (labelled a form) works.
        J("TextPlain", "")
            .Body("text/plain", R"({"str":"a"})")
            .Want(R"(str: "a")"),
        J("Missing", "").Body("", R"({"str":"a"})").Want(R"(str: "a")"),
        J("UnknownType", "")
            .Body("application/jsonx", R"({"str":"a"})")
            .Want(R"(str: "a")"),
        J("JsonLabelledForm", "")
            .Form(R"( {"str":"a","flag":true})")
            .Want(R"(str: "a" flag: true)"),
        C("JsonArrayLabelledFormForRepeatedBody")
            .BodyRule("inners")
            .Form(R"([{"name":"a"}])")
            .Want(R"(inners { name: "a" })"),
        // A form labelled as one is still a form; JSON errors for the rest.
        C("FormStaysAForm").BodyRule("*").Form("str=%7Bx").Want(R"(str: "{x")"),
        J("TextPlainNotJson", "")
            .Body("text/plain", "str=a")
            .Invalid(
                "malformed JSON body: parse error at line 1, column 1: syntax "
                "error while parsing value - invalid literal"),
        J("Latin1", "")
            .Body("application/json; charset=latin1", "{}")
            .Unsupported(
                R"(unsupported Content-Type "application/json; charset=latin1": the charset must be utf-8)"),
        J("FormLatin1", "")
            .Body("application/x-www-form-urlencoded;charset=iso-8859-1", "a=b")
            .Unsupported(
                R"(unsupported Content-Type "application/x-www-form-urlencoded;charset=iso-8859-1": the charset must be utf-8)"),
        // An empty body has no media type to check.
        J("EmptyBodyAnyType", "").Body("text/plain", "").Want(""),
        C("NoBodyRuleEmptyBody").Body("text/plain", "").Want(""),
        C("NoBodyRuleWithBody")
            .Json("{}")
            .Invalid("request body not allowed for this method"),
        // Rejected before the media type is looked at.
        C("NoBodyRuleWithUnsupportedBody")
            .Body("text/plain", "x")
            .Invalid("request body not allowed for this method"),
        C("BodyFieldMissing")
            .BodyRule("nope")
            .Json("{}")
            .Internal(
                R"(gateway binding: body field "nope" is not a field of tokend.testing.gateway.translator.Everything)")),
    CaseName);

// body: "field".
INSTANTIATE_TEST_SUITE_P(
    BodyField, TranslateTest,
    ::testing::Values(
        C("Message")
            .BodyRule("inner")
            .Json(R"({"name":"n","leaf":{"flag":true}})")
            .Want(R"(inner { name: "n" leaf { flag: true } })"),
        C("MessageEmptyBodyLeavesUnset").BodyRule("inner").Json("").Want(""),
        C("MessageEmptyObjectSetsIt")
            .BodyRule("inner")
            .Json("{}")
            .Want("inner { }"),
        C("Scalar").BodyRule("str").Json(R"("hello")").Want(R"(str: "hello")"),
        C("Int64Scalar").BodyRule("i64").Json("42").Want("i64: 42"),
        C("Repeated")
            .BodyRule("tags")
            .Json(R"(["a","b"])")
            .Want(R"(tags: "a" tags: "b")"),
        C("RepeatedMessages")
            .BodyRule("inners")
            .Json(R"([{"name":"a"},{"ids":["3"]}])")
            .Want(R"(inners { name: "a" } inners { ids: 3 })"),
        C("Map")
            .BodyRule("labels")
            .Json(R"({"k":"v"})")
            .Want(R"(labels { key: "k" value: "v" })"),
        C("Timestamp")
            .BodyRule("at")
            .Json(R"("1970-01-01T00:01:00Z")")
            .Want("at { seconds: 60 }"),
        C("WithQueryOnOtherFields")
            .BodyRule("inner")
            .Json(R"({"name":"n"})")
            .Query("str=s&gamma.name=g")
            .Want(R"(inner { name: "n" } str: "s" gamma { name: "g" })"),
        C("UnknownFieldNamedFromMessage")
            .BodyRule("inner")
            .Json(R"({"foo":1})")
            .Invalid(R"(unknown field "inner.foo")"),
        C("WrongType")
            .BodyRule("str")
            .Json("{}")
            .Invalid(
                R"(invalid value for field "str": an object for a non-message field)"),
        C("DuplicateInsideField")
            .BodyRule("inner")
            .Json(R"({"name":"a","name":"b"})")
            .Invalid(R"(duplicate field "name" in JSON body)"),
        // The body's own depth; the field's key is not a level.
        C("DepthCountsFromBody")
            .BodyRule("meta")
            .Json(NestedJson(32))
            .Want(absl::StrCat("meta { ", NestedStruct(32), " }")),
        C("BodyFieldTooDeep")
            .BodyRule("meta")
            .Json(NestedJson(33))
            .Invalid("JSON body nested deeper than 32 levels"),
        C("QueryOnBodyField")
            .BodyRule("inner")
            .Json("{}")
            .Query("inner.name=x")
            .Invalid(
                R"(query parameter "inner.name" is not allowed: field "inner.name" is bound by the request body)"),
        C("QueryOnBodyFieldByJsonName")
            .BodyRule("update_mask")
            .Query("updateMask=a")
            .Invalid(
                R"(query parameter "updateMask" is not allowed: field "update_mask" is bound by the request body)"),
        C("QueryOtherOneofMember")
            .BodyRule("gamma")
            .Json("{}")
            .Query("alpha=a")
            .Invalid(
                R"(query parameter "alpha" conflicts with field "gamma": both are in oneof "choice")")),
    CaseName);

// application/x-www-form-urlencoded.
INSTANTIATE_TEST_SUITE_P(
    FormBody, TranslateTest,
    ::testing::Values(
        C("WholeMessage")
            .BodyRule("*")
            .Form("str=a+b%21&tags=x&tags=y&inner.leaf.value=v&flag=true&"
                  "customJSON=c&i64=-9")
            .Want(R"(str: "a b!" tags: "x" tags: "y"
                     inner { leaf { value: "v" } } flag: true
                     custom_json: "c" i64: -9)"),
        C("CharsetUtf8")
            .BodyRule("*")
            .Body("application/x-www-form-urlencoded; charset=utf-8", "str=a")
            .Want(R"(str: "a")"),
        C("BodyFieldMessage")
            .BodyRule("inner")
            .Form("name=n&ids=1&ids=2&leaf.flag=true")
            .Want(R"(inner { name: "n" ids: 1 ids: 2 leaf { flag: true } })"),
        C("BodyFieldScalar")
            .BodyRule("str")
            .Form("str=a")
            .Unsupported(
                R"(unsupported Content-Type "application/x-www-form-urlencoded": the body is field "str", which a form cannot set; send JSON)"),
        C("BodyFieldRepeated")
            .BodyRule("inners")
            .Form("name=a")
            .Unsupported(
                R"(unsupported Content-Type "application/x-www-form-urlencoded": the body is field "inners", which a form cannot set; send JSON)"),
        C("UnknownField")
            .BodyRule("*")
            .Form("zz=1")
            .Invalid(R"(unknown form field "zz")"),
        C("UnknownFieldRelativeToBodyField")
            .BodyRule("inner")
            .Form("str=1")
            .Invalid(R"(unknown form field "str")"),
        C("Repeated")
            .BodyRule("*")
            .Form("str=a&str=b")
            .Invalid(
                R"(form field "str" given more than once for non-repeated field "str")"),
        C("BadValue")
            .BodyRule("*")
            .Form("flag=yes")
            .Invalid(
                R"(invalid value "yes" for form field "flag" (expected true or false))"),
        C("TooMany")
            .BodyRule("*")
            .Form(Repeat("numbers=1&", 101))
            .Invalid("too many form fields (limit 100)"),
        C("BadEscape")
            .BodyRule("*")
            .Form("str=%g0")
            .Invalid(R"(malformed percent-encoding in form field "str")"),
        // The form is the body: with "*" the query must stay empty.
        C("QueryStillRejected")
            .BodyRule("*")
            .Form("str=a")
            .Query("i32=1")
            .Invalid(
                R"(query parameter "i32" is not allowed: the request body binds every field)")),
    CaseName);

// ---------------------------------------------------------------------------
// Path variables.

INSTANTIATE_TEST_SUITE_P(
    PathVariables, TranslateTest,
    ::testing::Values(
        C("String").Path("str", "a/b c%").Want(R"(str: "a/b c%")"),
        C("Nested")
            .Path("inner.leaf.value", "v")
            .Path("i64", "-1")
            .Want(R"(inner { leaf { value: "v" } } i64: -1)"),
        C("JsonNameSegment")
            .Path("customJSON", "x")
            .Want(R"(custom_json: "x")"),
        C("EnumAndTimestamp")
            .Path("color", "RED")
            .Path("at", "1970-01-01T00:00:02Z")
            .Want("color: RED at { seconds: 2 }"),
        // The path wins over the body, even with the type's default value
        // (a merge of parsed messages would keep the body's 5).
        C("PathWinsOverBody")
            .BodyRule("*")
            .Json(
                R"({"str":"body","i64":"5","inner":{"name":"b","color":"RED"}})")
            .Path("str", "path")
            .Path("i64", "0")
            .Path("inner.name", "p")
            .Want(R"(str: "path" i64: 0 inner { name: "p" color: RED })"),
        C("PathWinsOverBodyField")
            .BodyRule("inner")
            .Json(R"({"name":"body"})")
            .Path("inner.name", "path")
            .Want(R"(inner { name: "path" })"),
        C("PathReplacesOtherOneofMember")
            .BodyRule("*")
            .Json(R"({"alpha":"a"})")
            .Path("beta", "7")
            .Want("beta: 7"),
        C("PathReplacesTimestamp")
            .BodyRule("*")
            .Json(R"({"at":"1970-01-01T00:00:01.5Z"})")
            .Path("at", "1970-01-01T00:00:03Z")
            .Want("at { seconds: 3 }"),
        C("BadInt")
            .Path("i64", "x")
            .Invalid(
                R"(invalid value "x" for path variable "i64" (expected int64))"),
        C("BadUtf8")
            .Path("str", "\xc3")
            .Invalid(
                R"(invalid value "\xc3" for path variable "str" (expected UTF-8 text))"),
        C("Unknown")
            .Path("nope", "1")
            .Internal(R"(gateway binding: unknown path variable "nope")"),
        C("Repeated")
            .Path("tags", "a")
            .Internal(
                R"(gateway binding: path variable "tags" names a repeated field)"),
        C("MessageField")
            .Path("inner", "a")
            .Internal(
                R"(gateway binding: path variable "inner" cannot set message field "inner"; set its fields instead)"),
        C("MapField")
            .Path("labels", "a")
            .Internal(
                R"(gateway binding: path variable "labels" cannot set map field "labels")")),
    CaseName);

// ---------------------------------------------------------------------------
// Query parameters: one value of every leaf kind.

INSTANTIATE_TEST_SUITE_P(
    QueryValues, TranslateTest,
    ::testing::Values(
        Q("String", "str=a+b%2Bc%20d%C3%A9").Want(R"(str: "a b+c dé")"),
        Q("EmptyString", "str=").Want(""),
        Q("NameOnly", "maybe").Want(R"(maybe: "")"),
        Q("EmptyPiecesSkipped", "&&str=a&").Want(R"(str: "a")"),
        Q("ValueWithEquals", "str=a=b").Want(R"(str: "a=b")"),
        Q("BytesStandard", "blob=%2B%2F8%3D").Want(R"(blob: "\xfb\xff")"),
        Q("BytesUrlSafe", "blob=-_8").Want(R"(blob: "\xfb\xff")"),
        Q("BytesUnpadded", "blob=aGk").Want(R"(blob: "hi")"),
        Q("Int32Min", "i32=-2147483648").Want("i32: -2147483648"),
        Q("Int64Max", "i64=9223372036854775807")
            .Want("i64: 9223372036854775807"),
        Q("LeadingZeros", "i64=007").Want("i64: 7"),
        Q("Uint32Max", "u32=4294967295").Want("u32: 4294967295"),
        Q("Uint64Max", "u64=18446744073709551615")
            .Want("u64: 18446744073709551615"),
        Q("Sint32", "s32=-4").Want("s32: -4"),
        Q("Fixed64", "f64=12").Want("f64: 12"),
        Q("BoolTrue", "flag=true").Want("flag: true"),
        Q("BoolFalse", "flag=false").Want(""),
        Q("Float", "ratio=0.25").Want("ratio: 0.25"),
        Q("DoubleExponent", "score=-1.5e3").Want("score: -1500"),
        Q("DoubleInfinity", "score=-Infinity").Want("score: -inf"),
        Q("EnumName", "color=GREEN").Want("color: GREEN"),
        Q("EnumNumber", "color=1").Want("color: RED"),
        Q("OneofMember", "beta=0").Want("beta: 0"),
        Q("OptionalPresence", "maybe=").Want(R"(maybe: "")"),
        Q("Timestamp", "at=2020-01-01T01%3A00%3A00%2B01%3A00")
            .Want("at { seconds: 1577836800 }"),
        Q("Duration", "ttl=-1.000000001s")
            .Want("ttl { seconds: -1 nanos: -1 }"),
        Q("Int64Wrapper", "limit=0").Want("limit { }"),
        Q("StringWrapper", "nickname=n").Want(R"(nickname { value: "n" })"),
        Q("BoolWrapper", "enabled=true").Want("enabled { value: true }"),
        Q("BytesWrapper", "raw=aGk%3D").Want(R"(raw { value: "hi" })"),
        Q("FieldMask", "update_mask=fooBar,inner.leafValue")
            .Want(
                R"(update_mask { paths: "foo_bar" paths: "inner.leaf_value" })"),
        Q("EmptyFieldMask", "update_mask=").Want("update_mask { }"),
        Q("JsonNames", "customJSON=x&updateMask=a")
            .Want(R"(custom_json: "x" update_mask { paths: "a" })"),
        Q("Nested", "inner.name=n&inner.leaf.flag=true&inner.color=RED")
            .Want(R"(inner { name: "n" color: RED leaf { flag: true } })"),
        Q("RepeatedInOrder",
          "tags=b&numbers=3&tags=a&numbers=-1&colors=RED&colors=0&"
          "inner.ids=5&inner.ids=6&blobs=aGk%3D&times=1970-01-01T00:00:01Z&"
          "times=1970-01-01T00:00:02Z&inner.leaf.notes=n")
            .Want(R"(tags: "b" tags: "a" numbers: 3 numbers: -1
                     colors: RED colors: COLOR_UNSPECIFIED
                     inner { ids: 5 ids: 6 leaf { notes: "n" } }
                     blobs: "hi" times { seconds: 1 } times { seconds: 2 })"),
        Q("RepeatedEmptyValue", "tags=&tags=").Want(R"(tags: "" tags: "")"),
        Q("NestedOneof", "gamma.name=g").Want(R"(gamma { name: "g" })"),
        Q("AtLimit", Repeat("numbers=1&", 100))
            .Want(Repeat("numbers: 1 ", 100)),
        Q("NameAtLimit", Repeat("a", 256) + "=1")
            .Invalid(absl::StrCat(R"(unknown query parameter ")",
                                  Repeat("a", 64), R"(...")"))),
    CaseName);

// Query parameters: every rejection.
INSTANTIATE_TEST_SUITE_P(
    QueryErrors, TranslateTest,
    ::testing::Values(
        Q("Unknown", "zz=1").Invalid(R"(unknown query parameter "zz")"),
        Q("UnknownAfterKnown", "str=a&Str=b")
            .Invalid(R"(unknown query parameter "Str")"),
        Q("ThroughScalar", "str.x=1")
            .Invalid(R"(unknown query parameter "str.x")"),
        Q("EmptySegment", "inner..name=1")
            .Invalid(R"(unknown query parameter "inner..name")"),
        Q("TrailingDot", "inner.=1")
            .Invalid(R"(unknown query parameter "inner.")"),
        Q("EscapedName", "%0A=1").Invalid(R"(unknown query parameter "\n")"),
        Q("Map", "labels=1")
            .Invalid(
                R"(query parameter "labels" cannot set map field "labels")"),
        Q("MapKey", "labels.a=1")
            .Invalid(
                R"(query parameter "labels.a" cannot set map field "labels")"),
        Q("Message", "inner=1")
            .Invalid(
                R"(query parameter "inner" cannot set message field "inner"; set its fields instead)"),
        Q("Struct", "meta=1")
            .Invalid(
                R"(query parameter "meta" cannot set message field "meta"; set its fields instead)"),
        Q("ThroughRepeatedMessage", "inners.name=a")
            .Invalid(
                R"(query parameter "inners.name" cannot set fields inside repeated field "inners")"),
        Q("NonRepeatedTwice", "str=a&str=b")
            .Invalid(
                R"(query parameter "str" given more than once for non-repeated field "str")"),
        Q("NonRepeatedTwiceByTwoNames", "custom_json=a&customJSON=b")
            .Invalid(
                R"(query parameter "customJSON" given more than once for non-repeated field "custom_json")"),
        Q("WrapperTwice", "limit=1&limit=2")
            .Invalid(
                R"(query parameter "limit" given more than once for non-repeated field "limit")"),
        Q("TwoOneofMembers", "alpha=a&beta=1")
            .Invalid(
                R"(query parameter "beta" conflicts with field "alpha": both are in oneof "choice")"),
        Q("OneofThroughMessage", "alpha=a&gamma.name=x")
            .Invalid(
                R"(query parameter "gamma.name" conflicts with field "alpha": both are in oneof "choice")"),
        C("OneofSetByPath")
            .Path("beta", "1")
            .Query("alpha=a")
            .Invalid(
                R"(query parameter "alpha" conflicts with field "beta": both are in oneof "choice")"),
        C("BoundByPath")
            .Path("inner.name", "p")
            .Query("inner.name=q")
            .Invalid(
                R"(query parameter "inner.name" is not allowed: field "inner.name" is bound by the URL path)"),
        C("BoundByPathJsonName")
            .Path("custom_json", "p")
            .Query("customJSON=q")
            .Invalid(
                R"(query parameter "customJSON" is not allowed: field "custom_json" is bound by the URL path)"),
        C("UnderPathBoundField")
            .Path("at", "1970-01-01T00:00:00Z")
            .Query("at.seconds=1")
            .Invalid(R"(unknown query parameter "at.seconds")"),
        C("BodyStarRejectsAll")
            .BodyRule("*")
            .Query("str=a")
            .Invalid(
                R"(query parameter "str" is not allowed: the request body binds every field)"),
        C("BodyStarRejectsUnknown")
            .BodyRule("*")
            .Json("{}")
            .Query("zz")
            .Invalid(
                R"(query parameter "zz" is not allowed: the request body binds every field)"),
        C("BodyStarEmptyQueryPieces").BodyRule("*").Query("&&").Want(""),
        Q("TooMany", Repeat("numbers=1&", 101))
            .Invalid("too many query parameters (limit 100)"),
        Q("NameTooLong", Repeat("a", 257) + "=1")
            .Invalid("query parameter name longer than 256 bytes"),
        Q("EmptyName", "=a").Invalid("empty query parameter name"),
        Q("BadEscapeInValue", "str=%zz")
            .Invalid(R"(malformed percent-encoding in query parameter "str")"),
        Q("TruncatedEscape", "str=a%4")
            .Invalid(R"(malformed percent-encoding in query parameter "str")"),
        Q("BadEscapeInName", "s%t=1")
            .Invalid(R"(malformed percent-encoding in query parameter "s%t")"),
        Q("Int32Overflow", "i32=2147483648")
            .Invalid(
                R"(invalid value "2147483648" for query parameter "i32" (expected int32))"),
        Q("Int32Plus", "i32=%2B1")
            .Invalid(
                R"(invalid value "+1" for query parameter "i32" (expected int32))"),
        Q("Int32Space", "i32=+1")
            .Invalid(
                R"(invalid value " 1" for query parameter "i32" (expected int32))"),
        Q("Int64Fraction", "i64=1.0")
            .Invalid(
                R"(invalid value "1.0" for query parameter "i64" (expected int64))"),
        Q("Int64Empty", "i64=")
            .Invalid(
                R"(invalid value "" for query parameter "i64" (expected int64))"),
        Q("Uint32Negative", "u32=-1")
            .Invalid(
                R"(invalid value "-1" for query parameter "u32" (expected uint32))"),
        Q("Uint64Overflow", "u64=18446744073709551616")
            .Invalid(
                R"(invalid value "18446744073709551616" for query parameter "u64" (expected uint64))"),
        Q("Sint32", "s32=x")
            .Invalid(
                R"(invalid value "x" for query parameter "s32" (expected sint32))"),
        Q("Fixed64Negative", "f64=-1")
            .Invalid(
                R"(invalid value "-1" for query parameter "f64" (expected fixed64))"),
        Q("BoolNumber", "flag=1")
            .Invalid(
                R"(invalid value "1" for query parameter "flag" (expected true or false))"),
        Q("BoolCapitalized", "flag=True")
            .Invalid(
                R"(invalid value "True" for query parameter "flag" (expected true or false))"),
        Q("FloatOverflow", "ratio=1e39")
            .Invalid(
                R"(invalid value "1e39" for query parameter "ratio" (expected float))"),
        Q("DoubleOverflow", "score=1e400")
            .Invalid(
                R"(invalid value "1e400" for query parameter "score" (expected double))"),
        Q("DoubleInf", "score=inf")
            .Invalid(
                R"(invalid value "inf" for query parameter "score" (expected double))"),
        Q("DoubleHex", "score=0x10")
            .Invalid(
                R"(invalid value "0x10" for query parameter "score" (expected double))"),
        Q("EnumUnknownName", "color=BLUE")
            .Invalid(
                R"(invalid value "BLUE" for query parameter "color" (expected one of COLOR_UNSPECIFIED, RED, GREEN))"),
        Q("EnumUndeclaredNumber", "colors=7")
            .Invalid(
                R"(invalid value "7" for query parameter "colors" (expected one of COLOR_UNSPECIFIED, RED, GREEN))"),
        Q("EnumLowercase", "color=red")
            .Invalid(
                R"(invalid value "red" for query parameter "color" (expected one of COLOR_UNSPECIFIED, RED, GREEN))"),
        // A raw '+' is a space: standard base64 must escape it.
        Q("BytesUnescapedPlus", "blob=+/8=")
            .Invalid(
                R"(invalid value " /8=" for query parameter "blob" (expected base64))"),
        Q("BytesBadLength", "blob=a")
            .Invalid(
                R"(invalid value "a" for query parameter "blob" (expected base64))"),
        Q("StringInvalidUtf8", "str=%FF")
            .Invalid(
                R"(invalid value "\xff" for query parameter "str" (expected UTF-8 text))"),
        Q("StringSurrogate", "str=%ED%A0%80")
            .Invalid(
                R"(invalid value "\xed\xa0\x80" for query parameter "str" (expected UTF-8 text))"),
        Q("StringOverlong", "tags=%C0%AF")
            .Invalid(
                R"(invalid value "\xc0\xaf" for query parameter "tags" (expected UTF-8 text))"),
        Q("Timestamp", "at=yesterday")
            .Invalid(
                R"(invalid value "yesterday" for query parameter "at" (expected an RFC 3339 timestamp))"),
        Q("RepeatedTimestamp", "times=1970-01-01T00:00:00Z&times=0")
            .Invalid(
                R"(invalid value "0" for query parameter "times" (expected an RFC 3339 timestamp))"),
        Q("DurationNoUnit", "ttl=1")
            .Invalid(
                R"(invalid value "1" for query parameter "ttl" (expected a duration in seconds such as "1.5s"))"),
        Q("DurationTooPrecise", "ttl=1.0000000001s")
            .Invalid(
                R"(invalid value "1.0000000001s" for query parameter "ttl" (expected a duration in seconds such as "1.5s"))"),
        Q("DurationTooLong", "ttl=315576000001s")
            .Invalid(
                R"(invalid value "315576000001s" for query parameter "ttl" (expected a duration in seconds such as "1.5s"))"),
        Q("FieldMaskSnakeCase", "updateMask=foo_bar")
            .Invalid(
                R"(invalid value "foo_bar" for query parameter "updateMask" (expected comma-separated lowerCamel field paths))"),
        Q("FieldMaskEmptyPath", "updateMask=a,,b")
            .Invalid(
                R"(invalid value "a,,b" for query parameter "updateMask" (expected comma-separated lowerCamel field paths))"),
        // Runs of capitals read differently in protobuf's JSON parser
        // ("a_bc") and FieldMaskUtil ("a_b_c"): refused, found by the fuzzer.
        Q("FieldMaskCapitalRun", "updateMask=aBC")
            .Invalid(
                R"(invalid value "aBC" for query parameter "updateMask" (expected comma-separated lowerCamel field paths))"),
        Q("FieldMaskNonAscii", "updateMask=fooBa%C8r")
            .Invalid(
                R"(invalid value "fooBa\xc8r" for query parameter "updateMask" (expected comma-separated lowerCamel field paths))"),
        Q("WrapperBadValue", "limit=x")
            .Invalid(
                R"(invalid value "x" for query parameter "limit" (expected int64))"),
        Q("BoolWrapperBadValue", "enabled=yes")
            .Invalid(
                R"(invalid value "yes" for query parameter "enabled" (expected true or false))"),
        Q("LongValueTruncated", "str=x&i32=" + Repeat("9", 100))
            .Invalid(absl::StrCat(
                R"(invalid value ")", Repeat("9", 64),
                R"(..." for query parameter "i32" (expected int32))")),
        Q("ControlBytesEscaped", "i32=%00%1B")
            .Invalid(
                R"(invalid value "\x00\x1b" for query parameter "i32" (expected int32))")),
    CaseName);

// ---------------------------------------------------------------------------
// The real tokend protos, with their google.api.http rules.

const Descriptor* CreateIamToken() {
  return yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor();
}
const Descriptor* GetKey() {
  return yandex::cloud::iam::v1::GetKeyRequest::descriptor();
}
const Descriptor* ListKeys() {
  return yandex::cloud::iam::v1::ListKeysRequest::descriptor();
}
const Descriptor* CreateKey() {
  return yandex::cloud::iam::v1::CreateKeyRequest::descriptor();
}
const Descriptor* RotateSigningKeys() {
  return tokend::keys::v1::RotateSigningKeysRequest::descriptor();
}
const Descriptor* ListSigningKeys() {
  return tokend::keys::v1::ListSigningKeysRequest::descriptor();
}

INSTANTIATE_TEST_SUITE_P(
    RealProtos, TranslateTest,
    ::testing::Values(
        // POST /iam/v1/tokens, body "*".
        J("IamTokenJwt", R"({"jwt":"h.p.s"})")
            .Of(CreateIamToken)
            .Want(R"(jwt: "h.p.s")"),
        J("IamTokenOauthJsonName", R"({"yandexPassportOauthToken":"t"})")
            .Of(CreateIamToken)
            .Want(R"(yandex_passport_oauth_token: "t")"),
        J("IamTokenOauthProtoName", R"({"yandex_passport_oauth_token":"t"})")
            .Of(CreateIamToken)
            .Want(R"(yandex_passport_oauth_token: "t")"),
        J("IamTokenBothIdentities",
          R"({"jwt":"a","yandexPassportOauthToken":"b"})")
            .Of(CreateIamToken)
            .Invalid(
                R"(oneof "identity" already set; cannot also set "yandexPassportOauthToken")"),
        J("IamTokenUnknownField", R"({"token":"x"})")
            .Of(CreateIamToken)
            .Invalid(R"(unknown field "token")"),
        J("IamTokenJwtNotString", R"({"jwt":1})")
            .Of(CreateIamToken)
            .Invalid(R"(invalid value for field "jwt" (expected string): 1)"),
        J("IamTokenQuery", "{}")
            .Of(CreateIamToken)
            .Query("jwt=x")
            .Invalid(
                R"(query parameter "jwt" is not allowed: the request body binds every field)"),
        J("IamTokenForm", "")
            .Of(CreateIamToken)
            .Form("jwt=a.b.c")
            .Want(R"(jwt: "a.b.c")"),
        // GET /iam/v1/keys/{key_id}.
        C("GetKey")
            .Of(GetKey)
            .Path("key_id", "aje1")
            .Query("format=PEM_FILE")
            .Want(R"(key_id: "aje1")"),
        C("GetKeyBadFormat")
            .Of(GetKey)
            .Path("key_id", "aje1")
            .Query("format=JSON")
            .Invalid(
                R"(invalid value "JSON" for query parameter "format" (expected one of PEM_FILE))"),
        C("GetKeyIdInQuery")
            .Of(GetKey)
            .Path("key_id", "aje1")
            .Query("keyId=other")
            .Invalid(
                R"(query parameter "keyId" is not allowed: field "key_id" is bound by the URL path)"),
        C("GetKeyWithBody")
            .Of(GetKey)
            .Path("key_id", "aje1")
            .Json(R"({"keyId":"x"})")
            .Invalid("request body not allowed for this method"),
        // GET /iam/v1/keys.
        C("ListKeys")
            .Of(ListKeys)
            .Query("serviceAccountId=sa1&page_size=50&pageToken=t%3D%3D")
            .Want(
                R"(service_account_id: "sa1" page_size: 50 page_token: "t==")"),
        C("ListKeysBadPageSize")
            .Of(ListKeys)
            .Query("pageSize=ten")
            .Invalid(
                R"(invalid value "ten" for query parameter "pageSize" (expected int64))"),
        // POST /iam/v1/keys, body "*".
        J("CreateKey",
          R"({"serviceAccountId":"sa","description":"d","keyAlgorithm":"RSA_4096","format":"PEM_FILE"})")
            .Of(CreateKey)
            .Want(
                R"(service_account_id: "sa" description: "d" key_algorithm: RSA_4096)"),
        J("CreateKeyBadAlgorithm", R"({"keyAlgorithm":"RSA_1024"})")
            .Of(CreateKey)
            .Invalid(
                R"(invalid value for field "key_algorithm" (expected yandex.cloud.iam.v1.Key.Algorithm): "RSA_1024")"),
        // POST /v1/admin/signing-keys:rotate, body "*".
        J("RotateSigningKeys", R"({"slot":"iam"})")
            .Of(RotateSigningKeys)
            .Want(R"(slot: "iam")"),
        J("RotateSigningKeysEmpty", "").Of(RotateSigningKeys).Want(""),
        // GET /v1/admin/signing-keys.
        C("ListSigningKeys").Of(ListSigningKeys).Want(""),
        C("ListSigningKeysUnknownQuery")
            .Of(ListSigningKeys)
            .Query("slot=iam")
            .Invalid(R"(unknown query parameter "slot")")),
    CaseName);

// ---------------------------------------------------------------------------
// Ignored parameters (RequestBinding::ignored_parameters).

const std::vector<std::string> kClerkJs = {
    "__clerk_api_version", "_clerk_js_version", "debug", "tab_state", "token"};

INSTANTIATE_TEST_SUITE_P(
    IgnoredParameters, TranslateTest,
    ::testing::Values(
        // Before the body "*" rule, with or without a body.
        C("QueryBodyStar")
            .BodyRule("*")
            .Json(R"({"str":"a"})")
            .Query("__clerk_api_version=2025-04-10&_clerk_js_version=5.0.0&"
                   "debug=skip_cache")
            .Ignore(kClerkJs)
            .Want(R"(str: "a")"),
        C("QueryBodyStarNoBody")
            .BodyRule("*")
            .Query("_clerk_js_version=5.0.0")
            .Ignore(kClerkJs)
            .Want(""),
        C("QueryBodyStarFormBody")
            .BodyRule("*")
            .Form("str=a")
            .Query("debug=skip_cache")
            .Ignore(kClerkJs)
            .Want(R"(str: "a")"),
        C("QueryBodyField")
            .BodyRule("inner")
            .Json(R"({"name":"n"})")
            .Query("debug=1&str=s")
            .Ignore(kClerkJs)
            .Want(R"(inner { name: "n" } str: "s")"),
        // Any value, any number of times, mixed with real fields.
        Q("QueryNoBody", "str=a&debug=1&debug=&debug&tags=x&debug=%FF%00")
            .Ignore(kClerkJs)
            .Want(R"(str: "a" tags: "x")"),
        C("QueryNextToPathVariable")
            .Path("str", "p")
            .Query("_clerk_js_version=5")
            .Ignore(kClerkJs)
            .Want(R"(str: "p")"),
        C("FormBodyStar")
            .BodyRule("*")
            .Form("str=x&tab_state=active&token=eyJ.a.b&tab_state=again")
            .Ignore(kClerkJs)
            .Want(R"(str: "x")"),
        C("FormOnlyIgnored")
            .BodyRule("*")
            .Form("tab_state=active&token=t")
            .Ignore(kClerkJs)
            .Want(""),
        C("FormBodyField")
            .BodyRule("inner")
            .Form("name=n&tab_state=active")
            .Ignore(kClerkJs)
            .Want(R"(inner { name: "n" })"),
        // Names compare after decoding: an escaped spelling is the same name.
        Q("EncodedName",
          "%5Fclerk_js_version=5&%5F%5fclerk%5Fapi%5Fversion=x&t%61b_state=a")
            .Ignore(kClerkJs)
            .Want(""),
        // Anything else is unchanged.
        C("UnlistedStillRejectedBodyStar")
            .BodyRule("*")
            .Query("debug=1&other=2")
            .Ignore(kClerkJs)
            .Invalid(
                R"(query parameter "other" is not allowed: the request body binds every field)"),
        Q("UnlistedStillUnknown", "debug=1&zz=1")
            .Ignore(kClerkJs)
            .Invalid(R"(unknown query parameter "zz")"),
        C("UnlistedFormFieldStillUnknown")
            .BodyRule("*")
            .Form("tab_state=a&zz=1")
            .Ignore(kClerkJs)
            .Invalid(R"(unknown form field "zz")"),
        Q("CaseSensitive", "Debug=1")
            .Ignore(kClerkJs)
            .Invalid(R"(unknown query parameter "Debug")"),
        Q("ExactNotPrefix", "debug.x=1")
            .Ignore(kClerkJs)
            .Invalid(R"(unknown query parameter "debug.x")"),
        Q("PlusIsSpace", "tab+state=1")
            .Ignore(kClerkJs)
            .Invalid(R"(unknown query parameter "tab state")"),
        Q("NotWhenListEmpty", "debug=1")
            .Invalid(R"(unknown query parameter "debug")"),
        // Decoding limits apply first.
        Q("CountsTowardsTheLimit", Repeat("debug=1&", 101))
            .Ignore(kClerkJs)
            .Invalid("too many query parameters (limit 100)"),
        C("FormCountsTowardsTheLimit")
            .BodyRule("*")
            .Form(Repeat("tab_state=a&", 101))
            .Ignore(kClerkJs)
            .Invalid("too many form fields (limit 100)"),
        Q("NameLengthStillLimited", Repeat("a", 257) + "=1")
            .Ignore({Repeat("a", 257)})
            .Invalid("query parameter name longer than 256 bytes"),
        Q("ValueEscapesStillChecked", "debug=%zz")
            .Ignore(kClerkJs)
            .Invalid(
                R"(malformed percent-encoding in query parameter "debug")"),
        // JSON bodies stay strict.
        J("JsonKeyNotIgnored", R"({"debug":"1"})")
            .Ignore(kClerkJs)
            .Invalid(R"(unknown field "debug")")),
    CaseName);

// The FAPI routes as clerk-js calls them, with the lists their rules declare
// (proto/tokend/sessions/v1/services.proto).
class ClerkJsTest : public ::testing::Test {
 protected:
  static const google::protobuf::MethodDescriptor* Method(
      const std::string& name) {
    const google::protobuf::ServiceDescriptor* service =
        sessions::v1::CreateServiceTokenRequest::descriptor()
            ->file()
            ->FindServiceByName("SessionTokenService");
    return service == nullptr ? nullptr : service->FindMethodByName(name);
  }
  static std::vector<std::string> Ignored(
      const google::protobuf::MethodDescriptor* method) {
    const auto& list =
        method->options().GetRepeatedExtension(api::v1::ignored_parameters);
    return std::vector<std::string>(list.begin(), list.end());
  }
};

TEST_F(ClerkJsTest, CreateClientSessionToken) {
  const auto* method = Method("CreateClientSessionToken");
  ASSERT_NE(method, nullptr);
  const std::vector<std::string> ignored = Ignored(method);
  RequestBinding binding;
  binding.body = "*";
  binding.path_variables = {{"session_id", "sess_1"}};
  binding.ignored_parameters = ignored;
  sessions::v1::CreateClientSessionTokenRequest message;
  const absl::Status status = TranslateRequest(
      binding,
      HttpRequestParts{
          kForm,
          "organization_id=&tab_state=active&force_origin=true&token=eyJ.x.y",
          "__clerk_api_version=2025-04-10&_clerk_js_version=5.0.0&"
          "debug=skip_cache&__clerk_db_jwt=dvb_1&_is_native=1&expired_token="
          "eyJ.old"},
      &message);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(message.session_id(), "sess_1");
  EXPECT_EQ(message.organization_id(), "");
  // A parameter clerk-js does not send is still refused.
  EXPECT_EQ(
      TranslateRequest(binding, HttpRequestParts{kForm, "", "zz=1"}, &message)
          .message(),
      R"(query parameter "zz" is not allowed: the request body binds every field)");
  // BAPI declares no list.
  const auto* bapi = Method("CreateSessionToken");
  ASSERT_NE(bapi, nullptr);
  EXPECT_TRUE(Ignored(bapi).empty());
}

// /v1/me/tokens binds its body to `form`, so the query keeps
// _clerk_session_id (a real field, by its json_name) beside clerk-js's
// ignored parameters; form and JSON bodies both fill `form`.
TEST_F(ClerkJsTest, CreateServiceTokenSessionId) {
  const auto* method = Method("CreateServiceToken");
  ASSERT_NE(method, nullptr);
  const std::vector<std::string> ignored = Ignored(method);
  RequestBinding binding;
  binding.body = "form";
  binding.ignored_parameters = ignored;
  sessions::v1::CreateServiceTokenRequest message;
  absl::Status status = TranslateRequest(
      binding,
      HttpRequestParts{kForm, "service=hasura&tab_state=active",
                       "_clerk_session_id=sess_1&_clerk_js_version=5.0.0"},
      &message);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(message.form().service(), "hasura");
  EXPECT_EQ(message.session_id(), "sess_1");

  message.Clear();
  status = TranslateRequest(
      binding,
      HttpRequestParts{kJson, R"({"service":"firebase"})", "session_id=sess_2"},
      &message);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(message.form().service(), "firebase");
  EXPECT_EQ(message.session_id(), "sess_2");

  // The query cannot reach into the body's field.
  message.Clear();
  status = TranslateRequest(binding, HttpRequestParts{kForm, "", "service=x"},
                            &message);
  EXPECT_FALSE(status.ok());
}

// ---------------------------------------------------------------------------
// Cases a text-format comparison cannot state.

Everything TranslateQuery(absl::string_view query) {
  Everything message;
  const absl::Status status = TranslateRequest(
      RequestBinding(), HttpRequestParts{"", "", query}, &message);
  EXPECT_TRUE(status.ok()) << query << ": " << status;
  return message;
}

TEST(TranslateRequestTest, NaNAndInfinity) {
  Everything m = TranslateQuery("score=NaN&ratio=Infinity");
  EXPECT_TRUE(std::isnan(m.score()));
  EXPECT_EQ(m.ratio(), std::numeric_limits<float>::infinity());
  m = TranslateQuery("ratio=-Infinity&score=1e-400");
  EXPECT_EQ(m.ratio(), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(m.score(), 0.0);
}

TEST(TranslateRequestTest, FloatRoundsToNearest) {
  EXPECT_EQ(TranslateQuery("ratio=0.1").ratio(), 0.1f);
  EXPECT_EQ(TranslateQuery("ratio=3.4028234e38").ratio(),
            std::numeric_limits<float>::max());
}

TEST(TranslateRequestTest, UnsupportedMediaTypeIsDistinguishable) {
  Everything message;
  RequestBinding binding;
  binding.body = "*";
  const absl::Status unsupported = TranslateRequest(
      binding, HttpRequestParts{"application/json; charset=latin1", "{}", ""},
      &message);
  EXPECT_TRUE(IsUnsupportedMediaType(unsupported));
  EXPECT_EQ(unsupported.code(), absl::StatusCode::kInvalidArgument);
  // Same code, different cause: must not be taken for a 415.
  const absl::Status malformed =
      TranslateRequest(binding, HttpRequestParts{kJson, "<a/>", ""}, &message);
  EXPECT_EQ(malformed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsUnsupportedMediaType(malformed));
  EXPECT_FALSE(IsUnsupportedMediaType(absl::OkStatus()));
  EXPECT_FALSE(IsUnsupportedMediaType(
      absl::InvalidArgumentError("unsupported Content-Type \"x\"")));
}

// ---------------------------------------------------------------------------
// form_urlencoded directly.

TEST(FormUrlEncodedTest, DecodesInOrder) {
  absl::StatusOr<std::vector<FormParameter>> params =
      ParseFormUrlEncoded("a=1&b&c=&a=%3D%26+&&d=x=y", "query parameter");
  ASSERT_TRUE(params.ok()) << params.status();
  ASSERT_EQ(params->size(), 5u);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"a", "1"}, {"b", ""}, {"c", ""}, {"a", "=& "}, {"d", "x=y"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*params)[i].name, want[i].first) << i;
    EXPECT_EQ((*params)[i].value, want[i].second) << i;
  }
}

// The flat-body fast path (string values for singular string fields) must
// give exactly what protobuf's own JSON parser gives for the same body.
absl::Status TranslateJson(absl::string_view body, Message* message) {
  RequestBinding binding;
  binding.body = "*";
  return TranslateRequest(binding, HttpRequestParts{kJson, body, ""}, message);
}

void ExpectSameAsProtobuf(absl::string_view body, const Descriptor* type) {
  std::unique_ptr<Message> got = NewMessage(type);
  std::unique_ptr<Message> oracle = NewMessage(type);
  const absl::Status status = TranslateJson(body, got.get());
  ASSERT_TRUE(status.ok()) << body << ": " << status;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), oracle.get(),
      options);
  ASSERT_TRUE(parsed.ok()) << body << ": " << parsed.ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(*got, *oracle))
      << body << "\ngot:    " << got->ShortDebugString()
      << "\noracle: " << oracle->ShortDebugString();
}

TEST(FlatJsonBodyTest, WhichBodiesAreFlat) {
  const Descriptor* everything = Everything::descriptor();
  const Descriptor* iam =
      yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor();
  // The token endpoints' bodies take the fast path...
  EXPECT_TRUE(internal::JsonBodyIsFlat(R"({"jwt":"h.p.s"})", iam));
  EXPECT_TRUE(
      internal::JsonBodyIsFlat(R"({"yandexPassportOauthToken":"y"})", iam));
  EXPECT_TRUE(internal::JsonBodyIsFlat("{}", everything));
  EXPECT_TRUE(internal::JsonBodyIsFlat(
      R"({"str":"a","maybe":"","customJSON":"c","alpha":"d"})", everything));
  EXPECT_TRUE(internal::JsonBodyIsFlat(R"({"custom_json":"c"})", everything));
  // ...and everything protobuf must judge does not.
  EXPECT_FALSE(internal::JsonBodyIsFlat(
      R"({"jwt":"a","yandexPassportOauthToken":"b"})", iam));  // one oneof
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"str":null})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"str":1})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"zz":"a"})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"Str":"a"})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"blob":"aGk="})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"tags":"a"})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"nickname":"a"})", everything));
  EXPECT_FALSE(
      internal::JsonBodyIsFlat(R"({"inner":{"name":"a"}})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"str":["a"]})", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"str":"a"} x)", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"(["a"])", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"("a")", everything));
  EXPECT_FALSE(internal::JsonBodyIsFlat(
      R"({"customJSON":"x","custom_json_unused":1})", everything));
  // Well-known types have JSON forms of their own.
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"string_value":"x"})",
                                        google::protobuf::Value::descriptor()));
  EXPECT_FALSE(internal::JsonBodyIsFlat(R"({"type_url":"x"})",
                                        google::protobuf::Any::descriptor()));
  EXPECT_TRUE(
      internal::JsonBodyIsFlat("{}", google::protobuf::Empty::descriptor()));
  // "x_y" is field x_y's name and field a's json_name: protobuf's call.
  EXPECT_FALSE(
      internal::JsonBodyIsFlat(R"({"x_y":"v"})", JsonNameClash::descriptor()));
  EXPECT_TRUE(
      internal::JsonBodyIsFlat(R"({"a":"v"})", JsonNameClash::descriptor()));
}

TEST(FlatJsonBodyTest, NameAndJsonNameClashIsProtobufs) {
  std::unique_ptr<Message> got = NewMessage(JsonNameClash::descriptor());
  ASSERT_TRUE(TranslateJson(R"({"x_y":"v"})", got.get()).ok());
  JsonNameClash oracle;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(R"({"x_y":"v"})", &oracle)
          .ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*got, oracle))
      << got->ShortDebugString() << " vs " << oracle.ShortDebugString();
  ExpectSameAsProtobuf(R"({"a":"v"})", JsonNameClash::descriptor());
}

TEST(FlatJsonBodyTest, SameAsProtobufForEdgeStrings) {
  for (const char* body : {
           R"({})",
           R"({"str":""})",
           R"({"maybe":""})",
           R"({"custom_json":"x"})",
           R"({"str":"\u0000\b\f\n\r\t\"\\\/"})",
           R"({"str":"\u00e9\u2028\ud83d\ude00\uffff"})",
           "{\"str\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
           R"({"alpha":"a","str":"b","maybe":"m","customJSON":"c"})",
           R"(  { "str" : "spaced" }  )",
       }) {
    ASSERT_TRUE(internal::JsonBodyIsFlat(body, Everything::descriptor()))
        << body;
    ExpectSameAsProtobuf(body, Everything::descriptor());
  }
  ExpectSameAsProtobuf(
      R"({"jwt":"h.p.s"})",
      yandex::cloud::iam::v1::CreateIamTokenRequest::descriptor());
}

// Random bodies over Everything's string fields, their JSON names, fields of
// other types and unknown names, with escapes and multi-byte characters:
// every body the fast path takes must parse as protobuf parses it.
TEST(FlatJsonBodyTest, SameAsProtobufForRandomBodies) {
  std::mt19937 rng(20261122);
  auto pick = [&rng](int n) {
    return static_cast<int>(std::uniform_int_distribution<int>(0, n - 1)(rng));
  };
  const std::vector<std::string> keys = {
      "str", "maybe", "customJSON", "custom_json", "alpha", "beta",
      "i32", "tags",  "nickname",   "zz",          "Str",   "customJson"};
  const std::vector<std::string> pieces = {"a",
                                           "Z",
                                           " ",
                                           "\\\"",
                                           "\\\\",
                                           "\\/",
                                           "\\n",
                                           "\\t",
                                           "\\u0000",
                                           "\\u001f",
                                           "\\u00e9",
                                           "\\u2028",
                                           "\\ud83d\\ude00",
                                           "\xc3\xa9",
                                           "\xe2\x82\xac",
                                           "\xf0\x9f\x98\x80",
                                           "<",
                                           "&",
                                           "'"};
  int flat = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string body = "{";
    const int n = pick(5);
    for (int k = 0; k < n; ++k) {
      if (k > 0) body += ",";
      absl::StrAppend(&body, "\"", keys[pick(keys.size())], "\":");
      switch (pick(8)) {
        case 0:
          body += "1";
          break;
        case 1:
          body += "null";
          break;
        case 2:
          body += "[\"a\"]";
          break;
        default: {
          body += "\"";
          const int len = pick(6);
          for (int c = 0; c < len; ++c) body += pieces[pick(pieces.size())];
          body += "\"";
        }
      }
    }
    body += "}";
    if (!internal::JsonBodyIsFlat(body, Everything::descriptor())) continue;
    ++flat;
    ExpectSameAsProtobuf(body, Everything::descriptor());
    if (::testing::Test::HasFailure()) break;
  }
  // The generator must exercise the fast path, not only the fallback.
  EXPECT_GT(flat, 300);
}

TEST(FormUrlEncodedTest, PercentDecode) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a+%2b%2F", /*plus_is_space=*/false, &out));
  EXPECT_EQ(out, "a++/");
  EXPECT_TRUE(PercentDecode("a+b", /*plus_is_space=*/true, &out));
  EXPECT_EQ(out, "a b");
  EXPECT_FALSE(PercentDecode("%", true, &out));
  EXPECT_FALSE(PercentDecode("%a", true, &out));
  EXPECT_FALSE(PercentDecode("%ag", true, &out));
  EXPECT_TRUE(PercentDecode("", true, &out));
  EXPECT_EQ(out, "");
}

TEST(FormUrlEncodedTest, QuoteForError) {
  EXPECT_EQ(QuoteForError("a\"b\n"), R"("a\"b\n")");
  EXPECT_EQ(QuoteForError(Repeat("x", 65)),
            absl::StrCat("\"", Repeat("x", 64), "...\""));
}

}  // namespace
}  // namespace tokend::gateway
