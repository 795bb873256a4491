// REST -> gRPC request translation for the gateway (DESIGN.md §5), with
// google.api.HttpRule semantics as grpc-gateway applies them: the HTTP body,
// then the path variables, then the query parameters fill one request
// message, by reflection, for any method.
//
// Body (RequestBinding::body):
//   ""       no body allowed; a non-empty body is an error.
//   "*"      the body is the whole message; an empty body means {}. Every
//            field is bound, so no query parameter is allowed at all.
//   "field"  the body is that top-level field's JSON value (an object for a
//            message, an array for a repeated field, a scalar); an empty body
//            leaves the field unset. Query parameters may not touch the field
//            or anything under it.
// Content types (checked only when the body is non-empty; content_type.h), as
// grpc-gateway reads them:
//   JSON whatever the Content-Type says (none, application/json, text/plain,
//       anything unknown), and a body labelled a form that starts with '{'
//       or '[' (curl's `-d '{...}'` default): proto3 JSON, parsed by protobuf
//       (json_name or the proto name, unknown fields rejected) after a strict
//       RFC 8259 pass of our own (json_body.h): malformed JSON, nesting
//       deeper than kMaxJsonDepth, and a key (or a field, under either of its
//       names) given twice in one object are rejected — protobuf's own parser
//       accepts single quotes and bare keys and lets the last duplicate win.
//       A body that is an object of strings for singular string fields (no
//       field twice, one member per oneof) is read once by flat_json.h and
//       set directly instead: the same result, without the two parses.
//   application/x-www-form-urlencoded  parameters named and converted exactly
//       like query parameters, relative to the body: the whole message for
//       "*", the field's message for "field" (a non-message body field cannot
//       take a form: unsupported media type).
//   A charset parameter must be utf-8; other parameters are ignored. Another
//   charset, or a form for a non-message body field, is "unsupported media
//   type": INVALID_ARGUMENT whose message starts "unsupported Content-Type"
//   and which IsUnsupportedMediaType() detects, so the HTTP layer answers 415
//   instead of 400.
//
// Path variables (already percent-decoded) set leaf fields named by dotted
// proto paths ("key.id"; json_names work too), overriding whatever the body put
// there: for the same field the path wins, as in grpc-gateway (the URL is what
// routed the call). A path variable for a oneof member therefore also replaces
// a different member the body set.
//
// Query parameters (percent-decoded, '+' is a space) name leaf fields by
// dotted paths whose segments are proto names or json_names. Rejected with a
// message naming the parameter: unknown names; fields bound by the path
// (the same field, or one inside it) or by the body; map fields, message fields
// (other than the well-known scalars below) and paths through repeated
// messages; a repeated name for a non-repeated field; two members of one oneof
// (or a member of a oneof that the body or path already set to another member);
// more than 100 parameters or a name over 256 bytes (kMaxFormParameters,
// kMaxParameterNameBytes).
//
// Ignored parameters (RequestBinding::ignored_parameters, from the method's
// (tokend.api.v1.ignored_parameters)): a query parameter or form field whose
// decoded name equals a listed name byte for byte (case-sensitive; "%5F" in
// the raw name is '_' like any escape) is dropped before any other check,
// so it passes even with body "*" or a body field, any number of times, with
// any value. Decoding comes first, so it still counts towards the
// 100-parameter limit, and its name and value must still be well-formed
// (length, escapes). JSON body keys are never ignored. The gateway refuses,
// at start-up, a list naming a field of the request (or of the body field's
// message; PathMatcher::Build), so a listed name never hides a field.
//
// Leaf values from text (path variables, query, form), per field type:
//   string               any valid UTF-8
//   bytes                base64, standard or URL-safe, padding optional (as
//                        proto3 JSON; a '+' must be sent as %2B in a query)
//   int32/64, uint32/64  decimal digits with an optional '-' (signed only),
//   (and sint/fixed)     in range
//   bool                 "true" or "false"
//   float, double        decimal/exponent notation, "NaN", "Infinity",
//                        "-Infinity"; finite values must fit the type
//   enum                 the value name, or the number of a declared value
//   google.protobuf.Timestamp / Duration / FieldMask: their proto3 JSON
//                        strings ("2024-01-02T03:04:05Z", "1.5s", "a,b.c")
//   wrappers (Int64Value, StringValue, ...): the wrapped type's form
// Repeated leaves take every value of a repeated parameter, in order.
//
// Errors: every failure caused by the request is INVALID_ARGUMENT with a
// message fit for a 400 body, naming the field or parameter; client text is
// quoted, C-escaped and cut to 64 bytes (QuoteForError), so messages are
// printable ASCII. <src> is `query parameter "<name>"`, `form field
// "<name>"` or `path variable "<name>"`:
//   unsupported Content-Type "<value>": the charset must be utf-8
//                          (also: the body is field "f", which a form cannot
//                          set; send JSON)
//   request body not allowed for this method
//   malformed JSON body: <parser detail with line and column>
//   malformed JSON body: expected an object         (body "*")
//   JSON body nested deeper than 32 levels
//   duplicate field "<proto name>" in JSON body     (keys of a message)
//   duplicate key "<key>" in JSON body              (map / Struct keys)
//   unknown field "<path>"                          (e.g. "inners[1].bad")
//   invalid value for field "<path>" (expected <type>): <value>
//   invalid value for field "<path>": an object for a non-message field
//   invalid value for field "<path>": an array for a non-repeated field
//   oneof "<path>" already set; cannot also set "<key>"
//   invalid JSON body: <protobuf's message>         (anything else)
//   unknown query parameter "<name>"                (also: form field; not
//       for a name in ignored_parameters, which is dropped instead)
//   <src> cannot set map field "<path>"
//   <src> cannot set message field "<path>"; set its fields instead
//   <src> cannot set fields inside repeated field "<path>"
//   <src> is not allowed: the request body binds every field
//                                                   (except ignored names)
//   <src> is not allowed: field "<path>" is bound by the request body
//   <src> is not allowed: field "<path>" is bound by the URL path
//   <src> given more than once for non-repeated field "<path>"
//   <src> conflicts with field "<path>": both are in oneof "<path>"
//   invalid value "<value>" for <src> (expected <what>)
//   too many query parameters (limit 100)           (also: form fields)
//   query parameter name longer than 256 bytes
//   empty query parameter name
//   malformed percent-encoding in query parameter "<raw name>"
// A binding that does not fit the message type (a body or path variable
// naming no field; a path variable on a message, map or repeated field) is
// the gateway's configuration bug, not the client's: INTERNAL, "gateway
// binding: ...".
//
// The pieces: content_type.h (which format), json_body.h (JSON bodies),
// parameter_binding.h (query and form), field_path.h (names to fields),
// leaf_value.h (text to values). Thread-safe; no state.
#ifndef TOKEND_SERVER_GATEWAY_REQUEST_TRANSLATOR_H_
#define TOKEND_SERVER_GATEWAY_REQUEST_TRANSLATOR_H_

#include <google/protobuf/message.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tokend::gateway {

struct RequestBinding {
  // "" (no body allowed), "*" (whole message), or a top-level field name.
  std::string body;
  // Path variables: dotted field path ("a.b") -> value, already
  // percent-decoded.
  std::vector<std::pair<std::string, std::string>> path_variables;
  // Query parameter and form field names to accept and drop (see above).
  // Not owned: the gateway points it at its route's list, built once at
  // start-up, so a request copies no names. A few names: each parameter is
  // compared with each of them.
  absl::Span<const std::string> ignored_parameters;
};

struct HttpRequestParts {
  absl::string_view content_type;  // raw header value, may carry a charset
  absl::string_view body;
  absl::string_view query;  // raw query string without '?', percent-encoded
};

// Fills `message` (an empty message of the method's input type) from the
// body, then the path variables, then the query parameters. See above for
// the rules and errors. On failure `message` holds a partial result.
absl::Status TranslateRequest(const RequestBinding& binding,
                              const HttpRequestParts& http,
                              google::protobuf::Message* message);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_REQUEST_TRANSLATOR_H_
