// A JSON request body into the request message: proto3 JSON, parsed by
// protobuf after a strict RFC 8259 pass of our own (malformed JSON, nesting
// deeper than kMaxJsonDepth, a field given twice under either of its names);
// a flat body of strings takes a fast path with the same result. Errors are
// request_translator.h's, naming fields by dotted path.
#ifndef TOKEND_SERVER_GATEWAY_JSON_BODY_H_
#define TOKEND_SERVER_GATEWAY_JSON_BODY_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {

// Deepest JSON nesting accepted in a body (objects and arrays both count).
inline constexpr int kMaxJsonDepth = 32;

// Replaces `message` with the body: the whole message (`body_field` null,
// body "*"; the JSON must be an object) or that top-level field's value.
absl::Status ApplyJsonBody(absl::string_view json,
                           const google::protobuf::FieldDescriptor* body_field,
                           google::protobuf::Message* message);

namespace internal {
// True when a JSON body for `type` (body "*") takes the fast path: an object
// whose values are all strings for known singular string fields, no field
// twice and at most one per oneof, set directly instead of through protobuf's
// JSON parser. For the differential test against that parser.
bool JsonBodyIsFlat(absl::string_view json,
                    const google::protobuf::Descriptor* type);
}  // namespace internal

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_JSON_BODY_H_
