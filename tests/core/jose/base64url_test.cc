#include "core/jose/base64url.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/core/jose/test_util.h"

namespace tokend::jose {
namespace {

using absl::StatusCode;

TEST(Base64UrlTest, Rfc4648Vectors) {
  // RFC 4648 §10, without padding, in the URL-safe alphabet.
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff\xbf", 3)), "-_-_");
  ASSERT_OK_AND_ASSIGN(std::string decoded, Base64UrlDecode("-_-_"));
  EXPECT_EQ(decoded, std::string("\xfb\xff\xbf", 3));
}

TEST(Base64UrlTest, RoundTripsAllLengthsAndBytes) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    data.push_back(static_cast<char>((i * 73) & 0xff));
    const std::string encoded = Base64UrlEncode(data);
    EXPECT_EQ(encoded.size(), Base64UrlEncodedLength(data.size()));
    ASSERT_OK_AND_ASSIGN(std::string decoded, Base64UrlDecode(encoded));
    EXPECT_EQ(decoded, data);
  }
}

TEST(Base64UrlTest, AppendKeepsPrefix) {
  std::string out = "x.";
  AppendBase64UrlEncode("foo", &out);
  EXPECT_EQ(out, "x.Zm9v");
}

TEST(Base64UrlTest, RejectsPadding) {
  EXPECT_STATUS(Base64UrlDecode("Zg=="), StatusCode::kInvalidArgument,
                "invalid character");
  EXPECT_STATUS(Base64UrlDecode("Zm8="), StatusCode::kInvalidArgument,
                "invalid character");
}

TEST(Base64UrlTest, RejectsStandardAlphabetAndWhitespace) {
  EXPECT_STATUS(Base64UrlDecode("+/+/"), StatusCode::kInvalidArgument,
                "invalid character");
  EXPECT_STATUS(Base64UrlDecode("Zm9v\n"), StatusCode::kInvalidArgument, "");
  EXPECT_STATUS(Base64UrlDecode("Zm 9v"), StatusCode::kInvalidArgument, "");
  EXPECT_STATUS(Base64UrlDecode(std::string("Zm\0v", 4)),
                StatusCode::kInvalidArgument, "invalid character");
  EXPECT_STATUS(Base64UrlDecode("Zm9v."), StatusCode::kInvalidArgument, "");
}

TEST(Base64UrlTest, RejectsImpossibleLength) {
  EXPECT_STATUS(Base64UrlDecode("Z"), StatusCode::kInvalidArgument,
                "impossible length");
  EXPECT_STATUS(Base64UrlDecode("Zm9vY"), StatusCode::kInvalidArgument,
                "impossible length");
}

TEST(Base64UrlTest, RejectsNonCanonicalTrailingBits) {
  // "Zg" is 'f'; "Zh" encodes the same byte with a non-zero unused bit.
  EXPECT_OK(Base64UrlDecode("Zg"));
  EXPECT_STATUS(Base64UrlDecode("Zh"), StatusCode::kInvalidArgument,
                "non-canonical");
  EXPECT_OK(Base64UrlDecode("Zm8"));
  EXPECT_STATUS(Base64UrlDecode("Zm9"), StatusCode::kInvalidArgument,
                "non-canonical");
}

TEST(Base64UrlTest, EmptyIsEmpty) {
  ASSERT_OK_AND_ASSIGN(std::string decoded, Base64UrlDecode(""));
  EXPECT_TRUE(decoded.empty());
}

}  // namespace
}  // namespace tokend::jose
