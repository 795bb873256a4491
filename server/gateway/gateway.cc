#include "server/gateway/gateway.h"

#include <grpcpp/client_context.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/proto_buffer_reader.h>
#include <grpcpp/support/proto_buffer_writer.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/message.h"
#include "server/gateway/content_type.h"
#include "server/gateway/error_response.h"
#include "server/gateway/request_translator.h"
#include "server/gateway/response_cache.h"
#include "server/gateway/response_translator.h"
#include "server/grpc_status.h"
#include "server/policy/client_address.h"

namespace tokend::gateway {
namespace {

using google::protobuf::Message;
using google::protobuf::MessageFactory;

// Request headers the services read (credentials, the browser's origin for
// Clerk's azp, Clerk's __client cookie). Nothing else crosses into gRPC.
constexpr const char* kForwardedHeaders[] = {"authorization", "cookie",
                                             "origin", "if-none-match"};
// Response metadata that becomes HTTP headers.
constexpr const char* kReturnedHeaders[] = {"cache-control", "etag"};

// gRPC refuses metadata values outside printable ASCII; such a header is
// treated as absent rather than failing the call.
bool IsMetadataValue(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

http::HttpResponse JsonResponse(int status, std::string body) {
  http::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("content-type", "application/json");
  response.body = std::move(body);
  return response;
}

http::HttpResponse FromError(const ErrorResponse& error) {
  http::HttpResponse response = JsonResponse(error.http_status, error.body);
  for (const auto& header : error.headers) response.headers.push_back(header);
  return response;
}

http::HttpResponse ErrorFor(api::v1::ErrorStyle style,
                            const grpc::Status& status,
                            absl::string_view request_id,
                            absl::string_view retry_after = "") {
  return FromError(RenderError(style, status, request_id, retry_after));
}

std::string FirstValue(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    absl::string_view key) {
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// If-None-Match: "*" or a list of entity tags; weak comparison as RFC 9110
// §13.1.2 asks for this header.
bool EtagMatches(absl::string_view if_none_match, absl::string_view etag) {
  if (etag.empty()) return false;
  if (absl::StripAsciiWhitespace(if_none_match) == "*") return true;
  absl::string_view strong = absl::StripPrefix(etag, "W/");
  for (absl::string_view candidate : absl::StrSplit(if_none_match, ',')) {
    candidate = absl::StripPrefix(absl::StripAsciiWhitespace(candidate), "W/");
    if (candidate == strong) return true;
  }
  return false;
}

// One REST request in flight: what the completion callback needs.
struct Call {
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  http::Responder respond;
  const MethodBinding* binding = nullptr;
  api::v1::ErrorStyle style = api::v1::ERROR_STYLE_UNSPECIFIED;
  std::string request_id;
  std::string if_none_match;
  // The request asked for the whole response (binding->whole_response_if).
  bool whole_response = false;
  // The response prints every field (Gateway::print_all_fields_).
  bool print_all_fields = false;
  // Set for a GET without credentials: where a cacheable answer goes.
  ResponseCache* cache = nullptr;
  std::string cache_key;
};

// A 200 with `cached`'s body and headers, or a 304 when If-None-Match names
// its ETag: no body, and so no Content-Type; ETag and Cache-Control stay.
http::HttpResponse FromCached(const CachedResponse& cached,
                              absl::string_view if_none_match) {
  http::HttpResponse response;
  response.headers = cached.headers;
  if (!if_none_match.empty() && EtagMatches(if_none_match, cached.etag)) {
    response.status = 304;
    auto& headers = response.headers;
    headers.erase(
        std::remove_if(headers.begin(), headers.end(),
                       [](const auto& h) { return h.first == "content-type"; }),
        headers.end());
    return response;
  }
  response.body = cached.body;
  return response;
}

void Complete(std::unique_ptr<Call> call, const grpc::Status& status) {
  const auto& initial = call->context.GetServerInitialMetadata();
  if (!status.ok()) {
    const std::string retry_after =
        FirstValue(call->context.GetServerTrailingMetadata(), "retry-after");
    std::move(call->respond)(
        ErrorFor(call->style, status, call->request_id, retry_after));
    return;
  }
  const google::protobuf::Descriptor* type =
      call->binding->method->output_type();
  std::unique_ptr<Message> message(
      MessageFactory::generated_factory()->GetPrototype(type)->New());
  grpc::ProtoBufferReader reader(&call->response);
  if (!message->ParseFromZeroCopyStream(&reader)) {
    std::move(call->respond)(ErrorFor(
        call->style,
        grpc::Status(grpc::StatusCode::INTERNAL, "the response does not parse"),
        call->request_id));
    return;
  }
  if (const auto* location = call->binding->redirect_location) {
    const std::string url =
        message->GetReflection()->GetString(*message, location);
    if (url.empty() || !IsMetadataValue(url)) {
      std::move(call->respond)(ErrorFor(
          call->style,
          grpc::Status(grpc::StatusCode::INTERNAL, "no redirect location"),
          call->request_id));
      return;
    }
    http::HttpResponse redirect;
    redirect.status = 307;
    redirect.headers.emplace_back("location", url);
    redirect.headers.emplace_back("cache-control", "no-store");
    std::move(call->respond)(std::move(redirect));
    return;
  }
  ResponseOptions options;
  if (!call->whole_response)
    options.response_body = call->binding->response_body;
  options.print_all_fields = call->print_all_fields;
  absl::StatusOr<std::string> json = TranslateResponse(*message, options);
  if (!json.ok()) {
    std::move(call->respond)(
        ErrorFor(call->style,
                 grpc::Status(grpc::StatusCode::INTERNAL,
                              std::string(json.status().message())),
                 call->request_id));
    return;
  }
  CachedResponse ok;
  ok.body = *std::move(json);
  ok.headers.emplace_back("content-type", "application/json");
  for (const char* key : kReturnedHeaders) {
    std::string value = FirstValue(initial, key);
    if (!value.empty()) ok.headers.emplace_back(key, std::move(value));
  }
  ok.etag = FirstValue(initial, "etag");
  http::HttpResponse response = FromCached(ok, call->if_none_match);
  if (call->cache != nullptr) {
    call->cache->MaybeStore(std::move(call->cache_key),
                            FirstValue(initial, "cache-control"),
                            std::move(ok));
  }
  std::move(call->respond)(std::move(response));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(
    GatewayOptions options) {
  if (options.channel == nullptr) {
    return absl::InvalidArgumentError("gateway needs a channel");
  }
  absl::StatusOr<std::unique_ptr<PathMatcher>> matcher =
      PathMatcher::Build(options.services);
  if (!matcher.ok()) return matcher.status();
  return std::unique_ptr<Gateway>(
      new Gateway(std::move(options), *std::move(matcher)));
}

namespace {

absl::string_view FirstSegment(absl::string_view path) {
  absl::ConsumePrefix(&path, "/");
  return path.substr(0, path.find_first_of("/:"));
}

}  // namespace

Gateway::Gateway(GatewayOptions options, std::unique_ptr<PathMatcher> matcher)
    : options_(std::move(options)),
      matcher_(std::move(matcher)),
      stub_(options_.channel),
      cache_(options_.cache, options_.clock) {
  absl::flat_hash_map<std::string, absl::flat_hash_map<int, int>> counts;
  for (const auto& binding : matcher_->bindings()) {
    if (PrintsAllFields(binding->method->output_type())) {
      print_all_fields_.insert(binding->method);
    }
    ++counts[std::string(FirstSegment(binding->path_template))]
            [ErrorStyleOf(binding->method->service())];
  }
  for (const auto& [segment, styles] : counts) {
    int best = api::v1::ERROR_STYLE_UNSPECIFIED;
    int best_count = 0;
    for (const auto& [style, count] : styles) {
      if (count > best_count || (count == best_count && style < best)) {
        best = style;
        best_count = count;
      }
    }
    segment_styles_[segment] = static_cast<api::v1::ErrorStyle>(best);
  }
}

api::v1::ErrorStyle Gateway::UnroutedStyle(absl::string_view path) const {
  auto it = segment_styles_.find(FirstSegment(path));
  return it == segment_styles_.end() ? api::v1::ERROR_STYLE_UNSPECIFIED
                                     : it->second;
}

void Gateway::Handle(http::HttpRequest request, http::Responder respond) {
  absl::string_view target = request.target;
  absl::string_view path = target;
  absl::string_view query;
  if (size_t q = target.find('?'); q != absl::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  LookupResult found = matcher_->Lookup(request.method, path);
  if (found.kind == LookupResult::kNoRoute) {
    std::move(respond)(
        ErrorFor(UnroutedStyle(path),
                 grpc::Status(grpc::StatusCode::NOT_FOUND,
                              absl::StrCat("no route for ", request.method, " ",
                                           path.substr(0, 200))),
                 request.request_id));
    return;
  }
  if (found.kind == LookupResult::kMethodNotAllowed) {
    // The style of the service that serves the path with another method.
    const LookupResult other = matcher_->Lookup(found.allowed.front(), path);
    http::HttpResponse response = ErrorFor(
        other.kind == LookupResult::kMatch
            ? ErrorStyleOf(other.match.binding->method->service())
            : UnroutedStyle(path),
        grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                     absl::StrCat("method ", request.method.substr(0, 16),
                                  " is not allowed here; allowed: ",
                                  absl::StrJoin(found.allowed, ", "))),
        request.request_id);
    response.status = 405;
    response.headers.emplace_back("allow", absl::StrJoin(found.allowed, ", "));
    std::move(respond)(std::move(response));
    return;
  }

  const bool cacheable =
      (request.method == "GET" || request.method == "HEAD") &&
      request.Header("authorization") == nullptr &&
      request.Header("cookie") == nullptr;
  const std::string* if_none_match = request.Header("if-none-match");
  auto call = std::make_unique<Call>();
  call->binding = found.match.binding;
  if (cacheable) {
    call->cache = &cache_;
    call->cache_key = std::string(target);
  }
  call->style = ErrorStyleOf(call->binding->method->service());
  call->print_all_fields = print_all_fields_.contains(call->binding->method);
  call->request_id = request.request_id;

  // Request message: body, path variables, query.
  const google::protobuf::Descriptor* type =
      call->binding->method->input_type();
  std::unique_ptr<Message> message(
      MessageFactory::generated_factory()->GetPrototype(type)->New());
  RequestBinding binding;
  binding.body = call->binding->body;
  binding.path_variables = std::move(found.match.variables);
  // The route's list, read from the descriptors at start-up: no copy.
  binding.ignored_parameters = call->binding->ignored_parameters;
  HttpRequestParts parts;
  const std::string* content_type = request.Header("content-type");
  if (content_type != nullptr) parts.content_type = *content_type;
  parts.body = request.body;
  parts.query = query;
  absl::Status translated = TranslateRequest(binding, parts, message.get());
  if (!translated.ok()) {
    // Carries the reason and parameter name the translator attached.
    http::HttpResponse response = ErrorFor(
        call->style, server::ToGrpcStatus(translated), request.request_id);
    if (IsUnsupportedMediaType(translated)) response.status = 415;
    std::move(respond)(std::move(response));
    return;
  }
  if (const auto* whole = call->binding->whole_response_if; whole != nullptr) {
    call->whole_response = message->GetReflection()->GetBool(*message, whole);
  }
  // Only after translation, so a request the route would refuse is refused
  // from the cache too.
  if (cacheable) {
    if (auto cached = cache_.Find(target); cached != nullptr) {
      std::move(respond)(
          FromCached(*cached, if_none_match != nullptr ? *if_none_match : ""));
      return;
    }
  }
  bool own_buffer = false;
  grpc::Status serialized =
      grpc::GenericSerialize<grpc::ProtoBufferWriter, Message>(
          *message, &call->request, &own_buffer);
  if (!serialized.ok()) {
    std::move(respond)(ErrorFor(call->style, serialized, request.request_id));
    return;
  }
  if (call->request.Length() > options_.max_message_bytes) {
    // Form fields and query parameters can expand past the body limit.
    http::HttpResponse response = ErrorFor(
        call->style,
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("request too large: its message exceeds ",
                                  options_.max_message_bytes, " bytes")),
        request.request_id);
    response.status = 413;
    std::move(respond)(std::move(response));
    return;
  }

  for (const char* name : kForwardedHeaders) {
    const std::string* value = request.Header(name);
    if (value == nullptr || !IsMetadataValue(*value)) continue;
    if (std::string_view(name) == "if-none-match") {
      call->if_none_match = *value;
      continue;  // answered here, not by the service
    }
    call->context.AddMetadata(name, *value);
  }
  call->context.AddMetadata("x-request-id", request.request_id);
  const std::string* forwarded_for = request.Header("x-forwarded-for");
  call->context.AddMetadata(
      server::kClientAddressMetadata,
      server::ForwardedClient(request.peer,
                              forwarded_for != nullptr ? *forwarded_for : "",
                              options_.trusted_proxies));
  call->context.set_deadline(
      absl::ToChronoTime(absl::Now() + options_.deadline));
  call->respond = std::move(respond);

  const std::string method =
      absl::StrCat("/", call->binding->method->service()->full_name(), "/",
                   call->binding->method->name());
  Call* raw = call.release();
  stub_.UnaryCall(&raw->context, method, grpc::StubOptions(), &raw->request,
                  &raw->response, [raw](grpc::Status status) {
                    Complete(std::unique_ptr<Call>(raw), status);
                  });
}

}  // namespace tokend::gateway
