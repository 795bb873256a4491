// Command-line flags of the loadgen binary and their mapping to LoadOptions.
#ifndef TOKEND_TOOLS_LOADGEN_FLAGS_H_
#define TOKEND_TOOLS_LOADGEN_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/loadgen/options.h"

namespace tokend::loadgen {

// Abseil keeps only the last value of a repeated flag. This rewrites `args`
// (argv[0] first) so every "--name=v" / "--name v" (one or two dashes) before
// a "--" terminator is merged into one "--name=v1<separator>v2..." at the
// position of the first occurrence.
std::vector<std::string> MergeRepeatedFlag(const std::vector<std::string>& args,
                                           absl::string_view name,
                                           char separator);

// LoadOptions from the parsed flags. Call after absl::ParseCommandLine.
absl::StatusOr<LoadOptions> LoadOptionsFromFlags();

// Whether --json was given.
bool JsonOutputFlag();

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_FLAGS_H_
