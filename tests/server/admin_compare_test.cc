// The admin key comparison leaks nothing through its timing: a guess
// wrong only in its last byte takes as long to refuse as one wrong from
// its first. Judged statistically, as dudect does (Reparaz et
// al., 2017): samples of the two classes interleaved in random order,
// each class's slowest 10% cropped, Welch's t-statistic. No wall-time
// threshold: a slow or busy machine scales both classes alike. The same
// harness on a comparison that stops at the first differing byte finds t
// in the thousands (it must find over 300, or the test could not fail);
// the admin key's stays under 10 on an idle machine and under 30 with the
// other core busy (measured), which is the bound.
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

// Times `refuse(guess)` for the two classes of guesses, interleaved.
template <typename Refuse>
double TimingT(const std::string& near, const std::string& far, Refuse refuse) {
  constexpr int kSamples = 20000;
  std::mt19937 order(1234);  // a fixed order: the same run every time
  std::vector<double> near_ns, far_ns;
  bool sink = false;
  for (int i = 0; i < 2 * kSamples; ++i) {
    const bool is_near = (near_ns.size() < kSamples) &&
                         (far_ns.size() >= kSamples || (order() & 1) != 0);
    const std::string& guess = is_near ? near : far;
    const auto start = std::chrono::steady_clock::now();
    sink ^= refuse(guess);
    const auto end = std::chrono::steady_clock::now();
    (is_near ? near_ns : far_ns)
        .push_back(
            std::chrono::duration<double, std::nano>(end - start).count());
  }
  EXPECT_FALSE(sink);  // every guess was refused
  return WelchT(std::move(near_ns), std::move(far_ns));
}

TEST(AdminCompareTest, ARefusalTakesAsLongHoweverCloseTheGuess) {
  const std::string key(4096, 'k');
  // The two classes differ only in where the one wrong byte is.
  std::string near = key;
  near.back() = 'x';  // all but the last byte right
  std::string far = key;
  far.front() = 'x';  // wrong from the first byte
  AdminAuthenticator admin(key);
  const double t = TimingT(near, far, [&](const std::string& guess) {
    return admin.Matches(guess);
  });
  EXPECT_LT(std::abs(t), 30) << "Welch's t " << t;

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
