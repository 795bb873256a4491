// RequestValidator: enforces the yandex.cloud validation options
// (proto/yandex/cloud/validation.proto) on any protobuf message, by reflection,
// from the options in its descriptors. One generic validator; no per-field
// code. Core of the request-shape checks that DESIGN.md §2.1 asks for.
//
// Failure is INVALID_ARGUMENT listing every violation, one per line, in the
// public API's format:
//
//   Validation failed:
//     - identity: One of the options must be selected
//     - jwt: Length must be at most 8000 characters
//
// Paths are proto field names (snake_case) joined by '.', with [i] for
// elements of repeated fields and ["key"] (or [key] for integer keys) for
// map entries; a oneof is named by the oneof's name. Violations come in
// field-declaration order, parents before the messages nested in them (map
// entries in the map's iteration order). At most kMaxListedViolations are
// listed; a last line "  - ... and N more" counts the rest.
//
// Rules and their messages (N, M are the option's own numbers):
//   exactly_one (oneof)   "One of the options must be selected"
//       when no member is set. "More than one set" cannot be expressed: on the
//       wire (and in the C++ API) a later member replaces an earlier one, so a
//       parsed message holds at most one. The last one sent wins.
//   required              "Field is required"
//       string/bytes/repeated/map empty, number/enum zero, bool false, or a
//       message / proto3-optional / oneof member not present. A field that
//       fails `required` reports only that (its other rules are moot).
//   length "<=N" ">=N" "<N" ">N" "N-M" "N"
//                         "Length must be at most N characters" (also "at
//       least N", "less than N", "greater than N", "between N and M",
//       "exactly N"). Strings count Unicode code points — the public
//       documentation says "The maximum string length in characters is 50";
//       proto3 guarantees valid UTF-8. bytes fields count bytes and say
//       "bytes".
//   bytes "<=N" …         "Length must be at most N bytes": the UTF-8 byte
//       size of a string or bytes value. N may carry a unit: B, K/KB/KiB,
//       M/MB/MiB, G/GB/GiB, all powers of 1024 (the public grammar of this
//       option is not documented; this is our reading).
//   size  "<=N" …         "Number of elements must be at most N": elements of
//       a repeated field or entries of a map.
//   value "<=N" …         "Value must be at most N": integer and floating
//       fields; N may be negative ("-5-5" is [-5, 5]).
//   pattern "re"          "Value must match the pattern \"re\"": RE2 syntax,
//       matched against the whole string (an implicit ^…$), on string fields.
//   unique                "Elements must be unique": repeated strings, bytes,
//       numbers, enums and bools.
//   map_key {value, pattern, length}
//                         The same rules on the keys of a map field, the
//       message prefixed by "Key " ("Key length must be …", "Key must match
//       …", "Key value must be …").
//
// Scope: on a repeated or map field, length/bytes/pattern/value apply to each
// element (map: each value) and size/required/unique to the field as a whole.
// Rules also apply to proto3 implicit-presence fields holding their default
// ("" or 0), which is why public patterns such as "|[a-z]…" allow the empty
// string explicitly; they do not apply to an unset oneof member or an unset
// proto3 optional field (only `required` reports those). Set sub-messages,
// repeated messages and message-valued maps are validated recursively; a
// google.protobuf.Any is not unpacked.
//
// Options are parsed once per message type (and every type reachable from
// it), when the type is first validated; later calls parse no option text
// and take no lock — compiled rules are published through an atomically
// swapped, immutable snapshot — and allocate only to report violations or to
// check `unique`. An option value that does not parse (a bad range, a regex
// RE2 rejects, a rule on a field type it cannot apply to) makes every
// validation reaching that message type fail with INTERNAL naming the field
// and option — fail closed; Check() finds these ahead of time and the tests
// run it over every tokend IAM proto. Messages nested deeper than 100 levels
// (deeper than protobuf's parser admits) stop the descent with "Message
// nesting is too deep".
//
// Thread-safe. Descriptors must outlive the validator (generated descriptors
// live forever).
#ifndef TOKEND_SERVER_VALIDATION_REQUEST_VALIDATOR_H_
#define TOKEND_SERVER_VALIDATION_REQUEST_VALIDATOR_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <memory>

#include "absl/status/status.h"

namespace tokend::server::validation {

inline constexpr size_t kMaxListedViolations = 20;

class RequestValidator {
 public:
  RequestValidator();
  ~RequestValidator();
  RequestValidator(const RequestValidator&) = delete;
  RequestValidator& operator=(const RequestValidator&) = delete;

  // The process-wide instance used by Validate(); never destroyed.
  static RequestValidator& Default();

  // OK, INVALID_ARGUMENT as described above, or INTERNAL for a malformed
  // option.
  absl::Status Validate(const google::protobuf::Message& message) const;

  // Compiles the rules of `descriptor` and every message type reachable from
  // it, and returns the first malformed option, if any. Validates nothing.
  absl::Status Check(const google::protobuf::Descriptor* descriptor) const;

  // Number of message types whose options have been compiled; each type is
  // compiled once per validator. For tests.
  size_t compiled_types() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// RequestValidator::Default().Validate(message).
absl::Status Validate(const google::protobuf::Message& message);

}  // namespace tokend::server::validation

#endif  // TOKEND_SERVER_VALIDATION_REQUEST_VALIDATOR_H_
