#include "server/gateway/flat_json.h"

#include <cstdint>
#include <string>

#include "server/gateway/utf8.h"

namespace tokend::gateway {
namespace {

class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}

  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' ||
                                 in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Take(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool AtEnd() const { return pos_ == in_.size(); }

  // A JSON string (RFC 8259 §7) into *out: escapes decoded, raw bytes
  // well-formed UTF-8 (Unicode table 3-7), no raw control characters.
  bool String(std::string* out) {
    if (!Take('"')) return false;
    out->clear();
    while (pos_ < in_.size()) {
      // Copy the plain run in one append.
      size_t run = pos_;
      while (run < in_.size()) {
        const unsigned char c = in_[run];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out->append(in_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ == in_.size()) return false;
      const unsigned char c = in_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (!Escape(out)) return false;
      } else if (!Utf8(out)) {
        return false;
      }
    }
    return false;
  }

 private:
  bool Escape(std::string* out) {
    ++pos_;  // the backslash
    if (pos_ == in_.size()) return false;
    const char c = in_[pos_++];
    switch (c) {
      case '"':
        out->push_back('"');
        return true;
      case '\\':
        out->push_back('\\');
        return true;
      case '/':
        out->push_back('/');
        return true;
      case 'b':
        out->push_back('\b');
        return true;
      case 'f':
        out->push_back('\f');
        return true;
      case 'n':
        out->push_back('\n');
        return true;
      case 'r':
        out->push_back('\r');
        return true;
      case 't':
        out->push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    uint32_t cp;
    if (!Hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a lone low surrogate
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!Take('\\') || !Take('u') || !Hex4(&low) || low < 0xDC00 ||
          low > 0xDFFF) {
        return false;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, out);
    return true;
  }

  bool Hex4(uint32_t* cp) {
    if (in_.size() - pos_ < 4) return false;
    *cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = in_[pos_++];
      uint32_t v;
      if (h >= '0' && h <= '9') {
        v = h - '0';
      } else if (h >= 'a' && h <= 'f') {
        v = h - 'a' + 10;
      } else if (h >= 'A' && h <= 'F') {
        v = h - 'A' + 10;
      } else {
        return false;
      }
      *cp = (*cp << 4) | v;
    }
    return true;
  }

  // One well-formed multi-byte UTF-8 sequence, copied as it is.
  bool Utf8(std::string* out) {
    uint32_t cp;
    size_t len;
    if (!DecodeUtf8(in_, pos_, &cp, &len)) return false;
    out->append(in_.data() + pos_, len);
    pos_ += len;
    return true;
  }

  absl::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

bool ParseFlatJsonObject(
    absl::string_view json,
    std::vector<std::pair<std::string, std::string>>* members) {
  members->clear();
  Reader r(json);
  r.SkipSpace();
  if (!r.Take('{')) return false;
  r.SkipSpace();
  if (!r.Take('}')) {
    do {
      r.SkipSpace();
      std::pair<std::string, std::string> member;
      if (!r.String(&member.first)) return false;
      r.SkipSpace();
      if (!r.Take(':')) return false;
      r.SkipSpace();
      if (!r.String(&member.second)) return false;
      members->push_back(std::move(member));
      r.SkipSpace();
    } while (r.Take(','));
    if (!r.Take('}')) return false;
  }
  r.SkipSpace();
  return r.AtEnd();
}

}  // namespace tokend::gateway
