#include "core/jose/base64url.h"

#include <array>
#include <cstdint>

#include "absl/status/status.h"

namespace tokend::jose {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}

constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

void AppendBase64UrlEncode(absl::string_view data, std::string* out) {
  const size_t start = out->size();
  out->resize(start + Base64UrlEncodedLength(data.size()));
  char* dst = &(*out)[start];
  const auto* src = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) |
                       uint32_t{src[i + 2]};
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{src[i]} << 16;
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8);
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
  }
}

std::string Base64UrlEncode(absl::string_view data) {
  std::string out;
  AppendBase64UrlEncode(data, &out);
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view encoded) {
  const size_t n = encoded.size();
  if (n % 4 == 1) {
    return absl::InvalidArgumentError("base64url: impossible length");
  }
  std::string out;
  out.resize(n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
  char* dst = out.data();
  const auto* src = reinterpret_cast<const unsigned char*>(encoded.data());
  // Whole quanta first: four characters, three bytes.
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const int a = kDecode[src[i]], b = kDecode[src[i + 1]],
              c = kDecode[src[i + 2]], d = kDecode[src[i + 3]];
    if ((a | b | c | d) < 0) {  // Some character mapped to -1.
      return absl::InvalidArgumentError("base64url: invalid character");
    }
    const uint32_t v =
        (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
        (static_cast<uint32_t>(c) << 6) | static_cast<uint32_t>(d);
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>((v >> 8) & 0xff);
    *dst++ = static_cast<char>(v & 0xff);
  }
  uint32_t acc = 0;
  int bits = 0;
  for (char c : encoded.substr(i)) {
    const int8_t v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) {
      return absl::InvalidArgumentError("base64url: invalid character");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *dst++ = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero, or two encodings would decode alike.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    return absl::InvalidArgumentError("base64url: non-canonical trailing bits");
  }
  return out;
}

}  // namespace tokend::jose
