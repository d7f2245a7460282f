#include "auth/token.hpp"

#include <sodium.h>

#include <algorithm>
#include <limits>

#include "auth/detail/claims_json.hpp"
#include "auth/detail/sodium.hpp"
#include "core/assert.hpp"

namespace stratus::auth {
namespace {

constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

const std::string& encoded_header() {
  static const std::string header = detail::base64url_encode(kHeaderJson);
  return header;
}

Error unauthenticated(std::string context) {
  Error error;
  error.code = errc::unauthenticated;
  error.context = std::move(context);
  return error;
}

/// `a + b` for b >= 0, saturating at the int64 maximum instead of overflowing.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::int64_t>::max() : sum;
}

/// `alg` fit for an error message: at most 16 bytes, non-printable as '?'.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, 16));
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c < 0x20 || c > 0x7E; }, '?');
  return out;
}

/// The three dot-separated segments of a compact JWS, or nullopt.
struct Segments {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;  // "header.payload"
};

std::optional<Segments> split(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos)
    return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return Segments{token.substr(0, first), token.substr(first + 1, second - first - 1),
                  token.substr(second + 1), token.substr(0, second)};
}

/// Checks the decoded header; the error context is the full verify() message.
Result<void> check_header(std::string_view header_json) {
  const auto header = detail::read_claims_json(header_json);
  if (!header)
    return fail(unauthenticated("unsupported token header: " + header.error().context));
  const auto alg = header->get_string("alg");
  if (!alg)
    return fail(unauthenticated("unsupported token header: no string alg"));
  if (*alg != "HS256") {
    return fail(unauthenticated("unsupported token header: alg \"" + printable(*alg) + "\""));
  }
  if (header->find("crit") != nullptr) {
    return fail(unauthenticated("unsupported token header: crit"));
  }
  return {};
}

/// Checks exp/iat/nbf against `now_s` (Unix seconds).
Result<void> check_times(const Claims& claims, std::int64_t now_s, std::int64_t leeway_s) {
  for (const std::string_view name : {"exp", "iat", "nbf"}) {
    if (claims.find(name) != nullptr && !claims.get_int(name)) {
      return fail(unauthenticated("malformed token: payload claim " + std::string(name) +
                                  " is not an integer"));
    }
  }
  if (const auto exp = claims.get_int("exp"); exp && now_s >= saturating_add(*exp, leeway_s)) {
    return fail(unauthenticated("token expired"));
  }
  const std::int64_t latest = saturating_add(now_s, leeway_s);
  if (const auto iat = claims.get_int("iat"); iat && *iat > latest) {
    return fail(unauthenticated("token issued in the future"));
  }
  if (const auto nbf = claims.get_int("nbf"); nbf && *nbf > latest) {
    return fail(unauthenticated("token not yet valid"));
  }
  return {};
}

}  // namespace

void Claims::set(std::string name, ClaimValue v) {
  for (auto& [n, value] : items) {
    if (n == name) {
      value = std::move(v);
      return;
    }
  }
  items.emplace_back(std::move(name), std::move(v));
}

const ClaimValue* Claims::find(std::string_view name) const {
  for (const auto& [n, value] : items) {
    if (n == name)
      return &value;
  }
  return nullptr;
}

std::optional<std::string> Claims::get_string(std::string_view name) const {
  const ClaimValue* v = find(name);
  if (v == nullptr)
    return std::nullopt;
  if (const auto* s = std::get_if<std::string>(v))
    return *s;
  return std::nullopt;
}

std::optional<std::int64_t> Claims::get_int(std::string_view name) const {
  const ClaimValue* v = find(name);
  if (v == nullptr)
    return std::nullopt;
  if (const auto* i = std::get_if<std::int64_t>(v))
    return *i;
  return std::nullopt;
}

Result<TokenSigner> TokenSigner::from_key(std::string_view key) {
  if (key.size() < kMinKeyBytes) {
    return fail(errc::invalid_argument, "token signing key must be at least " +
                                            std::to_string(kMinKeyBytes) + " bytes, got " +
                                            std::to_string(key.size()));
  }
  detail::ensure_sodium();
  return TokenSigner(std::string(key));
}

std::string TokenSigner::generate_key() {
  detail::ensure_sodium();
  std::string key(kMinKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string TokenSigner::mac(std::string_view signing_input) const {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()),
                              key_.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  sodium_memzero(&state, sizeof state);
  return out;
}

std::string TokenSigner::sign(const Claims& claims) const {
  const std::string payload = detail::base64url_encode(detail::write_claims_json(claims));
  // The §4.2 rule holds by construction (see write_claims_json); check it anyway,
  // since a regression would lock every CLI user out.
  STRATUS_ASSERT(payload.find_first_of("-_") == std::string::npos,
                 "payload segment must read the same in standard base64");
  std::string token;
  token.reserve(encoded_header().size() + payload.size() + 46);
  token += encoded_header();
  token += '.';
  token += payload;
  const std::string signature = mac(token);
  token += '.';
  token += detail::base64url_encode(signature);
  return token;
}

Result<Claims> TokenSigner::verify(std::string_view token,
                                   std::chrono::system_clock::time_point now,
                                   std::chrono::seconds leeway) const {
  if (leeway.count() < 0)
    return fail(errc::invalid_argument, "token leeway must not be negative");
  if (token.size() > kMaxTokenBytes)
    return fail(unauthenticated("token too long"));
  const auto segments = split(token);
  if (!segments)
    return fail(unauthenticated("malformed token: expected 3 dot-separated segments"));
  const auto header_json = detail::base64url_decode(segments->header);
  const auto payload_json = detail::base64url_decode(segments->payload);
  const auto signature = detail::base64url_decode(segments->signature);
  if (!header_json)
    return fail(unauthenticated("malformed token: header is not base64url"));
  if (!payload_json)
    return fail(unauthenticated("malformed token: payload is not base64url"));
  if (!signature)
    return fail(unauthenticated("malformed token: signature is not base64url"));

  if (auto ok = check_header(*header_json); !ok)
    return fail(std::move(ok.error()));

  const std::string expected = mac(segments->signing_input);
  if (signature->size() != expected.size() ||
      crypto_verify_32(reinterpret_cast<const unsigned char*>(signature->data()),
                       reinterpret_cast<const unsigned char*>(expected.data())) != 0) {
    return fail(unauthenticated("bad token signature"));
  }

  auto claims = detail::read_claims_json(*payload_json);
  if (!claims)
    return fail(unauthenticated("malformed token: payload " + claims.error().context));
  const std::int64_t now_s =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  if (auto ok = check_times(*claims, now_s, leeway.count()); !ok)
    return fail(std::move(ok.error()));
  return claims;
}

}  // namespace stratus::auth
