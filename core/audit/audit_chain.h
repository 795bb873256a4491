// The audit log's integrity and its secret identifiers (server/audit).
//
// Each line of the log is one JSON object that begins
//   {"prev":"<link>","event":"<event>",…
// where <link> is the keyed HMAC-SHA256 (base64url) of the whole previous
// line, or empty on the first line of a new log. Editing, inserting or
// removing a line breaks the next line's link, and without the audit key
// nobody can mend the links after it (Vault's audit devices HMAC in the
// same spirit). Lines removed from the end leave no broken link: the next
// file after a rotation, whose first line links to the old file's last,
// shows them.
//
// Secrets (an API key, an OAuth token, the credential a caller presented)
// never appear; their keyed HMAC does, so an operator holding the key can
// find a known secret's lines (`tokenctl audit hmac`).
#ifndef TOKEND_CORE_AUDIT_AUDIT_CHAIN_H_
#define TOKEND_CORE_AUDIT_AUDIT_CHAIN_H_

#include <openssl/sha.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::audit {

// The event of the line an audit log starts with, at every open.
inline constexpr absl::string_view kOpenedEvent = "audit_log_opened";

// HMAC-SHA256 (RFC 2104) under one key, its padded key blocks absorbed
// once: each MAC then costs the message's blocks plus two, with no
// per-call key setup or algorithm lookup.
class HmacSha256 {
 public:
  explicit HmacSha256(absl::string_view key);
  std::string Mac(absl::string_view data) const;  // 32 raw bytes

 private:
  SHA256_CTX inner_;  // after the key ^ ipad block
  SHA256_CTX outer_;  // after the key ^ opad block
};

class AuditKeys {
 public:
  // Keys derived from the audit key file's secret (at least 16 bytes).
  static absl::StatusOr<AuditKeys> FromSecret(absl::string_view secret);

  // "hmac-sha256:<64 hex>" of a secret.
  std::string SecretId(absl::string_view secret) const;
  // What the line after `line` (without its newline) carries as "prev".
  std::string Link(absl::string_view line) const;

 private:
  AuditKeys(absl::string_view id_key, absl::string_view chain_key)
      : id_(id_key), chain_(chain_key) {}
  HmacSha256 id_;
  HmacSha256 chain_;
};

// {"prev":"<prev>","event":"<event>"<rest>}, where `rest` is empty or
// starts with a comma.
std::string ChainedLine(absl::string_view prev, absl::string_view event,
                        absl::string_view rest);

// Checks lines in the order written, across rotated files.
class ChainVerifier {
 public:
  explicit ChainVerifier(const AuditKeys& keys) : keys_(keys) {}

  // One line without its newline. The first line given must start a log
  // (empty prev) or, with `continues_earlier` reported, be an opening line
  // that links to a line not given. DataLoss says how a line breaks the
  // chain.
  absl::Status Next(absl::string_view line);

  int64_t lines() const { return lines_; }
  // The link of the last line checked: what an earlier verification's
  // successor file must start from.
  const std::string& head() const { return head_; }
  // The first line linked to a line before those given (a rotated file).
  bool continues_earlier() const { return continues_earlier_; }

 private:
  const AuditKeys& keys_;
  int64_t lines_ = 0;
  std::string head_;
  bool continues_earlier_ = false;
};

}  // namespace tokend::audit

#endif  // TOKEND_CORE_AUDIT_AUDIT_CHAIN_H_
