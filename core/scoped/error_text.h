// Untrusted text in error messages of core/scoped. server/gateway has the same
// helper (form_urlencoded.h), but core/ must not depend on server/.
#ifndef TOKEND_CORE_SCOPED_ERROR_TEXT_H_
#define TOKEND_CORE_SCOPED_ERROR_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tokend::scoped {

// Bytes of untrusted text shown in an error message.
inline constexpr size_t kMaxQuotedBytes = 64;

// `text` double-quoted and C-escaped (so control bytes and invalid UTF-8
// cannot reach a log or a JSON error body raw), cut to kMaxQuotedBytes with
// "..." before the closing quote.
inline std::string QuoteForError(absl::string_view text) {
  if (text.size() <= kMaxQuotedBytes) {
    return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuotedBytes)),
                      "...\"");
}

}  // namespace tokend::scoped

#endif  // TOKEND_CORE_SCOPED_ERROR_TEXT_H_
