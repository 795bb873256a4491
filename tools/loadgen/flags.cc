#include "tools/loadgen/flags.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, target, "",
          "Server address, host:port (or any gRPC target URI).");
ABSL_FLAG(
    std::string, method, "",
    "Method to call: package.Service/Method (also /package.Service/Method "
    "or package.Service.Method).");
ABSL_FLAG(std::string, request, "{}",
          "Request message in proto3 JSON, or @path to read it from a file.");
ABSL_FLAG(std::string, descriptor_source, "auto",
          "Where the request type comes from: auto (the protos linked into "
          "loadgen, else server reflection), binary, or reflection.");
ABSL_FLAG(int, concurrency, 16, "Calls kept outstanding in total.");
ABSL_FLAG(double, rate, 0,
          "Open loop: start this many calls per second on a fixed schedule, "
          "whatever the responses, latency measured from each call's "
          "scheduled start (--concurrency then caps the calls outstanding); "
          "0: closed loop.");
ABSL_FLAG(int, channels, 1,
          "Connections (each with its own completion-queue thread) the calls "
          "are spread over.");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "How long to measure; 0 means 10s, or until --count calls when a "
          "count is given.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "Calls made before measuring starts, not counted.");
ABSL_FLAG(int64_t, count, 0,
          "Stop after exactly this many measured calls (0: no limit).");
ABSL_FLAG(absl::Duration, timeout, absl::ZeroDuration(),
          "Per-call deadline (0: none).");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(10),
          "How long to wait for the connections before giving up.");
ABSL_FLAG(std::string, metadata, "",
          "Request metadata 'key: value'; repeat the flag or separate entries "
          "by newlines (or commas, when the next entry starts with 'key:').");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM file of root certificates; enables TLS.");
ABSL_FLAG(std::string, tls_server_name, "",
          "Server name to verify the certificate against (with --tls_ca).");
ABSL_FLAG(std::string, iam_key_file, "",
          "Authorized key file (tokenctl key create --out): send an IAM token "
          "for its service account with every call, got from --target and "
          "reused until near expiry. Plaintext targets must be loopback.");
ABSL_FLAG(bool, json, false, "Print one JSON object instead of a table.");

namespace tokend::loadgen {
namespace {

// Under `bazel run` the working directory is the runfiles tree; relative paths
// the user typed mean the directory bazel was run from.
std::string UserPath(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || dir == nullptr || *dir == '\0') {
    return path;
  }
  return absl::StrCat(dir, "/", path);
}

absl::StatusOr<std::string> ReadRequestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--request: cannot open ", path));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

std::vector<std::string> MergeRepeatedFlag(const std::vector<std::string>& args,
                                           absl::string_view name,
                                           char separator) {
  const std::string one = absl::StrCat("-", name);
  const std::string two = absl::StrCat("--", name);
  std::vector<std::string> out;
  std::vector<std::string> values;
  size_t merged_at = 0;  // index in `out` of the merged flag; 0: none yet
  bool terminated = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (i == 0 || terminated) {
      out.push_back(arg);
      continue;
    }
    if (arg == "--") {
      terminated = true;
      out.push_back(arg);
      continue;
    }
    bool matched = false;
    for (const std::string& prefix : {one, two}) {
      if (arg == prefix && i + 1 < args.size()) {
        values.push_back(args[++i]);
        matched = true;
        break;
      }
      if (absl::StartsWith(arg, prefix + "=")) {
        values.push_back(arg.substr(prefix.size() + 1));
        matched = true;
        break;
      }
    }
    if (!matched) {
      out.push_back(arg);
      continue;
    }
    if (merged_at == 0) {
      merged_at = out.size();
      out.emplace_back();
    }
  }
  if (merged_at != 0) {
    std::string joined;
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) joined.push_back(separator);
      joined += values[i];
    }
    out[merged_at] = absl::StrCat(two, "=", joined);
  }
  return out;
}

absl::StatusOr<LoadOptions> LoadOptionsFromFlags() {
  LoadOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.method = absl::GetFlag(FLAGS_method);
  options.request_json = absl::GetFlag(FLAGS_request);
  if (absl::StartsWith(options.request_json, "@")) {
    auto contents = ReadRequestFile(UserPath(options.request_json.substr(1)));
    if (!contents.ok()) return contents.status();
    options.request_json = *std::move(contents);
  }
  auto source = ParseDescriptorSource(absl::GetFlag(FLAGS_descriptor_source));
  if (!source.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--descriptor_source: ", source.status().message()));
  }
  options.descriptor_source = *source;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.channels = absl::GetFlag(FLAGS_channels);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.count = absl::GetFlag(FLAGS_count);
  options.duration = absl::GetFlag(FLAGS_duration);
  if (options.duration == absl::ZeroDuration()) {
    options.duration =
        options.count > 0 ? absl::InfiniteDuration() : absl::Seconds(10);
  }
  options.call_timeout = absl::GetFlag(FLAGS_timeout);
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  auto metadata = ParseMetadata(absl::GetFlag(FLAGS_metadata));
  if (!metadata.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metadata: ", metadata.status().message()));
  }
  options.metadata = *std::move(metadata);
  options.tls_ca_file = UserPath(absl::GetFlag(FLAGS_tls_ca));
  options.tls_server_name = absl::GetFlag(FLAGS_tls_server_name);
  options.iam_key_file = UserPath(absl::GetFlag(FLAGS_iam_key_file));
  if (absl::Status s = ValidateLoadOptions(options); !s.ok()) return s;
  return options;
}

bool JsonOutputFlag() { return absl::GetFlag(FLAGS_json); }

}  // namespace tokend::loadgen
