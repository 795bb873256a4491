#include "server/http/server_error.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tokend::http {
namespace {

// Messages are the server's own text, but escape anyway so a future message
// with a quote cannot break the JSON.
std::string JsonString(absl::string_view in) {
  std::string out = "\"";
  for (unsigned char c : in) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace

int GrpcCodeForServerError(int http_status) {
  switch (http_status) {
    case 400:
      return 3;  // INVALID_ARGUMENT
    case 408:
      return 4;  // DEADLINE_EXCEEDED
    case 413:
    case 431:
      return 3;  // INVALID_ARGUMENT: a size limit; retrying cannot help.
    case 417:
      return 9;  // FAILED_PRECONDITION
    case 501:
      return 12;  // UNIMPLEMENTED
    case 503:
      return 14;  // UNAVAILABLE
    default:
      return 13;  // INTERNAL
  }
}

HttpResponse ServerErrorResponse(int http_status, absl::string_view message) {
  HttpResponse response;
  response.status = http_status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body =
      absl::StrCat("{\"code\":", GrpcCodeForServerError(http_status),
                   ",\"message\":", JsonString(message), "}");
  return response;
}

}  // namespace tokend::http
