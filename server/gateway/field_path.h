// Request fields named by text, as the gateway's sources name them: proto
// names or json_names, dotted for nested fields ("key.id"). Shared by query
// and form parameters, path variables and the JSON body's error messages.
#ifndef TOKEND_SERVER_GATEWAY_FIELD_PATH_H_
#define TOKEND_SERVER_GATEWAY_FIELD_PATH_H_

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {

// Proto name first, then json_name: protobuf's JSON parser takes both, and
// query parameters follow it. Null if neither matches.
const google::protobuf::FieldDescriptor* FindField(
    const google::protobuf::Descriptor* type, absl::string_view name);

// google.protobuf.Int64Value and the other wrappers.
bool IsWrapper(const google::protobuf::Descriptor* type);

// Message types whose proto3 JSON form is one string or scalar (Timestamp,
// Duration, FieldMask, wrappers), so a single text value can set them.
bool IsScalarMessage(const google::protobuf::Descriptor* type);

// A field resolved from a dotted name: the descriptors along the way and the
// proto-name spelling ("inner.leaf.value") used to compare bindings.
struct FieldPath {
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  std::string canonical;
  const google::protobuf::FieldDescriptor* leaf() const {
    return fields.back();
  }
};

// Resolves a dotted name (proto names or json_names) that must end on a leaf
// text can set: a scalar, an enum or a scalar message, repeated or not; never
// a map, a message, or anything inside a repeated message. `noun` ("query
// parameter") starts the error messages; an unknown name is
// UnknownParameter's error.
absl::StatusOr<FieldPath> ResolvePath(const google::protobuf::Descriptor* root,
                                      absl::string_view dotted,
                                      absl::string_view noun);

// True when one dotted path is the other or lies under it.
bool Overlaps(absl::string_view a, absl::string_view b);

// INVALID_ARGUMENT `message` for a name the request type does not have,
// tagged so Clerk's routes answer form_param_unknown naming it.
absl::Status UnknownParameter(absl::string_view message,
                              absl::string_view name);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_FIELD_PATH_H_
