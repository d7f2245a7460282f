#include "auth/detail/sodium.hpp"

#include <sodium.h>

#include "core/assert.hpp"

namespace stratus::auth::detail {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

unsigned char* as_uchar(char* p) {
  return reinterpret_cast<unsigned char*>(p);
}
const unsigned char* as_uchar(const char* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

}  // namespace

void ensure_sodium() {
  // A function-local static is initialised once, thread-safely (C++11 magic statics).
  static const int rc = sodium_init();  // 0 = initialised now, 1 = already initialised
  STRATUS_ASSERT(rc >= 0, "sodium_init failed");
}

std::string base64url_encode(std::string_view bytes) {
  // ENCODED_LEN counts the terminating NUL that sodium_bin2base64 writes.
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), as_uchar(bytes.data()), bytes.size(), kVariant);
  out.pop_back();
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  // b64_end = nullptr makes libsodium fail unless the whole input was consumed.
  if (sodium_base642bin(as_uchar(out.data()), out.size(), text.data(), text.size(), nullptr, &len,
                        nullptr, kVariant) != 0) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace stratus::auth::detail
