#include "server/request_log.h"

#include <string>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/gateway/json_string.h"
#include "server/policy/client_address.h"

namespace tokend::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// The same rule as the HTTP server's (server/http), so an id given over REST
// reaches the gRPC log unchanged.
constexpr size_t kMaxRequestIdLength = 128;
constexpr size_t kMaxLoggedMessage = 200;

bool IsAcceptableRequestId(grpc::string_ref id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' &&
        c != ':') {
      return false;
    }
  }
  return true;
}

std::string NewRequestId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x", absl::Uniform<uint64_t>(gen));
}

// A JSON string, quotes included, for the few free-text fields we log:
// UTF-8 kept as it is (escaping each byte would double-encode it), invalid
// bytes as U+FFFD, controls escaped.
std::string JsonQuoted(absl::string_view in) {
  std::string quoted;
  gateway::AppendJsonStringLossy(in, &quoted);
  return quoted;
}

class RequestLogInterceptor : public grpc::experimental::Interceptor {
 public:
  RequestLogInterceptor(grpc::experimental::ServerRpcInfo* info,
                        std::FILE* sink, FailureLog* failures)
      : method_(info->method()),
        context_(info->server_context()),
        sink_(sink),
        failures_(failures),
        start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      auto* md = m->GetRecvInitialMetadata();
      auto it = md->find("x-request-id");
      if (it != md->end() && IsAcceptableRequestId(it->second)) {
        request_id_.assign(it->second.data(), it->second.size());
      }
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      if (request_id_.empty()) request_id_ = NewRequestId();
      m->GetSendInitialMetadata()->emplace("x-request-id", request_id_);
    }
    if (m->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = m->GetSendStatus();
      if (request_id_.empty()) request_id_ = NewRequestId();
      const absl::Time now = absl::Now();
      const std::string client = ClientAddress(*context_);
      if (!failures_->ShouldLog(client, status.error_code(), now) ||
          sink_ == nullptr) {
        m->Proceed();
        return;
      }
      const std::string name = absl::StatusCodeToString(
          static_cast<absl::StatusCode>(status.error_code()));
      std::string message = status.error_message();
      if (message.size() > kMaxLoggedMessage) message.resize(kMaxLoggedMessage);
      std::string line = absl::StrFormat(
          "{\"ts\":\"%s\",\"method\":%s,\"code\":\"%s\","
          "\"latency_us\":%d,\"request_id\":\"%s\",\"client\":%s%s}\n",
          absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", now, absl::UTCTimeZone()),
          JsonQuoted(method_), name, absl::ToInt64Microseconds(now - start_),
          request_id_, JsonQuoted(client),
          message.empty() ? ""
                          : absl::StrCat(",\"message\":", JsonQuoted(message)));
      std::fwrite(line.data(), 1, line.size(), sink_);
    }
    m->Proceed();
  }

 private:
  const char* method_;
  grpc::ServerContextBase* context_;
  std::FILE* sink_;
  FailureLog* failures_;
  absl::Time start_;
  std::string request_id_;
};

}  // namespace

grpc::experimental::Interceptor* RequestLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RequestLogInterceptor(info, sink_, failures_);
}

}  // namespace tokend::server
