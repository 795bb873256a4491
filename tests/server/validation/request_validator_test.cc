#include "server/validation/request_validator.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "tests/server/validation/validation_test.pb.h"
#include "tokend/iam/v1/service_accounts.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"
#include "yandex/cloud/iam/v1/key_service.pb.h"

namespace tokend::server::validation {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::Message;
using ::tokend::testing::validation::BadEmptyRange;
using ::tokend::testing::validation::BadPattern;
using ::tokend::testing::validation::BadRange;
using ::tokend::testing::validation::BadTarget;
using ::tokend::testing::validation::Choice;
using ::tokend::testing::validation::HasBadChild;
using ::tokend::testing::validation::Limits;
using ::tokend::testing::validation::NoRules;
using ::tokend::testing::validation::Tree;
using ::yandex::cloud::iam::v1::CreateIamTokenForServiceAccountRequest;
using ::yandex::cloud::iam::v1::CreateIamTokenRequest;
using ::yandex::cloud::iam::v1::CreateIamTokenResponse;
using ::yandex::cloud::iam::v1::RevokeIamTokenRequest;

// "Validation failed:" followed by one "  - <line>" per violation.
std::string Failed(const std::vector<std::string>& lines) {
  std::string out = "Validation failed:";
  for (const std::string& line : lines) absl::StrAppend(&out, "\n  - ", line);
  return out;
}

void ExpectOk(const Message& m) {
  absl::Status status = Validate(m);
  EXPECT_TRUE(status.ok()) << m.GetTypeName() << " {" << m.ShortDebugString()
                           << "}: " << status;
}

void ExpectInvalid(const Message& m, const std::vector<std::string>& lines) {
  absl::Status status = Validate(m);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), Failed(lines));
}

// ---------------------------------------------------------------------------
// The real IAM protos.

TEST(IamTokenServiceTest, NeitherIdentityUsesThePublicWording) {
  absl::Status status = Validate(CreateIamTokenRequest());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // Verbatim from a public API response (terraformer#565).
  EXPECT_EQ(status.message(),
            "Validation failed:\n"
            "  - identity: One of the options must be selected");
}

struct LengthCase {
  std::string name;
  void (*set)(CreateIamTokenRequest*, std::string);
  size_t length;
  std::string violation;  // empty: valid
};

TEST(IamTokenServiceTest, CreateLengthLimits) {
  auto jwt = [](CreateIamTokenRequest* r, std::string v) {
    r->set_jwt(std::move(v));
  };
  auto oauth = [](CreateIamTokenRequest* r, std::string v) {
    r->set_yandex_passport_oauth_token(std::move(v));
  };
  const std::vector<LengthCase> cases = {
      {"jwt 1", jwt, 1, ""},
      {"jwt 8000", jwt, 8000, ""},
      {"jwt 8001", jwt, 8001, "jwt: Length must be at most 8000 characters"},
      {"jwt 64k", jwt, 65536, "jwt: Length must be at most 8000 characters"},
      {"oauth 4000", oauth, 4000, ""},
      {"oauth 4001", oauth, 4001,
       "yandex_passport_oauth_token: Length must be at most 4000 characters"},
  };
  for (const LengthCase& c : cases) {
    SCOPED_TRACE(c.name);
    CreateIamTokenRequest request;
    c.set(&request, std::string(c.length, 'a'));
    if (c.violation.empty()) {
      ExpectOk(request);
    } else {
      ExpectInvalid(request, {c.violation});
    }
  }
}

TEST(IamTokenServiceTest, EmptySelectedMemberCountsAsSelected) {
  // A set oneof member holding "" is selected (has_jwt() is true).
  CreateIamTokenRequest request;
  request.set_jwt("");
  ExpectOk(request);
}

TEST(IamTokenServiceTest, BothMembersOnTheWireLastOneWins) {
  // exactly_one cannot see "both": proto3 parsing keeps the last member.
  CreateIamTokenRequest oauth, jwt;
  oauth.set_yandex_passport_oauth_token(std::string(4001, 'o'));
  jwt.set_jwt("header.payload.signature");
  CreateIamTokenRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(oauth.SerializeAsString() +
                                     jwt.SerializeAsString()));
  EXPECT_TRUE(parsed.has_jwt());
  EXPECT_FALSE(parsed.has_yandex_passport_oauth_token());
  ExpectOk(parsed);

  ASSERT_TRUE(parsed.ParseFromString(jwt.SerializeAsString() +
                                     oauth.SerializeAsString()));
  ExpectInvalid(parsed, {"yandex_passport_oauth_token: Length must be at most "
                         "4000 characters"});
}

TEST(IamTokenServiceTest, CreateForServiceAccount) {
  CreateIamTokenForServiceAccountRequest request;
  ExpectInvalid(request, {"service_account_id: Field is required"});
  request.set_service_account_id(std::string(50, 'a'));
  ExpectOk(request);
  request.set_service_account_id(std::string(51, 'a'));
  ExpectInvalid(request,
                {"service_account_id: Length must be at most 50 characters"});
}

TEST(IamTokenServiceTest, Revoke) {
  RevokeIamTokenRequest request;
  ExpectInvalid(request, {"iam_token: Field is required"});
  request.set_iam_token(std::string(4096, 't'));
  ExpectOk(request);
  request.set_iam_token(std::string(4097, 't'));
  ExpectInvalid(request, {"iam_token: Length must be at most 4096 characters"});
}

TEST(IamTokenServiceTest, ResponsesAndWellKnownTypesHaveNoRules) {
  CreateIamTokenResponse response;
  response.set_iam_token("t1.x");
  ExpectOk(response);
  ExpectOk(CreateIamTokenResponse());
  ExpectOk(google::protobuf::Timestamp());
}

TEST(KeyServiceTest, PublicOptions) {
  yandex::cloud::iam::v1::GetKeyRequest get;
  ExpectInvalid(get, {"key_id: Field is required"});
  yandex::cloud::iam::v1::ListKeysRequest list;
  list.set_page_size(1001);
  list.set_page_token(std::string(101, 'p'));
  ExpectInvalid(list, {"page_size: Value must be at most 1000",
                       "page_token: Length must be at most 100 characters"});
  list.set_page_size(-1);  // "<=1000" has no lower bound in the public file
  list.set_page_token("");
  ExpectOk(list);
  yandex::cloud::iam::v1::CreateKeyRequest create;
  create.set_description(std::string(257, 'd'));
  ExpectInvalid(create, {"description: Length must be at most 256 characters"});
}

TEST(ServiceAccountsTest, OwnOptions) {
  tokend::iam::v1::CreateServiceAccountRequest create;
  // A missing required field reports only that.
  ExpectInvalid(create, {"name: Field is required"});
  create.set_name("Robot");
  ExpectInvalid(create, {"name: Value must match the pattern "
                         "\"[a-z][-a-z0-9]{1,61}[a-z0-9]\""});
  create.set_name("robot-1");
  create.add_token_creators("sa1");
  create.add_token_creators("sa1");
  ExpectInvalid(create, {"token_creators: Elements must be unique"});
  create.set_token_creators(1, "sa2");
  ExpectOk(create);

  tokend::iam::v1::RevokeOAuthTokenRequest revoke;
  ExpectInvalid(revoke, {"target: One of the options must be selected"});
  revoke.set_oauth_token_id("ot1");
  ExpectOk(revoke);
}

// Every method of every tokend IAM service: the options compile, the names
// are those of DESIGN.md §2.6 and the REST rules those of the public API.
TEST(ProtoTest, AllIamOptionsCompileAndNamesMatch) {
  struct Method {
    std::string name;
    std::string verb;
    std::string path;
    std::string body;
  };
  const std::vector<std::pair<std::string, std::vector<Method>>> services = {
      {"yandex.cloud.iam.v1.IamTokenService",
       {{"Create", "post", "/iam/v1/tokens", "*"},
        {"CreateForServiceAccount", "post",
         "/iam/v1/tokens:createForServiceAccount", "*"},
        {"Revoke", "post", "/iam/v1/tokens:revoke", "*"}}},
      {"yandex.cloud.iam.v1.KeyService",
       {{"Get", "get", "/iam/v1/keys/{key_id}", ""},
        {"List", "get", "/iam/v1/keys", ""},
        {"Create", "post", "/iam/v1/keys", "*"},
        {"Delete", "delete", "/iam/v1/keys/{key_id}", ""}}},
      {"tokend.iam.v1.ServiceAccountService",
       {{"Create", "post", "/iam/v1/serviceAccounts", "*"},
        {"Get", "get", "/iam/v1/serviceAccounts/{service_account_id}", ""},
        {"List", "get", "/iam/v1/serviceAccounts", ""},
        {"Delete", "delete", "/iam/v1/serviceAccounts/{service_account_id}",
         ""},
        {"SetTokenCreators", "post",
         "/iam/v1/serviceAccounts/{service_account_id}:setTokenCreators",
         "*"}}},
      {"tokend.iam.v1.OAuthTokenService",
       {{"Create", "post", "/v1/admin/oauthTokens", "*"},
        {"Revoke", "post", "/v1/admin/oauthTokens:revoke", "*"}}},
  };
  RequestValidator validator;
  for (const auto& [service_name, methods] : services) {
    const google::protobuf::ServiceDescriptor* service =
        DescriptorPool::generated_pool()->FindServiceByName(service_name);
    ASSERT_NE(service, nullptr) << service_name;
    ASSERT_EQ(service->method_count(), static_cast<int>(methods.size()))
        << service_name;
    for (const Method& expected : methods) {
      SCOPED_TRACE(absl::StrCat(service_name, "/", expected.name));
      const google::protobuf::MethodDescriptor* method =
          service->FindMethodByName(expected.name);
      ASSERT_NE(method, nullptr);
      EXPECT_TRUE(validator.Check(method->input_type()).ok())
          << validator.Check(method->input_type());
      EXPECT_TRUE(validator.Check(method->output_type()).ok());
      const google::api::HttpRule& rule =
          method->options().GetExtension(google::api::http);
      std::string path;
      if (expected.verb == "get") path = rule.get();
      if (expected.verb == "post") path = rule.post();
      if (expected.verb == "delete") path = rule.delete_();
      EXPECT_EQ(path, expected.path);
      EXPECT_EQ(rule.body(), expected.body);
    }
  }
}

// ---------------------------------------------------------------------------
// Every option, on the test proto.

Limits ValidLimits() {
  Limits m;
  m.add_tags("ab");
  m.set_port(8080);
  m.set_accepted(true);
  return m;
}

TEST(RulesTest, BaselineIsValid) { ExpectOk(ValidLimits()); }

TEST(RulesTest, EveryViolationListedInFieldOrder) {
  Limits m;
  m.add_tags("abcde");
  m.add_tags("ab");
  m.add_tags("ab");
  m.add_tags("A");
  m.set_page_size(1001);
  m.set_delta(-6);
  // port left 0: rules apply to implicit-presence defaults.
  m.set_ratio(1.5);
  m.set_name("Bad");
  m.set_blob("12345");
  m.set_text(std::string(1025, 'x'));
  m.set_maybe("ab");
  m.add_numbers(1);
  m.add_numbers(1);
  m.add_numbers(0);
  m.set_unicode("\u00e9\u00e9\u00e9\u00e9");
  // accepted left false.
  m.set_share(1.0f);
  ExpectInvalid(m, {
                       "tags: Number of elements must be between 1 and 3",
                       "tags: Elements must be unique",
                       "tags[0]: Length must be at most 4 characters",
                       "tags[3]: Value must match the pattern \"[a-z]+\"",
                       "page_size: Value must be between 0 and 1000",
                       "delta: Value must be between -5 and 5",
                       "port: Value must be at least 1024",
                       "ratio: Value must be between 0.0 and 1.0",
                       "name: Value must match the pattern "
                       "\"|[a-z][-a-z0-9]{1,61}[a-z0-9]\"",
                       "blob: Length must be at most 4 bytes",
                       "text: Length must be at most 1024 bytes",
                       "maybe: Length must be exactly 3 characters",
                       "numbers: Elements must be unique",
                       "numbers[2]: Value must be greater than 0",
                       "unicode: Length must be at most 3 characters",
                       "accepted: Field is required",
                       "share: Value must be less than 1",
                   });
}

TEST(RulesTest, Boundaries) {
  struct Case {
    std::string name;
    void (*mutate)(Limits*);
    std::string violation;  // empty: valid
  };
  const std::vector<Case> cases = {
      {"three tags",
       [](Limits* m) {
         m->add_tags("b");
         m->add_tags("c");
       },
       ""},
      {"no tags", [](Limits* m) { m->clear_tags(); },
       "tags: Number of elements must be between 1 and 3"},
      {"page_size 1000", [](Limits* m) { m->set_page_size(1000); }, ""},
      {"page_size -1", [](Limits* m) { m->set_page_size(-1); },
       "page_size: Value must be between 0 and 1000"},
      {"delta -5", [](Limits* m) { m->set_delta(-5); }, ""},
      {"delta 6", [](Limits* m) { m->set_delta(6); },
       "delta: Value must be between -5 and 5"},
      {"port max", [](Limits* m) { m->set_port(4294967295u); }, ""},
      {"port 1023", [](Limits* m) { m->set_port(1023); },
       "port: Value must be at least 1024"},
      {"ratio 1.0", [](Limits* m) { m->set_ratio(1.0); }, ""},
      {"ratio NaN", [](Limits* m) { m->set_ratio(std::nan("")); },
       "ratio: Value must be between 0.0 and 1.0"},
      {"share 0.99", [](Limits* m) { m->set_share(0.99f); }, ""},
      {"empty name", [](Limits* m) { m->set_name(""); }, ""},
      {"name", [](Limits* m) { m->set_name("my-robot-2"); }, ""},
      {"name ends in dash", [](Limits* m) { m->set_name("my-"); },
       "name: Value must match the pattern \"|[a-z][-a-z0-9]{1,61}[a-z0-9]\""},
      {"the whole value must match", [](Limits* m) { m->set_name("abc\n"); },
       "name: Value must match the pattern \"|[a-z][-a-z0-9]{1,61}[a-z0-9]\""},
      {"blob 4", [](Limits* m) { m->set_blob("\xff\xff\xff\xff"); }, ""},
      {"text 1024", [](Limits* m) { m->set_text(std::string(1024, 'x')); }, ""},
      {"text counts bytes",
       [](Limits* m) {
         m->set_text(std::string(513, 'x') + "\u00e9" + std::string(510, 'x'));
       },
       "text: Length must be at most 1024 bytes"},
      {"maybe unset", [](Limits* m) { m->clear_maybe(); }, ""},
      {"maybe 3", [](Limits* m) { m->set_maybe("abc"); }, ""},
      {"maybe empty", [](Limits* m) { m->set_maybe(""); },
       "maybe: Length must be exactly 3 characters"},
      {"three 2-byte chars",
       [](Limits* m) { m->set_unicode("\u00e9\u00e9\u00e9"); }, ""},
      {"three 4-byte chars",
       [](Limits* m) { m->set_unicode("\U0001F600\U0001F600\U0001F600"); }, ""},
      {"four ASCII chars", [](Limits* m) { m->set_unicode("abcd"); },
       "unicode: Length must be at most 3 characters"},
      {"label", [](Limits* m) { (*m->mutable_labels())["env"] = "dev"; }, ""},
      {"label key too long",
       [](Limits* m) { (*m->mutable_labels())["abcde"] = "x"; },
       "labels[\"abcde\"]: Key length must be between 1 and 4 characters"},
      {"label key pattern",
       [](Limits* m) { (*m->mutable_labels())["A\"b"] = "x"; },
       "labels[\"A\\\"b\"]: Key must match the pattern \"[a-z]+\""},
      {"label value too long",
       [](Limits* m) { (*m->mutable_labels())["ab"] = "long"; },
       "labels[\"ab\"]: Length must be at most 3 characters"},
      {"three labels",
       [](Limits* m) {
         for (const char* k : {"a", "b", "c"}) (*m->mutable_labels())[k] = "";
       },
       "labels: Number of elements must be at most 2"},
      {"weight", [](Limits* m) { (*m->mutable_weights())[9] = 0; }, ""},
      {"weight key", [](Limits* m) { (*m->mutable_weights())[0] = 1; },
       "weights[0]: Key value must be between 1 and 9"},
      {"weight value", [](Limits* m) { (*m->mutable_weights())[1] = -1; },
       "weights[1]: Value must be at least 0"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Limits m = ValidLimits();
    c.mutate(&m);
    if (c.violation.empty()) {
      ExpectOk(m);
    } else {
      ExpectInvalid(m, {c.violation});
    }
  }
}

TEST(RulesTest, NestedAndRepeatedMessagesCarryPaths) {
  Tree tree;
  tree.mutable_inner()->set_id("toolong");
  tree.add_items()->set_id("ok");
  tree.add_items();  // id missing
  tokend::testing::validation::Inner& child = (*tree.mutable_children())["k"];
  child.set_count(11);
  tree.mutable_node()->mutable_next()->mutable_next()->set_label("abc");
  ExpectInvalid(tree, {
                          "inner.id: Length must be at most 5 characters",
                          "items[1].id: Field is required",
                          "children[\"k\"].id: Field is required",
                          "children[\"k\"].count: Value must be between 0 "
                          "and 10",
                          "node.next.next.label: Length must be at most 2 "
                          "characters",
                          "required_inner: Field is required",
                      });

  Tree ok;
  ok.mutable_required_inner()->set_id("a");
  ok.mutable_node()->mutable_next()->set_label("ab");
  ExpectOk(ok);
}

TEST(RulesTest, OneofWithMessageMember) {
  Choice choice;
  ExpectInvalid(choice, {"choice: One of the options must be selected"});
  choice.mutable_b();
  ExpectInvalid(choice, {"b.id: Field is required"});
  choice.set_a("abc");
  ExpectInvalid(choice, {"a: Length must be at most 2 characters"});
  choice.set_a("ab");
  ExpectOk(choice);
  choice.set_c("free");  // the other oneof has no exactly_one
  ExpectOk(choice);
}

TEST(RulesTest, TooManyViolationsAreCounted) {
  Limits m;  // tags empty, port 0, accepted false: 3 violations
  for (int i = 0; i < 30; ++i) m.add_numbers(0);  // 1 + 30 violations
  absl::Status status = Validate(m);
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> lines = absl::StrSplit(status.message(), '\n');
  ASSERT_EQ(lines.size(), 1 + kMaxListedViolations + 1);
  EXPECT_EQ(lines[1], "  - tags: Number of elements must be between 1 and 3");
  EXPECT_EQ(lines[20], "  - numbers[16]: Value must be greater than 0");
  EXPECT_EQ(lines.back(), "  - ... and 14 more");
}

TEST(RulesTest, MessagesWithoutOptionsPassUntouched) {
  NoRules m;
  m.set_a(std::string(100000, 'a'));
  m.mutable_child()->mutable_back()->set_a("x");
  m.add_children();
  (*m.mutable_by_name())["k"].mutable_back();
  const std::string before = m.SerializeAsString();
  ExpectOk(m);
  EXPECT_EQ(m.SerializeAsString(), before);
}

TEST(RulesTest, DeepNestingIsBounded) {
  Tree tree;
  tree.mutable_required_inner()->set_id("a");
  tokend::testing::validation::Node* node = tree.mutable_node();
  for (int i = 0; i < 150; ++i) node = node->mutable_next();
  node->set_label("too long");
  absl::Status status = Validate(tree);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("Message nesting is too deep"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// Compilation.

TEST(CompileTest, RulesAreCompiledOncePerType) {
  RequestValidator validator;
  EXPECT_EQ(validator.compiled_types(), 0u);
  CreateIamTokenRequest request;
  request.set_jwt("x");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(validator.Validate(request).ok());
  EXPECT_EQ(validator.compiled_types(), 1u);
  // Tree reaches Inner and Node (map entry types are not compiled: their
  // rules live on the map field).
  Tree tree;
  tree.mutable_required_inner()->set_id("a");
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(validator.Validate(tree).ok());
  EXPECT_EQ(validator.compiled_types(), 4u);
  // Inner was compiled with Tree.
  ASSERT_FALSE(validator.Validate(tokend::testing::validation::Inner()).ok());
  EXPECT_EQ(validator.compiled_types(), 4u);
  // Recursive types without rules: compiled once, then skipped.
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(validator.Validate(NoRules()).ok());
  EXPECT_EQ(validator.compiled_types(), 6u);
}

TEST(CompileTest, ConcurrentFirstUse) {
  RequestValidator validator;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&validator, t] {
      for (int i = 0; i < 200; ++i) {
        Tree tree;
        tree.mutable_required_inner()->set_id((i + t) % 2 ? "a" : "toolong");
        const bool valid = (i + t) % 2;
        EXPECT_EQ(validator.Validate(tree).ok(), valid);
        EXPECT_FALSE(validator.Validate(CreateIamTokenRequest()).ok());
        EXPECT_TRUE(validator.Validate(ValidLimits()).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(validator.compiled_types(),
            5u);  // Tree, Inner, Node, Create…, Limits
}

TEST(CompileTest, MalformedOptionsFailClosed) {
  struct Case {
    const Message* message;
    std::string field;
    std::string option;
  };
  const BadRange bad_range;
  const BadPattern bad_pattern;
  const BadTarget bad_target;
  const BadEmptyRange bad_empty;
  const std::vector<Case> cases = {
      {&bad_range, "BadRange.s", "(yandex.cloud.length) = \"at most 3\""},
      {&bad_pattern, "BadPattern.s", "(yandex.cloud.pattern) = \"([\""},
      {&bad_target, "BadTarget.n", "(yandex.cloud.length) = \"<=3\""},
      {&bad_empty, "BadEmptyRange.s", "(yandex.cloud.size) = \"5-1\""},
  };
  RequestValidator validator;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    for (const absl::Status& status :
         {validator.Validate(*c.message),
          validator.Check(c.message->GetDescriptor())}) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
      EXPECT_NE(status.message().find(
                    absl::StrCat("tokend.testing.validation.", c.field)),
                std::string::npos)
          << status;
      EXPECT_NE(status.message().find(c.option), std::string::npos) << status;
    }
  }
  // A malformed type fails the validations that reach it; Check finds it
  // through the parent either way.
  HasBadChild parent;
  EXPECT_TRUE(validator.Validate(parent).ok());
  EXPECT_EQ(validator.Check(HasBadChild::descriptor()).code(),
            absl::StatusCode::kInternal);
  parent.mutable_child();
  EXPECT_EQ(validator.Validate(parent).code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tokend::server::validation
