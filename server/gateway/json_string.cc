#include "server/gateway/json_string.h"

#include <cstdint>

#include "server/gateway/utf8.h"

namespace tokend::gateway {
namespace {

// Lower-case hex, as protobuf's JsonEscaping writes \uXXXX.
constexpr char kHexDigits[] = "0123456789abcdef";

void AppendU16Escape(uint32_t unit, std::string* out) {
  const char escaped[6] = {'\\',
                           'u',
                           kHexDigits[(unit >> 12) & 0xf],
                           kHexDigits[(unit >> 8) & 0xf],
                           kHexDigits[(unit >> 4) & 0xf],
                           kHexDigits[unit & 0xf]};
  out->append(escaped, sizeof(escaped));
}

// ASCII that protobuf 3.21's JsonEscaping copies as is: everything printable
// but '"', '\\' and (for HTML) '<' and '>'. '&', '=', '\'' and '/' stay. A
// table: this is the inner loop over every byte of a token.
struct PlainAscii {
  bool is[256] = {};
  constexpr PlainAscii() {
    for (int c = 0x20; c < 0x7f; ++c) {
      is[c] = c != '"' && c != '\\' && c != '<' && c != '>';
    }
  }
};
constexpr PlainAscii kPlainAscii;

// The other ASCII characters, as JsonEscaping's kCommonEscapes table writes
// them: the short escapes \b \t \n \f \r \" \\, else \u00XX (the C0
// controls, NUL included, '<', '>' and DEL).
void AppendAsciiEscape(unsigned char c, std::string* out) {
  switch (c) {
    case '\b':
      out->append("\\b");
      break;
    case '\t':
      out->append("\\t");
      break;
    case '\n':
      out->append("\\n");
      break;
    case '\f':
      out->append("\\f");
      break;
    case '\r':
      out->append("\\r");
      break;
    case '"':
      out->append("\\\"");
      break;
    case '\\':
      out->append("\\\\");
      break;
    default:
      AppendU16Escape(c, out);
  }
}

// The non-ASCII code points JsonEscaping escapes (its EscapeCodePoint): the
// C1 controls and the invisible or formatting characters it lists to keep
// JavaScript safe, U+2028 and U+2029 among them.
bool NeedsEscape(uint32_t cp) {
  switch (cp) {
    case 0x00ad:  // soft hyphen
    case 0x06dd:
    case 0x070f:
    case 0x17b4:
    case 0x17b5:
    case 0xfeff:  // zero width no-break space (BOM)
    case 0xfff9:
    case 0xfffa:
    case 0xfffb:
    case 0xe0001:
      return true;
    default:
      return cp < 0xa0 || (cp >= 0x0600 && cp <= 0x0603) ||
             (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
             (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x206a && cp <= 0x206f) ||
             (cp >= 0x1d173 && cp <= 0x1d17a) ||
             (cp >= 0xe0020 && cp <= 0xe007f);
  }
}

// The shared body: false (lossy: never) on invalid UTF-8.
bool AppendQuoted(absl::string_view s, std::string* out, bool lossy) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const size_t run = i;  // copy what needs no escaping in one go
    while (i < s.size() && kPlainAscii.is[static_cast<unsigned char>(s[i])]) {
      ++i;
    }
    out->append(s.data() + run, i - run);
    if (i == s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      AppendAsciiEscape(c, out);
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len;
    // Stricter than protobuf's reader on purpose: it accepts some malformed
    // sequences and silently drops the bytes of others; PrintSlow decides.
    if (!DecodeUtf8(s, i, &cp, &len)) {
      if (!lossy) return false;
      AppendU16Escape(0xfffd, out);  // the replacement character
      ++i;
      continue;
    }
    if (!NeedsEscape(cp)) {
      out->append(s.data() + i, len);
    } else if (cp < 0x10000) {
      AppendU16Escape(cp, out);
    } else {  // as a UTF-16 surrogate pair
      AppendU16Escape(0xd800 + ((cp - 0x10000) >> 10), out);
      AppendU16Escape(0xdc00 + ((cp - 0x10000) & 0x3ff), out);
    }
    i += len;
  }
  out->push_back('"');
  return true;
}

}  // namespace

bool AppendJsonString(absl::string_view s, std::string* out) {
  return AppendQuoted(s, out, /*lossy=*/false);
}

void AppendJsonStringLossy(absl::string_view s, std::string* out) {
  AppendQuoted(s, out, /*lossy=*/true);
}

}  // namespace tokend::gateway
