// The closed-loop runner: keeps `concurrency` unary calls outstanding over a
// set of channels, one completion-queue thread per channel, re-issuing each
// call the moment it completes.
//
// Timeline: warm-up (calls run, nothing counted), then measurement until
// `duration` passes or `count` calls complete, then in-flight calls are
// cancelled and dropped. With a count, exactly `count` calls are measured:
// only calls started during measurement count, and no more than `count` are
// started. Without a warm-up the run starts in measurement, so exactly
// `count` calls reach the server.
#ifndef TOKEND_TOOLS_LOADGEN_RUNNER_H_
#define TOKEND_TOOLS_LOADGEN_RUNNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/byte_buffer.h"
#include "tools/loadgen/options.h"
#include "tools/loadgen/stats.h"

namespace tokend::loadgen {

// Runs `method_path` ("/pkg.Service/Method") with the serialized `request`
// on `channels` (one worker thread each; options.concurrency is spread over
// them). Uses options' concurrency, warmup, duration, count, call_timeout,
// metadata and call_credentials. Errors only for bad arguments; failed calls
// are counted in the result.
absl::StatusOr<RunStats> RunClosedLoop(
    const LoadOptions& options, const std::string& method_path,
    const grpc::ByteBuffer& request,
    const std::vector<std::shared_ptr<grpc::Channel>>& channels);

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_RUNNER_H_
