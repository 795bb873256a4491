#include "tools/loadgen/stats.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace tokend::loadgen {
namespace {

using ::testing::HasSubstr;

TEST(StatsTest, StatusCodeNames) {
  EXPECT_EQ(StatusCodeName(0), "OK");
  EXPECT_EQ(StatusCodeName(5), "NOT_FOUND");
  EXPECT_EQ(StatusCodeName(14), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(42), "CODE_42");
}

RunStats Sample() {
  RunStats stats;
  for (uint64_t us = 1; us <= 1000; ++us) {
    stats.Record(us % 100 == 0 ? 5 : 0, us * 1000,
                 us % 100 == 0 ? "no such thing" : "");
  }
  stats.elapsed = absl::Seconds(2);
  return stats;
}

TEST(StatsTest, RecordAndMerge) {
  RunStats a = Sample();
  EXPECT_EQ(a.calls(), 1000);
  EXPECT_EQ(a.errors(), 10);
  EXPECT_EQ(a.calls_by_code[5], 10);
  EXPECT_EQ(a.first_message[5], "no such thing");
  EXPECT_DOUBLE_EQ(a.Throughput(), 500.0);

  RunStats b = Sample();
  b.elapsed = absl::Seconds(1);
  b.Record(14, 1, "down");
  a.Merge(b);
  EXPECT_EQ(a.calls(), 2001);
  EXPECT_EQ(a.calls_by_code[14], 1);
  EXPECT_EQ(a.first_message[14], "down");
  EXPECT_EQ(a.elapsed, absl::Seconds(2));
  EXPECT_EQ(a.latency_ns.count(), 2001u);
}

TEST(StatsTest, NothingMeasured) {
  RunStats stats;
  EXPECT_EQ(stats.Throughput(), 0.0);
  EXPECT_EQ(stats.errors(), 0);
}

RunInfo Info() {
  RunInfo info;
  info.target = "127.0.0.1:1";
  info.method = "/a.B/C";
  info.descriptor_source = "binary";
  info.concurrency = 4;
  info.channels = 2;
  info.warmup = absl::Milliseconds(500);
  return info;
}

TEST(StatsTest, JsonHasEveryField) {
  const nlohmann::json j = nlohmann::json::parse(FormatJson(Sample(), Info()));
  EXPECT_EQ(j["target"], "127.0.0.1:1");
  EXPECT_EQ(j["method"], "/a.B/C");
  EXPECT_EQ(j["descriptor_source"], "binary");
  EXPECT_EQ(j["concurrency"], 4);
  EXPECT_EQ(j["channels"], 2);
  EXPECT_EQ(j["warmup_s"], 0.5);
  EXPECT_EQ(j["elapsed_s"], 2.0);
  EXPECT_EQ(j["calls"], 1000);
  EXPECT_EQ(j["ok"], 990);
  EXPECT_EQ(j["errors"], 10);
  EXPECT_EQ(j["errors_by_code"], nlohmann::json({{"NOT_FOUND", 10}}));
  EXPECT_EQ(j["error_messages"]["NOT_FOUND"], "no such thing");
  EXPECT_EQ(j["throughput"], 500.0);
  // Samples are 1..1000 µs: the histogram's midpoints are within 0.05%.
  const auto& l = j["latency_us"];
  EXPECT_EQ(l["min"], 1.0);
  EXPECT_EQ(l["max"], 1000.0);
  EXPECT_EQ(l["mean"], 500.5);
  EXPECT_NEAR(l["p50"].get<double>(), 500.0, 0.25);
  EXPECT_NEAR(l["p90"].get<double>(), 900.0, 0.45);
  EXPECT_NEAR(l["p99"].get<double>(), 990.0, 0.5);
  EXPECT_NEAR(l["p999"].get<double>(), 999.0, 0.5);
}

TEST(StatsTest, JsonOfACleanRunHasEmptyErrorMaps) {
  RunStats stats;
  stats.Record(0, 1000, "");
  stats.elapsed = absl::Seconds(1);
  const nlohmann::json j = nlohmann::json::parse(FormatJson(stats, Info()));
  EXPECT_TRUE(j["errors_by_code"].is_object());
  EXPECT_TRUE(j["errors_by_code"].empty());
  EXPECT_TRUE(j["error_messages"].empty());
}

TEST(StatsTest, TableNamesErrors) {
  const std::string table = FormatTable(Sample(), Info());
  EXPECT_THAT(table, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(table, HasSubstr("no such thing"));
  EXPECT_THAT(table, HasSubstr("500.0 calls/s"));
  EXPECT_THAT(table, HasSubstr("p99.9"));
}

}  // namespace
}  // namespace tokend::loadgen
