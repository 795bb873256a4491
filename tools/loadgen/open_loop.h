// The open-loop runner (issue 19): starts calls on a fixed schedule, `rate`
// per second over all channels, whatever the responses, as wrk2 and
// `ghz --rps` do. Each call's latency runs from the moment the schedule
// meant it to start, so a stall shows in every call it delayed instead of
// slowing the load down (no coordinated omission).
//
// At most `concurrency` calls are outstanding (memory stays bounded); a call
// that falls due while all are taken starts when one frees, its wait
// counted in its latency. Calls scheduled during the warm-up are made but
// not counted; those scheduled in the `duration` after it are measured,
// and at its end no more are started and the measured ones in flight are
// awaited (cancelled, and counted so, if they outlive the drain limit).
// The throughput reported is the measured calls over the time from the
// window's start to the last one's completion: below `rate` exactly when
// the server could not keep up.
#ifndef TOKEND_TOOLS_LOADGEN_OPEN_LOOP_H_
#define TOKEND_TOOLS_LOADGEN_OPEN_LOOP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/byte_buffer.h"
#include "tools/loadgen/options.h"
#include "tools/loadgen/stats.h"

namespace tokend::loadgen {

// As RunClosedLoop, at options.rate calls per second (> 0; no count).
absl::StatusOr<RunStats> RunOpenLoop(
    const LoadOptions& options, const std::string& method_path,
    const grpc::ByteBuffer& request,
    const std::vector<std::shared_ptr<grpc::Channel>>& channels);

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_OPEN_LOOP_H_
