// gRPC over HTTP/2 as the wire spells it (PROTOCOL-HTTP2.md), for the front
// on the public gRPC port: message framing, grpc-timeout, grpc-message's
// percent-encoding, and which request headers are call metadata. Plain
// functions on strings, tested without sockets.
#ifndef TOKEND_SERVER_GRPC_FRONT_WIRE_H_
#define TOKEND_SERVER_GRPC_FRONT_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::grpc_front {

// Splits a request body into messages (1-byte compressed flag, 4-byte
// big-endian length, payload) as bytes arrive.
class MessageDeframer {
 public:
  explicit MessageDeframer(size_t max_message_bytes)
      : max_message_bytes_(max_message_bytes) {}

  // Appends `data`; complete messages are appended to `messages`.
  // RESOURCE_EXHAUSTED for a message over the limit, UNIMPLEMENTED for a
  // compressed one (the front offers only "identity"); after an error the
  // deframer stays failed.
  absl::Status Feed(absl::string_view data, std::vector<std::string>* messages);

  // True when bytes of an unfinished message are held (at the end of the
  // stream: a truncated message).
  bool partial() const { return !pending_.empty(); }
  // Bytes held of that unfinished message.
  size_t buffered() const { return pending_.size(); }

 private:
  // The length a message prefix announces, if acceptable.
  absl::StatusOr<uint32_t> CheckPrefix(absl::string_view prefix) const;

  const size_t max_message_bytes_;
  std::string pending_;  // Start of an unfinished message, prefix included.
  absl::Status failed_;
};

// The 5-byte prefix of an uncompressed message of `length` bytes.
void AppendMessagePrefix(uint32_t length, std::string* out);

// A grpc-timeout value ("100m", "5S": 1 to 8 digits and one of H M S m u n),
// or nullopt when malformed.
std::optional<absl::Duration> ParseGrpcTimeout(absl::string_view value);

// grpc-message's encoding: bytes outside 0x20..0x7E, and '%', as %XX.
std::string PercentEncode(absl::string_view message);

// Whether a request header of this (lowercase) name is passed on as call
// metadata: names gRPC allows in metadata ([0-9a-z_.-]), except the ones
// HTTP/2 and gRPC themselves use (content-type, te, user-agent, grpc-*...).
bool IsForwardedHeader(absl::string_view name);

// A metadata value as the in-process call takes it: "-bin" values are
// base64 on the wire (padded or not) and binary in the call; others must be
// printable ASCII. nullopt when the value is not valid for its name.
std::optional<std::string> MetadataValue(absl::string_view name,
                                         absl::string_view wire_value);

// The other way: a "-bin" value base64-encoded (unpadded), others as they
// are.
std::string WireValue(absl::string_view name, absl::string_view value);

// Base64 without padding, as gRPC writes binary header values.
std::string Base64Unpadded(absl::string_view bytes);

}  // namespace tokend::grpc_front

#endif  // TOKEND_SERVER_GRPC_FRONT_WIRE_H_
