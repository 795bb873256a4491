// x-request-id for HTTP: the client's own id when it is safe to echo and log,
// else a fresh random one.
#ifndef TOKEND_SERVER_HTTP_REQUEST_ID_H_
#define TOKEND_SERVER_HTTP_REQUEST_ID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tokend::http {

inline constexpr size_t kMaxRequestIdLength = 128;

// 1..128 characters of [A-Za-z0-9._:-]: nothing that could split a header or
// a log line.
bool IsAcceptableRequestId(absl::string_view id);

// 128 random bits as 32 lowercase hex digits.
std::string NewRequestId();

// `client_id` when acceptable, else NewRequestId(). Empty means absent.
std::string RequestIdFor(absl::string_view client_id);

}  // namespace tokend::http

#endif  // TOKEND_SERVER_HTTP_REQUEST_ID_H_
