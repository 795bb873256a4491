// loadgen: a closed-loop load generator for unary gRPC methods.
//
//   loadgen --target=127.0.0.1:50051 --method=grpc.health.v1.Health/Check
//       --request='{}' --concurrency=16 --duration=10s --warmup=2s [--json]
//
// Exit status: 0 when the run completed (failed calls are reported, not
// fatal); 1 on a setup error (unknown method, bad request JSON, no
// connection); 2 on a usage error.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "tools/loadgen/flags.h"
#include "tools/loadgen/linked_protos.h"
#include "tools/loadgen/loadgen.h"

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex deadlock
  // detection: a global graph updated on every lock and mutex destruction
  // inside gRPC, several percent of loadgen's CPU. It finds nothing here.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  tokend::loadgen::EnsureProtosLinked();
  absl::SetProgramUsageMessage(
      "Closed-loop load generator for unary gRPC calls.\n"
      "  loadgen --target=host:port --method=pkg.Service/Method "
      "[--request='{...}'] [--concurrency=16] [--duration=10s] [--warmup=2s] "
      "[--count=N] [--metadata='key: value']... [--tls_ca=roots.pem] "
      "[--iam_key_file=key.json] [--channels=N] [--json]");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "tools/loadgen/");
  };
  absl::SetFlagsUsageConfig(usage);
  std::vector<std::string> args(argv, argv + argc);
  args = tokend::loadgen::MergeRepeatedFlag(args, "metadata", '\n');
  std::vector<char*> merged;
  for (std::string& arg : args) merged.push_back(arg.data());
  merged.push_back(nullptr);
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), merged.data());
  if (positional.size() > 1) {
    std::fprintf(
        stderr, "loadgen: unexpected arguments: %s\n",
        absl::StrJoin(positional.begin() + 1, positional.end(), " ").c_str());
    return 2;
  }

  auto options = tokend::loadgen::LoadOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "loadgen: %s\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }
  auto result = tokend::loadgen::RunLoad(*options);
  if (!result.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", result.status().ToString().c_str());
    return 1;
  }
  const std::string report =
      tokend::loadgen::JsonOutputFlag()
          ? tokend::loadgen::FormatJson(result->stats, result->info) + "\n"
          : tokend::loadgen::FormatTable(result->stats, result->info);
  std::fwrite(report.data(), 1, report.size(), stdout);
  return 0;
}
