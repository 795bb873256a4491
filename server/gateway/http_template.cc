#include "server/gateway/http_template.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tokend::gateway {
namespace {

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

// Recursive descent over the grammar in the header. Every production either
// consumes input or fails, and nesting is at most two levels (template ->
// variable), so the parse is linear in the (bounded) input.
class Parser {
 public:
  explicit Parser(absl::string_view in) : in_(in) {}

  absl::StatusOr<HttpTemplate> Parse() && {
    if (in_.empty() || in_[0] != '/') return Error("must start with '/'");
    ++pos_;
    if (absl::Status s = ParseSegments(/*in_variable=*/false); !s.ok()) {
      return s;
    }
    if (Peek(':')) {
      ++pos_;
      if (absl::Status s = ParseLiteral(&out_.verb, "custom verb"); !s.ok()) {
        return s;
      }
      if (!AtEnd()) return Error("the custom verb must end the template");
    }
    if (!AtEnd()) {
      return Error(in_[pos_] == '}' ? "'}' without a matching '{'"
                                    : "unexpected character after a segment");
    }
    for (size_t i = 0; i + 1 < out_.segments.size(); ++i) {
      if (out_.segments[i] == "**") {
        return ErrorNoOffset("'**' is allowed only as the last segment");
      }
    }
    return std::move(out_);
  }

 private:
  bool AtEnd() const { return pos_ >= in_.size(); }
  bool Peek(char c) const { return !AtEnd() && in_[pos_] == c; }
  // End of a segment: end of input, or a character that separates segments.
  bool AtSegmentEnd() const {
    return AtEnd() || Peek('/') || Peek(':') || Peek('}');
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path template \"", absl::CHexEscape(in_),
                     "\": ", what, " at offset ", pos_));
  }
  absl::Status ErrorNoOffset(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid path template \"", absl::CHexEscape(in_), "\": ", what));
  }

  absl::Status ParseSegments(bool in_variable) {
    for (;;) {
      if (absl::Status s = ParseSegment(in_variable); !s.ok()) return s;
      if (out_.segments.size() > kMaxTemplateSegments) {
        return Error(
            absl::StrCat("more than ", kMaxTemplateSegments, " segments"));
      }
      if (!Peek('/')) return absl::OkStatus();
      ++pos_;
    }
  }

  absl::Status ParseSegment(bool in_variable) {
    if (AtSegmentEnd()) return Error("empty segment");
    if (Peek('*')) {
      ++pos_;
      bool multi = Peek('*');
      if (multi) ++pos_;
      if (!AtSegmentEnd()) {
        return Error("'*' and '**' must be whole segments");
      }
      out_.segments.push_back(multi ? "**" : "*");
      return absl::OkStatus();
    }
    if (Peek('{')) {
      if (in_variable) return Error("nested variables are not allowed");
      return ParseVariable();
    }
    std::string literal;
    if (absl::Status s = ParseLiteral(&literal, "literal"); !s.ok()) return s;
    if (!AtSegmentEnd()) {
      if (Peek('{') || Peek('*')) {
        return Error("variables and wildcards must be whole segments");
      }
      return Error(absl::StrCat("character '",
                                absl::CHexEscape(in_.substr(pos_, 1)),
                                "' is not allowed in a literal"));
    }
    if (literal == "." || literal == "..") {
      return Error("'.' and '..' segments never match a request path");
    }
    out_.segments.push_back(std::move(literal));
    return absl::OkStatus();
  }

  absl::Status ParseLiteral(std::string* out, absl::string_view what) {
    size_t start = pos_;
    while (!AtEnd() && IsTemplateLiteralChar(in_[pos_])) ++pos_;
    if (pos_ == start) {
      return Error(AtEnd() ? absl::StrCat("empty ", what)
                           : absl::StrCat("character '",
                                          absl::CHexEscape(in_.substr(pos_, 1)),
                                          "' is not allowed in a ", what));
    }
    out->assign(in_.data() + start, pos_ - start);
    return absl::OkStatus();
  }

  absl::Status ParseVariable() {
    ++pos_;  // '{'
    HttpTemplate::Variable var;
    if (absl::Status s = ParseFieldPath(&var.field_path); !s.ok()) return s;
    std::string name = absl::StrJoin(var.field_path, ".");
    if (!names_.insert(name).second) {
      return Error(absl::StrCat("variable \"", name, "\" is bound twice"));
    }
    var.start_segment = static_cast<int>(out_.segments.size());
    if (Peek('=')) {
      ++pos_;
      if (absl::Status s = ParseSegments(/*in_variable=*/true); !s.ok()) {
        return s;
      }
    } else {
      out_.segments.push_back("*");
    }
    if (!Peek('}')) {
      return Error(AtEnd() ? "unterminated variable (missing '}')"
                           : "expected '}' to close the variable");
    }
    ++pos_;
    var.end_segment = out_.EndsWithMultiWildcard()
                          ? HttpTemplate::kToEndOfPath
                          : static_cast<int>(out_.segments.size());
    out_.variables.push_back(std::move(var));
    return absl::OkStatus();
  }

  absl::Status ParseFieldPath(std::vector<std::string>* path) {
    for (;;) {
      if (AtEnd() || !IsIdentStart(in_[pos_])) {
        return Error("expected a field name");
      }
      size_t start = pos_;
      while (!AtEnd() && IsIdentChar(in_[pos_])) ++pos_;
      path->emplace_back(in_.substr(start, pos_ - start));
      if (!Peek('.')) return absl::OkStatus();
      ++pos_;
    }
  }

  absl::string_view in_;
  size_t pos_ = 0;
  HttpTemplate out_;
  absl::flat_hash_set<std::string> names_;
};

}  // namespace

bool IsTemplateLiteralChar(char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '+':
    case ',':
    case ';':
      return true;
    default:
      return false;
  }
}

absl::StatusOr<HttpTemplate> ParseHttpTemplate(absl::string_view path) {
  if (path.size() > kMaxTemplateBytes) {
    // Not echoed: the message should stay short whatever the input.
    return absl::InvalidArgumentError(
        absl::StrCat("invalid path template: longer than ", kMaxTemplateBytes,
                     " bytes (", path.size(), ")"));
  }
  return Parser(path).Parse();
}

}  // namespace tokend::gateway
