#include "server/gateway/path_matcher.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "server/gateway/form_urlencoded.h"
#include "tokend/api/v1/gateway.pb.h"

namespace tokend::gateway {

using ::google::api::HttpRule;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;

// One trie level per path segment. Templates put "**" last, so a "**" child
// is a leaf that swallows the rest of the path; the depth of a node is
// therefore the index of the segment it consumes, and a lookup enters each
// node at most once however it backtracks.
struct PathMatcher::Node {
  absl::flat_hash_map<std::string, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> single;  // "*"
  std::unique_ptr<Node> multi;   // "**": holds only `routes`
  // Templates that end at this node: verb ("" for none) -> HTTP method ->
  // binding.
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::string, const MethodBinding*>>
      routes;
};

namespace {

// RFC 3986 pchar minus pct-encoded (checked by the caller).
bool IsPathChar(char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
      return true;
    default:
      return false;
  }
}

// Decodes %XX escapes of a segment already checked by ValidSegment. With
// keep_slash, "%2F" stays escaped (normalised to upper case).
void AppendDecoded(absl::string_view raw, bool keep_slash, std::string* out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out->push_back(raw[i]);
      continue;
    }
    char c = static_cast<char>(HexDigitValue(raw[i + 1]) * 16 +
                               HexDigitValue(raw[i + 2]));
    i += 2;
    if (keep_slash && c == '/') {
      out->append("%2F");
    } else {
      out->push_back(c);
    }
  }
}

// "." or "..", also spelled with %2E: a proxy that normalises the path
// would resolve them, so we refuse rather than disagree with it.
bool IsDotSegment(absl::string_view seg) {
  if (seg.size() > 6) return false;
  std::string decoded;
  AppendDecoded(seg, /*keep_slash=*/false, &decoded);
  return decoded == "." || decoded == "..";
}

bool ValidSegment(absl::string_view seg) {
  if (seg.empty()) return false;
  for (size_t i = 0; i < seg.size(); ++i) {
    if (seg[i] == '%') {
      if (i + 2 >= seg.size()) return false;
      if (HexDigitValue(seg[i + 1]) < 0 || HexDigitValue(seg[i + 2]) < 0)
        return false;
      i += 2;
    } else if (!IsPathChar(seg[i])) {
      return false;
    }
  }
  return !IsDotSegment(seg);
}

// Splits an absolute path into raw segments; false when the path is refused
// (see the header).
bool SplitPath(absl::string_view path,
               absl::InlinedVector<absl::string_view, 8>* out) {
  if (path.empty() || path.size() > kMaxPathBytes || path[0] != '/') {
    return false;
  }
  if (path.size() == 1) return true;
  absl::string_view rest = path.substr(1);
  for (;;) {
    size_t slash = rest.find('/');
    absl::string_view seg = rest.substr(0, slash);
    if (!ValidSegment(seg) || out->size() == kMaxPathSegments) return false;
    out->push_back(seg);
    if (slash == absl::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

// RFC 9110 token.
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (absl::ascii_isalnum(c)) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) ==
        absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Path variables become single proto values: no bytes (whose text form is
// base64, not what a path carries), messages, repeated or map fields.
bool IsPathScalar(const FieldDescriptor* f) {
  return !f->is_repeated() && f->type() != FieldDescriptor::TYPE_BYTES &&
         f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE;
}

absl::Status CheckVariable(const Descriptor* request,
                           const std::vector<std::string>& field_path) {
  const std::string dotted = absl::StrJoin(field_path, ".");
  const Descriptor* message = request;
  for (size_t i = 0; i < field_path.size(); ++i) {
    const FieldDescriptor* f = message->FindFieldByName(field_path[i]);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("path variable \"", dotted, "\": ", message->full_name(),
                       " has no field \"", field_path[i], "\""));
    }
    if (f->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat("path variable \"", dotted, "\": field ", f->full_name(),
                       " is ", f->is_map() ? "a map" : "repeated"));
    }
    if (i + 1 < field_path.size()) {
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        return absl::InvalidArgumentError(
            absl::StrCat("path variable \"", dotted, "\": field ",
                         f->full_name(), " is not a message"));
      }
      message = f->message_type();
    } else if (!IsPathScalar(f)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path variable \"", dotted, "\": field ", f->full_name(),
          " must be a string, number, bool or enum, not ", f->type_name()));
    }
  }
  return absl::OkStatus();
}

// Proto name or json_name, as query parameters and form fields resolve them.
const FieldDescriptor* FindFieldByAnyName(const Descriptor* type,
                                          absl::string_view name) {
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* f = type->field(i);
    if (f->name() == name || f->json_name() == name) return f;
  }
  return nullptr;
}

// Reads the method's (tokend.api.v1.ignored_parameters) into `out`, refusing
// a list that could hide a field (see the header). `body` is the rule's.
absl::Status CheckIgnoredParameters(const MethodDescriptor* method,
                                    absl::string_view body,
                                    std::vector<std::string>* out) {
  const auto& names =
      method->options().GetRepeatedExtension(api::v1::ignored_parameters);
  if (names.empty()) return absl::OkStatus();
  const Descriptor* request = method->input_type();
  // Where form fields resolve: the body field's message, for a body field.
  const Descriptor* form = nullptr;
  if (!body.empty() && body != "*") {
    const FieldDescriptor* f = request->FindFieldByName(std::string(body));
    if (f != nullptr && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      form = f->message_type();
    }
  }
  for (const std::string& name : names) {
    const std::string what = absl::StrCat(
        "(tokend.api.v1.ignored_parameters) \"", absl::CHexEscape(name), "\"");
    if (name.empty() || name.size() > kMaxParameterNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " must be 1 to ", kMaxParameterNameBytes, " bytes long"));
    }
    if (std::find(out->begin(), out->end(), name) != out->end()) {
      return absl::InvalidArgumentError(absl::StrCat(what, " is listed twice"));
    }
    // A dotted name resolves through its first segment.
    const absl::string_view head =
        absl::string_view(name).substr(0, name.find('.'));
    for (const Descriptor* type : {request, form}) {
      if (type == nullptr) continue;
      if (const FieldDescriptor* f = FindFieldByAnyName(type, head)) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " could set field ", f->full_name(),
                         "; a listed name must resolve to no field"));
      }
    }
    out->push_back(name);
  }
  return absl::OkStatus();
}

// Validates one rule (additional bindings excluded) into a binding.
absl::StatusOr<std::unique_ptr<MethodBinding>> MakeBinding(
    const MethodDescriptor* method, const HttpRule& rule, int rule_index) {
  auto binding = std::make_unique<MethodBinding>();
  binding->method = method;
  binding->rule_index = rule_index;
  switch (rule.pattern_case()) {
    case HttpRule::kGet:
      binding->http_method = "GET";
      binding->path_template = rule.get();
      break;
    case HttpRule::kPut:
      binding->http_method = "PUT";
      binding->path_template = rule.put();
      break;
    case HttpRule::kPost:
      binding->http_method = "POST";
      binding->path_template = rule.post();
      break;
    case HttpRule::kDelete:
      binding->http_method = "DELETE";
      binding->path_template = rule.delete_();
      break;
    case HttpRule::kPatch:
      binding->http_method = "PATCH";
      binding->path_template = rule.patch();
      break;
    case HttpRule::kCustom:
      if (!IsToken(rule.custom().kind())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "custom kind \"", absl::CHexEscape(rule.custom().kind()),
            "\" is not an HTTP method token"));
      }
      binding->http_method = rule.custom().kind();
      binding->path_template = rule.custom().path();
      break;
    case HttpRule::PATTERN_NOT_SET:
      return absl::InvalidArgumentError(
          "no pattern (get, put, post, delete, patch or custom)");
  }
  absl::StatusOr<HttpTemplate> parsed =
      ParseHttpTemplate(binding->path_template);
  if (!parsed.ok()) return parsed.status();
  binding->path = *std::move(parsed);

  const Descriptor* request = method->input_type();
  for (const HttpTemplate::Variable& var : binding->path.variables) {
    if (absl::Status s = CheckVariable(request, var.field_path); !s.ok()) {
      return s;
    }
  }

  binding->body = rule.body();
  if (!binding->body.empty() && binding->http_method == "GET") {
    return absl::InvalidArgumentError("a GET rule cannot have a body");
  }
  if (!binding->body.empty() && binding->body != "*") {
    const FieldDescriptor* f = request->FindFieldByName(binding->body);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("body \"", binding->body, "\": ", request->full_name(),
                       " has no top-level field of that name"));
    }
    if (f->is_repeated()) {
      return absl::InvalidArgumentError(
          absl::StrCat("body \"", binding->body, "\": field ", f->full_name(),
                       " is ", f->is_map() ? "a map" : "repeated"));
    }
    for (const HttpTemplate::Variable& var : binding->path.variables) {
      if (var.field_path[0] == binding->body) {
        return absl::InvalidArgumentError(absl::StrCat(
            "body \"", binding->body, "\" is also bound by path variable \"",
            absl::StrJoin(var.field_path, "."), "\""));
      }
    }
  }

  if (absl::Status s = CheckIgnoredParameters(method, binding->body,
                                              &binding->ignored_parameters);
      !s.ok()) {
    return s;
  }

  binding->response_body = rule.response_body();
  if (!binding->response_body.empty() &&
      method->output_type()->FindFieldByName(binding->response_body) ==
          nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("response_body \"", binding->response_body,
                     "\": ", method->output_type()->full_name(),
                     " has no top-level field of that name"));
  }
  const std::string& whole =
      method->options().GetExtension(api::v1::whole_response_if);
  if (!whole.empty()) {
    binding->whole_response_if = method->input_type()->FindFieldByName(whole);
    if (binding->response_body.empty() ||
        binding->whole_response_if == nullptr ||
        binding->whole_response_if->is_repeated() ||
        binding->whole_response_if->type() != FieldDescriptor::TYPE_BOOL) {
      return absl::InvalidArgumentError(absl::StrCat(
          "(tokend.api.v1.whole_response_if) \"", absl::CHexEscape(whole),
          "\" must name a bool field of ", method->input_type()->full_name(),
          ", with a response_body"));
    }
  }
  const std::string& location =
      method->options().GetExtension(api::v1::redirect_location);
  if (!location.empty()) {
    binding->redirect_location =
        method->output_type()->FindFieldByName(location);
    if (binding->redirect_location == nullptr ||
        binding->redirect_location->is_repeated() ||
        binding->redirect_location->type() != FieldDescriptor::TYPE_STRING ||
        !binding->response_body.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "(tokend.api.v1.redirect_location) \"", absl::CHexEscape(location),
          "\" must name a string field of ", method->output_type()->full_name(),
          ", without a response_body"));
    }
  }
  return binding;
}

std::string RuleName(const MethodDescriptor* method, int rule_index) {
  return rule_index == 0
             ? absl::StrCat(method->full_name(), " (google.api.http)")
             : absl::StrCat(method->full_name(), " additional_bindings[",
                            rule_index - 1, "]");
}

}  // namespace

PathMatcher::PathMatcher() : root_(std::make_unique<Node>()) {}
PathMatcher::~PathMatcher() = default;

absl::StatusOr<std::unique_ptr<PathMatcher>> PathMatcher::Build(
    const std::vector<const ServiceDescriptor*>& services) {
  auto matcher = absl::WrapUnique(new PathMatcher());
  for (const ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      const HttpRule& rule = method->options().GetExtension(google::api::http);
      std::vector<const HttpRule*> rules = {&rule};
      for (const HttpRule& extra : rule.additional_bindings()) {
        rules.push_back(&extra);
      }
      for (size_t r = 0; r < rules.size(); ++r) {
        const int rule_index = static_cast<int>(r);
        if (r > 0 && rules[r]->additional_bindings_size() > 0) {
          return absl::InvalidArgumentError(
              absl::StrCat(RuleName(method, rule_index),
                           ": additional_bindings may not nest"));
        }
        absl::StatusOr<std::unique_ptr<MethodBinding>> binding =
            MakeBinding(method, *rules[r], rule_index);
        if (!binding.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(
              RuleName(method, rule_index), ": ", binding.status().message()));
        }
        if (absl::Status s = matcher->Register(*std::move(binding)); !s.ok()) {
          return s;
        }
      }
    }
  }
  return matcher;
}

absl::Status PathMatcher::Register(std::unique_ptr<MethodBinding> binding) {
  Node* node = root_.get();
  for (const std::string& seg : binding->path.segments) {
    std::unique_ptr<Node>* child;
    if (seg == "**") {
      child = &node->multi;
    } else if (seg == "*") {
      child = &node->single;
    } else {
      child = &node->literals[seg];
    }
    if (*child == nullptr) *child = std::make_unique<Node>();
    node = child->get();
  }
  const MethodBinding*& slot =
      node->routes[binding->path.verb][binding->http_method];
  if (slot != nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "duplicate route ", binding->http_method, " ", binding->path_template,
        " in ", RuleName(binding->method, binding->rule_index),
        " conflicts with ", slot->http_method, " ", slot->path_template, " in ",
        RuleName(slot->method, slot->rule_index)));
  }
  slot = binding.get();
  if (!binding->path.verb.empty()) verbs_.insert(binding->path.verb);
  bindings_.push_back(std::move(binding));
  return absl::OkStatus();
}

const MethodBinding* PathMatcher::RouteFor(const Node& node,
                                           absl::string_view verb,
                                           absl::string_view http_method) {
  auto by_verb = node.routes.find(verb);
  if (by_verb == node.routes.end()) return nullptr;
  auto it = by_verb->second.find(http_method);
  if (it == by_verb->second.end() && http_method == "HEAD") {
    it = by_verb->second.find("GET");
  }
  return it == by_verb->second.end() ? nullptr : it->second;
}

const MethodBinding* PathMatcher::Find(
    const Node& node, absl::Span<const absl::string_view> segments,
    size_t index, absl::string_view verb, absl::string_view http_method) const {
  if (index == segments.size()) {
    if (const MethodBinding* b = RouteFor(node, verb, http_method)) return b;
  } else {
    if (!node.literals.empty()) {
      auto it = node.literals.find(segments[index]);
      if (it != node.literals.end()) {
        if (const MethodBinding* b =
                Find(*it->second, segments, index + 1, verb, http_method)) {
          return b;
        }
      }
    }
    if (node.single != nullptr) {
      if (const MethodBinding* b =
              Find(*node.single, segments, index + 1, verb, http_method)) {
        return b;
      }
    }
  }
  if (node.multi != nullptr) return RouteFor(*node.multi, verb, http_method);
  return nullptr;
}

void PathMatcher::CollectMethods(const Node& node,
                                 absl::Span<const absl::string_view> segments,
                                 size_t index, absl::string_view verb,
                                 std::vector<std::string>* methods) const {
  auto add = [&](const Node& n) {
    auto by_verb = n.routes.find(verb);
    if (by_verb == n.routes.end()) return;
    for (const auto& entry : by_verb->second) methods->push_back(entry.first);
  };
  if (index == segments.size()) {
    add(node);
  } else {
    auto it = node.literals.find(segments[index]);
    if (it != node.literals.end()) {
      CollectMethods(*it->second, segments, index + 1, verb, methods);
    }
    if (node.single != nullptr) {
      CollectMethods(*node.single, segments, index + 1, verb, methods);
    }
  }
  if (node.multi != nullptr) add(*node.multi);
}

LookupResult PathMatcher::Lookup(absl::string_view http_method,
                                 absl::string_view path) const {
  LookupResult result;
  absl::InlinedVector<absl::string_view, 8> segments;
  if (!SplitPath(path, &segments)) return result;

  struct Reading {
    absl::InlinedVector<absl::string_view, 8> segments;
    absl::string_view verb;
  };
  absl::InlinedVector<Reading, 2> readings;
  if (!verbs_.empty() && !segments.empty()) {
    absl::string_view last = segments.back();
    size_t colon = last.rfind(':');
    if (colon != absl::string_view::npos &&
        verbs_.contains(last.substr(colon + 1))) {
      absl::string_view head = last.substr(0, colon);
      if (!head.empty() && !IsDotSegment(head)) {
        Reading reading{segments, last.substr(colon + 1)};
        reading.segments.back() = head;
        readings.push_back(std::move(reading));
      }
    }
  }
  readings.push_back(Reading{segments, ""});

  for (const Reading& reading : readings) {
    const MethodBinding* binding =
        Find(*root_, reading.segments, 0, reading.verb, http_method);
    if (binding == nullptr) continue;
    result.kind = LookupResult::kMatch;
    result.match.binding = binding;
    const auto& segs = reading.segments;
    for (const HttpTemplate::Variable& var : binding->path.variables) {
      const size_t begin = static_cast<size_t>(var.start_segment);
      const bool multi = var.end_segment < 0;
      const size_t end =
          multi ? segs.size() : static_cast<size_t>(var.end_segment);
      std::string value;
      if (!multi && end - begin == 1) {
        AppendDecoded(segs[begin], /*keep_slash=*/false, &value);
      } else {
        for (size_t i = begin; i < end; ++i) {
          if (i > begin) value.push_back('/');
          AppendDecoded(segs[i], /*keep_slash=*/true, &value);
        }
      }
      result.match.variables.emplace_back(absl::StrJoin(var.field_path, "."),
                                          std::move(value));
    }
    return result;
  }

  std::vector<std::string> methods;
  for (const Reading& reading : readings) {
    CollectMethods(*root_, reading.segments, 0, reading.verb, &methods);
  }
  if (methods.empty()) return result;
  if (std::find(methods.begin(), methods.end(), "GET") != methods.end()) {
    methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  result.kind = LookupResult::kMethodNotAllowed;
  result.allowed = std::move(methods);
  return result;
}

}  // namespace tokend::gateway
