// libFuzzer target: server/gateway/flat_json against nlohmann's strict SAX
// parser (what the gateway's general path uses), in both directions:
//   - whatever ParseFlatJsonObject accepts, nlohmann accepts, as an object
//     whose top-level members (in order, duplicates kept) are the same
//     strings;
//   - whatever nlohmann accepts as an object of only string values,
//     ParseFlatJsonObject accepts too, so the fast path is never silently
//     lost; except where nlohmann is lenient and the flat reader strict on
//     purpose: a leading BOM (nlohmann skips it, protobuf does not) and a
//     raw NUL byte, which nlohmann takes as the end of the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "server/gateway/flat_json.h"

namespace {

using Members = std::vector<std::pair<std::string, std::string>>;

// Top-level members of an object, and whether every value is a string.
class Collector : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override {
    return Value();
  }
  bool string(string_t& value) override {
    if (depth_ == 0) flat = false;  // a bare string
    if (depth_ == 1 && !members.empty()) members.back().second = value;
    return true;
  }
  bool binary(binary_t&) override { return Value(); }
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

  Members members;
  bool flat = true;

 private:
  bool Value() {
    flat = false;
    return true;
  }
  int depth_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  Members got;
  const bool accepted = tokend::gateway::ParseFlatJsonObject(json, &got);
  Collector oracle;
  const bool valid = nlohmann::json::sax_parse(json, &oracle);
  if (accepted && (!valid || !oracle.flat || got != oracle.members)) abort();
  const bool lenient =
      json.find('\0') != std::string::npos ||
      (json.size() >= 3 && json.compare(0, 3, "\xEF\xBB\xBF") == 0);
  if (valid && oracle.flat && !lenient && !accepted) abort();
  return 0;
}
