// nlohmann's strict SAX parser, what the gateway's general path checks JSON
// bodies with, as the oracle for server/gateway/flat_json (its unit test and
// fuzzer): how nlohmann reads an input, top-level members in order with
// duplicates kept.
#ifndef TOKEND_TESTS_SERVER_GATEWAY_FLAT_JSON_ORACLE_H_
#define TOKEND_TESTS_SERVER_GATEWAY_FLAT_JSON_ORACLE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace tokend::gateway::flat_json_oracle {

using JsonMembers = std::vector<std::pair<std::string, std::string>>;

struct NlohmannReading {
  bool valid = false;  // strict JSON to nlohmann
  bool flat = false;   // an object whose values are all strings
  JsonMembers members;
};

inline NlohmannReading ReadWithNlohmann(const std::string& json) {
  class Collector : public nlohmann::json_sax<nlohmann::json> {
   public:
    bool null() override { return NotFlat(); }
    bool boolean(bool) override { return NotFlat(); }
    bool number_integer(number_integer_t) override { return NotFlat(); }
    bool number_unsigned(number_unsigned_t) override { return NotFlat(); }
    bool number_float(number_float_t, const string_t&) override {
      return NotFlat();
    }
    bool string(string_t& value) override {
      if (depth_ == 0) flat = false;  // a bare string
      if (depth_ == 1 && !members.empty()) members.back().second = value;
      return true;
    }
    bool binary(binary_t&) override { return NotFlat(); }
    bool start_object(std::size_t) override {
      if (depth_ > 0) flat = false;
      ++depth_;
      return true;
    }
    bool end_object() override {
      --depth_;
      return true;
    }
    bool start_array(std::size_t) override {
      flat = false;
      ++depth_;
      return true;
    }
    bool end_array() override {
      --depth_;
      return true;
    }
    bool key(string_t& key) override {
      if (depth_ == 1) members.emplace_back(key, "");
      return true;
    }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception&) override {
      return false;
    }

    JsonMembers members;
    bool flat = true;

   private:
    bool NotFlat() {
      flat = false;
      return true;
    }
    int depth_ = 0;
  };
  Collector collector;
  NlohmannReading reading;
  reading.valid = nlohmann::json::sax_parse(json, &collector);
  reading.flat = reading.valid && collector.flat;
  reading.members = std::move(collector.members);
  return reading;
}

}  // namespace tokend::gateway::flat_json_oracle

#endif  // TOKEND_TESTS_SERVER_GATEWAY_FLAT_JSON_ORACLE_H_
