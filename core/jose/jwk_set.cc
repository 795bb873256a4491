#include "core/jose/jwk_set.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/common/status_macros.h"
#include "core/jose/bounded_json.h"

namespace tokend::jose {
namespace {

constexpr JsonLimits kJwksLimits{/*max_bytes=*/1 << 20, /*max_depth=*/5};
constexpr size_t kMaxKeys = 1000;

}  // namespace

absl::StatusOr<JwkSet> JwkSet::FromJson(absl::string_view text) {
  ASSIGN_OR_RETURN(nlohmann::json doc, ParseJsonObject(text, kJwksLimits));
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) {
    return absl::InvalidArgumentError("JWKS has no \"keys\" array");
  }
  if (keys->size() > kMaxKeys) {
    return absl::InvalidArgumentError("JWKS has too many keys");
  }
  JwkSet set;
  size_t index = 0;
  for (const nlohmann::json& entry : *keys) {
    auto key = Jwk::FromJsonObject(entry);
    absl::Status status = key.ok() ? set.Add(*std::move(key)) : key.status();
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat("JWKS key ", index, ": ",
                                                      status.message()));
    }
    ++index;
  }
  return set;
}

absl::Status JwkSet::Add(Jwk key) {
  if (key.is_symmetric()) {
    return absl::InvalidArgumentError("a JWK set holds no HMAC keys");
  }
  if (key.has_private()) {
    return absl::InvalidArgumentError("a JWK set holds public keys only");
  }
  if (key.kid().empty()) {
    return absl::InvalidArgumentError("a key in a JWK set needs a kid");
  }
  try {
    (void)nlohmann::json(key.kid()).dump();
  } catch (const nlohmann::json::exception&) {
    return absl::InvalidArgumentError("kid is not valid UTF-8");
  }
  if (by_kid_.contains(key.kid())) {
    return absl::AlreadyExistsError("duplicate kid in JWK set");
  }
  by_kid_.emplace(key.kid(), keys_.size());
  keys_.push_back(std::move(key));
  return absl::OkStatus();
}

const Jwk* JwkSet::Find(absl::string_view kid) const {
  auto it = by_kid_.find(kid);
  return it == by_kid_.end() ? nullptr : &keys_[it->second];
}

std::string JwkSet::ToJson() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const Jwk& key : keys_) {
    // Add() admits only asymmetric keys, which always export.
    auto obj = key.ToPublicJsonObject();
    if (obj.ok()) keys.push_back(*std::move(obj));
  }
  return nlohmann::json{{"keys", std::move(keys)}}.dump();
}

}  // namespace tokend::jose
