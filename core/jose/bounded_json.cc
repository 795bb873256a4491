#include "core/jose/bounded_json.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokend::jose {
namespace {

using json = nlohmann::json;

// A SAX consumer that builds the DOM itself so it can stop at the first
// duplicate name or excess depth (nlohmann's own DOM builder keeps the last
// duplicate silently, and its callback API cannot abort).
class BoundedDomBuilder {
 public:
  explicit BoundedDomBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() { return Add(json(nullptr)); }
  bool boolean(bool v) { return Add(json(v)); }
  bool number_integer(json::number_integer_t v) { return Add(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Add(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) {
    return Add(json(v));
  }
  bool string(json::string_t& v) { return Add(json(std::move(v))); }
  bool binary(json::binary_t&) { return Fail("binary values not allowed"); }

  bool start_object(std::size_t) { return Open(json::object()); }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_array() { return Close(); }

  bool key(json::string_t& name) {
    // Reserve the member now: one map lookup finds duplicates and the slot.
    auto [it, inserted] = stack_.back()->emplace(std::move(name), nullptr);
    if (!inserted) return Fail("duplicate member name");
    slot_ = &it.value();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception&) {
    return Fail(absl::StrCat("invalid JSON at byte ", position));
  }

  const std::string& error() const { return error_; }
  json& root() { return root_; }

 private:
  bool Fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // Places `value` in the current container; returns where it now lives.
  json* Place(json&& value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(value));
      return &top->back();
    }
    *slot_ = std::move(value);
    return slot_;
  }

  bool Add(json&& value) {
    Place(std::move(value));
    return true;
  }

  bool Open(json&& container) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      return Fail("JSON nested too deeply");
    }
    stack_.push_back(Place(std::move(container)));
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  const int max_depth_;
  json root_;
  std::vector<json*> stack_;
  json* slot_ = nullptr;  // The member key() reserved in the current object.
  std::string error_;
};

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    unsigned char lo = 0x80, hi = 0xBF;  // Bounds for the second byte.
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;  // Overlong.
      if (c == 0xED) hi = 0x9F;  // Surrogates.
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;  // Overlong.
      if (c == 0xF4) hi = 0x8F;  // Above U+10FFFF.
    } else {
      return false;
    }
    if (end - p <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += n + 1;
  }
  return true;
}

void AppendJsonString(absl::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t plain = 0;  // Start of the bytes not yet copied.
  for (size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out->append(s.data() + plain, i - plain);
    plain = i + 1;
    out->push_back('\\');
    switch (u) {
      case '"':
      case '\\':
        out->push_back(static_cast<char>(u));
        break;
      case '\b':
        out->push_back('b');
        break;
      case '\f':
        out->push_back('f');
        break;
      case '\n':
        out->push_back('n');
        break;
      case '\r':
        out->push_back('r');
        break;
      case '\t':
        out->push_back('t');
        break;
      default:
        out->append("u00");
        out->push_back(kHex[u >> 4]);
        out->push_back(kHex[u & 0xf]);
    }
  }
  out->append(s.data() + plain, s.size() - plain);
  out->push_back('"');
}

absl::StatusOr<nlohmann::json> ParseJsonValue(absl::string_view text,
                                              const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON exceeds ", limits.max_bytes, " bytes"));
  }
  // nlohmann skips a byte order mark; RFC 8259 §8.1 lets us refuse it.
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    return absl::InvalidArgumentError("JSON starts with a byte order mark");
  }
  BoundedDomBuilder builder(limits.max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder,
                         json::input_format_t::json, /*strict=*/true);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    return absl::InvalidArgumentError(builder.error().empty()
                                          ? std::string("invalid JSON")
                                          : builder.error());
  }
  return std::move(builder.root());
}

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view text,
                                               const JsonLimits& limits) {
  auto parsed = ParseJsonValue(text, limits);
  if (!parsed.ok()) return parsed;
  if (!parsed->is_object()) {
    return absl::InvalidArgumentError("JSON value is not an object");
  }
  return parsed;
}

}  // namespace tokend::jose
