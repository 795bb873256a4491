#include "server/gateway/content_type.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/gateway/form_urlencoded.h"

namespace tokend::gateway {
namespace {

constexpr absl::string_view kUnsupportedMediaTypeUrl =
    "type.googleapis.com/tokend.gateway.UnsupportedMediaType";

bool LooksLikeJson(absl::string_view body) {
  body = absl::StripLeadingAsciiWhitespace(body);
  return !body.empty() && (body.front() == '{' || body.front() == '[');
}

}  // namespace

absl::StatusOr<BodyFormat> ParseContentType(absl::string_view raw,
                                            absl::string_view body) {
  const std::vector<absl::string_view> parts = absl::StrSplit(raw, ';');
  const absl::string_view media = absl::StripAsciiWhitespace(parts[0]);
  const BodyFormat format =
      absl::EqualsIgnoreCase(media, "application/x-www-form-urlencoded") &&
              !LooksLikeJson(body)
          ? BodyFormat::kForm
          : BodyFormat::kJson;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> param =
        absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(param.first),
                                "charset")) {
      continue;
    }
    absl::string_view charset = absl::StripAsciiWhitespace(param.second);
    if (charset.size() >= 2 && charset.front() == '"' &&
        charset.back() == '"') {
      charset = charset.substr(1, charset.size() - 2);
    }
    if (!absl::EqualsIgnoreCase(charset, "utf-8")) {
      return UnsupportedMediaType(raw, "the charset must be utf-8");
    }
  }
  return format;
}

absl::Status UnsupportedMediaType(absl::string_view content_type,
                                  absl::string_view why) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(
      "unsupported Content-Type ", QuoteForError(content_type), ": ", why));
  status.SetPayload(kUnsupportedMediaTypeUrl, absl::Cord());
  return status;
}

bool IsUnsupportedMediaType(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument &&
         status.GetPayload(kUnsupportedMediaTypeUrl).has_value();
}

}  // namespace tokend::gateway
