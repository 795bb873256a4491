// CompiledTemplate (core/sessions/jwt_template.h): Render of a typical
// five-shortcode template — the per-token cost — plus Compile (the per-save
// cost) and Render of a larger template, each against a realistic context.
// Target (DESIGN.md §8 budget): Render/five_shortcodes under 5 µs.
// Run: bazel run --config=opt //bench:template_render_benchmark
#include <nlohmann/json.hpp>
#include <string>

#include "benchmark/benchmark.h"
#include "core/sessions/jwt_template.h"

namespace tokend::sessions {
namespace {

using json = nlohmann::json;

const json& Context() {
  static const json* const kContext = new json(json::parse(R"({
    "user": {
      "id": "user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
      "first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace",
      "primary_email_address": "ada@example.com",
      "primary_phone_number": "+15555550100",
      "email_verified": true, "phone_number_verified": false,
      "image_url": "https://img.example.com/ada.png",
      "created_at": 1700000000, "external_id": null, "username": "ada",
      "public_metadata": {"role": "admin", "plan": "pro",
                          "profile": {"interests": ["math", "engines"],
                                      "age": 36}},
      "unsafe_metadata": {"theme": "dark"}
    },
    "session": {"id": "sess_2NNEqL2nrIRdJ194ndJqAHwEfxD", "actor": null}
  })"));
  return *kContext;
}

// Five shortcodes: typed string, typed bool, a `||` chain, an interpolation,
// and a metadata object; plus constant claims.
const char kFive[] = R"({
  "aud": "https://api.example.com",
  "email": "{{user.primary_email_address}}",
  "email_verified": "{{user.email_verified}}",
  "role": "{{user.public_metadata.role || 'member'}}",
  "greeting": "Hello {{user.first_name}}!",
  "profile": "{{user.public_metadata.profile}}",
  "scopes": ["read", "write"]
})";

// Every documented shortcode, nested.
const char kLarge[] = R"({
  "aud": "https://api.example.com",
  "user": {"id": "{{user.id}}", "first": "{{user.first_name}}",
           "last": "{{user.last_name}}", "full": "{{user.full_name}}",
           "email": "{{user.primary_email_address}}",
           "phone": "{{user.primary_phone_number}}",
           "email_verified": "{{user.email_verified}}",
           "phone_verified": "{{user.phone_number_verified}}",
           "image": "{{user.image_url}}", "created": "{{user.created_at}}",
           "ext": "{{user.external_id || user.id}}",
           "username": "{{user.username}}"},
  "meta": {"public": "{{user.public_metadata}}",
           "unsafe": "{{user.unsafe_metadata}}",
           "plan": "plan:{{user.public_metadata.plan || 'free'}}"},
  "session": ["{{session.id}}", "{{session.actor}}"],
  "https://hasura.io/jwt/claims": {
    "x-hasura-default-role": "user",
    "x-hasura-allowed-roles": ["user", "admin"],
    "x-hasura-user-id": "{{user.id}}"}
})";

void BM_Render(benchmark::State& state, const char* claims) {
  const CompiledTemplate t = CompiledTemplate::Compile(claims).value();
  const json& context = Context();
  for (auto _ : state) {
    json rendered = t.Render(context);
    benchmark::DoNotOptimize(rendered);
  }
  state.counters["shortcodes"] = t.shortcode_count();
}
BENCHMARK_CAPTURE(BM_Render, five_shortcodes, kFive);
BENCHMARK_CAPTURE(BM_Render, all_shortcodes, kLarge);

// Render plus dump(): what the signer then serializes.
void BM_RenderAndDump(benchmark::State& state, const char* claims) {
  const CompiledTemplate t = CompiledTemplate::Compile(claims).value();
  const json& context = Context();
  for (auto _ : state) {
    std::string text = t.Render(context).dump();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK_CAPTURE(BM_RenderAndDump, five_shortcodes, kFive);

void BM_Compile(benchmark::State& state, const char* claims) {
  for (auto _ : state) {
    auto t = CompiledTemplate::Compile(claims);
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK_CAPTURE(BM_Compile, five_shortcodes, kFive);
BENCHMARK_CAPTURE(BM_Compile, all_shortcodes, kLarge);

}  // namespace
}  // namespace tokend::sessions

BENCHMARK_MAIN();
