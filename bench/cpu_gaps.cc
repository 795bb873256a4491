// How long does a busy thread on this CPU go without running? A thread spins
// reading the monotonic clock for --seconds; every jump between two reads
// longer than 20 µs is time the CPU ran something else (another process,
// the kernel, or the hypervisor took the vCPU). Prints how many gaps of each
// size, the longest, and the share of time lost: the floor under any
// latency percentile measured on this CPU (issue 19, BENCHMARKS.md).
//
//   taskset -c 0 cpu_gaps --seconds=20
#include <time.h>

#include <array>
#include <cstdint>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"

ABSL_FLAG(double, seconds, 10, "how long to spin");

namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Upper bounds of the buckets, in µs; the last is open.
  constexpr std::array<int64_t, 7> kBounds = {100,  500,   1000,     2000,
                                              5000, 10000, INT64_MAX};
  std::array<int64_t, kBounds.size()> counts{};
  const int64_t start = NowNs();
  const int64_t end =
      start + static_cast<int64_t>(absl::GetFlag(FLAGS_seconds) * 1e9);
  int64_t prev = start, longest = 0, lost = 0;
  for (int64_t now = NowNs(); now < end; now = NowNs()) {
    const int64_t gap = now - prev;
    prev = now;
    if (gap <= 20'000) continue;
    lost += gap;
    if (gap > longest) longest = gap;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      if (gap / 1000 < kBounds[i]) {
        ++counts[i];
        break;
      }
    }
  }
  std::printf("gaps over 20 us, by size:");
  int64_t low = 20;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    if (kBounds[i] == INT64_MAX) {
      std::printf(" >=%lldus %lld", static_cast<long long>(low),
                  static_cast<long long>(counts[i]));
    } else {
      std::printf(" %lld-%lldus %lld,", static_cast<long long>(low),
                  static_cast<long long>(kBounds[i]),
                  static_cast<long long>(counts[i]));
    }
    low = kBounds[i];
  }
  std::printf("; longest %.0f us; lost %.2f%% of the time\n", longest / 1e3,
              100.0 * lost / static_cast<double>(prev - start));
  return 0;
}
