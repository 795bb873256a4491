// Histogram: a log-linear (HDR-style) histogram of non-negative integer
// samples, cheap enough to record every call's latency on the hot path.
//
// Values below 2048 are counted exactly; above that, each power-of-two range
// is split into 1024 equal buckets, so a reported percentile is within 1/2048
// (about 0.05%) of the true sample. Count, sum, min and max are exact. Values
// at or above 2^44 (about 4.9 hours in nanoseconds) share the last bucket.
//
// Not thread-safe: give each thread its own and Merge() them afterwards.
#ifndef TOKEND_TOOLS_LOADGEN_HISTOGRAM_H_
#define TOKEND_TOOLS_LOADGEN_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace tokend::loadgen {

class Histogram {
 public:
  Histogram();

  void Record(uint64_t value);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Mean() const;

  // The nearest-rank percentile: the smallest recorded value v such that at
  // least p% of the samples are <= v, up to the bucket resolution (the
  // bucket's midpoint, clamped to [min, max]). p in [0, 100]; 0 when empty.
  double Percentile(double p) const;

  // Exposed for tests: the bucket holding `value`, and its bounds.
  static int BucketIndex(uint64_t value);
  static uint64_t BucketLowerBound(int index);
  static uint64_t BucketWidth(int index);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  // Sum in long double: 2^64 ns would overflow after a few hundred years of
  // summed latency, but precision of the mean matters more than range.
  long double sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_HISTOGRAM_H_
