// Finding the descriptor of the method to call: from the protos linked into
// the binary (DescriptorPool::generated_pool()), or from the server over gRPC
// server reflection.
#ifndef TOKEND_TOOLS_LOADGEN_METHOD_RESOLVER_H_
#define TOKEND_TOOLS_LOADGEN_METHOD_RESOLVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/channel.h"
#include "tools/loadgen/options.h"

namespace tokend::loadgen {

struct MethodName {
  std::string service;  // fully qualified, e.g. "grpc.health.v1.Health"
  std::string method;   // e.g. "Check"

  // The HTTP/2 path gRPC calls: "/grpc.health.v1.Health/Check".
  std::string Path() const { return "/" + service + "/" + method; }
};

// Accepts "pkg.Service/Method", "/pkg.Service/Method" and "pkg.Service.Method".
absl::StatusOr<MethodName> ParseMethodName(absl::string_view text);

class ReflectionDescriptorDatabase;

// A resolved method; owns the descriptor pool when it came from reflection,
// so keep it alive as long as descriptors or messages built from it.
class ResolvedMethod {
 public:
  ~ResolvedMethod();

  const google::protobuf::MethodDescriptor& descriptor() const {
    return *descriptor_;
  }
  // kBinary or kReflection.
  DescriptorSource source() const { return source_; }

 private:
  friend absl::StatusOr<std::unique_ptr<ResolvedMethod>> ResolveMethod(
      const MethodName&, DescriptorSource,
      const std::shared_ptr<grpc::Channel>&, absl::Duration);
  ResolvedMethod() = default;

  const google::protobuf::MethodDescriptor* descriptor_ = nullptr;
  DescriptorSource source_ = DescriptorSource::kBinary;
  std::unique_ptr<ReflectionDescriptorDatabase> database_;
  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
};

// Looks `name` up per `source`. `channel` is only used for reflection (it may
// be null with kBinary); `timeout` bounds the reflection exchange. Errors:
// NOT_FOUND for an unknown service, INVALID_ARGUMENT for an unknown method of a
// known service or a streaming method, and the reflection failure (e.g.
// UNIMPLEMENTED, UNAVAILABLE) when the server could not be asked.
absl::StatusOr<std::unique_ptr<ResolvedMethod>> ResolveMethod(
    const MethodName& name, DescriptorSource source,
    const std::shared_ptr<grpc::Channel>& channel,
    absl::Duration timeout = absl::Seconds(10));

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_METHOD_RESOLVER_H_
