#include "tools/loadgen/stats.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace tokend::loadgen {
namespace {

double Us(double ns) { return ns / 1000.0; }

struct LatencySummary {
  double min, mean, p50, p90, p99, p999, max;
};

LatencySummary Summarize(const Histogram& h) {
  return {Us(h.min()),          Us(h.Mean()),         Us(h.Percentile(50)),
          Us(h.Percentile(90)), Us(h.Percentile(99)), Us(h.Percentile(99.9)),
          Us(h.max())};
}

// Rounds to 0.1 µs / 0.1 call/s so JSON carries no false precision.
double Round1(double v) { return std::round(v * 10.0) / 10.0; }

}  // namespace

std::string StatusCodeName(int code) {
  if (code >= 0 && code < kNumStatusCodes)
    return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return absl::StrCat("CODE_", code);
}

void RunStats::Record(int code, uint64_t latency, absl::string_view message) {
  if (code < 0 || code >= kNumStatusCodes) code = 2;  // UNKNOWN
  ++calls_by_code[code];
  if (code != 0 && first_message[code].empty() && !message.empty()) {
    first_message[code] = std::string(message);
  }
  latency_ns.Record(latency);
}

void RunStats::Merge(const RunStats& other) {
  elapsed = std::max(elapsed, other.elapsed);
  for (int i = 0; i < kNumStatusCodes; ++i) {
    calls_by_code[i] += other.calls_by_code[i];
    if (first_message[i].empty()) first_message[i] = other.first_message[i];
  }
  latency_ns.Merge(other.latency_ns);
  start_lag_ns.Merge(other.start_lag_ns);
}

int64_t RunStats::calls() const {
  int64_t total = 0;
  for (int64_t n : calls_by_code) total += n;
  return total;
}

double RunStats::Throughput() const {
  const double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? calls() / seconds : 0.0;
}

std::string FormatTable(const RunStats& stats, const RunInfo& info) {
  std::string out;
  absl::StrAppendFormat(&out, "%-13s %s\n", "target", info.target);
  absl::StrAppendFormat(&out, "%-13s %s (descriptor from %s)\n", "method",
                        info.method, info.descriptor_source);
  if (info.rate > 0) {
    absl::StrAppendFormat(&out,
                          "%-13s %.1f calls/s scheduled (open loop), at most "
                          "%d outstanding over %d channel%s\n",
                          "rate", info.rate, info.concurrency, info.channels,
                          info.channels == 1 ? "" : "s");
  } else {
    absl::StrAppendFormat(&out, "%-13s %d over %d channel%s\n", "concurrency",
                          info.concurrency, info.channels,
                          info.channels == 1 ? "" : "s");
  }
  absl::StrAppendFormat(&out, "%-13s %.3f s (after %.3f s warm-up)\n",
                        "elapsed", absl::ToDoubleSeconds(stats.elapsed),
                        absl::ToDoubleSeconds(info.warmup));
  absl::StrAppendFormat(&out, "%-13s %d\n", "calls", stats.calls());
  absl::StrAppendFormat(&out, "%-13s %d\n", "ok", stats.calls_by_code[0]);
  absl::StrAppendFormat(&out, "%-13s %d\n", "errors", stats.errors());
  for (int code = 1; code < kNumStatusCodes; ++code) {
    if (stats.calls_by_code[code] == 0) continue;
    absl::StrAppendFormat(&out, "  %-19s %d", StatusCodeName(code),
                          stats.calls_by_code[code]);
    if (!stats.first_message[code].empty()) {
      absl::StrAppendFormat(&out, "  (first: %s)", stats.first_message[code]);
    }
    out += "\n";
  }
  absl::StrAppendFormat(&out, "%-13s %.1f calls/s\n", "throughput",
                        stats.Throughput());
  const LatencySummary l = Summarize(stats.latency_ns);
  absl::StrAppendFormat(&out, "%-13s %10s %10s %10s %10s %10s %10s\n",
                        "latency (us)", "p50", "p90", "p99", "p99.9", "max",
                        "mean");
  absl::StrAppendFormat(&out,
                        "%-13s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", "",
                        l.p50, l.p90, l.p99, l.p999, l.max, l.mean);
  if (info.rate > 0) {
    const LatencySummary lag = Summarize(stats.start_lag_ns);
    absl::StrAppendFormat(
        &out, "%-13s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", "start lag",
        lag.p50, lag.p90, lag.p99, lag.p999, lag.max, lag.mean);
  }
  return out;
}

std::string FormatJson(const RunStats& stats, const RunInfo& info) {
  nlohmann::ordered_json j;
  j["target"] = info.target;
  j["method"] = info.method;
  j["descriptor_source"] = info.descriptor_source;
  j["concurrency"] = info.concurrency;
  j["channels"] = info.channels;
  j["rate"] = info.rate;
  j["warmup_s"] = absl::ToDoubleSeconds(info.warmup);
  j["elapsed_s"] = absl::ToDoubleSeconds(stats.elapsed);
  j["calls"] = stats.calls();
  j["ok"] = stats.calls_by_code[0];
  j["errors"] = stats.errors();
  nlohmann::ordered_json by_code = nlohmann::ordered_json::object();
  nlohmann::ordered_json messages = nlohmann::ordered_json::object();
  for (int code = 1; code < kNumStatusCodes; ++code) {
    if (stats.calls_by_code[code] == 0) continue;
    by_code[StatusCodeName(code)] = stats.calls_by_code[code];
    messages[StatusCodeName(code)] = stats.first_message[code];
  }
  j["errors_by_code"] = std::move(by_code);
  j["error_messages"] = std::move(messages);
  j["throughput"] = Round1(stats.Throughput());
  const LatencySummary l = Summarize(stats.latency_ns);
  j["latency_us"] = {{"min", Round1(l.min)}, {"mean", Round1(l.mean)},
                     {"p50", Round1(l.p50)}, {"p90", Round1(l.p90)},
                     {"p99", Round1(l.p99)}, {"p999", Round1(l.p999)},
                     {"max", Round1(l.max)}};
  if (info.rate > 0) {
    const LatencySummary lag = Summarize(stats.start_lag_ns);
    j["start_lag_us"] = {{"p50", Round1(lag.p50)},
                         {"p99", Round1(lag.p99)},
                         {"p999", Round1(lag.p999)},
                         {"max", Round1(lag.max)}};
  }
  // Replace invalid UTF-8 in server messages rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tokend::loadgen
