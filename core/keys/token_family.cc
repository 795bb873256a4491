#include "core/keys/token_family.h"

#include "core/keys/keyring.h"

namespace tokend::keys {

absl::string_view FamilyName(TokenFamily family) {
  switch (family) {
    case TokenFamily::kIam:
      return "iam";
    case TokenFamily::kSession:
      return "session";
    case TokenFamily::kTemplate:
      return "template";
    case TokenFamily::kHasura:
      return "hasura";
    case TokenFamily::kScoped:
      return "scoped";
  }
  return "";
}

std::optional<TokenFamily> ParseFamily(absl::string_view name) {
  for (TokenFamily f :
       {TokenFamily::kIam, TokenFamily::kSession, TokenFamily::kTemplate,
        TokenFamily::kHasura, TokenFamily::kScoped}) {
    if (FamilyName(f) == name) return f;
  }
  return std::nullopt;
}

std::optional<TokenFamily> OnlyFamilyOfSlot(absl::string_view slot) {
  if (slot == kIamSlot) return TokenFamily::kIam;
  if (slot == kScopedSlot) return TokenFamily::kScoped;
  return std::nullopt;
}

bool SlotSigns(absl::string_view slot, TokenFamily family) {
  if (slot == kSessionSlot) {
    return family == TokenFamily::kSession ||
           family == TokenFamily::kTemplate || family == TokenFamily::kHasura;
  }
  return OnlyFamilyOfSlot(slot) == family;
}

}  // namespace tokend::keys
