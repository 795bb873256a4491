#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace tokend::loadgen {
namespace {

constexpr int kSubBucketBits = 11;
constexpr uint64_t kSubBucketCount = uint64_t{1} << kSubBucketBits;  // 2048
constexpr uint64_t kSubBucketHalf = kSubBucketCount / 2;             // 1024
constexpr int kMaxValueBits = 44;
constexpr uint64_t kMaxTrackable = (uint64_t{1} << kMaxValueBits) - 1;
// Exact buckets for [0, 2048), then 1024 per power of two up to 2^44.
constexpr int kNumBuckets =
    kSubBucketCount + (kMaxValueBits - kSubBucketBits) * kSubBucketHalf;

int MostSignificantBit(uint64_t v) { return 63 - __builtin_clzll(v); }

}  // namespace

Histogram::Histogram() : buckets_(kNumBuckets, 0) {}

int Histogram::BucketIndex(uint64_t value) {
  if (value < kSubBucketCount) return static_cast<int>(value);
  value = std::min(value, kMaxTrackable);
  // shift >= 1 puts value >> shift in [1024, 2048).
  const int shift = MostSignificantBit(value) - (kSubBucketBits - 1);
  return static_cast<int>(kSubBucketCount + (shift - 1) * kSubBucketHalf +
                          ((value >> shift) - kSubBucketHalf));
}

uint64_t Histogram::BucketLowerBound(int index) {
  if (index < static_cast<int>(kSubBucketCount)) return index;
  const int rel = index - static_cast<int>(kSubBucketCount);
  const int shift = rel / static_cast<int>(kSubBucketHalf) + 1;
  const uint64_t sub = rel % kSubBucketHalf + kSubBucketHalf;
  return sub << shift;
}

uint64_t Histogram::BucketWidth(int index) {
  if (index < static_cast<int>(kSubBucketCount)) return 1;
  const int rel = index - static_cast<int>(kSubBucketCount);
  return uint64_t{1} << (rel / static_cast<int>(kSubBucketHalf) + 1);
}

void Histogram::Record(uint64_t value) {
  ++buckets_[BucketIndex(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double Histogram::Mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_);
}

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0.0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank: the ceil(p/100 * N)-th smallest sample (at least the 1st).
  // Shaving a relative 1e-12 keeps e.g. 99.9% of 1000 at rank 999 despite
  // 0.999 * 1000 evaluating to 999.0000000000001.
  uint64_t rank = static_cast<uint64_t>(
      std::ceil(p / 100.0 * static_cast<double>(count_) * (1.0 - 1e-12)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  if (rank == count_) return static_cast<double>(max_);
  uint64_t seen = 0;
  for (int i = 0; i < kNumBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const uint64_t width = BucketWidth(i);
      const double mid = width == 1 ? BucketLowerBound(i)
                                    : BucketLowerBound(i) + (width - 1) / 2.0;
      return std::clamp(mid, static_cast<double>(min_),
                        static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace tokend::loadgen
