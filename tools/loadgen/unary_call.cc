#include "tools/loadgen/unary_call.h"

#include <chrono>
#include <utility>

#include "absl/time/clock.h"

namespace tokend::loadgen {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

CallConfig CallConfig::Of(const LoadOptions& options, std::string method_path,
                          const grpc::ByteBuffer& request) {
  return CallConfig{std::move(method_path), request, options.metadata,
                    options.call_credentials,
                    options.call_timeout <= absl::ZeroDuration()
                        ? absl::InfiniteDuration()
                        : options.call_timeout};
}

void UnaryCall::Start(grpc::GenericStub& stub, grpc::CompletionQueue* cq,
                      const CallConfig& config, void* tag) {
  grpc::ClientContext& ctx = context.emplace();
  for (const auto& [key, value] : config.metadata) ctx.AddMetadata(key, value);
  if (config.credentials != nullptr) ctx.set_credentials(config.credentials);
  if (config.timeout != absl::InfiniteDuration()) {
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + config.timeout));
  }
  reader = stub.PrepareUnaryCall(&ctx, config.method_path, config.request, cq);
  reader->StartCall();
  reader->Finish(&response, &status, tag);
}

void UnaryCall::Record(RunStats& stats, uint64_t latency_ns) const {
  const int code = static_cast<int>(status.error_code());
  stats.Record(code, latency_ns,
               code == 0 ? absl::string_view()
                         : absl::string_view(status.error_message()));
}

void UnaryCall::Reset() {
  reader.reset();
  context.reset();
  response.Clear();
  status = grpc::Status();
}

}  // namespace tokend::loadgen
