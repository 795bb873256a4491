// Leaf values from text: path variables, query parameters and form fields set
// one scalar (or well-known scalar message) field each, in the text forms
// proto3 JSON uses for it. The table is request_translator.h's.
#ifndef TOKEND_SERVER_GATEWAY_LEAF_VALUE_H_
#define TOKEND_SERVER_GATEWAY_LEAF_VALUE_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {

// Sets (or, for a repeated field, appends) `field` of `message` from `text`.
// `what` names the source for errors: `query parameter "a.b"`. The field is
// a leaf (ResolvePath's kind); `message` may be a DynamicMessage.
absl::Status SetLeaf(google::protobuf::Message* message,
                     const google::protobuf::FieldDescriptor* field,
                     absl::string_view text, absl::string_view what);

// proto3 JSON FieldMask text ("a,b.cD"), accepted only when it converts back
// to itself and reads the same as protobuf's JSON parser would read it.
bool ParseFieldMask(absl::string_view text, google::protobuf::FieldMask* out);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_LEAF_VALUE_H_
