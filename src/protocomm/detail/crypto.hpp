#pragma once
/// @file
/// The primitives the security engines need, over OpenSSL 3 (EVP, BN), with std types
/// only in the signatures. Internal to protocomm. Byte strings are `std::string`.

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct evp_cipher_ctx_st;

namespace stratus::protocomm::detail {

/// SHA-256 of `data` (32 bytes).
std::string sha256(std::string_view data);
/// SHA-512 of the concatenation of `parts` (64 bytes).
std::string sha512(std::initializer_list<std::string_view> parts);
/// Constant-time equality of two byte strings (false when the sizes differ).
bool equal_ct(std::string_view a, std::string_view b) noexcept;

/// The X25519 public key (32 bytes) of a 32-byte private key.
Result<std::string> x25519_public(std::string_view private_key);
/// The X25519 shared secret (32 bytes). invalid_argument for a peer key that gives the
/// all-zero secret (a small-order point, which OpenSSL refuses).
Result<std::string> x25519_shared(std::string_view private_key, std::string_view peer_public);

/// One AES-256-CTR keystream, continued across calls (partial blocks included).
class AesCtr {
 public:
  AesCtr();
  ~AesCtr();
  AesCtr(const AesCtr&) = delete;
  AesCtr& operator=(const AesCtr&) = delete;
  /// Starts the stream: 32-byte key, 16-byte initial counter block.
  Result<void> init(std::string_view key, std::string_view counter_block);
  /// XORs `data` with the next `data.size()` bytes of keystream.
  Result<std::string> apply(std::string_view data);
  [[nodiscard]] bool ready() const noexcept { return ready_; }
  void clear() noexcept;

 private:
  evp_cipher_ctx_st* ctx_ = nullptr;
  bool ready_ = false;
};

/// AES-256-GCM with a 12-byte IV and no AAD: ciphertext ‖ 16-byte tag.
Result<std::string> aes_gcm_seal(std::string_view key, std::string_view iv,
                                 std::string_view plaintext);
/// Opens `aes_gcm_seal`'s output; unauthenticated when the tag does not verify,
/// invalid_argument when shorter than the tag.
Result<std::string> aes_gcm_open(std::string_view key, std::string_view iv,
                                 std::string_view sealed);

/// SRP-6a over the RFC 5054 3072-bit group with SHA-512, as `esp_srp.c` computes it.
/// Numbers in and out are big-endian byte strings.
inline constexpr std::size_t kSrpModulusBytes = 384;
/// v = g^x mod N, minimal; x = H(salt ‖ H(user ‖ ":" ‖ password)).
Result<std::string> srp_verifier(std::string_view salt, std::string_view user,
                                 std::string_view password);
/// B = (k·v + g^b) mod N, minimal.
Result<std::string> srp_server_public(std::string_view v, std::string_view b);
/// K = H(S), S = (A·v^u)^b mod N minimal, u = H(pad(A) ‖ pad(B)). invalid_argument when
/// A mod N = 0.
Result<std::string> srp_server_key(std::string_view A, std::string_view B, std::string_view v,
                                   std::string_view b);
/// A = g^a mod N, padded to 384 bytes.
Result<std::string> srp_client_public(std::string_view a);
/// K = H(S), S = (B − k·v)^(a + u·x) mod N minimal. invalid_argument when B mod N = 0 or
/// u = 0.
Result<std::string> srp_client_key(std::string_view A, std::string_view B, std::string_view a,
                                   std::string_view salt, std::string_view user,
                                   std::string_view password);
/// M = H(H(N) XOR H(pad(g)) ‖ H(user) ‖ salt ‖ A ‖ B ‖ K).
std::string srp_client_proof(std::string_view user, std::string_view salt, std::string_view A,
                             std::string_view B, std::string_view K);
/// H_AMK = H(A ‖ M ‖ K).
std::string srp_server_proof(std::string_view A, std::string_view M, std::string_view K);

}  // namespace stratus::protocomm::detail
