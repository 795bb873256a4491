#include "tools/loadgen/method_resolver.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/loadgen/reflection_client.h"

namespace tokend::loadgen {
namespace {

bool IsIdentifier(absl::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsQualifiedName(absl::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  for (;;) {
    const size_t dot = s.find('.', start);
    if (!IsIdentifier(s.substr(start, dot - start))) return false;
    if (dot == absl::string_view::npos) return true;
    start = dot + 1;
  }
}

// Finds the method in a service the pool knows, checking it is unary.
absl::StatusOr<const google::protobuf::MethodDescriptor*> FindUnaryMethod(
    const google::protobuf::ServiceDescriptor& service,
    const MethodName& name) {
  const google::protobuf::MethodDescriptor* method =
      service.FindMethodByName(name.method);
  if (method == nullptr) {
    std::vector<std::string> known;
    for (int i = 0; i < service.method_count(); ++i) {
      known.push_back(service.method(i)->name());
    }
    return absl::InvalidArgumentError(
        absl::StrCat("service ", name.service, " has no method \"", name.method,
                     "\"; it has: ", absl::StrJoin(known, ", ")));
  }
  if (method->client_streaming() || method->server_streaming()) {
    return absl::InvalidArgumentError(absl::StrCat(
        name.Path(),
        " is a streaming method; loadgen drives unary calls only"));
  }
  return method;
}

}  // namespace

absl::StatusOr<MethodName> ParseMethodName(absl::string_view text) {
  absl::string_view s = text;
  if (absl::StartsWith(s, "/")) s.remove_prefix(1);
  size_t split = s.rfind('/');
  if (split == absl::string_view::npos) split = s.rfind('.');
  if (split == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "method \"", text, "\" is not of the form package.Service/Method"));
  }
  MethodName name{std::string(s.substr(0, split)),
                  std::string(s.substr(split + 1))};
  if (!IsQualifiedName(name.service) || !IsIdentifier(name.method)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "method \"", text, "\" is not of the form package.Service/Method"));
  }
  return name;
}

ResolvedMethod::~ResolvedMethod() = default;

absl::StatusOr<std::unique_ptr<ResolvedMethod>> ResolveMethod(
    const MethodName& name, DescriptorSource source,
    const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout) {
  auto resolved = std::unique_ptr<ResolvedMethod>(new ResolvedMethod());

  if (source != DescriptorSource::kReflection) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            name.service);
    if (service != nullptr) {
      auto method = FindUnaryMethod(*service, name);
      if (!method.ok()) return method.status();
      resolved->descriptor_ = *method;
      resolved->source_ = DescriptorSource::kBinary;
      return resolved;
    }
    if (source == DescriptorSource::kBinary) {
      return absl::NotFoundError(absl::StrCat(
          "service ", name.service,
          " is not among the protos linked into loadgen; use "
          "--descriptor_source=auto or reflection to ask the server"));
    }
  }

  if (channel == nullptr) {
    return absl::FailedPreconditionError(
        "server reflection needs a channel to the server");
  }
  resolved->database_ =
      std::make_unique<ReflectionDescriptorDatabase>(channel, timeout);
  resolved->pool_ = std::make_unique<google::protobuf::DescriptorPool>(
      resolved->database_.get());
  resolved->source_ = DescriptorSource::kReflection;
  const google::protobuf::ServiceDescriptor* service =
      resolved->pool_->FindServiceByName(name.service);
  if (service == nullptr) {
    const absl::Status& error = resolved->database_->last_error();
    const std::string prefix =
        source == DescriptorSource::kAuto
            ? absl::StrCat("service ", name.service,
                           " is not linked into loadgen, and ")
            : absl::StrCat("service ", name.service, ": ");
    if (error.code() == absl::StatusCode::kNotFound) {
      auto services = resolved->database_->ListServices();
      return absl::NotFoundError(absl::StrCat(
          prefix, "the server does not know it",
          services.ok() ? absl::StrCat(" (it offers: ",
                                       absl::StrJoin(*services, ", "), ")")
                        : ""));
    }
    if (!error.ok()) {
      return absl::Status(
          error.code(),
          absl::StrCat(prefix, "asking the server failed: ", error.message()));
    }
    // The server answered, but the files did not build (e.g. a dependency it
    // could not provide).
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, "the descriptors the server sent do not build"));
  }
  auto method = FindUnaryMethod(*service, name);
  if (!method.ok()) return method.status();
  resolved->descriptor_ = *method;
  return resolved;
}

}  // namespace tokend::loadgen
