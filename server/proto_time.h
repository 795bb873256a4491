// absl::Time <-> google.protobuf.Timestamp.
#ifndef TOKEND_SERVER_PROTO_TIME_H_
#define TOKEND_SERVER_PROTO_TIME_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace tokend::server {

// Infinite times have no Timestamp; callers leave the field unset instead.
inline google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000 - (micros % 1000000 < 0 ? 1 : 0));
  ts.set_nanos(static_cast<int32_t>(((micros % 1000000) + 1000000) % 1000000) *
               1000);
  return ts;
}

}  // namespace tokend::server

#endif  // TOKEND_SERVER_PROTO_TIME_H_
