// gRPC -> REST response translation for the gateway (DESIGN.md §5): proto3
// JSON as protobuf prints it with default options and no whitespace —
// json_name keys (lowerCamel unless the proto sets json_name), fields at their
// default omitted, int64/uint64 as strings, enums by name (a number the enum
// does not declare stays a number), bytes as base64, Timestamp as RFC 3339 in
// UTC with 0, 3, 6 or 9 fraction digits, Duration as "1.5s"; an empty message
// is "{}". Unlike MessageToJsonString, map entries are printed sorted by key
// (deterministic serialization), so equal messages print equal bytes.
//
// ResponseOptions::response_body (HttpRule.response_body) selects one
// top-level field as the whole body, printed as that field's JSON value:
//   message      its object, "{}" when unset; a well-known type its JSON
//                value (Timestamp a string, ...), "null" when unset
//   repeated     an array, "[]" when empty
//   map          an object, "{}" when empty
//   scalar/enum  the JSON scalar, its default ("", 0, false, first enum
//                name) when not set; "null" for an unset oneof member or
//                proto3 optional field (nothing to print, and no default
//                applies)
//
// Errors are INTERNAL (the server produced the message; the client is not at
// fault): a response_body naming no field, or a message protobuf cannot
// print (e.g. a Timestamp outside years 1-9999).
#ifndef TOKEND_SERVER_GATEWAY_RESPONSE_TRANSLATOR_H_
#define TOKEND_SERVER_GATEWAY_RESPONSE_TRANSLATOR_H_

#include <google/protobuf/message.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace tokend::gateway {

struct ResponseOptions {
  std::string response_body;  // "" (the whole message) or a top-level field
  // Print every field (tokend.api.v1.print_all_fields); unset: worked out
  // from the response's type (PrintsAllFields), which callers on a hot
  // path do once per method instead.
  std::optional<bool> print_all_fields;
};

// Whether `type`, or a message type reachable from it, declares
// (tokend.api.v1.print_all_fields): its responses then print every field
// (unset optional fields and messages as null, the rest at their default).
bool PrintsAllFields(const google::protobuf::Descriptor* type);

absl::StatusOr<std::string> TranslateResponse(
    const google::protobuf::Message& response, const ResponseOptions& options);

// Test hooks, not for other use: the two printers of a whole message that
// TranslateResponse chooses between, for the differential tests. The fast
// one returns false (and leaves `out` empty) when it declines the message.
namespace internal {
bool PrintFlatForTest(const google::protobuf::Message& message,
                      std::string* out);
absl::StatusOr<std::string> PrintSlowForTest(
    const google::protobuf::Message& message);
}  // namespace internal

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_RESPONSE_TRANSLATOR_H_
