#include "server/metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tokend::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Label values are method names and kinds we chose, but escape anyway: a
// broken exposition would fail every scrape.
std::string Label(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

uint64_t Load(const std::atomic<uint64_t>& a) {
  return a.load(std::memory_order_relaxed);
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(const char* method, Metrics* metrics)
      : method_(method), metrics_(metrics), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->RecordCall(method_, m->GetSendStatus().error_code(),
                           absl::Now() - start_);
    }
    m->Proceed();
  }

 private:
  const char* method_;
  Metrics* metrics_;
  absl::Time start_;
};

}  // namespace

Metrics::Metrics(MetricsOptions options) {
  std::map<std::string, std::string> kind_of(options.token_kinds.begin(),
                                             options.token_kinds.end());
  for (const std::string& method : options.methods) {
    if (by_method_.contains(method)) continue;
    auto series = std::make_unique<Series>();
    series->method = method;
    auto kind = kind_of.find(method);
    if (kind != kind_of.end()) series->token_kind = kind->second;
    by_method_[method] = series.get();
    series_.push_back(std::move(series));
  }
  auto other = std::make_unique<Series>();
  other->method = "other";
  series_.push_back(std::move(other));
  for (const auto& [method, kind] : options.token_kinds) kinds_.push_back(kind);
  std::sort(kinds_.begin(), kinds_.end());
  kinds_.erase(std::unique(kinds_.begin(), kinds_.end()), kinds_.end());
}

Metrics::Series& Metrics::SeriesFor(absl::string_view method) {
  auto it = by_method_.find(method);
  return it != by_method_.end() ? *it->second : *series_.back();
}

void Metrics::RecordCall(absl::string_view method, grpc::StatusCode code,
                         absl::Duration latency) {
  Series& s = SeriesFor(method);
  int c = static_cast<int>(code);
  if (c < 0 || c >= kCodes) c = static_cast<int>(grpc::StatusCode::UNKNOWN);
  s.calls[c].fetch_add(1, std::memory_order_relaxed);
  const double seconds = absl::ToDoubleSeconds(latency);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.latency_sum_ns.fetch_add(static_cast<uint64_t>(std::max<int64_t>(
                                 0, absl::ToInt64Nanoseconds(latency))),
                             std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus(
    const std::function<void(std::string*)>& extra) const {
  std::string out;
  out +=
      "# HELP tokend_requests_total RPCs handled (gRPC and REST), by method "
      "and status code.\n"
      "# TYPE tokend_requests_total counter\n";
  std::map<std::string, uint64_t> issued;
  for (const std::string& kind : kinds_) issued[kind] = 0;
  for (const auto& s : series_) {
    for (int c = 0; c < kCodes; ++c) {
      const uint64_t n = Load(s->calls[c]);
      if (n == 0) continue;
      absl::StrAppend(
          &out, "tokend_requests_total{method=\"", Label(s->method),
          "\",code=\"",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(c)), "\"} ", n,
          "\n");
    }
    if (!s->token_kind.empty()) {
      issued[s->token_kind] += Load(s->calls[0]);
    }
  }
  out +=
      "# HELP tokend_request_duration_seconds RPC latency, by method.\n"
      "# TYPE tokend_request_duration_seconds histogram\n";
  for (const auto& s : series_) {
    uint64_t cumulative = 0;
    std::string lines;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += Load(s->buckets[b]);
      absl::StrAppend(
          &lines, "tokend_request_duration_seconds_bucket{method=\"",
          Label(s->method), "\",le=\"", absl::StrFormat("%g", kBuckets[b]),
          "\"} ", cumulative, "\n");
    }
    cumulative += Load(s->buckets[kBuckets.size()]);
    if (cumulative == 0) continue;
    out += lines;
    absl::StrAppend(
        &out, "tokend_request_duration_seconds_bucket{method=\"",
        Label(s->method), "\",le=\"+Inf\"} ", cumulative, "\n",
        "tokend_request_duration_seconds_sum{method=\"", Label(s->method),
        "\"} ",
        absl::StrFormat("%.9f",
                        static_cast<double>(Load(s->latency_sum_ns)) / 1e9),
        "\n", "tokend_request_duration_seconds_count{method=\"",
        Label(s->method), "\"} ", cumulative, "\n");
  }
  out +=
      "# HELP tokend_tokens_issued_total Tokens issued, by kind.\n"
      "# TYPE tokend_tokens_issued_total counter\n";
  for (const auto& [kind, n] : issued) {
    absl::StrAppend(&out, "tokend_tokens_issued_total{kind=\"", Label(kind),
                    "\"} ", n, "\n");
  }
  if (extra) extra(&out);
  return out;
}

grpc::experimental::Interceptor*
MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(info->method(), metrics_);
}

}  // namespace tokend::server
