#include "tools/loadgen/linked_protos.h"

#include "grpc/health/v1/health.pb.h"

namespace tokend::loadgen {

void EnsureProtosLinked() {
  // Add one message per linked .proto file here (and its target to the
  // :linked_protos deps).
  static const void* const kLinked[] = {
      grpc::health::v1::HealthCheckRequest::descriptor(),
  };
  (void)kLinked;
}

}  // namespace tokend::loadgen
