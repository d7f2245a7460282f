#include "auth/secrets.hpp"

#include <sodium.h>

#include "auth/detail/sodium.hpp"
#include "core/assert.hpp"

namespace stratus::auth {

std::string random_token(std::size_t bytes) {
  detail::ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string token = detail::base64url_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return token;
}

std::string sha256_hex(std::string_view data) {
  detail::ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string hex(2 * sizeof digest + 1, '\0');  // + NUL written by sodium_bin2hex
  sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  detail::ensure_sodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  std::string hex(2 * sizeof mac + 1, '\0');  // + NUL written by sodium_bin2hex
  sodium_bin2hex(hex.data(), hex.size(), mac, sizeof mac);
  hex.pop_back();
  return hex;
}

std::string verification_code(int digits) {
  STRATUS_ASSERT(digits >= 1 && digits <= 64, "verification_code digits must be in [1, 64]");
  detail::ensure_sodium();
  std::string code;
  code.reserve(static_cast<std::size_t>(digits));
  for (int i = 0; i < digits; ++i) {
    code += static_cast<char>('0' + randombytes_uniform(10));
  }
  return code;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  if (a.empty())
    return true;
  detail::ensure_sodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace stratus::auth
