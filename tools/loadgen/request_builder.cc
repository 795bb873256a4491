#include "tools/loadgen/request_builder.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/support/slice.h"

namespace tokend::loadgen {

absl::StatusOr<std::string> JsonToMessageBytes(
    const google::protobuf::Descriptor& type, absl::string_view json) {
  if (absl::StripAsciiWhitespace(json).empty()) json = "{}";
  google::protobuf::DynamicMessageFactory factory(type.file()->pool());
  const google::protobuf::Message* prototype = factory.GetPrototype(&type);
  if (prototype == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot build messages of type ", type.full_name()));
  }
  std::unique_ptr<google::protobuf::Message> message(prototype->New());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), message.get(),
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--request is not a valid ", type.full_name(), " in JSON: ",
        absl::string_view(status.message().data(), status.message().size())));
  }
  std::string bytes;
  if (!message->SerializeToString(&bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot serialize the ", type.full_name(),
                     " request (missing required fields?)"));
  }
  return bytes;
}

grpc::ByteBuffer MakeByteBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace tokend::loadgen
