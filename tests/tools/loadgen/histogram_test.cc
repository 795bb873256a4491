#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tokend::loadgen {
namespace {

// Nearest-rank percentile computed straight from the samples.
uint64_t ExactPercentile(std::vector<uint64_t> samples, double p) {
  std::sort(samples.begin(), samples.end());
  // p * N / 100 in exact decimal: p is given to at most 2 decimals here.
  const uint64_t p100 = static_cast<uint64_t>(std::llround(p * 100));
  size_t rank = (p100 * samples.size() + 9999) / 10000;
  rank = std::clamp<size_t>(rank, 1, samples.size());
  return samples[rank - 1];
}

TEST(HistogramTest, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Mean(), 0.0);
  EXPECT_EQ(h.Percentile(50), 0.0);
  EXPECT_EQ(h.Percentile(100), 0.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  // 1..1000: nearest rank of p% is ceil(p * 10).
  Histogram h;
  for (uint64_t v = 1000; v >= 1; --v) h.Record(v);  // order must not matter
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.Mean(), 500.5);
  EXPECT_EQ(h.Percentile(0), 1.0);
  EXPECT_EQ(h.Percentile(0.1), 1.0);
  EXPECT_EQ(h.Percentile(50), 500.0);
  EXPECT_EQ(h.Percentile(90), 900.0);
  EXPECT_EQ(h.Percentile(99), 990.0);
  EXPECT_EQ(h.Percentile(99.9), 999.0);
  EXPECT_EQ(h.Percentile(100), 1000.0);
  EXPECT_EQ(h.Percentile(50.05), 501.0);
}

TEST(HistogramTest, LargeValuesWithinResolution) {
  // 1 µs .. 1 ms in nanoseconds, the range latencies live in.
  std::vector<uint64_t> samples;
  Histogram h;
  for (uint64_t k = 1; k <= 1000; ++k) {
    samples.push_back(k * 1000);
    h.Record(k * 1000);
  }
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 1000000u);
  EXPECT_DOUBLE_EQ(h.Mean(), 500500.0);
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9}) {
    const double exact = ExactPercentile(samples, p);
    EXPECT_NEAR(h.Percentile(p), exact, exact / 2048.0) << "p" << p;
  }
  // 500000 lies in [499968, 500224) (width 256): reported as the midpoint.
  EXPECT_EQ(h.Percentile(50), 499968 + 127.5);
  EXPECT_EQ(h.Percentile(100), 1000000.0);
}

TEST(HistogramTest, RandomSamplesMatchSortedPercentiles) {
  std::mt19937_64 rng(42);
  // Log-uniform over 1 ns .. 10 s.
  std::uniform_real_distribution<double> exponent(0.0, 10.0);
  std::vector<uint64_t> samples;
  Histogram h;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t v = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
    samples.push_back(v);
    h.Record(v);
  }
  for (double p : {50.0, 90.0, 99.0, 99.9, 99.99}) {
    const double exact = ExactPercentile(samples, p);
    EXPECT_NEAR(h.Percentile(p), exact, exact / 2048.0 + 0.5) << "p" << p;
  }
  EXPECT_EQ(h.max(), *std::max_element(samples.begin(), samples.end()));
  EXPECT_EQ(h.min(), *std::min_element(samples.begin(), samples.end()));
}

TEST(HistogramTest, BucketsCoverTheirValues) {
  for (uint64_t v : std::vector<uint64_t>{
           0, 1, 2047, 2048, 2049, 4095, 4096, 4097, 1000000, 123456789,
           uint64_t{1} << 40, (uint64_t{1} << 44) - 1}) {
    const int i = Histogram::BucketIndex(v);
    const uint64_t low = Histogram::BucketLowerBound(i);
    const uint64_t width = Histogram::BucketWidth(i);
    EXPECT_LE(low, v) << v;
    EXPECT_LT(v, low + width) << v;
    EXPECT_LE(width * 1024, std::max<uint64_t>(low, 1024)) << v;
  }
  EXPECT_EQ(Histogram::BucketIndex(2047), 2047);
  EXPECT_EQ(Histogram::BucketIndex(2048), 2048);
  EXPECT_EQ(Histogram::BucketIndex(2049), 2048);  // width 2 from here
  EXPECT_EQ(Histogram::BucketIndex(2050), 2049);
  // Indices grow with the value.
  int last = -1;
  for (uint64_t v = 0; v < (uint64_t{1} << 22); v += 97) {
    const int i = Histogram::BucketIndex(v);
    EXPECT_GE(i, last);
    last = i;
  }
}

TEST(HistogramTest, HugeValuesKeepExactMax) {
  Histogram h;
  const uint64_t huge = uint64_t{1} << 50;
  h.Record(5);
  h.Record(huge);
  EXPECT_EQ(h.max(), huge);
  EXPECT_EQ(h.Percentile(100), static_cast<double>(huge));
  EXPECT_EQ(h.Percentile(50), 5.0);
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  Histogram odd, even, all;
  for (uint64_t v = 1; v <= 5000; ++v) {
    (v % 2 ? odd : even).Record(v * 37);
    all.Record(v * 37);
  }
  odd.Merge(even);
  EXPECT_EQ(odd.count(), all.count());
  EXPECT_EQ(odd.min(), all.min());
  EXPECT_EQ(odd.max(), all.max());
  EXPECT_DOUBLE_EQ(odd.Mean(), all.Mean());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) {
    EXPECT_EQ(odd.Percentile(p), all.Percentile(p)) << p;
  }
  Histogram empty;
  odd.Merge(empty);
  EXPECT_EQ(odd.min(), all.min());
}

}  // namespace
}  // namespace tokend::loadgen
