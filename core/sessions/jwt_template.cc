#include "core/sessions/jwt_template.h"

#include <cmath>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/common/error_reason.h"
#include "core/jose/bounded_json.h"

namespace tokend::sessions {

using json = nlohmann::json;

// One `||` operand: a path into the context, or a constant (a literal, or a
// path that can only ever be null).
struct CompiledTemplate::Expression {
  enum class Source { kConstant, kUser, kSession };
  struct Operand {
    Source source = Source::kConstant;
    std::vector<std::string> segments;  // After the root name.
    json constant;
  };
  std::vector<Operand> operands;
};

// The claims, pre-parsed: subtrees without shortcodes are kept whole as
// constants, so Render only walks down to where shortcodes are.
struct CompiledTemplate::Node {
  enum class Kind { kConstant, kObject, kArray, kShortcode, kInterpolated };
  // Literal text, or (when `text` is empty and expression >= 0) a shortcode.
  struct Piece {
    std::string text;
    int expression = -1;
  };

  Kind kind = Kind::kConstant;
  json constant;                  // kConstant.
  std::vector<std::string> keys;  // kObject, sorted as in the parsed object.
  std::vector<Node> children;     // kObject (parallel to keys), kArray.
  int expression = -1;            // kShortcode.
  std::vector<Piece> pieces;      // kInterpolated.
  size_t text_bytes = 0;          // kInterpolated: sum of the texts.
};

namespace {

using Expression = CompiledTemplate::Expression;
using Node = CompiledTemplate::Node;

// The code travels twice: under kClerkCodePayload (this API) and as the
// generic reason that server/ turns into google.rpc.ErrorInfo.
absl::Status ClerkError(absl::string_view code, absl::string_view message) {
  absl::Status status = WithReason(absl::InvalidArgumentError(message), code);
  status.SetPayload(kClerkCodePayload, absl::Cord(code));
  return status;
}

absl::Status InvalidClaims(absl::string_view why) {
  return ClerkError(kInvalidClaimsCode, absl::StrCat("invalid claims: ", why));
}

// At most `max` bytes of `s`, cut on a UTF-8 character boundary so error
// messages stay valid UTF-8 (they end up in JSON responses).
absl::string_view Excerpt(absl::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// `expression` is the text after `{{`; `closed` says whether `}}` followed.
absl::Status InvalidShortcode(absl::string_view expression,
                              absl::string_view why, bool closed = true) {
  return ClerkError(kInvalidShortcodeCode,
                    absl::StrCat("invalid shortcode \"{{",
                                 Excerpt(expression, kMaxShortcodeBytes),
                                 closed ? "}}" : "", "\": ", why));
}

// ---------------------------------------------------------------------------
// Expressions.

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '_' || c == '-';
}

std::string Describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7F) return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrFormat("byte 0x%02X", u);
}

// Parses the text between `{{` and `}}`. Errors are the reason alone;
// `key` receives a canonical form of the expression for de-duplication.
class ExpressionParser {
 public:
  explicit ExpressionParser(absl::string_view text) : s_(text) {}

  absl::StatusOr<Expression> Parse(std::string* key) {
    Expression expression;
    SkipSpace();
    if (AtEnd()) return Error("empty shortcode");
    while (true) {
      if (expression.operands.size() == kMaxShortcodeOperands) {
        return Error(
            absl::StrCat("more than ", kMaxShortcodeOperands, " operands"));
      }
      absl::StatusOr<Expression::Operand> operand = ParseOperand(key);
      if (!operand.ok()) return operand.status();
      expression.operands.push_back(*std::move(operand));
      SkipSpace();
      if (AtEnd()) return expression;
      if (s_.substr(p_, 2) != "||") {
        return Error(absl::StrCat("unexpected ", Describe(s_[p_]),
                                  " (operands are joined by '||')"));
      }
      p_ += 2;
      SkipSpace();
      if (AtEnd()) return Error("expected an operand after '||'");
    }
  }

 private:
  bool AtEnd() const { return p_ >= s_.size(); }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(s_[p_])) ++p_;
  }
  static absl::Status Error(absl::string_view why) {
    return absl::InvalidArgumentError(why);
  }

  static void AppendKey(std::string* key, char kind, absl::string_view text) {
    absl::StrAppend(key, std::string(1, kind), text.size(), ":", text);
  }

  absl::StatusOr<Expression::Operand> ParseOperand(std::string* key) {
    const char c = s_[p_];
    if (c == '\'') return ParseString(key);
    if (c == '-' || IsDigit(c)) return ParseNumber(key);
    if (IsAlpha(c) || c == '_') return ParsePath(key);
    if (c == '"') {
      return Error("string literals take single quotes");
    }
    return Error(absl::StrCat("unexpected ", Describe(c)));
  }

  absl::StatusOr<Expression::Operand> ParseString(std::string* key) {
    ++p_;  // The opening quote.
    std::string value;
    while (!AtEnd()) {
      const char c = s_[p_];
      if (c == '\'') {
        ++p_;
        Expression::Operand operand;
        operand.constant = value;
        AppendKey(key, 's', value);
        return operand;
      }
      if (c == '\\') {
        if (p_ + 1 >= s_.size() || (s_[p_ + 1] != '\'' && s_[p_ + 1] != '\\')) {
          return Error(
              "unsupported escape in string literal (only \\' and \\\\)");
        }
        value.push_back(s_[p_ + 1]);
        p_ += 2;
        continue;
      }
      value.push_back(c);
      ++p_;
    }
    return Error("unterminated string literal");
  }

  absl::StatusOr<Expression::Operand> ParseNumber(std::string* key) {
    const size_t start = p_;
    while (!AtEnd() && (IsDigit(s_[p_]) || s_[p_] == '-' || s_[p_] == '+' ||
                        s_[p_] == '.' || s_[p_] == 'e' || s_[p_] == 'E')) {
      ++p_;
    }
    const absl::string_view text = s_.substr(start, p_ - start);
    // nlohmann's lexer is the JSON number grammar, and refuses overflow.
    json value = json::parse(text.begin(), text.end(), nullptr,
                             /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_number() ||
        (value.is_number_float() && !std::isfinite(value.get<double>()))) {
      return Error(absl::StrCat("invalid number literal '", text, "'"));
    }
    Expression::Operand operand;
    operand.constant = std::move(value);
    AppendKey(key, 'n', operand.constant.dump());
    return operand;
  }

  absl::StatusOr<Expression::Operand> ParsePath(std::string* key) {
    const size_t start = p_;
    std::vector<std::string> names;
    while (true) {
      const size_t name_start = p_;
      while (!AtEnd() && IsNameChar(s_[p_])) ++p_;
      if (p_ == name_start) return Error("expected a name after '.'");
      names.emplace_back(s_.substr(name_start, p_ - name_start));
      if (AtEnd() || s_[p_] != '.') break;
      ++p_;
    }
    const absl::string_view text = s_.substr(start, p_ - start);
    Expression::Operand operand;
    if (names.size() == 1 &&
        (text == "true" || text == "false" || text == "null")) {
      operand.constant = json::parse(text);  // Cannot fail.
      AppendKey(key, 'n', text);
      return operand;
    }
    AppendKey(key, 'p', text);
    // Only user.* and session.* can resolve; anything else is always null.
    if (names.size() < 2) return operand;
    if (names[0] == "user") {
      operand.source = Expression::Source::kUser;
    } else if (names[0] == "session") {
      operand.source = Expression::Source::kSession;
    } else {
      return operand;
    }
    operand.segments.assign(std::make_move_iterator(names.begin() + 1),
                            std::make_move_iterator(names.end()));
    return operand;
  }

  absl::string_view s_;
  size_t p_ = 0;
};

// ---------------------------------------------------------------------------
// Compilation of the claims tree.

class Compiler {
 public:
  explicit Compiler(std::vector<Expression>* expressions)
      : expressions_(expressions) {}

  absl::StatusOr<Node> Build(const json& value) {
    switch (value.type()) {
      case json::value_t::object:
        return BuildContainer(value, Node::Kind::kObject);
      case json::value_t::array:
        return BuildContainer(value, Node::Kind::kArray);
      case json::value_t::string:
        return BuildString(value.get_ref<const std::string&>());
      default: {
        // Scalars: the bounded parser yields finite numbers only.
        Node node;
        node.constant = value;
        return node;
      }
    }
  }

 private:
  absl::Status CountValue() {
    if (++values_ > kMaxTemplateValues) {
      return InvalidClaims(
          absl::StrCat("more than ", kMaxTemplateValues, " values"));
    }
    return absl::OkStatus();
  }

  static absl::Status CheckString(const std::string& s) {
    if (s.size() > kMaxTemplateStringBytes) {
      return InvalidClaims(absl::StrCat("a string is longer than ",
                                        kMaxTemplateStringBytes, " bytes"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Node> BuildContainer(const json& value, Node::Kind kind) {
    Node node;
    node.kind = kind;
    bool constant = true;
    auto add = [&](const json& child) -> absl::Status {
      absl::Status counted = CountValue();
      if (!counted.ok()) return counted;
      absl::StatusOr<Node> built = Build(child);
      if (!built.ok()) return built.status();
      constant = constant && built->kind == Node::Kind::kConstant;
      node.children.push_back(*std::move(built));
      return absl::OkStatus();
    };
    if (kind == Node::Kind::kObject) {
      for (const auto& [name, child] : value.get_ref<const json::object_t&>()) {
        absl::Status status = CheckString(name);
        if (status.ok()) status = add(child);
        if (!status.ok()) return status;
        node.keys.push_back(name);
      }
    } else {
      for (const json& child : value.get_ref<const json::array_t&>()) {
        absl::Status status = add(child);
        if (!status.ok()) return status;
      }
    }
    if (constant) {
      // Nothing to render below: copy the subtree whole at render time.
      Node whole;
      whole.constant = value;
      return whole;
    }
    return node;
  }

  absl::StatusOr<Node> BuildString(const std::string& s) {
    absl::Status status = CheckString(s);
    if (!status.ok()) return status;
    Node node;
    std::string text;
    size_t pos = 0;
    while (true) {
      const size_t open = s.find("{{", pos);
      if (open == std::string::npos) break;
      text.append(s, pos, open - pos);
      const size_t start = open + 2;
      absl::StatusOr<size_t> close = FindClose(s, start);
      if (!close.ok()) return close.status();
      absl::StatusOr<int> index =
          Intern(absl::string_view(s).substr(start, *close - start));
      if (!index.ok()) return index.status();
      if (!text.empty()) {
        node.text_bytes += text.size();
        node.pieces.push_back({std::move(text), -1});
        text.clear();
      }
      node.pieces.push_back({std::string(), *index});
      pos = *close + 2;
    }
    if (node.pieces.empty()) {
      node.constant = s;
      return node;
    }
    text.append(s, pos, std::string::npos);
    if (text.empty() && node.pieces.size() == 1) {
      node.kind = Node::Kind::kShortcode;
      node.expression = node.pieces[0].expression;
      node.pieces.clear();
      return node;
    }
    if (!text.empty()) {
      node.text_bytes += text.size();
      node.pieces.push_back({std::move(text), -1});
    }
    node.kind = Node::Kind::kInterpolated;
    return node;
  }

  // Where the `}}` closing the shortcode that starts at `start` is. Quoted
  // literals are skipped so that '}}' can be written inside one.
  static absl::StatusOr<size_t> FindClose(const std::string& s, size_t start) {
    bool quoted = false;
    size_t i = start;
    for (; i < s.size(); ++i) {
      if (i - start > kMaxShortcodeBytes) {
        return InvalidShortcode(
            absl::string_view(s).substr(start),
            absl::StrCat("longer than ", kMaxShortcodeBytes, " bytes"),
            /*closed=*/false);
      }
      const char c = s[i];
      if (quoted) {
        if (c == '\\') {
          ++i;
        } else if (c == '\'') {
          quoted = false;
        }
      } else if (c == '\'') {
        quoted = true;
      } else if (c == '}' && i + 1 < s.size() && s[i + 1] == '}') {
        break;
      }
    }
    if (i >= s.size()) {
      return InvalidShortcode(
          absl::string_view(s).substr(start),
          quoted ? "unterminated string literal" : "missing closing '}}'",
          /*closed=*/false);
    }
    if (i - start > kMaxShortcodeBytes) {
      return InvalidShortcode(
          absl::string_view(s).substr(start, i - start),
          absl::StrCat("longer than ", kMaxShortcodeBytes, " bytes"));
    }
    return i;
  }

  // Parses `text` and returns the index of its (de-duplicated) expression.
  absl::StatusOr<int> Intern(absl::string_view text) {
    std::string key;
    absl::StatusOr<Expression> parsed = ExpressionParser(text).Parse(&key);
    if (!parsed.ok()) return InvalidShortcode(text, parsed.status().message());
    auto [it, inserted] = index_.try_emplace(
        std::move(key), static_cast<int>(expressions_->size()));
    if (inserted) expressions_->push_back(*std::move(parsed));
    return it->second;
  }

  std::vector<Expression>* expressions_;
  absl::flat_hash_map<std::string, int> index_;
  size_t values_ = 0;
};

// ---------------------------------------------------------------------------
// Rendering.

const json& Null() {
  static const json* const kNull = new json(nullptr);
  return *kNull;
}

const json* Member(const json* object, absl::string_view name) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(std::string_view(name.data(), name.size()));
  return it == object->end() ? nullptr : &*it;
}

struct Roots {
  const json* user;
  const json* session;
};

const json& Resolve(const Expression::Operand& operand, const Roots& roots) {
  const json* at = nullptr;
  switch (operand.source) {
    case Expression::Source::kConstant:
      return operand.constant;
    case Expression::Source::kUser:
      at = roots.user;
      break;
    case Expression::Source::kSession:
      at = roots.session;
      break;
  }
  for (const std::string& segment : operand.segments) {
    at = Member(at, segment);
  }
  return at == nullptr ? Null() : *at;
}

const json& Evaluate(const Expression& expression, const Roots& roots) {
  const size_t last = expression.operands.size() - 1;
  for (size_t i = 0; i < last; ++i) {
    const json& value = Resolve(expression.operands[i], roots);
    const bool is_false = value.is_boolean() && !value.get<bool>();
    if (!value.is_null() && !is_false) return value;
  }
  return Resolve(expression.operands[last], roots);
}

void AppendText(const json& value, std::string* out) {
  switch (value.type()) {
    case json::value_t::string:
      out->append(value.get_ref<const std::string&>());
      return;
    case json::value_t::null:
      out->append("null");
      return;
    case json::value_t::boolean:
      out->append(value.get<bool>() ? "true" : "false");
      return;
    case json::value_t::number_integer:
      absl::StrAppend(out, value.get<json::number_integer_t>());
      return;
    case json::value_t::number_unsigned:
      absl::StrAppend(out, value.get<json::number_unsigned_t>());
      return;
    default:
      // Floats, objects, arrays: compact JSON. `replace` because dump()
      // throws on invalid UTF-8 in caller-supplied strings.
      out->append(value.dump(-1, ' ', false, json::error_handler_t::replace));
      return;
  }
}

using Values = absl::InlinedVector<const json*, 16>;

json RenderNode(const Node& node, const Values& values) {
  switch (node.kind) {
    case Node::Kind::kConstant:
      return node.constant;
    case Node::Kind::kShortcode:
      return *values[node.expression];
    case Node::Kind::kInterpolated: {
      std::string out;
      out.reserve(node.text_bytes + 32 * node.pieces.size());
      for (const Node::Piece& piece : node.pieces) {
        if (piece.expression < 0) {
          out.append(piece.text);
        } else {
          AppendText(*values[piece.expression], &out);
        }
      }
      return json(std::move(out));
    }
    case Node::Kind::kObject: {
      json out = json::object();
      auto& members = out.get_ref<json::object_t&>();
      // Keys come sorted from the parsed object: each insert is at the end.
      for (size_t i = 0; i < node.children.size(); ++i) {
        members.emplace_hint(members.end(), node.keys[i],
                             RenderNode(node.children[i], values));
      }
      return out;
    }
    case Node::Kind::kArray: {
      json out = json::array();
      auto& elements = out.get_ref<json::array_t&>();
      elements.reserve(node.children.size());
      for (const Node& child : node.children) {
        elements.push_back(RenderNode(child, values));
      }
      return out;
    }
  }
  return nullptr;  // Unreachable.
}

}  // namespace

std::optional<std::string> ClerkCodeOf(const absl::Status& status) {
  auto code = status.GetPayload(kClerkCodePayload);  // absl::optional here.
  if (!code.has_value()) return std::nullopt;
  return std::string(*code);
}

absl::StatusOr<CompiledTemplate> CompiledTemplate::Compile(
    absl::string_view claims_json) {
  jose::JsonLimits limits;
  limits.max_bytes = kMaxTemplateClaimsBytes;
  limits.max_depth = kMaxTemplateDepth;
  absl::StatusOr<json> claims = jose::ParseJsonObject(claims_json, limits);
  if (!claims.ok()) return InvalidClaims(claims.status().message());

  for (const char* reserved : kReservedClaims) {
    if (claims->contains(reserved)) {
      return ClerkError(
          kReservedClaimCode,
          absl::StrCat("You can't use the reserved claim: '", reserved, "'"));
    }
  }

  CompiledTemplate compiled;
  Compiler compiler(&compiled.expressions_);
  absl::StatusOr<Node> root = compiler.Build(*claims);
  if (!root.ok()) return root.status();
  *compiled.root_ = *std::move(root);
  return compiled;
}

json CompiledTemplate::Render(const json& context) const {
  const Roots roots = {Member(&context, "user"), Member(&context, "session")};
  Values values(expressions_.size());
  for (size_t i = 0; i < expressions_.size(); ++i) {
    values[i] = &Evaluate(expressions_[i], roots);
  }
  return RenderNode(*root_, values);
}

size_t CompiledTemplate::shortcode_count() const { return expressions_.size(); }

CompiledTemplate::CompiledTemplate() : root_(std::make_unique<Node>()) {}
CompiledTemplate::~CompiledTemplate() = default;
CompiledTemplate::CompiledTemplate(CompiledTemplate&&) noexcept = default;
CompiledTemplate& CompiledTemplate::operator=(CompiledTemplate&&) noexcept =
    default;
CompiledTemplate::CompiledTemplate(const CompiledTemplate& other)
    : expressions_(other.expressions_),
      root_(std::make_unique<Node>(*other.root_)) {}
CompiledTemplate& CompiledTemplate::operator=(const CompiledTemplate& other) {
  if (this != &other) {
    expressions_ = other.expressions_;
    root_ = std::make_unique<Node>(*other.root_);
  }
  return *this;
}

}  // namespace tokend::sessions
