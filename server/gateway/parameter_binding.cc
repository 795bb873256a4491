#include "server/gateway/parameter_binding.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/gateway/field_path.h"
#include "server/gateway/leaf_value.h"

namespace tokend::gateway {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;
using ::google::protobuf::OneofDescriptor;
using ::google::protobuf::Reflection;

namespace {

// True when `name` is one of the binding's ignored parameters. A linear scan:
// the lists are a handful of names, and most names differ in length.
bool IsIgnored(absl::Span<const std::string> ignored, absl::string_view name) {
  for (const std::string& candidate : ignored) {
    if (candidate == name) return true;
  }
  return false;
}

}  // namespace

absl::Status ApplyParameters(const std::vector<FormParameter>& params,
                             absl::string_view noun, const BoundFields& bound,
                             absl::Span<const std::string> ignored,
                             Message* message) {
  absl::flat_hash_set<std::string> seen;  // non-repeated fields set so far
  for (const FormParameter& param : params) {
    // Before every other rule, the body "*" one included.
    if (IsIgnored(ignored, param.name)) continue;
    const std::string what = absl::StrCat(noun, " ", QuoteForError(param.name));
    if (bound.everything) {
      return UnknownParameter(
          absl::StrCat(what,
                       " is not allowed: the request body binds every field"),
          param.name);
    }
    absl::StatusOr<FieldPath> path =
        ResolvePath(message->GetDescriptor(), param.name, noun);
    if (!path.ok()) return path.status();
    if (!bound.body_field.empty() &&
        Overlaps(path->canonical, bound.body_field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " is not allowed: field \"", path->canonical,
                       "\" is bound by the request body"));
    }
    for (const std::string& bound_path : bound.path) {
      if (Overlaps(path->canonical, bound_path)) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, " is not allowed: field \"", bound_path,
                         "\" is bound by the URL path"));
      }
    }
    if (!path->leaf()->is_repeated() && !seen.insert(path->canonical).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " given more than once for non-repeated field \"",
                       path->canonical, "\""));
    }
    Message* target = message;
    std::string prefix;
    for (const FieldDescriptor* field : path->fields) {
      const Reflection* r = target->GetReflection();
      if (const OneofDescriptor* oneof = field->real_containing_oneof()) {
        const FieldDescriptor* set = r->GetOneofFieldDescriptor(*target, oneof);
        if (set != nullptr && set != field) {
          return absl::InvalidArgumentError(absl::StrCat(
              what, " conflicts with field \"", prefix, set->name(),
              "\": both are in oneof \"", prefix, oneof->name(), "\""));
        }
      }
      if (field == path->leaf()) break;
      absl::StrAppend(&prefix, field->name(), ".");
      target = r->MutableMessage(target, field);
    }
    absl::Status status = SetLeaf(target, path->leaf(), param.value, what);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

enum class BodyFormat { kJson, kForm };

}  // namespace tokend::gateway
