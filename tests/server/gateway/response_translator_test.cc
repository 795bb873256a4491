#include "server/gateway/response_translator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/wrappers.pb.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "tests/server/gateway/translator_test.pb.h"
#include "tokend/keys/v1/keyring.pb.h"
#include "tokend/scoped/v1/scoped_tokens.pb.h"
#include "tokend/sessions/v1/services.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::MessageFactory;
using ::google::protobuf::Reflection;
using ::google::protobuf::TextFormat;
using ::tokend::testing::gateway::translator::Everything;
using ::yandex::cloud::iam::v1::CreateIamTokenResponse;

// A response (text format of `type`) and the exact body it must print, or
// the exact error.
struct Case {
  std::string name;
  // A function, not a Descriptor*: the table is built before main().
  const Descriptor* (*type)();
  std::string text;
  std::string response_body;
  std::string want;
  absl::StatusCode code = absl::StatusCode::kOk;
};

// gtest would dump the bytes of the struct.
void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

Case C(std::string name, const Descriptor* (*type)(), std::string text,
       std::string want, std::string response_body = "") {
  return Case{std::move(name), type, std::move(text), std::move(response_body),
              std::move(want)};
}

Case E(std::string name, std::string text, std::string want,
       std::string response_body = "") {
  return C(std::move(name), &Everything::descriptor, std::move(text),
           std::move(want), std::move(response_body));
}

Case Internal(Case c) {
  c.code = absl::StatusCode::kInternal;
  return c;
}

const Descriptor* IamTokenResponse() {
  return yandex::cloud::iam::v1::CreateIamTokenResponse::descriptor();
}
const Descriptor* CreateKeyResponse() {
  return yandex::cloud::iam::v1::CreateKeyResponse::descriptor();
}
const Descriptor* ListKeysResponse() {
  return yandex::cloud::iam::v1::ListKeysResponse::descriptor();
}
const Descriptor* Jwks() { return tokend::keys::v1::Jwks::descriptor(); }
const Descriptor* OpenIdConfiguration() {
  return tokend::keys::v1::OpenIdConfiguration::descriptor();
}
const Descriptor* ListSigningKeysResponse() {
  return tokend::keys::v1::ListSigningKeysResponse::descriptor();
}

void RunCase(const Case& c, Message* message) {
  ASSERT_TRUE(TextFormat::ParseFromString(c.text, message)) << c.text;
  ResponseOptions options;
  options.response_body = c.response_body;
  const absl::StatusOr<std::string> json = TranslateResponse(*message, options);
  if (c.code == absl::StatusCode::kOk) {
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_EQ(*json, c.want);
    return;
  }
  EXPECT_EQ(json.status().code(), c.code) << json.status();
  EXPECT_EQ(std::string(json.status().message()), c.want);
}

class TranslateResponseTest : public ::testing::TestWithParam<Case> {};

TEST_P(TranslateResponseTest, Generated) {
  std::unique_ptr<Message> message(MessageFactory::generated_factory()
                                       ->GetPrototype(GetParam().type())
                                       ->New());
  RunCase(GetParam(), message.get());
}

TEST_P(TranslateResponseTest, Dynamic) {
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<Message> message(
      factory.GetPrototype(GetParam().type())->New());
  RunCase(GetParam(), message.get());
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    WholeMessage, TranslateResponseTest,
    ::testing::Values(
        E("Empty", "", "{}"),
        // Defaults are omitted, but presence fields print when set.
        E("DefaultsOmitted",
          R"(str: "" i64: 0 flag: false color: COLOR_UNSPECIFIED)", "{}"),
        E("PresenceAtDefault",
          R"(maybe: "" beta: 0 inner { } limit { } enabled { value: false })",
          R"({"inner":{},"maybe":"","beta":"0","limit":"0","enabled":false})"),
        E("Scalars",
          R"(str: "a\"b" blob: "\xfb\xff" i32: -5 i64: -9223372036854775808
             u32: 4294967295 u64: 18446744073709551615 s32: -3 f64: 8
             flag: true ratio: 0.5 score: -2.25 color: GREEN)",
          R"({"str":"a\"b","blob":"+/8=","i32":-5,"i64":"-9223372036854775808",)"
          R"("u32":4294967295,"u64":"18446744073709551615","s32":-3,"f64":"8",)"
          R"("flag":true,"ratio":0.5,"score":-2.25,"color":"GREEN"})"),
        E("NonFiniteDoubles", "score: nan ratio: -inf",
          R"({"ratio":"-Infinity","score":"NaN"})"),
        E("UndeclaredEnumNumber", "color: 7 colors: RED colors: 9",
          R"({"color":7,"colors":["RED",9]})"),
        E("JsonNames",
          R"(custom_json: "c" update_mask { paths: "foo_bar" paths: "x.y_z" })",
          R"({"customJSON":"c","updateMask":"fooBar,x.yZ"})"),
        E("NestedAndRepeated",
          R"(tags: "a" tags: "b" numbers: 1 inner { name: "n" ids: 1 ids: 2
             leaf { notes: "x" } } inners { name: "a" } inners { })",
          R"({"tags":["a","b"],"numbers":[1],)"
          R"("inner":{"name":"n","ids":["1","2"],"leaf":{"notes":["x"]}},)"
          R"("inners":[{"name":"a"},{}]})"),
        // Sorted by key, not in hash order.
        E("Maps",
          R"(labels { key: "e" value: "5" } labels { key: "d" value: "4" }
             labels { key: "c" value: "3" } labels { key: "b" value: "2" }
             labels { key: "a" value: "1" }
             inner_map { key: "k" value { color: RED } })",
          R"({"labels":{"a":"1","b":"2","c":"3","d":"4","e":"5"},)"
          R"("innerMap":{"k":{"color":"RED"}}})"),
        E("Timestamps",
          R"(at { seconds: 1700000000 } times { seconds: 0 nanos: 500000000 }
             times { seconds: -1 nanos: 1000 } times { seconds: 1 nanos: 1 })",
          R"({"at":"2023-11-14T22:13:20Z","times":["1970-01-01T00:00:00.500Z",)"
          R"("1969-12-31T23:59:59.000001Z","1970-01-01T00:00:01.000000001Z"]})"),
        E("OtherWellKnownTypes",
          R"(ttl { seconds: 1 nanos: 500000000 } limit { value: 5 }
             nickname { value: "n" } raw { value: "hi" }
             meta { fields { key: "k" value { list_value {
               values { null_value: NULL_VALUE } values { bool_value: true } } } } })",
          R"({"ttl":"1.500s","limit":"5","nickname":"n","meta":{"k":[null,true]},)"
          R"("raw":"aGk="})"),
        E("Unicode", R"(str: "\303\251\342\202\254")", "{\"str\":\"é€\"}"),
        Internal(E("TimestampOutOfRange", "at { seconds: 253402300800 }",
                   "cannot print tokend.testing.gateway.translator.Everything "
                   "as JSON: Timestamp seconds exceeds limit for field: at"))),
    CaseName);

INSTANTIATE_TEST_SUITE_P(
    RealProtos, TranslateResponseTest,
    ::testing::Values(
        C("IamToken", &IamTokenResponse,
          R"(iam_token: "t1.abc" expires_at { seconds: 1700000000 nanos: 120000000 })",
          R"({"iamToken":"t1.abc","expiresAt":"2023-11-14T22:13:20.120Z"})"),
        C("IamTokenEmpty", &IamTokenResponse, "", "{}"),
        C("CreateKey", &CreateKeyResponse,
          R"(key { id: "k1" service_account_id: "sa" created_at { seconds: 60 }
                   key_algorithm: RSA_4096 public_key: "PEM" }
             private_key: "SECRET")",
          R"({"key":{"id":"k1","serviceAccountId":"sa",)"
          R"("createdAt":"1970-01-01T00:01:00Z","keyAlgorithm":"RSA_4096",)"
          R"("publicKey":"PEM"},"privateKey":"SECRET"})"),
        C("ListKeys", &ListKeysResponse,
          R"(keys { id: "a" user_account_id: "u" } keys { id: "b" }
             next_page_token: "n")",
          R"({"keys":[{"id":"a","userAccountId":"u"},{"id":"b"}],)"
          R"("nextPageToken":"n"})"),
        // Explicit snake_case json_name: the OIDC discovery document.
        C("OpenIdConfiguration", &OpenIdConfiguration,
          R"(issuer: "https://i" jwks_uri: "https://i/jwks"
             id_token_signing_alg_values_supported: "ES256"
             id_token_signing_alg_values_supported: "EdDSA")",
          R"({"issuer":"https://i","jwks_uri":"https://i/jwks",)"
          R"("id_token_signing_alg_values_supported":["ES256","EdDSA"]})"),
        C("SigningKeys", &ListSigningKeysResponse,
          R"(keys { kid: "k" slot: "iam" algorithm: "ES256" state: ACTIVE
                    created_at { seconds: 1 } activate_at { seconds: 2 } }
             keys { kid: "old" state: RETIRED retired_at { seconds: 3 } })",
          R"({"keys":[{"kid":"k","slot":"iam","algorithm":"ES256",)"
          R"("state":"ACTIVE","createdAt":"1970-01-01T00:00:01Z",)"
          R"("activateAt":"1970-01-01T00:00:02Z"},{"kid":"old",)"
          R"("state":"RETIRED","retiredAt":"1970-01-01T00:00:03Z"}]})")),
    CaseName);

// response_body: one field as the whole body.
INSTANTIATE_TEST_SUITE_P(
    ResponseBody, TranslateResponseTest,
    ::testing::Values(
        C("Message", &CreateKeyResponse,
          R"(key { id: "k1" key_algorithm: RSA_2048 } private_key: "x")",
          R"({"id":"k1","keyAlgorithm":"RSA_2048"})", "key"),
        C("UnsetMessage", &CreateKeyResponse, R"(private_key: "x")", "{}",
          "key"),
        C("RepeatedMessages", &Jwks,
          R"(keys { kty: "EC" kid: "a" crv: "P-256" x: "X" y: "Y" }
             keys { kty: "OKP" kid: "b" })",
          R"([{"kty":"EC","kid":"a","crv":"P-256","x":"X","y":"Y"},)"
          R"({"kty":"OKP","kid":"b"}])",
          "keys"),
        C("EmptyRepeatedMessages", &Jwks, "", "[]", "keys"),
        E("RepeatedScalars", R"(tags: "a" tags: "b" str: "x")", R"(["a","b"])",
          "tags"),
        E("EmptyRepeatedScalars", R"(str: "x")", "[]", "tags"),
        E("RepeatedInt64", "inner { ids: 1 } numbers: 3", "[3]", "numbers"),
        E("RepeatedEnums", "colors: RED colors: 9", R"(["RED",9])", "colors"),
        E("String", R"(str: "x\"y" i32: 1)", R"("x\"y")", "str"),
        E("DefaultString", "i32: 1", R"("")", "str"),
        E("Int64", "i64: 12", R"("12")", "i64"),
        E("DefaultInt64", "", R"("0")", "i64"),
        E("DefaultBool", "", "false", "flag"),
        E("DefaultEnum", "", R"("COLOR_UNSPECIFIED")", "color"),
        E("Bytes", R"(blob: "hi")", R"("aGk=")", "blob"),
        E("ExplicitJsonNameField", R"(custom_json: "v")", R"("v")",
          "custom_json"),
        E("Map", R"(labels { key: "a" value: "1" } str: "x")", R"({"a":"1"})",
          "labels"),
        E("EmptyMap", "", "{}", "labels"),
        E("OneofScalarSet", "beta: 0", R"("0")", "beta"),
        E("OneofScalarUnset", R"(alpha: "a")", "null", "beta"),
        E("OneofMessageUnset", "", "{}", "gamma"),
        E("OptionalSet", R"(maybe: "")", R"("")", "maybe"),
        E("OptionalUnset", "", "null", "maybe"),
        E("Timestamp", "at { seconds: 1 }", R"("1970-01-01T00:00:01Z")", "at"),
        E("UnsetTimestamp", "", "null", "at"),
        E("UnsetWrapper", "", "null", "limit"),
        E("WrapperAtDefault", "limit { }", R"("0")", "limit"),
        E("Struct",
          R"(meta { fields { key: "k" value { string_value: "v" } } })",
          R"({"k":"v"})", "meta"),
        E("RepeatedTimestamps", "times { seconds: 1 }",
          R"(["1970-01-01T00:00:01Z"])", "times"),
        Internal(E(
            "Unknown", "",
            R"(gateway binding: response_body "nope" is not a field of tokend.testing.gateway.translator.Everything)",
            "nope")),
        Internal(E("UnprintableField", "times { seconds: -62135596801 }",
                   "cannot print google.protobuf.Timestamp as JSON: Timestamp "
                   "seconds exceeds limit for field: ",
                   "times"))),
    CaseName);

// --- The fast path against protobuf's printer --------------------------------
//
// TranslateResponse prints flat messages (set fields all strings, bools and
// Timestamps) itself instead of through protobuf's TypeResolver path. These
// differential tests hold it to protobuf's bytes: for each message the fast
// printer must engage (or decline, where it should) and print exactly what
// the slow one does.

using internal::PrintFlatForTest;
using internal::PrintSlowForTest;

constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xc0 | cp >> 6);
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xe0 | cp >> 12);
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    s += static_cast<char>(0xf0 | cp >> 18);
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    s += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return s;
}

// A message of `type`, generated or a DynamicMessage (same descriptors, set
// and read only through reflection).
std::unique_ptr<Message> New(const Descriptor* type, bool dynamic) {
  static auto* const factory = new google::protobuf::DynamicMessageFactory;
  const Message* prototype =
      dynamic ? factory->GetPrototype(type)
              : MessageFactory::generated_factory()->GetPrototype(type);
  return std::unique_ptr<Message>(prototype->New());
}

// The subjects: tokend's flat responses and the test messages holding every
// kind of field the fast path prints (json_name, proto3 optional, a oneof).
const std::vector<const Descriptor*>& FlatTypes() {
  static const auto* const types = new std::vector<const Descriptor*>{
      CreateIamTokenResponse::descriptor(),
      tokend::scoped::v1::IssueTokenResponse::descriptor(),
      Everything::descriptor(),
      tokend::testing::gateway::translator::Leaf::descriptor(),
  };
  return *types;
}

bool IsFlatField(const FieldDescriptor* field) {
  if (field->is_repeated()) return false;
  return field->type() == FieldDescriptor::TYPE_STRING ||
         field->type() == FieldDescriptor::TYPE_BOOL ||
         (field->type() == FieldDescriptor::TYPE_MESSAGE &&
          field->message_type()->full_name() == "google.protobuf.Timestamp");
}

void SetTimestamp(Message* message, const FieldDescriptor* field,
                  int64_t seconds, int32_t nanos) {
  Message* t = message->GetReflection()->MutableMessage(message, field);
  const Descriptor* d = t->GetDescriptor();
  t->GetReflection()->SetInt64(t, d->FindFieldByName("seconds"), seconds);
  t->GetReflection()->SetInt32(t, d->FindFieldByName("nanos"), nanos);
}

// Every string field of a message of `type` set to `s`, every bool to true
// and every Timestamp to one instant.
std::unique_ptr<Message> WithStrings(const Descriptor* type, bool dynamic,
                                     const std::string& s) {
  std::unique_ptr<Message> m = New(type, dynamic);
  const Reflection* r = m->GetReflection();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (!IsFlatField(f)) continue;
    if (f->type() == FieldDescriptor::TYPE_STRING) r->SetString(m.get(), f, s);
    if (f->type() == FieldDescriptor::TYPE_BOOL) r->SetBool(m.get(), f, true);
    if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
      SetTimestamp(m.get(), f, 1700000000, 120000000);
    }
  }
  return m;
}

// The fast path must take `message` and print protobuf's bytes, and
// TranslateResponse must answer the same.
void ExpectFlat(const Message& message, const std::string& what) {
  std::string fast;
  ASSERT_TRUE(PrintFlatForTest(message, &fast)) << what;
  const absl::StatusOr<std::string> slow = PrintSlowForTest(message);
  ASSERT_TRUE(slow.ok()) << what << ": " << slow.status();
  EXPECT_EQ(fast, *slow) << what;
  const absl::StatusOr<std::string> got =
      TranslateResponse(message, ResponseOptions());
  ASSERT_TRUE(got.ok()) << what << ": " << got.status();
  EXPECT_EQ(*got, *slow) << what;
}

// The fast path must decline `message` (leaving nothing behind), and
// TranslateResponse must answer exactly what protobuf's printer does.
void ExpectDeclined(const Message& message, const std::string& what) {
  std::string fast = "stale";
  EXPECT_FALSE(PrintFlatForTest(message, &fast)) << what;
  EXPECT_EQ(fast, "") << what;
  const absl::StatusOr<std::string> slow = PrintSlowForTest(message);
  const absl::StatusOr<std::string> got =
      TranslateResponse(message, ResponseOptions());
  EXPECT_EQ(got.status(), slow.status()) << what;
  if (got.ok() && slow.ok()) {
    EXPECT_EQ(*got, *slow) << what;
  }
}

// `s` in every string field of every subject, generated and dynamic.
void ExpectFlatStrings(const std::string& s, const std::string& what) {
  for (const Descriptor* type : FlatTypes()) {
    for (const bool dynamic : {false, true}) {
      ExpectFlat(*WithStrings(type, dynamic, s),
                 absl::StrCat(what, " in ", type->full_name(),
                              dynamic ? " (dynamic)" : ""));
    }
  }
}

// A test that would fail if the fast path never engaged: the hot response.
TEST(FlatPrintTest, EngagesForIamTokenResponse) {
  CreateIamTokenResponse response;
  response.set_iam_token("t1.9euelZrNj5WQ<x>");
  response.mutable_expires_at()->set_seconds(1700000000);
  response.mutable_expires_at()->set_nanos(120000000);
  std::string fast;
  ASSERT_TRUE(PrintFlatForTest(response, &fast));
  EXPECT_EQ(fast, R"({"iamToken":"t1.9euelZrNj5WQ\u003cx\u003e",)"
                  R"("expiresAt":"2023-11-14T22:13:20.120Z"})");
  ExpectFlat(response, "iam token");
  ExpectFlat(CreateIamTokenResponse(), "empty");
  ExpectFlat(tokend::scoped::v1::IssueTokenResponse(), "empty");
}

TEST(FlatPrintTest, DeclinesOtherFields) {
  const char* const kTexts[] = {
      "i32: 1",
      "i64: 1",
      "u32: 1",
      "u64: 1",
      "s32: 1",
      "f64: 1",
      "ratio: 1",
      "score: 1",
      "color: RED",
      R"(blob: "x")",
      R"(str: "x" tags: "a")",
      R"(str: "x" numbers: 1)",
      "colors: RED",
      "inner { }",
      R"(inners { name: "n" })",
      R"(labels { key: "k" value: "v" })",
      "beta: 0",
      "gamma { }",
      "ttl { seconds: 1 }",
      "limit { value: 1 }",
      R"(nickname { value: "n" })",
      "enabled { value: true }",
      R"(update_mask { paths: "a" })",
      "times { seconds: 1 }",
      R"(meta { fields { key: "k" value { string_value: "v" } } })",
      R"(blobs: "b")",
      R"(inner_map { key: "k" value { } })",
      R"(raw { value: "r" })",
      // A flat field alongside does not make it flat.
      R"(str: "x" flag: true at { seconds: 1 } i32: 1)",
  };
  for (const char* text : kTexts) {
    for (const bool dynamic : {false, true}) {
      std::unique_ptr<Message> m = New(Everything::descriptor(), dynamic);
      ASSERT_TRUE(TextFormat::ParseFromString(text, m.get())) << text;
      ExpectDeclined(*m, text);
    }
  }
  // Nested messages, enums and numbers in a real response.
  yandex::cloud::iam::v1::CreateKeyResponse key;
  key.mutable_key()->set_id("k1");
  ExpectDeclined(key, "CreateKeyResponse");
  // google.protobuf types print as values of their own: a Timestamp as a
  // string even when it is empty, a StringValue as its string.
  ExpectDeclined(google::protobuf::Timestamp(), "Timestamp");
  std::unique_ptr<Message> wrapper =
      New(google::protobuf::StringValue::descriptor(), false);
  ASSERT_TRUE(TextFormat::ParseFromString(R"(value: "v")", wrapper.get()));
  ExpectDeclined(*wrapper, "StringValue");
}

TEST(FlatPrintTest, DeclinesUnknownFields) {
  CreateIamTokenResponse response;
  response.set_iam_token("t");
  response.GetReflection()->MutableUnknownFields(&response)->AddVarint(99, 1);
  ExpectDeclined(response, "unknown field");

  CreateIamTokenResponse in_timestamp;
  in_timestamp.mutable_expires_at()->set_seconds(1);
  in_timestamp.GetReflection()
      ->MutableUnknownFields(in_timestamp.mutable_expires_at())
      ->AddVarint(99, 1);
  ExpectDeclined(in_timestamp, "unknown field in the Timestamp");
}

TEST(FlatPrintTest, DeclinesOtherPools) {
  google::protobuf::DescriptorPool pool;
  google::protobuf::FileDescriptorProto file;
  google::protobuf::Timestamp::descriptor()->file()->CopyTo(&file);
  ASSERT_NE(pool.BuildFile(file), nullptr);
  ASSERT_TRUE(TextFormat::ParseFromString(R"(
      name: "flat.proto" package: "flat" syntax: "proto3"
      dependency: "google/protobuf/timestamp.proto"
      message_type { name: "M"
        field { name: "s" number: 1 type: TYPE_STRING label: LABEL_OPTIONAL
                json_name: "s" }
        field { name: "t" number: 2 type: TYPE_MESSAGE label: LABEL_OPTIONAL
                type_name: ".google.protobuf.Timestamp" json_name: "t" } })",
                                          &file));
  ASSERT_NE(pool.BuildFile(file), nullptr);
  google::protobuf::DynamicMessageFactory factory(&pool);
  std::unique_ptr<Message> m(
      factory.GetPrototype(pool.FindMessageTypeByName("flat.M"))->New());
  ASSERT_TRUE(
      TextFormat::ParseFromString(R"(s: "x<" t { seconds: 1 })", m.get()));
  ExpectDeclined(*m, "other pool");
  EXPECT_EQ(*TranslateResponse(*m, ResponseOptions()),
            R"({"s":"x\u003c","t":"1970-01-01T00:00:01Z"})");
}

TEST(FlatPrintTest, EveryAsciiByte) {
  for (int c = 0x00; c <= 0x7f; ++c) {
    const std::string byte(1, static_cast<char>(c));
    ExpectFlatStrings(byte, absl::StrFormat("0x%02x", c));
    ExpectFlatStrings("a" + byte + "b" + byte, absl::StrFormat("a0x%02xb", c));
  }
}

TEST(FlatPrintTest, SpecialStrings) {
  const std::string kStrings[] = {
      "\"",
      "\\",
      "<>&='",
      "</script>",
      "a/b",
      "\"quoted\" \\path\\ <tag attr='v'>&amp;",
      "\t\r\n\b\f",
      std::string("nul\0inside", 10),
      "\xc3\xa9",          // é, 2 bytes
      "\xe2\x82\xac",      // €, 3 bytes
      "\xf0\x9f\x98\x80",  // U+1F600, 4 bytes
      "\xc2\x80",          // U+0080, a C1 control
      "\xc2\x9f",          // U+009F
      "\xc2\xa0",          // U+00A0, no-break space
      "\xc2\xad",          // U+00AD, soft hyphen
      "\xe2\x80\xa8",      // U+2028
      "\xe2\x80\xa9",      // U+2029
      "\xef\xbb\xbf",      // U+FEFF
      "\xef\xbf\xbf",      // U+FFFF
      "\xed\x9f\xbf",      // U+D7FF, below the surrogates
      "\xee\x80\x80",      // U+E000, above them
      "\xf0\x9d\x85\xb3",  // U+1D173, escaped as a surrogate pair
      "\xf3\xa0\x80\x81",  // U+E0001
      "\xf4\x8f\xbf\xbf",  // U+10FFFF
      "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe4\xb8\x96\xe7\x95"
      "\x8c",  // Привет 世界
  };
  for (const std::string& s : kStrings) {
    ExpectFlatStrings(s, absl::CHexEscape(s));
  }
}

// Every Unicode scalar value, 128 to a string.
TEST(FlatPrintTest, EveryCodePoint) {
  std::string s;
  int in_chunk = 0;
  for (uint32_t cp = 1; cp <= 0x10ffff; ++cp) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    s += Utf8(cp);
    if (++in_chunk < 128 && cp < 0x10ffff) continue;
    const std::string what = absl::StrFormat("code points to U+%04X", cp);
    for (const bool dynamic : {false, true}) {
      ExpectFlat(*WithStrings(CreateIamTokenResponse::descriptor(), dynamic, s),
                 what);
    }
    if (::testing::Test::HasFailure()) return;  // one chunk says enough
    s.clear();
    in_chunk = 0;
  }
}

TEST(FlatPrintTest, InvalidUtf8Declines) {
  const std::string kStrings[] = {
      "\x80",              // a continuation byte alone
      "a\xbf",             //
      "\xc0\x80",          // overlong NUL
      "\xc1\xbf",          // overlong DEL
      "\xe0\x80\xbc",      // overlong '<'
      "\xf0\x80\x80\x80",  // overlong
      "\xed\xa0\x80",      // U+D800, a surrogate
      "\xed\xbf\xbf",      // U+DFFF
      "\xf4\x90\x80\x80",  // U+110000
      "\xf8\x88\x80\x80\x80",
      "\xff",
      "\xe2\x82",        // truncated
      "\xe2\x82x",       // a bad continuation
      "ok\xf0\x9f\x98",  // truncated at the end
  };
  for (const std::string& s : kStrings) {
    for (const bool dynamic : {false, true}) {
      ExpectDeclined(
          *WithStrings(CreateIamTokenResponse::descriptor(), dynamic, s),
          absl::CHexEscape(s));
    }
  }
}

TEST(FlatPrintTest, EmptyAndFalseOmitted) {
  for (const Descriptor* type : FlatTypes()) {
    for (const bool dynamic : {false, true}) {
      std::unique_ptr<Message> m = WithStrings(type, dynamic, "");
      ExpectFlat(*m, type->full_name());
      std::unique_ptr<Message> empty = New(type, dynamic);
      ExpectFlat(*empty, type->full_name());
    }
  }
  ExpectFlat(Everything(), "empty Everything");
  std::unique_ptr<Message> m = New(Everything::descriptor(), false);
  // Implicit presence at the default is omitted; explicit presence (proto3
  // optional, a oneof member) prints even at the default.
  ASSERT_TRUE(TextFormat::ParseFromString(
      R"(str: "" flag: false maybe: "" alpha: "")", m.get()));
  ExpectFlat(*m, "defaults");
  std::string fast;
  ASSERT_TRUE(PrintFlatForTest(*m, &fast));
  EXPECT_EQ(fast, R"({"maybe":"","alpha":""})");
}

TEST(FlatPrintTest, Bools) {
  for (const bool dynamic : {false, true}) {
    for (const bool value : {false, true}) {
      std::unique_ptr<Message> m = New(Everything::descriptor(), dynamic);
      const Descriptor* d = m->GetDescriptor();
      m->GetReflection()->SetBool(m.get(), d->FindFieldByName("flag"), value);
      ExpectFlat(*m, value ? "true" : "false");
      std::unique_ptr<Message> leaf = New(
          tokend::testing::gateway::translator::Leaf::descriptor(), dynamic);
      leaf->GetReflection()->SetBool(
          leaf.get(), leaf->GetDescriptor()->FindFieldByName("flag"), value);
      ExpectFlat(*leaf, value ? "leaf true" : "leaf false");
    }
  }
  Everything m;
  m.set_flag(true);
  m.set_str("s");
  m.set_custom_json("c");
  m.mutable_at()->set_seconds(0);
  std::string fast;
  ASSERT_TRUE(PrintFlatForTest(m, &fast));
  EXPECT_EQ(
      fast,
      R"({"str":"s","flag":true,"customJSON":"c","at":"1970-01-01T00:00:00Z"})");
}

std::unique_ptr<Message> WithTimestamp(bool dynamic, int64_t seconds,
                                       int32_t nanos) {
  std::unique_ptr<Message> m =
      New(CreateIamTokenResponse::descriptor(), dynamic);
  SetTimestamp(m.get(), m->GetDescriptor()->FindFieldByName("expires_at"),
               seconds, nanos);
  return m;
}

TEST(FlatPrintTest, Timestamps) {
  const int32_t kNanos[] = {
      0,         1,         10,        100,       1000,      10000,
      100000,    1000000,   10000000,  100000000, 120000000, 123456789,
      999000000, 999999000, 999999999, 500000000, 1001000,   1000001};
  const int64_t kSeconds[] = {
      kMinSeconds,
      kMinSeconds + 1,
      kMinSeconds + 86399,
      kMinSeconds + 86400,
      -1,
      0,
      1,
      59,
      3599,
      86399,
      86400,
      951782400,     // 2000-02-29
      951868800,     // 2000-03-01
      -2203891200,   // 1900-03-01
      4107542400,    // 2100-03-01
      -12219292800,  // 1582-10-15
      1700000000,
      kMaxSeconds - 86400,
      kMaxSeconds - 1,
      kMaxSeconds,
  };
  for (const bool dynamic : {false, true}) {
    for (const int64_t seconds : kSeconds) {
      for (const int32_t nanos : kNanos) {
        ExpectFlat(*WithTimestamp(dynamic, seconds, nanos),
                   absl::StrCat(seconds, "s ", nanos, "ns"));
      }
    }
  }
  std::string fast;
  ASSERT_TRUE(PrintFlatForTest(*WithTimestamp(false, kMinSeconds, 0), &fast));
  EXPECT_EQ(fast, R"({"expiresAt":"0001-01-01T00:00:00Z"})");
  ASSERT_TRUE(
      PrintFlatForTest(*WithTimestamp(false, kMaxSeconds, 999999999), &fast));
  EXPECT_EQ(fast, R"({"expiresAt":"9999-12-31T23:59:59.999999999Z"})");
  ASSERT_TRUE(PrintFlatForTest(*WithTimestamp(false, 0, 1000), &fast));
  EXPECT_EQ(fast, R"({"expiresAt":"1970-01-01T00:00:00.000001Z"})");
}

// Every ~11.6 days from year 1 to 9999, at a varying time of day.
TEST(FlatPrintTest, TimestampSweep) {
  for (int64_t seconds = kMinSeconds; seconds <= kMaxSeconds;
       seconds += 1000003) {
    ExpectFlat(*WithTimestamp(false, seconds, 0), absl::StrCat(seconds, "s"));
    if (::testing::Test::HasFailure()) return;
  }
}

// protobuf fails the whole message for these; the fast path must leave that
// to it.
TEST(FlatPrintTest, TimestampsOutOfRangeDecline) {
  const std::pair<int64_t, int32_t> kOutside[] = {
      {kMinSeconds - 1, 0},
      {kMinSeconds - 1, 999999999},
      {kMaxSeconds + 1, 0},
      {std::numeric_limits<int64_t>::min(), 0},
      {std::numeric_limits<int64_t>::max(), 0},
      {0, -1},
      {0, 1000000000},
      {0, std::numeric_limits<int32_t>::min()},
      {0, std::numeric_limits<int32_t>::max()},
  };
  for (const bool dynamic : {false, true}) {
    for (const auto& [seconds, nanos] : kOutside) {
      std::unique_ptr<Message> m = WithTimestamp(dynamic, seconds, nanos);
      const std::string what = absl::StrCat(seconds, "s ", nanos, "ns");
      ExpectDeclined(*m, what);
      const absl::StatusOr<std::string> got =
          TranslateResponse(*m, ResponseOptions());
      EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal) << what;
    }
  }
  EXPECT_EQ(TranslateResponse(*WithTimestamp(false, kMaxSeconds + 1, 0),
                              ResponseOptions())
                .status()
                .message(),
            "cannot print yandex.cloud.iam.v1.CreateIamTokenResponse as "
            "JSON: Timestamp seconds exceeds limit for field: expiresAt");
  EXPECT_EQ(TranslateResponse(*WithTimestamp(false, 0, -1), ResponseOptions())
                .status()
                .message(),
            "cannot print yandex.cloud.iam.v1.CreateIamTokenResponse as "
            "JSON: Timestamp nanos exceeds limit for field: expiresAt");
}

// One field as the body goes through the same printer.
TEST(FlatPrintTest, ResponseBody) {
  CreateIamTokenResponse response;
  response.set_iam_token("a\"<\xe2\x80\xa8");
  response.mutable_expires_at()->set_seconds(1);
  ResponseOptions options;
  options.response_body = "iam_token";
  EXPECT_EQ(*TranslateResponse(response, options), R"("a\"\u003c\u2028")");
  options.response_body = "expires_at";
  EXPECT_EQ(*TranslateResponse(response, options), R"("1970-01-01T00:00:01Z")");
}

// A random string of valid UTF-8, weighted towards what needs escaping.
std::string RandomString(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> length(0, 24);
  std::uniform_int_distribution<int> kind(0, 9);
  const int n = length(rng);
  std::string s;
  for (int i = 0; i < n; ++i) {
    uint32_t cp;
    switch (kind(rng)) {
      case 0:
        cp = std::uniform_int_distribution<uint32_t>(0, 0x1f)(rng);
        break;
      case 1: {
        static constexpr char kSpecial[] = "\"\\<>&='/\x7f";
        cp = static_cast<unsigned char>(
            kSpecial[std::uniform_int_distribution<int>(
                0, sizeof(kSpecial) - 2)(rng)]);
        break;
      }
      case 2:
        cp = std::uniform_int_distribution<uint32_t>(0x80, 0x7ff)(rng);
        break;
      case 3:
        cp = std::uniform_int_distribution<uint32_t>(0x800, 0xffff)(rng);
        break;
      case 4:
        cp = std::uniform_int_distribution<uint32_t>(0x10000, 0x10ffff)(rng);
        break;
      case 5: {  // near the ranges protobuf escapes
        static constexpr uint32_t kNear[] = {
            0x9f,    0xa0,    0xad,    0x5ff,   0x600,   0x603,   0x604,
            0x6dd,   0x70f,   0x17b4,  0x17b5,  0x200a,  0x200b,  0x200f,
            0x2010,  0x2027,  0x2028,  0x202e,  0x202f,  0x205f,  0x2060,
            0x2064,  0x2065,  0x2069,  0x206a,  0x206f,  0x2070,  0xfeff,
            0xfff8,  0xfff9,  0xfffb,  0xfffc,  0x1d172, 0x1d173, 0x1d17a,
            0x1d17b, 0xe0000, 0xe0001, 0xe001f, 0xe0020, 0xe007f, 0xe0080};
        cp = kNear[std::uniform_int_distribution<int>(
            0, sizeof(kNear) / sizeof(kNear[0]) - 1)(rng)];
        break;
      }
      default:
        cp = std::uniform_int_distribution<uint32_t>(0x20, 0x7e)(rng);
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    s += Utf8(cp);
  }
  return s;
}

TEST(FlatPrintTest, RandomDifferential) {
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> coin(0, 1);
  std::uniform_int_distribution<int64_t> seconds(kMinSeconds, kMaxSeconds);
  std::uniform_int_distribution<int32_t> nanos(0, 999999999);
  std::uniform_int_distribution<int> granularity(0, 3);
  int engaged = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    const Descriptor* type = FlatTypes()[iteration % FlatTypes().size()];
    std::unique_ptr<Message> m = New(type, coin(rng) == 1);
    const Reflection* r = m->GetReflection();
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* f = type->field(i);
      if (!IsFlatField(f) || coin(rng) == 0) continue;
      if (f->type() == FieldDescriptor::TYPE_STRING) {
        r->SetString(m.get(), f, RandomString(rng));
      } else if (f->type() == FieldDescriptor::TYPE_BOOL) {
        r->SetBool(m.get(), f, coin(rng) == 1);
      } else {
        int32_t n = nanos(rng);
        switch (granularity(rng)) {  // 0, 3, 6 and 9 fraction digits
          case 0:
            n = 0;
            break;
          case 1:
            n -= n % 1000000;
            break;
          case 2:
            n -= n % 1000;
            break;
        }
        SetTimestamp(m.get(), f, seconds(rng), n);
      }
    }
    ExpectFlat(*m, absl::StrCat("iteration ", iteration, ": ",
                                absl::CHexEscape(m->ShortDebugString())));
    if (::testing::Test::HasFailure()) return;
    ++engaged;
  }
  EXPECT_EQ(engaged, 3000);
}

// Messages declaring tokend.api.v1.print_all_fields (Clerk's resources)
// print every field: unset `optional` fields and messages as null, the rest
// at their default, arrays as []; inside them too, in lists as well.
TEST(PrintAllFieldsTest, ClerkUserPrintsEveryField) {
  sessions::v1::User user;
  user.set_object("user");
  user.set_id("user_1");
  user.set_first_name("Ada");
  sessions::v1::EmailAddress* email = user.add_email_addresses();
  email->set_id("idn_1");
  email->set_email_address("a@example.com");
  const absl::StatusOr<std::string> got =
      TranslateResponse(user, ResponseOptions());
  ASSERT_TRUE(got.ok()) << got.status();
  const nlohmann::json json = nlohmann::json::parse(*got);
  EXPECT_EQ(json["first_name"], "Ada");
  for (const char* key :
       {"last_name", "username", "external_id", "primary_email_address_id",
        "last_sign_in_at", "legal_accepted_at", "lockout_expires_in_seconds"}) {
    ASSERT_TRUE(json.contains(key)) << key;
    EXPECT_TRUE(json[key].is_null()) << key;
  }
  EXPECT_EQ(json["password_enabled"], false);
  EXPECT_EQ(json["banned"], false);
  EXPECT_EQ(json["image_url"], "");
  EXPECT_EQ(json["web3_wallets"], nlohmann::json::array());
  EXPECT_EQ(json["phone_numbers"], nlohmann::json::array());
  // Nested: the email address prints all of its fields too.
  const nlohmann::json& e = json["email_addresses"][0];
  EXPECT_EQ(e["email_address"], "a@example.com");
  EXPECT_EQ(e["linked_to"], nlohmann::json::array());
  EXPECT_TRUE(e["verification"].is_null());
  EXPECT_TRUE(e["verified"].is_null());
  EXPECT_EQ(e["reserved"], false);

  // A set optional keeps its value; a set message prints all its fields.
  email->mutable_verification()->set_status("verified");
  const nlohmann::json again =
      nlohmann::json::parse(*TranslateResponse(user, ResponseOptions()));
  const nlohmann::json& v = again["email_addresses"][0]["verification"];
  EXPECT_EQ(v["status"], "verified");
  EXPECT_TRUE(v["attempts"].is_null());
  EXPECT_TRUE(v["expire_at"].is_null());
}

TEST(PrintAllFieldsTest, ListsOfClerkResourcesAndOtherMessages) {
  sessions::v1::ListJwtTemplatesResponse list;
  list.add_data()->set_name("t");
  ResponseOptions options;
  options.response_body = "data";
  const nlohmann::json json =
      nlohmann::json::parse(*TranslateResponse(list, options));
  ASSERT_TRUE(json.is_array());
  EXPECT_EQ(json[0]["name"], "t");
  EXPECT_TRUE(json[0]["lifetime"].is_null());
  EXPECT_TRUE(json[0]["claims"].is_null());
  // A message that does not declare it still omits what is unset.
  yandex::cloud::iam::v1::CreateIamTokenResponse iam;
  iam.set_iam_token("t");
  EXPECT_EQ(*TranslateResponse(iam, ResponseOptions()), R"({"iamToken":"t"})");
}

}  // namespace
}  // namespace tokend::gateway
