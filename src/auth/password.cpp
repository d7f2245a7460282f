#include "auth/password.hpp"

#include <sodium.h>

#include <charconv>
#include <cstdint>
#include <optional>

#include "auth/detail/sodium.hpp"

namespace stratus::auth {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$v=19$m=";

bool params_in_range(unsigned long long ops, std::size_t mem) {
  return ops >= crypto_pwhash_argon2id_OPSLIMIT_MIN && ops <= kMaxPasswordOpsLimit &&
         mem >= crypto_pwhash_argon2id_MEMLIMIT_MIN && mem <= kMaxPasswordMemLimitBytes;
}

/// Parses an unsigned decimal at the front of `s` into `out` and drops it from `s`.
bool take_number(std::string_view& s, std::uint64_t& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc{} || end == s.data())
    return false;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return true;
}

bool take_literal(std::string_view& s, std::string_view literal) {
  if (!s.starts_with(literal))
    return false;
  s.remove_prefix(literal.size());
  return true;
}

/// The cost fields of an argon2id encoding.
struct Costs {
  std::uint64_t m_kib = 0;
  std::uint64_t t = 0;
};

/// The costs of `encoded` if it looks like an argon2id hash we could have made:
/// right shape, p=1 and costs within the accepted ranges. libsodium parses the
/// rest (salt, hash) itself; this check exists so that a hostile
/// "m=4294967295" or "t=4294967295" cannot make verification allocate
/// terabytes or run for hours.
std::optional<Costs> parse_costs(std::string_view encoded) {
  if (encoded.size() >= crypto_pwhash_STRBYTES)
    return std::nullopt;
  if (encoded.find('\0') != std::string_view::npos)
    return std::nullopt;
  std::string_view s = encoded;
  std::uint64_t m_kib = 0;
  std::uint64_t t = 0;
  std::uint64_t p = 0;
  if (!take_literal(s, kArgon2idPrefix) || !take_number(s, m_kib) || !take_literal(s, ",t=") ||
      !take_number(s, t) || !take_literal(s, ",p=") || !take_number(s, p) ||
      !take_literal(s, "$")) {
    return std::nullopt;
  }
  if (p != 1 || m_kib > kMaxPasswordMemLimitBytes / 1024)
    return std::nullopt;
  if (!params_in_range(t, static_cast<std::size_t>(m_kib) * 1024))
    return std::nullopt;
  // "<salt>$<hash>", both non-empty unpadded base64.
  const auto dollar = s.find('$');
  const auto base64 = [](std::string_view part) {
    return !part.empty() && part.find_first_not_of(
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789+/") == std::string_view::npos;
  };
  if (dollar == std::string_view::npos || !base64(s.substr(0, dollar)) ||
      !base64(s.substr(dollar + 1)))
    return std::nullopt;
  return Costs{m_kib, t};
}

bool well_formed(std::string_view encoded) {
  return parse_costs(encoded).has_value();
}

std::string describe(const PasswordPolicy& policy) {
  std::string text =
      "password must be at least " + std::to_string(policy.min_length) + " characters";
  if (policy.require_letter && policy.require_digit) {
    text += " and contain a letter and a digit";
  } else if (policy.require_letter) {
    text += " and contain a letter";
  } else if (policy.require_digit) {
    text += " and contain a digit";
  }
  return text;
}

}  // namespace

PasswordHashParams PasswordHashParams::interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

PasswordHashParams PasswordHashParams::minimal() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Result<std::string> hash_password(std::string_view password, const PasswordHashParams& params) {
  if (!params_in_range(params.ops_limit, params.mem_limit_bytes)) {
    return fail(errc::invalid_argument, "password hash parameters out of range (ops_limit " +
                                            std::to_string(params.ops_limit) +
                                            ", mem_limit_bytes " +
                                            std::to_string(params.mem_limit_bytes) + ")");
  }
  if (password.size() > crypto_pwhash_argon2id_PASSWD_MAX) {
    return fail(errc::invalid_argument, "password too long to hash");
  }
  detail::ensure_sodium();
  char out[crypto_pwhash_STRBYTES] = {};
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops_limit,
                            params.mem_limit_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return fail(errc::resource_exhausted, "argon2id: could not allocate " +
                                              std::to_string(params.mem_limit_bytes) + " bytes");
  }
  return std::string(out);
}

bool verify_password(std::string_view encoded, std::string_view password) noexcept {
  if (!well_formed(encoded))
    return false;
  detail::ensure_sodium();
  char str[crypto_pwhash_STRBYTES] = {};  // NUL-terminated copy; well_formed bounds the size
  encoded.copy(str, encoded.size());
  return crypto_pwhash_str_verify(str, password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view encoded, const PasswordHashParams& params) {
  // Only the cost fields decide, as documented: libsodium's own check also
  // decodes the salt and hash, which makes its answer for a damaged hash
  // depend on which byte is damaged.
  const auto costs = parse_costs(encoded);
  if (!costs)
    return true;
  return costs->t != params.ops_limit || costs->m_kib * 1024 != params.mem_limit_bytes;
}

Result<void> check_password_policy(std::string_view password, const PasswordPolicy& policy) {
  if (policy.min_length > policy.max_length) {
    return fail(errc::invalid_argument, "password policy: min_length exceeds max_length");
  }
  std::size_t code_points = 0;
  bool has_letter = false;
  bool has_digit = false;
  for (const char c : password) {
    const auto b = static_cast<unsigned char>(c);
    if ((b & 0xC0U) != 0x80U)
      ++code_points;  // not a UTF-8 continuation byte
    if (b >= 0x80U || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z'))
      has_letter = true;
    if (b >= '0' && b <= '9')
      has_digit = true;
  }
  if (code_points > policy.max_length) {
    return fail(errc::invalid_argument,
                "password must be at most " + std::to_string(policy.max_length) + " characters");
  }
  if (code_points < policy.min_length || (policy.require_letter && !has_letter) ||
      (policy.require_digit && !has_digit)) {
    return fail(errc::invalid_argument, describe(policy));
  }
  return {};
}

}  // namespace stratus::auth
