#include "core/keys/sealer.h"

#include <openssl/evp.h>

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::keys {
namespace {

const std::string kKey(Sealer::kKeySize, '\x42');

std::unique_ptr<Sealer> MakeSealer(const std::string& key = kKey) {
  absl::StatusOr<std::unique_ptr<Sealer>> sealer = Sealer::Create(key);
  EXPECT_TRUE(sealer.ok()) << sealer.status();
  return *std::move(sealer);
}

TEST(SealerTest, RoundTrip) {
  auto sealer = MakeSealer();
  for (const std::string& plaintext :
       {std::string(), std::string("x"),
        std::string(R"({"kty":"EC","d":"secret"})"), std::string(5000, 'z'),
        std::string("\0\1\2", 3)}) {
    for (const std::string& ad : {std::string(), std::string("kid-1")}) {
      absl::StatusOr<std::string> sealed = sealer->Seal(plaintext, ad);
      ASSERT_TRUE(sealed.ok()) << sealed.status();
      EXPECT_EQ(sealed->size(), plaintext.size() + Sealer::kOverhead);
      EXPECT_EQ(static_cast<uint8_t>((*sealed)[0]), Sealer::kVersion);
      absl::StatusOr<std::string> opened = sealer->Open(*sealed, ad);
      ASSERT_TRUE(opened.ok()) << opened.status();
      EXPECT_EQ(*opened, plaintext);
    }
  }
}

TEST(SealerTest, FreshNoncePerSeal) {
  auto sealer = MakeSealer();
  absl::StatusOr<std::string> a = sealer->Seal("same", "ad");
  absl::StatusOr<std::string> b = sealer->Seal("same", "ad");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->substr(1, Sealer::kNonceSize), b->substr(1, Sealer::kNonceSize));
  EXPECT_NE(*a, *b);
}

TEST(SealerTest, CiphertextDoesNotContainPlaintext) {
  auto sealer = MakeSealer();
  const std::string secret = "the private exponent is 0123456789";
  absl::StatusOr<std::string> sealed = sealer->Seal(secret, "kid");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("private"), std::string::npos);
  EXPECT_EQ(sealed->find("0123456789"), std::string::npos);
}

TEST(SealerTest, WrongAssociatedDataFails) {
  auto sealer = MakeSealer();
  absl::StatusOr<std::string> sealed = sealer->Seal("secret", "kid-1");
  ASSERT_TRUE(sealed.ok());
  for (absl::string_view ad : {"kid-2", "", "kid-1 ", "KID-1"}) {
    absl::StatusOr<std::string> opened = sealer->Open(*sealed, ad);
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss) << ad;
  }
}

TEST(SealerTest, WrongKeyFails) {
  auto sealer = MakeSealer();
  std::string other_key = kKey;
  other_key[31] ^= 1;
  auto other = MakeSealer(other_key);
  absl::StatusOr<std::string> sealed = sealer->Seal("secret", "kid");
  ASSERT_TRUE(sealed.ok());
  absl::StatusOr<std::string> opened = other->Open(*sealed, "kid");
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(),
              ::testing::HasSubstr("wrong master key"));
}

TEST(SealerTest, EveryBitFlipIsDetected) {
  auto sealer = MakeSealer();
  absl::StatusOr<std::string> sealed = sealer->Seal("a secret", "kid");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = *sealed;
      tampered[i] ^= static_cast<char>(1 << bit);
      EXPECT_EQ(sealer->Open(tampered, "kid").status().code(),
                absl::StatusCode::kDataLoss)
          << "byte " << i << " bit " << bit;
    }
  }
}

TEST(SealerTest, TruncationAndExtensionAreDetected) {
  auto sealer = MakeSealer();
  absl::StatusOr<std::string> sealed = sealer->Seal("a secret", "kid");
  ASSERT_TRUE(sealed.ok());
  for (size_t n = 0; n < sealed->size(); ++n) {
    EXPECT_EQ(sealer->Open(sealed->substr(0, n), "kid").status().code(),
              absl::StatusCode::kDataLoss)
        << n;
  }
  EXPECT_EQ(sealer->Open(*sealed + "x", "kid").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(SealerTest, RejectsBadKeySize) {
  EXPECT_EQ(Sealer::Create("short").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sealer::Create(std::string(33, 'k')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The documented layout, checked against a plain AES-256-GCM decryption:
// version || nonce || ciphertext || tag, additional data = version || ad.
TEST(SealerTest, FormatIsPlainAesGcm) {
  auto sealer = MakeSealer();
  const std::string plaintext = "layout check";
  const std::string ad = "kid-7";
  absl::StatusOr<std::string> sealed = sealer->Seal(plaintext, ad);
  ASSERT_TRUE(sealed.ok());
  const auto* bytes = reinterpret_cast<const uint8_t*>(sealed->data());
  const size_t ct_size = sealed->size() - Sealer::kOverhead;
  uint8_t tag[Sealer::kTagSize];
  std::memcpy(tag, bytes + 1 + Sealer::kNonceSize + ct_size, sizeof(tag));

  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string out(ct_size, '\0');
  int len = 0;
  const std::string aad = std::string(1, '\x01') + ad;
  ASSERT_EQ(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                               reinterpret_cast<const uint8_t*>(kKey.data()),
                               bytes + 1),
            1);
  ASSERT_EQ(EVP_DecryptUpdate(ctx, nullptr, &len,
                              reinterpret_cast<const uint8_t*>(aad.data()),
                              aad.size()),
            1);
  ASSERT_EQ(EVP_DecryptUpdate(ctx, reinterpret_cast<uint8_t*>(out.data()), &len,
                              bytes + 1 + Sealer::kNonceSize, ct_size),
            1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag),
            1);
  EXPECT_EQ(EVP_DecryptFinal_ex(ctx, nullptr, &len), 1);
  EVP_CIPHER_CTX_free(ctx);
  EXPECT_EQ(out, plaintext);
}

}  // namespace
}  // namespace tokend::keys
