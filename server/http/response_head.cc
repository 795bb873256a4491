#include "server/http/response_head.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokend::http {
namespace {

// RFC 9110 5.6.2 tchar.
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c)) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) ==
        absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// RFC 9110 5.5: visible characters, SP and HTAB; obs-text (>= 0x80) passes.
// CR and LF would let a value start a new header or the body.
bool IsFieldValue(absl::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// Headers only the server may set: they frame the message or the connection,
// or (x-request-id) must match the request's id.
bool IsServerOwned(absl::string_view lower_name) {
  return lower_name == "content-length" || lower_name == "transfer-encoding" ||
         lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "x-request-id";
}

bool HasCloseToken(absl::string_view connection_value) {
  for (absl::string_view token :
       absl::StrSplit(connection_value, ',', absl::SkipWhitespace())) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(token), "close")) {
      return true;
    }
  }
  return false;
}

// RFC 9110 section 15.
constexpr struct {
  int status;
  const char* reason;
} kReasonPhrases[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Entity"},  // Clerk's SDK shows the phrase; RFC 9110
                                    // renamed it
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {511, "Network Authentication Required"},
};

}  // namespace

absl::string_view ReasonPhrase(int status) {
  for (const auto& entry : kReasonPhrases) {
    if (entry.status == status) return entry.reason;
  }
  return "";
}

absl::StatusOr<ResponseHead> FormatResponseHead(
    const HttpResponse& response, const ResponseContext& context) {
  const int status = response.status;
  if (status < 200 || status > 599) {
    return absl::InternalError(
        absl::StrCat("handler returned status ", status));
  }
  ResponseHead head;
  head.close = context.close;
  // Always HTTP/1.1, also to 1.0 clients (RFC 9110 2.5: the highest minor
  // version we conform to); they read it as 1.0 plus what they ignore.
  head.text =
      absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) {
      return absl::InternalError("handler returned a malformed header");
    }
    const std::string lower = absl::AsciiStrToLower(name);
    if (IsServerOwned(lower)) {
      if (lower == "connection" && HasCloseToken(value)) head.close = true;
      continue;
    }
    absl::StrAppend(&head.text, name, ": ", value, "\r\n");
  }
  if (head.close) {
    head.text += "Connection: close\r\n";
  } else if (context.http10) {
    head.text += "Connection: keep-alive\r\n";
  }
  absl::StrAppend(&head.text, "x-request-id: ", context.request_id, "\r\n");
  // RFC 9110 8.6: no Content-Length on 204; on 304 it would have to be the
  // GET length, which we do not know, so leave it out too.
  const bool bodiless_status = status == 204 || status == 304;
  if (!bodiless_status) {
    absl::StrAppend(&head.text, "Content-Length: ", response.body.size(),
                    "\r\n");
  }
  head.text += "\r\n";
  head.send_body = !bodiless_status && !context.head_request;
  return head;
}

}  // namespace tokend::http
