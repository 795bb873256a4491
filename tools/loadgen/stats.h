// RunStats: what one load run measured (calls by gRPC status, latency
// histogram, elapsed time) and the two ways to print it.
#ifndef TOKEND_TOOLS_LOADGEN_STATS_H_
#define TOKEND_TOOLS_LOADGEN_STATS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/loadgen/histogram.h"

namespace tokend::loadgen {

// grpc::StatusCode values run 0 (OK) .. 16 (UNAUTHENTICATED).
inline constexpr int kNumStatusCodes = 17;

// "OK", "NOT_FOUND", ...; "CODE_<n>" outside the canonical range.
std::string StatusCodeName(int code);

struct RunStats {
  // The measured window (warm-up excluded).
  absl::Duration elapsed = absl::ZeroDuration();
  std::array<int64_t, kNumStatusCodes> calls_by_code{};
  // The first message seen for each failing code, to say what went wrong.
  std::array<std::string, kNumStatusCodes> first_message;
  // Latency of every measured call (failed ones included), in nanoseconds.
  Histogram latency_ns;
  // Open loop: how late each measured call started after its due time, in
  // nanoseconds. Already inside latency_ns; kept apart because it is the
  // load generator's own delay (a full queue of calls, or its thread not
  // running), not the server's.
  Histogram start_lag_ns;

  // Hot path: one completed call.
  void Record(int code, uint64_t latency_ns, absl::string_view message);
  // Adds `other`'s calls; keeps the longer elapsed time.
  void Merge(const RunStats& other);

  int64_t calls() const;
  int64_t errors() const { return calls() - calls_by_code[0]; }
  // Calls per second over `elapsed`; 0 if nothing was measured.
  double Throughput() const;
};

// What the report says about the run besides the numbers.
struct RunInfo {
  std::string target;
  std::string method;             // "/pkg.Service/Method"
  std::string descriptor_source;  // where the request type came from
  int concurrency = 0;
  double rate = 0;  // open loop: calls per second scheduled; 0: closed
  int channels = 0;
  absl::Duration warmup = absl::ZeroDuration();
};

// A human-readable table.
std::string FormatTable(const RunStats& stats, const RunInfo& info);

// One JSON object on one line (for scripts):
// {"target","method","descriptor_source","concurrency","channels","rate",
//  "warmup_s","elapsed_s","calls","ok","errors","errors_by_code":{NAME:n},
//  "error_messages":{NAME:"first message"},"throughput":calls_per_s,
//  "latency_us":{"min","mean","p50","p90","p99","p999","max"}
//  [, open loop: "start_lag_us":{"p50","p99","p999","max"}]}
std::string FormatJson(const RunStats& stats, const RunInfo& info);

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_STATS_H_
