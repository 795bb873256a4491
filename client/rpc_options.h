// What every token source's RPC shares: a deadline per call, and the mapping
// of a failed call to absl::Status (same code, same message) so that callers
// see tokend's own answer.
#ifndef TOKEND_CLIENT_RPC_OPTIONS_H_
#define TOKEND_CLIENT_RPC_OPTIONS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tokend::client {

struct RpcOptions {
  // Per call; a source that cannot reach tokend fails within this instead
  // of stalling every call that waits for its token.
  absl::Duration deadline = absl::Seconds(10);
};

inline void ApplyRpcOptions(const RpcOptions& options,
                            grpc::ClientContext* context) {
  if (options.deadline < absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + options.deadline));
  }
}

// gRPC's codes are absl's, numerically.
inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_RPC_OPTIONS_H_
