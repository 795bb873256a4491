// LoadOptions: everything one load run needs, independent of how it was
// configured (flags in main, structs in tests), plus the small parsers the
// flags use.
#ifndef TOKEND_TOOLS_LOADGEN_OPTIONS_H_
#define TOKEND_TOOLS_LOADGEN_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"

namespace tokend::loadgen {

// Where the method's request type comes from.
enum class DescriptorSource {
  kAuto,        // the binary's own protos, else server reflection
  kBinary,      // only the protos linked into the binary
  kReflection,  // only server reflection
};

absl::StatusOr<DescriptorSource> ParseDescriptorSource(absl::string_view s);
absl::string_view DescriptorSourceName(DescriptorSource source);

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct LoadOptions {
  // host:port (any gRPC target URI works).
  std::string target;
  // "pkg.Service/Method", "/pkg.Service/Method" or "pkg.Service.Method".
  std::string method;
  // The request in proto3 JSON.
  std::string request_json = "{}";
  DescriptorSource descriptor_source = DescriptorSource::kAuto;

  // Calls kept outstanding in total (closed loop), spread over `channels`
  // connections, each driven by one completion-queue thread. With a rate:
  // the most calls outstanding at once.
  int concurrency = 16;
  // Calls per second on a fixed schedule, whatever the responses (open
  // loop, tools/loadgen/open_loop.h); 0: closed loop.
  double rate = 0;
  int channels = 1;

  // Not counted.
  absl::Duration warmup = absl::Seconds(2);
  // Measurement ends after `duration` or after `count` calls (if > 0),
  // whichever comes first. InfiniteDuration() with a count runs to the count.
  absl::Duration duration = absl::Seconds(10);
  int64_t count = 0;

  // Per-call deadline; zero or infinite means none.
  absl::Duration call_timeout = absl::ZeroDuration();
  // How long to wait for every channel to connect before giving up.
  absl::Duration connect_timeout = absl::Seconds(10);

  // Sent with every call; keys are lower-case.
  Metadata metadata;

  // TLS when tls_ca_file is set (PEM roots); plaintext otherwise.
  std::string tls_ca_file;
  // Overrides the name checked against the server certificate.
  std::string tls_server_name;

  // Attached to every call when set (e.g. token credentials).
  std::shared_ptr<grpc::CallCredentials> call_credentials;

  // An authorized key file: every call carries an IAM token for its service
  // account (client/iam_key_file_source.h), fetched from `target` over a
  // connection of its own and reused until near expiry
  // (client/caching_token_source.h). Excludes call_credentials and an
  // "authorization" metadata entry.
  std::string iam_key_file;
};

// Checks ranges and required fields; the error names the offending option.
absl::Status ValidateLoadOptions(const LoadOptions& options);

// Parses "key: value" entries separated by newlines or by commas. A comma
// splits only when what follows looks like the start of a new "key:" entry, so
// values such as "accept: a, b" survive. Keys are lower-cased and must be valid
// gRPC metadata keys; surrounding whitespace is trimmed. Empty entries are
// skipped.
absl::StatusOr<Metadata> ParseMetadata(absl::string_view text);

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_OPTIONS_H_
