// PathMatcher: maps (HTTP method, request path) to the RPC whose
// google.api.http rule matches it (DESIGN.md §5). Built once at start-up from
// the compiled service descriptors; immutable afterwards, so lookups are
// thread-safe and take no lock.
//
// Registration (Build): every method carrying (google.api.http), its rule and
// each of its additional_bindings (one level; a binding that has its own
// additional_bindings is an error). Each rule is checked, and the first
// problem fails Build with InvalidArgument naming the RPC and the template:
//   - the template parses (http_template.h);
//   - a pattern is set; custom.kind is an HTTP token;
//   - path variables name fields of the request message, through singular
//     message fields, ending in a singular string, number, bool or enum field
//     (bytes, messages, repeated and map fields are refused);
//   - body is "", "*" or a top-level singular field of the request that no
//     path variable also binds; GET rules have no body;
//   - response_body is "" or a top-level field of the response;
//   - the method's (tokend.api.v1.ignored_parameters) names are non-empty, at
//     most kMaxParameterNameBytes long, listed once, and none of them, nor
//     the part before its first '.', is the proto name or json_name of a
//     top-level field of the request or, for a body naming a message
//     field, of that message's fields (form fields resolve there): a
//     listed name must never hide a field;
//   - no two rules share HTTP method, segments and verb (variable names do not
//     count: /v1/{a} and /v1/{b} are one route). The error names both RPCs.
// Streaming methods are registered like unary ones; refusing them is the
// caller's decision.
//
// Lookup(method, path): `path` is the raw request path without the query
// string, still percent-encoded.
//   - Refused outright (kNoRoute): a path that is empty, not absolute, longer
//     than kMaxPathBytes, has more than kMaxPathSegments segments, has an
//     empty segment — including a trailing slash: "/v1/things/" is not
//     "/v1/things", and redirecting is the HTTP layer's decision — has a
//     character outside RFC 3986 pchar or a malformed %XX escape, or has a
//     dot segment ("." or "..", also when spelled with %2E). "/" is the path
//     with no segments (only "/**"-like templates match it).
//   - Literal segments compare byte for byte with the raw request segment.
//   - Custom verbs: if the last segment contains ':' and the text after the
//     LAST ':' is a verb some template uses, the path is first tried as
//     (segments with that suffix cut off, verb); if no template matches that
//     reading for the request's method, the whole segment, ':' included, is
//     tried as an ordinary segment against verb-less templates. So with
//     /v1/keys/{id}:revoke and GET /v1/keys/{id}, "POST /v1/keys/k:revoke"
//     revokes k and "GET /v1/keys/a:revoke" reads key "a:revoke".
//   - Precedence among templates that match: decided segment by segment from
//     the left, a literal beats "*" beats "**"; a template that ends where the
//     path ends beats "**" matching zero segments. The search backtracks, and
//     only rules for the request's method count (like
//     grpc-httpjson-transcoding): GET /v1/files/{d}/doc and GET
//     /v1/files/{p=**} both work for GET /v1/files/a/b.
//   - HEAD is answered by a GET rule when no HEAD rule matches.
//   - Variable values are percent-decoded. A variable of one segment decodes
//     fully ("%2F" -> '/'). A variable spanning several segments (or "**")
//     is its raw segments joined by '/', each decoded except "%2F"/"%2f",
//     which stays "%2F" so that a '/' in the value is always a separator.
//     "**" may match zero segments (the value is then the prefix, or "").
//     Decoded values are arbitrary bytes: UTF-8 checks belong to whoever sets
//     string fields from them.
//   - kMethodNotAllowed when the path matches rules of other methods only;
//     `allowed` lists them sorted, with HEAD added when GET is there.
#ifndef TOKEND_SERVER_GATEWAY_PATH_MATCHER_H_
#define TOKEND_SERVER_GATEWAY_PATH_MATCHER_H_

#include <google/protobuf/descriptor.h>

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/gateway/http_template.h"

namespace tokend::gateway {

inline constexpr size_t kMaxPathBytes = 2048;
inline constexpr size_t kMaxPathSegments = 64;

struct MethodBinding {
  const google::protobuf::MethodDescriptor* method = nullptr;
  // "GET", "POST", "PUT", "PATCH", "DELETE", or a custom kind as written.
  std::string http_method;
  // As written in the rule, for messages and metrics.
  std::string path_template;
  HttpTemplate path;
  // "", "*" or a top-level field name of the request.
  std::string body;
  // "" or a top-level field name of the response.
  std::string response_body;
  // The method's (tokend.api.v1.whole_response_if): a bool field of the
  // request that, when true, prints the whole response, not response_body.
  const google::protobuf::FieldDescriptor* whole_response_if = nullptr;
  // The method's (tokend.api.v1.redirect_location): a string field of the
  // response that the gateway answers a redirect to.
  const google::protobuf::FieldDescriptor* redirect_location = nullptr;
  // The method's (tokend.api.v1.ignored_parameters): query parameters and
  // form fields the gateway drops (RequestBinding::ignored_parameters points
  // here).
  std::vector<std::string> ignored_parameters;
  // 0 for the method's own rule, i for its i-th additional binding (1-based).
  int rule_index = 0;
};

struct PathMatch {
  const MethodBinding* binding = nullptr;
  // Dotted field path ("a.b") -> percent-decoded value, in template order.
  std::vector<std::pair<std::string, std::string>> variables;
};

struct LookupResult {
  enum Kind { kMatch, kNoRoute, kMethodNotAllowed };
  Kind kind = kNoRoute;
  // kMatch only.
  PathMatch match;
  // kMethodNotAllowed only: the methods that would match (for Allow:),
  // sorted.
  std::vector<std::string> allowed;
};

class PathMatcher {
 public:
  static absl::StatusOr<std::unique_ptr<PathMatcher>> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  ~PathMatcher();
  PathMatcher(const PathMatcher&) = delete;
  PathMatcher& operator=(const PathMatcher&) = delete;

  LookupResult Lookup(absl::string_view http_method,
                      absl::string_view path) const;

  // Every registered rule, in service, method, rule order. For tools (the
  // Envoy configuration) and metrics.
  const std::vector<std::unique_ptr<MethodBinding>>& bindings() const {
    return bindings_;
  }

 private:
  struct Node;
  PathMatcher();

  absl::Status Register(std::unique_ptr<MethodBinding> binding);
  // The binding for (verb, method) among the routes ending at `node`; HEAD
  // falls back to GET.
  static const MethodBinding* RouteFor(const Node& node, absl::string_view verb,
                                       absl::string_view http_method);
  const MethodBinding* Find(const Node& node,
                            absl::Span<const absl::string_view> segments,
                            size_t index, absl::string_view verb,
                            absl::string_view http_method) const;
  void CollectMethods(const Node& node,
                      absl::Span<const absl::string_view> segments,
                      size_t index, absl::string_view verb,
                      std::vector<std::string>* methods) const;

  std::unique_ptr<Node> root_;
  std::vector<std::unique_ptr<MethodBinding>> bindings_;
  // Every non-empty custom verb of the table.
  absl::flat_hash_set<std::string> verbs_;
};

}  // namespace tokend::gateway

#endif  // TOKEND_SERVER_GATEWAY_PATH_MATCHER_H_
