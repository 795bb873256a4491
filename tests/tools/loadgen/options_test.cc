#include "tools/loadgen/options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/loadgen/flags.h"

namespace tokend::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

TEST(ParseMetadataTest, SingleEntry) {
  auto m = ParseMetadata("authorization: Bearer xyz");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(*m, ElementsAre(Pair("authorization", "Bearer xyz")));
}

TEST(ParseMetadataTest, NewlinesAndCommasSeparate) {
  auto m = ParseMetadata("A: 1\nb:2, c-d : three ,\n\n");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(
      *m, ElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("c-d", "three ,")));
}

TEST(ParseMetadataTest, CommaInsideValueIsKept) {
  auto m = ParseMetadata("accept: a, b,x-y: z");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(*m, ElementsAre(Pair("accept", "a, b"), Pair("x-y", "z")));
}

TEST(ParseMetadataTest, EmptyIsNothing) {
  auto m = ParseMetadata("");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST(ParseMetadataTest, Errors) {
  EXPECT_THAT(ParseMetadata("no colon").status().message(),
              HasSubstr("not \"key: value\""));
  EXPECT_THAT(ParseMetadata(": v").status().message(), HasSubstr("empty key"));
  EXPECT_THAT(ParseMetadata("bad key: v").status().message(),
              HasSubstr("may only hold"));
  EXPECT_THAT(ParseMetadata("grpc-timeout: 1S").status().message(),
              HasSubstr("reserved"));
  EXPECT_THAT(ParseMetadata("k: \x01").status().message(),
              HasSubstr("printable"));
  EXPECT_TRUE(ParseMetadata("k-bin: \x01").ok());
}

TEST(DescriptorSourceTest, Parse) {
  EXPECT_EQ(*ParseDescriptorSource("auto"), DescriptorSource::kAuto);
  EXPECT_EQ(*ParseDescriptorSource("binary"), DescriptorSource::kBinary);
  EXPECT_EQ(*ParseDescriptorSource("reflection"),
            DescriptorSource::kReflection);
  EXPECT_FALSE(ParseDescriptorSource("server").ok());
  EXPECT_EQ(DescriptorSourceName(DescriptorSource::kReflection), "reflection");
}

LoadOptions Valid() {
  LoadOptions o;
  o.target = "127.0.0.1:1";
  o.method = "a.B/C";
  return o;
}

TEST(ValidateLoadOptionsTest, DefaultsWithTargetAndMethodAreValid) {
  EXPECT_TRUE(ValidateLoadOptions(Valid()).ok());
}

TEST(ValidateLoadOptionsTest, Rejects) {
  auto check = [](auto mutate, const char* needle) {
    LoadOptions o = Valid();
    mutate(o);
    const absl::Status s = ValidateLoadOptions(o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << needle;
    EXPECT_THAT(s.message(), HasSubstr(needle));
  };
  check([](LoadOptions& o) { o.target.clear(); }, "--target");
  check([](LoadOptions& o) { o.method.clear(); }, "--method");
  check([](LoadOptions& o) { o.concurrency = 0; }, "--concurrency");
  check([](LoadOptions& o) { o.channels = 0; }, "--channels");
  check([](LoadOptions& o) { o.channels = 17; }, "must not exceed");
  check([](LoadOptions& o) { o.count = -1; }, "--count");
  check([](LoadOptions& o) { o.duration = absl::ZeroDuration(); },
        "--duration");
  check([](LoadOptions& o) { o.duration = absl::InfiniteDuration(); },
        "unbounded");
  check([](LoadOptions& o) { o.warmup = absl::Seconds(-1); }, "--warmup");
  check([](LoadOptions& o) { o.tls_server_name = "x"; }, "--tls_ca");
}

TEST(ValidateLoadOptionsTest, InfiniteDurationWithCountIsValid) {
  LoadOptions o = Valid();
  o.duration = absl::InfiniteDuration();
  o.count = 10;
  EXPECT_TRUE(ValidateLoadOptions(o).ok());
}

TEST(MergeRepeatedFlagTest, MergesEveryForm) {
  EXPECT_THAT(
      MergeRepeatedFlag({"prog", "--metadata=a: 1", "--x=1", "-metadata",
                         "b: 2", "--metadata", "c: 3", "--", "--metadata=d"},
                        "metadata", '\n'),
      ElementsAre("prog", "--metadata=a: 1\nb: 2\nc: 3", "--x=1", "--",
                  "--metadata=d"));
}

TEST(MergeRepeatedFlagTest, LeavesOtherArgumentsAlone) {
  EXPECT_THAT(MergeRepeatedFlag({"prog", "--metadatax=1", "--metadata"},
                                "metadata", '\n'),
              ElementsAre("prog", "--metadatax=1", "--metadata"));
}

}  // namespace
}  // namespace tokend::loadgen
