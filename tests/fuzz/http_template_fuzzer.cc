// libFuzzer target: ParseHttpTemplate on arbitrary bytes. It must never crash;
// a rejection is InvalidArgument in the documented format; an accepted
// template satisfies every structural promise of http_template.h and
// re-renders to text that parses back to the same template.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "server/gateway/http_template.h"

namespace {

using tokend::gateway::HttpTemplate;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckShape(const HttpTemplate& t, size_t input_size) {
  using tokend::gateway::IsTemplateLiteralChar;
  Check(input_size <= tokend::gateway::kMaxTemplateBytes);
  Check(!t.segments.empty());
  Check(t.segments.size() <= tokend::gateway::kMaxTemplateSegments);
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const std::string& s = t.segments[i];
    Check(!s.empty());
    if (s == "**") {
      Check(i + 1 == t.segments.size());
    } else if (s != "*") {
      Check(s != "." && s != "..");
      for (char c : s) Check(IsTemplateLiteralChar(c));
    }
  }
  for (char c : t.verb) Check(IsTemplateLiteralChar(c));
  int previous_end = 0;
  for (const HttpTemplate::Variable& v : t.variables) {
    Check(!v.field_path.empty());
    Check(v.start_segment >= previous_end);
    const int n = static_cast<int>(t.segments.size());
    if (v.end_segment == HttpTemplate::kToEndOfPath) {
      Check(t.EndsWithMultiWildcard());
      Check(v.start_segment < n);
      previous_end = n;
    } else {
      Check(v.start_segment < v.end_segment && v.end_segment <= n);
      previous_end = v.end_segment;
    }
  }
}

// The canonical text of a parsed template.
std::string Render(const HttpTemplate& t) {
  std::string out;
  size_t next_var = 0;
  for (size_t i = 0; i < t.segments.size();) {
    out.push_back('/');
    if (next_var < t.variables.size() &&
        t.variables[next_var].start_segment == static_cast<int>(i)) {
      const HttpTemplate::Variable& v = t.variables[next_var++];
      size_t end = v.end_segment < 0 ? t.segments.size() : v.end_segment;
      absl::StrAppend(&out, "{", absl::StrJoin(v.field_path, "."));
      // {x} rather than {x=*}: never longer than the input, so the
      // rendering stays within kMaxTemplateBytes.
      if (!(end == i + 1 && t.segments[i] == "*")) {
        out.push_back('=');
        for (size_t j = i; j < end; ++j) {
          if (j > i) out.push_back('/');
          out += t.segments[j];
        }
      }
      out.push_back('}');
      i = end;
    } else {
      out += t.segments[i++];
    }
  }
  if (!t.verb.empty()) absl::StrAppend(&out, ":", t.verb);
  return out;
}

bool Same(const HttpTemplate& a, const HttpTemplate& b) {
  if (a.segments != b.segments || a.verb != b.verb ||
      a.variables.size() != b.variables.size()) {
    return false;
  }
  for (size_t i = 0; i < a.variables.size(); ++i) {
    if (a.variables[i].field_path != b.variables[i].field_path ||
        a.variables[i].start_segment != b.variables[i].start_segment ||
        a.variables[i].end_segment != b.variables[i].end_segment) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<HttpTemplate> t = tokend::gateway::ParseHttpTemplate(input);
  if (!t.ok()) {
    Check(t.status().code() == absl::StatusCode::kInvalidArgument);
    Check(absl::StartsWith(t.status().message(), "invalid path template"));
    return 0;
  }
  CheckShape(*t, size);
  const std::string rendered = Render(*t);
  absl::StatusOr<HttpTemplate> again =
      tokend::gateway::ParseHttpTemplate(rendered);
  Check(again.ok() && Same(*t, *again));
  return 0;
}
