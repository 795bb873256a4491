#include "server/grpc_front/wire.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::grpc_front {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A framed message built by hand from PROTOCOL-HTTP2.md's layout, not by the
// code under test.
std::string Framed(const std::string& payload, char compressed = 0) {
  std::string out;
  out.push_back(compressed);
  const uint32_t n = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  return out + payload;
}

TEST(MessageDeframerTest, WholeMessagesInOneChunk) {
  MessageDeframer deframer(100);
  std::vector<std::string> messages;
  ASSERT_TRUE(
      deframer.Feed(Framed("ab") + Framed("") + Framed("xyz"), &messages).ok());
  EXPECT_THAT(messages, ElementsAre("ab", "", "xyz"));
  EXPECT_FALSE(deframer.partial());
}

TEST(MessageDeframerTest, EverySplitPointGivesTheSameMessages) {
  const std::string wire = Framed("hello") + Framed("world!");
  for (size_t split = 0; split <= wire.size(); ++split) {
    MessageDeframer deframer(100);
    std::vector<std::string> messages;
    ASSERT_TRUE(deframer.Feed(wire.substr(0, split), &messages).ok());
    ASSERT_TRUE(deframer.Feed(wire.substr(split), &messages).ok());
    EXPECT_THAT(messages, ElementsAre("hello", "world!")) << split;
    EXPECT_FALSE(deframer.partial());
  }
  // One byte at a time.
  MessageDeframer deframer(100);
  std::vector<std::string> messages;
  for (char c : wire) {
    ASSERT_TRUE(deframer.Feed(std::string(1, c), &messages).ok());
  }
  EXPECT_THAT(messages, ElementsAre("hello", "world!"));
}

TEST(MessageDeframerTest, TruncatedMessageIsPartial) {
  MessageDeframer deframer(100);
  std::vector<std::string> messages;
  ASSERT_TRUE(deframer.Feed(Framed("hello").substr(0, 7), &messages).ok());
  EXPECT_THAT(messages, IsEmpty());
  EXPECT_TRUE(deframer.partial());
}

TEST(MessageDeframerTest, OversizedMessageRefusedFromItsPrefix) {
  MessageDeframer deframer(4);
  std::vector<std::string> messages;
  // Only the prefix: the length alone is enough to refuse.
  absl::Status status = deframer.Feed(Framed("hello").substr(0, 5), &messages);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "received message larger than max (5 vs. 4)");
  // And it stays refused.
  EXPECT_EQ(deframer.Feed(Framed("a"), &messages).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(messages, IsEmpty());
  // Exactly at the limit passes.
  MessageDeframer exact(5);
  ASSERT_TRUE(exact.Feed(Framed("hello"), &messages).ok());
  EXPECT_THAT(messages, ElementsAre("hello"));
}

TEST(MessageDeframerTest, CompressedMessageUnimplemented) {
  MessageDeframer deframer(100);
  std::vector<std::string> messages;
  EXPECT_EQ(deframer.Feed(Framed("x", 1), &messages).code(),
            absl::StatusCode::kUnimplemented);
}

TEST(AppendMessagePrefixTest, BigEndianLength) {
  std::string out;
  AppendMessagePrefix(0x01020304, &out);
  EXPECT_EQ(out, std::string("\0\x01\x02\x03\x04", 5));
}

TEST(ParseGrpcTimeoutTest, EveryUnit) {
  EXPECT_EQ(ParseGrpcTimeout("2H"), absl::Hours(2));
  EXPECT_EQ(ParseGrpcTimeout("3M"), absl::Minutes(3));
  EXPECT_EQ(ParseGrpcTimeout("4S"), absl::Seconds(4));
  EXPECT_EQ(ParseGrpcTimeout("100m"), absl::Milliseconds(100));
  EXPECT_EQ(ParseGrpcTimeout("7u"), absl::Microseconds(7));
  EXPECT_EQ(ParseGrpcTimeout("99999999n"), absl::Nanoseconds(99999999));
}

TEST(ParseGrpcTimeoutTest, Malformed) {
  for (const char* bad :
       {"", "S", "5", "5s", "-5S", "+5S", " 5S", "123456789S", "5.0S", "5SS"}) {
    EXPECT_EQ(ParseGrpcTimeout(bad), std::nullopt) << bad;
  }
}

TEST(PercentEncodeTest, SpecExamples) {
  EXPECT_EQ(PercentEncode("plain text"), "plain text");
  EXPECT_EQ(PercentEncode("100%"), "100%25");
  EXPECT_EQ(PercentEncode("a\nb"), "a%0Ab");
  // UTF-8 bytes of "é" (C3 A9).
  EXPECT_EQ(PercentEncode("caf\xC3\xA9"), "caf%C3%A9");
}

TEST(IsForwardedHeaderTest, ReservedAndIllegalNamesStay) {
  EXPECT_TRUE(IsForwardedHeader("authorization"));
  EXPECT_TRUE(IsForwardedHeader("x-request-id"));
  EXPECT_TRUE(IsForwardedHeader("trace.id_1"));
  EXPECT_TRUE(IsForwardedHeader("key-bin"));
  for (const char* name :
       {"content-type", "te", "user-agent", "grpc-timeout", "grpc-encoding",
        "grpc-status", "host", "", "a!b", "Upper"}) {
    EXPECT_FALSE(IsForwardedHeader(name)) << name;
  }
}

TEST(MetadataValueTest, BinaryValuesDecodePaddedOrNot) {
  EXPECT_EQ(MetadataValue("k-bin", "AAEC"), std::string("\0\x01\x02", 3));
  EXPECT_EQ(MetadataValue("k-bin", "AAE"), std::string("\0\x01", 2));
  EXPECT_EQ(MetadataValue("k-bin", "AAE="), std::string("\0\x01", 2));
  EXPECT_EQ(MetadataValue("k-bin", "***"), std::nullopt);
}

TEST(MetadataValueTest, TextValuesMustBePrintableAscii) {
  EXPECT_EQ(MetadataValue("k", "Bearer abc"), "Bearer abc");
  EXPECT_EQ(MetadataValue("k", "caf\xC3\xA9"), std::nullopt);
  EXPECT_EQ(MetadataValue("k", "a\tb"), std::nullopt);
}

TEST(WireValueTest, BinaryValuesBase64Unpadded) {
  EXPECT_EQ(WireValue("k-bin", std::string("\0\x01", 2)), "AAE");
  EXPECT_EQ(WireValue("k", "text"), "text");
}

}  // namespace
}  // namespace tokend::grpc_front
