#include "server/failure_log.h"

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tokend::server {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

std::vector<nlohmann::json> Lines(std::FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::vector<nlohmann::json> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(FailureLogTest, AGuessingRunIsOneLinePlusOneAggregatePerAddress) {
  std::FILE* sink = std::tmpfile();
  FailureLog log(sink, nullptr, absl::Minutes(1), 100);
  int full = 0;
  for (int i = 0; i < 100000; ++i) {
    full += log.ShouldLog("192.0.2.1", grpc::StatusCode::UNAUTHENTICATED,
                          kT0 + absl::Milliseconds(i / 10));
  }
  for (int i = 0; i < 10; ++i) {
    full += log.ShouldLog("192.0.2.2", grpc::StatusCode::RESOURCE_EXHAUSTED,
                          kT0 + absl::Seconds(1));
  }
  EXPECT_EQ(full, 2) << "only the first of each address in full";
  // Other outcomes are always logged in full.
  EXPECT_TRUE(log.ShouldLog("192.0.2.1", grpc::StatusCode::OK, kT0));
  EXPECT_TRUE(log.ShouldLog("192.0.2.1", grpc::StatusCode::NOT_FOUND, kT0));

  log.Flush(kT0 + absl::Seconds(30));  // the interval has not ended
  EXPECT_TRUE(Lines(sink).empty());
  log.Flush(kT0 + absl::Seconds(61));
  std::vector<nlohmann::json> lines = Lines(sink);
  ASSERT_EQ(lines.size(), 2u);
  for (const nlohmann::json& line : lines) {
    EXPECT_EQ(line["msg"], "refused calls");
    EXPECT_EQ(line["interval_s"], 60);
    if (line["client"] == "192.0.2.1") {
      EXPECT_EQ(line["unauthenticated"], 100000);
      EXPECT_EQ(line["rate_limited"], 0);
    } else {
      EXPECT_EQ(line["client"], "192.0.2.2");
      EXPECT_EQ(line["rate_limited"], 10);
    }
    EXPECT_EQ(line["logged_in_full"], 1);
  }
  // A new interval: the first failure is logged in full again.
  EXPECT_TRUE(log.ShouldLog("192.0.2.1", grpc::StatusCode::UNAUTHENTICATED,
                            kT0 + absl::Seconds(62)));
  std::fclose(sink);
}

TEST(FailureLogTest, RotatingAddressesShareOneAggregate) {
  std::FILE* sink = std::tmpfile();
  FailureLog log(sink, nullptr, absl::Minutes(1), 100);
  int full = 0;
  for (int i = 0; i < 5000; ++i) {
    full += log.ShouldLog(absl::StrCat("2001:db8::", i),
                          grpc::StatusCode::UNAUTHENTICATED, kT0);
  }
  EXPECT_EQ(full, 100);
  log.Flush(kT0 + absl::Minutes(2));
  std::vector<nlohmann::json> lines = Lines(sink);
  // One line for each tracked address would be those logged in full
  // already: only "other" has anything left to report.
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["client"], "other");
  EXPECT_EQ(lines[0]["unauthenticated"], 4900);
  std::fclose(sink);
}

}  // namespace
}  // namespace tokend::server
