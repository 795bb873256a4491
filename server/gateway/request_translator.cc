#include "server/gateway/request_translator.h"

#include <google/protobuf/descriptor.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/content_type.h"
#include "server/gateway/field_path.h"
#include "server/gateway/form_urlencoded.h"
#include "server/gateway/json_body.h"
#include "server/gateway/leaf_value.h"
#include "server/gateway/parameter_binding.h"

namespace tokend::gateway {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

absl::Status BindingError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("gateway binding: ", what));
}

}  // namespace

absl::Status TranslateRequest(const RequestBinding& binding,
                              const HttpRequestParts& http,
                              google::protobuf::Message* message) {
  const Descriptor* type = message->GetDescriptor();
  BoundFields bound;
  const FieldDescriptor* body_field = nullptr;
  if (binding.body == "*") {
    bound.everything = true;
  } else if (!binding.body.empty()) {
    body_field = type->FindFieldByName(binding.body);
    if (body_field == nullptr) {
      return BindingError(absl::StrCat("body field \"", binding.body,
                                       "\" is not a field of ",
                                       type->full_name()));
    }
    bound.body_field = body_field->name();
  }

  if (!http.body.empty()) {
    if (binding.body.empty()) {
      return absl::InvalidArgumentError(
          "request body not allowed for this method");
    }
    absl::StatusOr<BodyFormat> format =
        ParseContentType(http.content_type, http.body);
    if (!format.ok()) return format.status();
    absl::Status status;
    if (*format == BodyFormat::kJson) {
      status = ApplyJsonBody(http.body, body_field, message);
    } else {
      Message* target = message;
      if (body_field != nullptr) {
        if (body_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
            body_field->is_repeated() ||
            IsScalarMessage(body_field->message_type())) {
          return UnsupportedMediaType(
              http.content_type,
              absl::StrCat("the body is field \"", body_field->name(),
                           "\", which a form cannot set; send JSON"));
        }
        target = message->GetReflection()->MutableMessage(message, body_field);
      }
      absl::StatusOr<std::vector<FormParameter>> params =
          ParseFormUrlEncoded(http.body, "form field");
      if (!params.ok()) return params.status();
      status = ApplyParameters(*params, "form field", BoundFields(),
                               binding.ignored_parameters, target);
    }
    if (!status.ok()) return status;
  }

  // Path variables after the body: for the same field the URL wins.
  for (const auto& [name, value] : binding.path_variables) {
    absl::StatusOr<FieldPath> path = ResolvePath(type, name, "path variable");
    if (!path.ok()) return BindingError(path.status().message());
    if (path->leaf()->is_repeated()) {
      return BindingError(
          absl::StrCat("path variable \"", name, "\" names a repeated field"));
    }
    Message* target = message;
    for (const FieldDescriptor* field : path->fields) {
      if (field == path->leaf()) break;
      target = target->GetReflection()->MutableMessage(target, field);
    }
    absl::Status status =
        SetLeaf(target, path->leaf(), value,
                absl::StrCat("path variable ", QuoteForError(name)));
    if (!status.ok()) return status;
    bound.path.push_back(path->canonical);
  }

  if (http.query.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<FormParameter>> params =
      ParseFormUrlEncoded(http.query, "query parameter");
  if (!params.ok()) return params.status();
  return ApplyParameters(*params, "query parameter", bound,
                         binding.ignored_parameters, message);
}

}  // namespace tokend::gateway
