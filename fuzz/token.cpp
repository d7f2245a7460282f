// Fuzz target `token`: HS256 JWT verification (auth::TokenSigner::verify, spec
// rainmaker.md §4.2) with a fixed key and a fixed clock — every REST request carries one.
// Input: a token `h.p.s`, verified as it is; or `h.p` (exactly one dot), which is signed
// here with the fixed key first, so the fuzzer reaches the header and payload checks
// behind the signature.
// Invariant: claims that verify, signed again, verify to the same claims.
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>

#include "auth/token.hpp"
#include "core/base64.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace stratus;
using namespace std::chrono_literals;

// 32 bytes, the shortest key TokenSigner accepts.
constexpr std::string_view kKey = "stratus-fuzz-key-0123456789abcdef";
const auto kNow = std::chrono::system_clock::time_point(1'700'000'000s);

const auth::TokenSigner& signer() {
  static const auth::TokenSigner s = [] {
    auto made = auth::TokenSigner::from_key(kKey);
    FUZZ_CHECK(made.has_value());
    return std::move(*made);
  }();
  return s;
}

std::string base64url(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  s.erase(s.find_last_not_of('=') + 1);
  return s;
}

// `signing_input.<base64url(HMAC-SHA256(kKey, signing_input))>`.
std::string signed_token(std::string_view signing_input) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(kKey.data()),
                              kKey.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(signing_input.data()),
                                signing_input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return std::string(signing_input) + "." +
         base64url(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

void check(std::string_view token) {
  const auto claims = signer().verify(token, kNow);
  if (!claims) {
    FUZZ_CHECK(claims.error().code == errc::unauthenticated);
    return;
  }
  const auto again = signer().verify(signer().sign(*claims), kNow);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *claims);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  check(text);
  if (std::count(text.begin(), text.end(), '.') == 1)
    check(signed_token(text));
  return 0;
}
