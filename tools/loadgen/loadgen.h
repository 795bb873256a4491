// RunLoad: one complete load run from LoadOptions — resolve the method,
// build the request, connect, drive the closed loop, and return the stats.
// main() is flags + RunLoad + printing; tests call RunLoad directly.
#ifndef TOKEND_TOOLS_LOADGEN_LOADGEN_H_
#define TOKEND_TOOLS_LOADGEN_LOADGEN_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "tools/loadgen/options.h"
#include "tools/loadgen/stats.h"

namespace tokend::loadgen {

struct LoadResult {
  RunStats stats;
  RunInfo info;
};

// Setup problems (invalid options, unknown method, request JSON that does not
// match, unreadable TLS roots, a target that does not connect within
// options.connect_timeout) are errors; failed calls during the run are not —
// they are counted in the stats.
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options);

// `options.channels` channels to `options.target`, each on its own
// connection, with TLS when options.tls_ca_file is set.
absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> CreateChannels(
    const LoadOptions& options);

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_LOADGEN_H_
