#include "client/jwt.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::client {
namespace {

int sextet(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

}  // namespace

Result<std::string> decode_base64(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  if (text.size() % 4 == 1)
    return fail(errc::invalid_argument, "base64 text has an impossible length");
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = sextet(c);
    if (v < 0)
      return fail(errc::invalid_argument, "base64 text has an invalid character");
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

Result<std::string> jwt_payload(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return fail(errc::invalid_argument, "not a JWT (expected three dot-separated parts)");
  }
  auto payload = decode_base64(token.substr(first + 1, second - first - 1));
  if (!payload)
    return fail(errc::invalid_argument, "JWT payload is not base64");
  return payload;
}

Result<TokenClaims> decode_token_claims(std::string_view token) {
  auto payload = jwt_payload(token);
  if (!payload)
    return fail(payload.error());
  auto object = proto::rest::parse_answer(*payload, "JWT payload");
  if (!object)
    return fail(errc::invalid_argument, "JWT payload is not a JSON object");
  TokenClaims claims;
  claims.exp = proto::rest::int_or(*object, "exp");
  claims.user_id = proto::rest::string_or(*object, "custom:user_id");
  claims.email = proto::rest::string_or(*object, "email");
  claims.phone_number = proto::rest::string_or(*object, "phone_number");
  claims.token_use = proto::rest::string_or(*object, "token_use");
  return claims;
}

}  // namespace stratus::client
