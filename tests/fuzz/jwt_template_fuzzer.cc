// libFuzzer target: CompiledTemplate::Compile on arbitrary bytes. It must
// never crash; a rejection is InvalidArgument with a Clerk code; an accepted
// template renders (against a fixed context) to a JSON object with the
// template's own top-level names — so never a reserved claim — whose dump()
// parses back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/sessions/jwt_template.h"

namespace {

using json = nlohmann::json;
using tokend::sessions::CompiledTemplate;

void Check(bool ok) {
  if (!ok) std::abort();
}

const json& Context() {
  static const json* const kContext = new json(json::parse(R"({
    "user": {
      "id": "user_1", "first_name": "Ada", "last_name": null,
      "full_name": "Ada", "primary_email_address": "ada@example.com",
      "primary_phone_number": "+15555550100", "email_verified": true,
      "phone_number_verified": false, "image_url": "https://i.example/a.png",
      "created_at": 1700000000, "external_id": null, "username": "ada",
      "public_metadata": {"a": {"b": [1, 2.5, "x"], "c": {}}, "n": -7,
                          "u": "Zürich 👋", "e": ""},
      "unsafe_metadata": {"t": true, "f": false, "z": 0}
    },
    "session": {"id": "sess_1", "actor": {"sub": "user_admin"}}
  })"));
  return *kContext;
}

bool IsReserved(const std::string& name) {
  for (const char* reserved : tokend::sessions::kReservedClaims) {
    if (name == reserved) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<CompiledTemplate> compiled = CompiledTemplate::Compile(input);
  if (!compiled.ok()) {
    Check(compiled.status().code() == absl::StatusCode::kInvalidArgument);
    Check(tokend::sessions::ClerkCodeOf(compiled.status()).has_value());
    return 0;
  }
  Check(size <= tokend::sessions::kMaxTemplateClaimsBytes);
  const json rendered = compiled->Render(Context());
  Check(rendered.is_object());
  // Keys are never templated: the rendered names are the template's.
  const json source = json::parse(input.begin(), input.end());
  Check(source.is_object() && source.size() == rendered.size());
  for (const auto& [name, value] : rendered.items()) {
    Check(!IsReserved(name));
    Check(source.contains(name));
  }
  // Everything rendered is valid JSON: dump() would throw on invalid UTF-8.
  const std::string text = rendered.dump();
  Check(json::parse(text) == rendered);
  Check(json::parse(text).dump() == text);
  // Rendering is deterministic, and copies render alike.
  const CompiledTemplate copy = *compiled;
  Check(copy.Render(Context()) == rendered);
  Check(copy.shortcode_count() == compiled->shortcode_count());
  return 0;
}
