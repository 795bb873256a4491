// Turning the --request JSON into the bytes every call sends.
#ifndef TOKEND_TOOLS_LOADGEN_REQUEST_BUILDER_H_
#define TOKEND_TOOLS_LOADGEN_REQUEST_BUILDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/support/byte_buffer.h"

namespace tokend::loadgen {

// Parses `json` (proto3 JSON; empty means "{}") as a `type` message and
// returns its binary serialization. Works for generated and dynamic
// descriptors alike. INVALID_ARGUMENT, naming the type, when the JSON is
// malformed or does not match the message (unknown fields included).
absl::StatusOr<std::string> JsonToMessageBytes(
    const google::protobuf::Descriptor& type, absl::string_view json);

// A ByteBuffer holding `bytes`, built once and shared by every call (copies
// of a ByteBuffer share its slices).
grpc::ByteBuffer MakeByteBuffer(const std::string& bytes);

}  // namespace tokend::loadgen

#endif  // TOKEND_TOOLS_LOADGEN_REQUEST_BUILDER_H_
