#include "server/json_struct.h"

namespace tokend::server {

void JsonToStruct(const nlohmann::json& json, google::protobuf::Struct* out) {
  if (!json.is_object()) return;
  auto* fields = out->mutable_fields();
  for (const auto& [key, value] : json.items()) {
    JsonToValue(value, &(*fields)[key]);
  }
}

void JsonToValue(const nlohmann::json& json, google::protobuf::Value* out) {
  switch (json.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return;
    case nlohmann::json::value_t::boolean:
      out->set_bool_value(json.get<bool>());
      return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      out->set_number_value(json.get<double>());
      return;
    case nlohmann::json::value_t::string:
      out->set_string_value(json.get_ref<const std::string&>());
      return;
    case nlohmann::json::value_t::array:
      for (const auto& item : json) {
        JsonToValue(item, out->mutable_list_value()->add_values());
      }
      if (json.empty()) out->mutable_list_value();
      return;
    case nlohmann::json::value_t::object:
      JsonToStruct(json, out->mutable_struct_value());
      return;
    case nlohmann::json::value_t::binary:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return;
  }
}

}  // namespace tokend::server
