// What the closed-loop (runner.h) and open-loop (open_loop.h) runners share:
// the per-call settings, and one outstanding unary call on a generic stub.
#ifndef TOKEND_TOOLS_LOADGEN_UNARY_CALL_H_
#define TOKEND_TOOLS_LOADGEN_UNARY_CALL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/async_unary_call.h"
#include "grpcpp/support/byte_buffer.h"
#include "tools/loadgen/options.h"
#include "tools/loadgen/stats.h"

namespace tokend::loadgen {

// steady_clock, in nanoseconds.
int64_t NowNanos();

// The settings every call of a run gets.
struct CallConfig {
  std::string method_path;
  grpc::ByteBuffer request;
  Metadata metadata;
  std::shared_ptr<grpc::CallCredentials> credentials;
  absl::Duration timeout;  // infinite: none

  static CallConfig Of(const LoadOptions& options, std::string method_path,
                       const grpc::ByteBuffer& request);
};

// One call slot: started on a completion queue, its completion tagged with
// `tag`, then recorded and reset for the next call.
struct UnaryCall {
  std::optional<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::ByteBuffer>> reader;
  grpc::ByteBuffer response;
  grpc::Status status;

  void Start(grpc::GenericStub& stub, grpc::CompletionQueue* cq,
             const CallConfig& config, void* tag);
  // The finished call into `stats`, with its latency.
  void Record(RunStats& stats, uint64_t latency_ns) const;
  void Reset();
};

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_UNARY_CALL_H_
