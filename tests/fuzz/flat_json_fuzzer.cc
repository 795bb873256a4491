// libFuzzer target: server/gateway/flat_json against nlohmann's strict SAX
// parser (what the gateway's general path uses), in both directions:
//   - whatever ParseFlatJsonObject accepts, nlohmann accepts, as an object
//     whose top-level members (in order, duplicates kept) are the same
//     strings;
//   - whatever nlohmann accepts as an object of only string values,
//     ParseFlatJsonObject accepts too, so the fast path is never silently
//     lost; except where nlohmann is lenient and the flat reader strict on
//     purpose: a leading BOM (nlohmann skips it, protobuf does not) and a
//     raw NUL byte, which nlohmann takes as the end of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "server/gateway/flat_json.h"
#include "tests/server/gateway/flat_json_oracle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  tokend::gateway::flat_json_oracle::JsonMembers got;
  const bool accepted = tokend::gateway::ParseFlatJsonObject(json, &got);
  const tokend::gateway::flat_json_oracle::NlohmannReading oracle =
      tokend::gateway::flat_json_oracle::ReadWithNlohmann(json);
  if (accepted && (!oracle.flat || got != oracle.members)) abort();
  const bool lenient =
      json.find('\0') != std::string::npos ||
      (json.size() >= 3 && json.compare(0, 3, "\xEF\xBB\xBF") == 0);
  if (oracle.flat && !lenient && !accepted) abort();
  return 0;
}
