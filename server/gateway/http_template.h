// HttpTemplate: a parsed google.api.http path template
// (googleapis google/api/http.proto), the first piece of the REST gateway
// (DESIGN.md §5).
//
//   Template = "/" Segments [ Verb ] ;
//   Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;
//   FieldPath = IDENT { "." IDENT } ;      IDENT = [A-Za-z_][A-Za-z0-9_]*
//   Verb     = ":" LITERAL ;
//
// Stricter than the published grammar, so that every accepted template can
// match some request path and no two readings of one template exist:
//   - LITERAL is one or more characters of RFC 3986 unreserved
//     [A-Za-z0-9-._~] plus the sub-delims !$&'()+,; — without '*' and '='
//     (grammar characters), ':' (the verb separator), '%' (a literal is
//     compared with the raw request segment, so an escape could never match)
//     and '/'. A literal "." or ".." is rejected: request paths with dot
//     segments are refused by the matcher, so such a route would be dead.
//   - "*" and "**" are whole segments ("a*" is an error).
//   - "**" may appear once, as the last segment (before the verb).
//   - Variables do not nest, and one field path is bound at most once.
//   - At most kMaxTemplateBytes bytes and kMaxTemplateSegments segments
//     (a variable counts its own segments).
//   - "/" alone has no segment and is rejected, as the grammar says.
//
// Errors are InvalidArgument naming the template, the problem and the byte
// offset where it was found.
#ifndef TOKEND_SERVER_GATEWAY_HTTP_TEMPLATE_H_
#define TOKEND_SERVER_GATEWAY_HTTP_TEMPLATE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::gateway {

inline constexpr size_t kMaxTemplateBytes = 1024;
inline constexpr size_t kMaxTemplateSegments = 64;

struct HttpTemplate {
  // Each segment is a literal, "*" or "**"; variables are expanded in place
  // ({x} -> "*", {n=projects/*} -> "projects", "*").
  std::vector<std::string> segments;
  // Custom verb without the ':' ("" if none).
  std::string verb;

  struct Variable {
    // "a.b" -> {"a", "b"}.
    std::vector<std::string> field_path;
    // Index of the variable's first segment in `segments`.
    int start_segment = 0;
    // One past its last segment; kToEndOfPath (-1) when the variable ends in
    // "**": it then extends to the end of the request path (as in
    // grpc-httpjson-transcoding, where -1 counts from the end; "**" is last
    // here, so -1 is the only negative value).
    int end_segment = 0;
  };
  static constexpr int kToEndOfPath = -1;
  std::vector<Variable> variables;

  // True when the last segment is "**".
  bool EndsWithMultiWildcard() const {
    return !segments.empty() && segments.back() == "**";
  }
};

absl::StatusOr<HttpTemplate> ParseHttpTemplate(absl::string_view path);

// True for the characters a template literal or verb may contain.
bool IsTemplateLiteralChar(char c);

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_HTTP_TEMPLATE_H_
