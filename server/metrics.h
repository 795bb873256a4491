// Request and token counters for GET /metrics (Prometheus text format 0.0.4).
//
// Every RPC — native gRPC or REST through the gateway's in-process channel —
// passes the MetricsInterceptor, which records its method, status code and
// latency. The method table is fixed at start-up, so recording is a hash
// lookup in an immutable map plus relaxed atomic increments: no lock on the
// hot path.
#ifndef TOKEND_SERVER_METRICS_H_
#define TOKEND_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::server {

struct MetricsOptions {
  // Full method names ("/package.Service/Method") that get their own series;
  // calls to any other method are counted under method="other".
  std::vector<std::string> methods;
  // Method -> token kind ("iam", "session", …): an OK call of that method
  // counts one token issued of that kind.
  std::vector<std::pair<std::string, std::string>> token_kinds;
};

class Metrics {
 public:
  // Upper bounds of the latency histogram, in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
      0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};

  explicit Metrics(MetricsOptions options);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void RecordCall(absl::string_view method, grpc::StatusCode code,
                  absl::Duration latency);

  // The exposition text. `extra` may append more families (e.g. gauges read
  // at scrape time, like the keyring's key counts).
  std::string RenderPrometheus(
      const std::function<void(std::string*)>& extra = nullptr) const;

 private:
  static constexpr int kCodes = 17;
  struct Series {
    std::string method;
    std::string token_kind;  // "" when the method issues no token
    std::array<std::atomic<uint64_t>, kCodes> calls{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> latency_sum_ns{0};
  };

  Series& SeriesFor(absl::string_view method);

  std::vector<std::unique_ptr<Series>> series_;  // last one is "other"
  absl::flat_hash_map<std::string, Series*> by_method_;
  std::vector<std::string> kinds_;  // sorted, unique
};

// Feeds a Metrics from every call the server handles.
class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics* metrics_;
};

}  // namespace tokend::server

#endif  // TOKEND_SERVER_METRICS_H_
