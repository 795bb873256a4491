// nlohmann::json -> google.protobuf.Struct/Value, directly. protobuf's
// JsonStringToMessage builds a type resolver per call, which cost more than
// the signature check on the Verify path.
#ifndef TOKEND_SERVER_JSON_STRUCT_H_
#define TOKEND_SERVER_JSON_STRUCT_H_

#include <google/protobuf/struct.pb.h>

#include <nlohmann/json.hpp>

namespace tokend::server {

// `json` must be an object; other values yield an empty Struct.
void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out);
void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out);

}  // namespace tokend::server

#endif  // TOKEND_SERVER_JSON_STRUCT_H_
