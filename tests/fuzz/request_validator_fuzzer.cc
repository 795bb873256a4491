// libFuzzer target: the request validator over arbitrary wire bytes, parsed as
// the real CreateIamTokenRequest and as the validator test messages (every
// option, nesting, recursion, maps). Validation must never crash, must only
// answer OK or INVALID_ARGUMENT in the documented format, and must agree with
// an independent check of CreateIamTokenRequest's rules.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "server/validation/request_validator.h"
#include "tests/server/validation/validation_test.pb.h"
#include "yandex/cloud/iam/v1/iam_token_service.pb.h"

namespace {

using tokend::server::validation::Validate;

size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void CheckShape(const absl::Status& status) {
  if (status.ok()) return;
  if (status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (!absl::StartsWith(status.message(), "Validation failed:\n  - ")) {
    std::abort();
  }
}

template <typename T>
void ParseAndValidate(const uint8_t* data, size_t size) {
  T message;
  if (message.ParseFromArray(data, static_cast<int>(size))) {
    CheckShape(Validate(message));
  }
}

void CheckCreateIamTokenRequest(const uint8_t* data, size_t size) {
  yandex::cloud::iam::v1::CreateIamTokenRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return;
  const absl::Status status = Validate(request);
  CheckShape(status);
  bool expected_ok;
  if (request.has_jwt()) {
    expected_ok = CodePoints(request.jwt()) <= 8000;
  } else if (request.has_yandex_passport_oauth_token()) {
    expected_ok = CodePoints(request.yandex_passport_oauth_token()) <= 4000;
  } else {
    expected_ok = false;
  }
  if (status.ok() != expected_ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = tokend::testing::validation;
  CheckCreateIamTokenRequest(data, size);
  ParseAndValidate<yandex::cloud::iam::v1::RevokeIamTokenRequest>(data, size);
  ParseAndValidate<t::Limits>(data, size);
  ParseAndValidate<t::Tree>(data, size);
  ParseAndValidate<t::Choice>(data, size);
  ParseAndValidate<t::NoRules>(data, size);
  return 0;
}
