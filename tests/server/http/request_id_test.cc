#include "server/http/request_id.h"

#include <set>

#include "gtest/gtest.h"

namespace tokend::http {
namespace {

TEST(RequestIdTest, AcceptsShortPrintableIds) {
  EXPECT_TRUE(IsAcceptableRequestId("a"));
  EXPECT_TRUE(IsAcceptableRequestId("Abc-123_x.y:z"));
  EXPECT_TRUE(IsAcceptableRequestId(std::string(128, 'f')));
}

TEST(RequestIdTest, RejectsWhatCouldSplitAHeaderOrALogLine) {
  EXPECT_FALSE(IsAcceptableRequestId(""));
  EXPECT_FALSE(IsAcceptableRequestId(std::string(129, 'f')));
  for (const char* bad : {"a b", "a\r\nb", "a\"b", "a/b", "a;b", "a,b", "a\\b",
                          "\xc3\xa9", "a\tb", "{}"}) {
    EXPECT_FALSE(IsAcceptableRequestId(bad)) << bad;
  }
}

TEST(RequestIdTest, NewIdsAreHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRequestId();
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_TRUE(IsAcceptableRequestId(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(RequestIdTest, RequestIdForPrefersTheClients) {
  EXPECT_EQ(RequestIdFor("client-1"), "client-1");
  EXPECT_EQ(RequestIdFor("").size(), 32u);
  EXPECT_NE(RequestIdFor("bad id"), "bad id");
}

}  // namespace
}  // namespace tokend::http
