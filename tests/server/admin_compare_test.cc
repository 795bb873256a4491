// The admin key comparison leaks nothing through its timing: a guess
// wrong only in its last byte takes as long to refuse as one wrong from its
// first. Judged statistically, as dudect does (Reparaz et al., 2017):
// samples of the two classes interleaved in random order, each class's
// slowest 10% cropped, Welch's t-statistic (the median of five independent
// blocks). No wall-time threshold: a slow or busy machine scales both
// classes alike. The same harness on a comparison that stops at the first
// differing byte finds t in the thousands (it must find over 300, or the
// test could not fail); the admin key's stayed within ±1.2 over 12 runs with
// the other core busy, and the bound is 10, dudect's threshold for a leak
// beyond doubt.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/auth.h"

namespace tokend::server {
namespace {

// Welch's t of two samples, each cropped to its fastest 90%.
double WelchT(std::vector<double> a, std::vector<double> b) {
  auto crop_stats = [](std::vector<double>& v, double* mean, double* var) {
    std::sort(v.begin(), v.end());
    v.resize(v.size() * 9 / 10);
    double sum = 0;
    for (double x : v) sum += x;
    *mean = sum / v.size();
    double sq = 0;
    for (double x : v) sq += (x - *mean) * (x - *mean);
    *var = sq / (v.size() - 1);
  };
  double ma, va, mb, vb;
  crop_stats(a, &ma, &va);
  crop_stats(b, &mb, &vb);
  return (ma - mb) / std::sqrt(va / a.size() + vb / b.size());
}

// Times `refuse(guess)` for the two classes of guesses, interleaved, in
// independent blocks; the median of the blocks' t, so that a burst of
// preemption (the other core busy, other tests running) that lands in one
// block does not decide.
template <typename Refuse>
double TimingT(const std::string& near, const std::string& far, Refuse refuse) {
  constexpr int kBlocks = 5;
  constexpr size_t kSamples = 8000;  // per class and block
  std::mt19937 order(1234);          // a fixed order: the same run every time
  std::vector<double> ts;
  bool sink = false;
  // One buffer for both classes: only the bytes differ, not where they are.
  std::string guess = near;
  for (int block = 0; block < kBlocks; ++block) {
    std::vector<double> near_ns, far_ns;
    while (near_ns.size() < kSamples || far_ns.size() < kSamples) {
      const bool is_near = near_ns.size() < kSamples &&
                           (far_ns.size() >= kSamples || (order() & 1) != 0);
      guess.replace(0, guess.size(), is_near ? near : far);
      const auto start = std::chrono::steady_clock::now();
      sink ^= refuse(guess);
      const auto end = std::chrono::steady_clock::now();
      (is_near ? near_ns : far_ns)
          .push_back(
              std::chrono::duration<double, std::nano>(end - start).count());
    }
    ts.push_back(WelchT(std::move(near_ns), std::move(far_ns)));
  }
  EXPECT_FALSE(sink);  // every guess was refused
  std::sort(ts.begin(), ts.end());
  return ts[kBlocks / 2];
}

TEST(AdminCompareTest, ARefusalTakesAsLongHoweverCloseTheGuess) {
  // As long as a generated admin key (tka_ + 43 base64url characters).
  const std::string key = "tka_" + std::string(43, 'k');
  // The two classes differ only in where the one wrong byte is.
  std::string near = key;
  near.back() = 'x';  // all but the last byte right
  std::string far = key;
  far.front() = 'x';  // wrong from the first byte
  AdminAuthenticator admin(key);
  const double t = TimingT(near, far, [&](const std::string& guess) {
    return admin.Matches(guess);
  });
  EXPECT_LT(std::abs(t), 10) << "Welch's t " << t;

  // The harness sees a comparison that stops at the first difference.
  const double leaky = TimingT(near, far, [&](const std::string& guess) {
    volatile bool equal = true;
    for (size_t i = 0; i < key.size(); ++i) {
      if (static_cast<volatile const char*>(guess.data())[i] != key[i]) {
        equal = false;
        break;
      }
    }
    return static_cast<bool>(equal);
  });
  EXPECT_GT(std::abs(leaky), 300)
      << "the harness cannot see a leak: t " << leaky;
  std::printf("Welch's t: admin key %.2f, early-exit comparison %.2f\n", t,
              leaky);
}

}  // namespace
}  // namespace tokend::server
