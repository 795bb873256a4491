// Query parameters and form fields into the request message: each decoded
// name resolves to a leaf field (field_path.h) and its value is set as
// leaf_value.h reads text, unless the path or the body already bound that
// field. The rules and errors are request_translator.h's.
#ifndef TOKEND_SERVER_GATEWAY_PARAMETER_BINDING_H_
#define TOKEND_SERVER_GATEWAY_PARAMETER_BINDING_H_

#include <google/protobuf/message.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/gateway/form_urlencoded.h"

namespace tokend::gateway {

// What the path and the body bound, for rejecting parameters.
struct BoundFields {
  bool everything = false;        // body "*"
  std::string body_field;         // body "field"
  std::vector<std::string> path;  // canonical path-variable fields
};

// Applies decoded parameters to `message`, in order, dropping names listed
// in `ignored` before any other check. `noun` ("query parameter", "form
// field") names the source in errors.
absl::Status ApplyParameters(const std::vector<FormParameter>& params,
                             absl::string_view noun, const BoundFields& bound,
                             absl::Span<const std::string> ignored,
                             google::protobuf::Message* message);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_PARAMETER_BINDING_H_
