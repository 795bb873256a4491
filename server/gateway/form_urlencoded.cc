#include "server/gateway/form_urlencoded.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokend::gateway {
namespace {}  // namespace

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string QuoteForError(absl::string_view text) {
  constexpr size_t kMaxShown = 64;
  if (text.size() <= kMaxShown) {
    return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxShown)),
                      "...\"");
}

bool PercentDecode(absl::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (in.size() - i < 3) return false;
      const int hi = HexDigitValue(in[i + 1]);
      const int lo = HexDigitValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

absl::StatusOr<std::vector<FormParameter>> ParseFormUrlEncoded(
    absl::string_view encoded, absl::string_view noun) {
  std::vector<absl::string_view> pieces =
      absl::StrSplit(encoded, '&', absl::SkipEmpty());
  if (pieces.size() > kMaxFormParameters) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many ", noun, "s (limit ", kMaxFormParameters, ")"));
  }
  std::vector<FormParameter> params;
  params.reserve(pieces.size());
  for (absl::string_view piece : pieces) {
    const size_t eq = piece.find('=');
    const absl::string_view raw_name = piece.substr(0, eq);
    const absl::string_view raw_value = eq == absl::string_view::npos
                                            ? absl::string_view()
                                            : piece.substr(eq + 1);
    FormParameter param;
    if (!PercentDecode(raw_name, true, &param.name) ||
        !PercentDecode(raw_value, true, &param.value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed percent-encoding in ", noun, " ",
                       QuoteForError(raw_name)));
    }
    if (param.name.size() > kMaxParameterNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          noun, " name longer than ", kMaxParameterNameBytes, " bytes"));
    }
    if (param.name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("empty ", noun, " name"));
    }
    params.push_back(std::move(param));
  }
  return params;
}

}  // namespace tokend::gateway
