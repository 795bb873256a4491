#include "server/gateway/response_translator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tests/server/gateway/translator_test.pb.h"
#include "tokend/keys/v1/keyring.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::Message;
using ::google::protobuf::MessageFactory;
using ::google::protobuf::TextFormat;
using ::tokend::testing::gateway::translator::Everything;

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

}  // namespace
}  // namespace tokend::gateway
