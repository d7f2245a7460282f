#include "auth/detail/claims_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <system_error>

namespace stratus::auth::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

/// Appends `\uXXXX` for one UTF-16 code unit.
void append_u_escape(std::string& out, std::uint32_t unit) {
  out += "\\u";
  out += kHex[(unit >> 12) & 0xFU];
  out += kHex[(unit >> 8) & 0xFU];
  out += kHex[(unit >> 4) & 0xFU];
  out += kHex[unit & 0xFU];
}

/// Decodes the UTF-8 sequence at the front of `s` (strict: no overlong forms,
/// no surrogates, nothing above U+10FFFF); returns the code point and its
/// length in bytes, or nullopt if the first byte does not start a valid one.
std::optional<std::pair<std::uint32_t, std::size_t>> decode_utf8(std::string_view s) {
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i]));
  };
  const std::uint32_t b0 = byte(0);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1FU, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0FU, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07U, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (s.size() < len)
    return std::nullopt;
  for (std::size_t i = 1; i < len; ++i) {
    const std::uint32_t b = byte(i);
    if ((b & 0xC0U) != 0x80U)
      return std::nullopt;
    cp = (cp << 6) | (b & 0x3FU);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return std::nullopt;
  return std::pair{cp, len};
}

/// Appends `text` as a JSON string literal that obeys the byte rule of
/// write_claims_json. At most 6 output bytes per input byte, plus the quotes.
void append_string(std::string& out, std::string_view text) {
  out += '"';
  while (!text.empty()) {
    const auto b = static_cast<unsigned char>(text.front());
    if (b < 0x80) {
      // '>' '?' '~' DEL are the only ASCII bytes that can yield base64 sextets
      // 62/63 ('-'/'_' in base64url); controls, '"' and '\\' need escaping anyway.
      if (b < 0x20 || b == '>' || b == '?' || b == '~' || b == 0x7F) {
        append_u_escape(out, b);
      } else if (b == '"' || b == '\\') {
        out += '\\';
        out += static_cast<char>(b);
      } else {
        out += static_cast<char>(b);
      }
      text.remove_prefix(1);
      continue;
    }
    if (const auto decoded = decode_utf8(text)) {
      const auto [cp, len] = *decoded;
      if (cp < 0x10000) {
        append_u_escape(out, cp);
      } else {
        const std::uint32_t v = cp - 0x10000;
        append_u_escape(out, 0xD800U + (v >> 10));
        append_u_escape(out, 0xDC00U + (v & 0x3FFU));
      }
      text.remove_prefix(len);
    } else {
      append_u_escape(out, 0xFFFD);  // invalid UTF-8: replace this one byte
      text.remove_prefix(1);
    }
  }
  out += '"';
}

void append_value(std::string& out, const ClaimValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    append_string(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *i);
    out.append(buf, end);
  } else {
    out += std::get<bool>(value) ? "true" : "false";
  }
}

/// `name` fit for an error message: at most 40 bytes, non-printable bytes as '?'.
/// (Header member names reach errors before the signature is checked.)
std::string printable(std::string_view name) {
  std::string out(name.substr(0, 40));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E)
      c = '?';
  }
  return out;
}

Result<ClaimValue> to_claim_value(const boost::json::value& v, std::string_view name) {
  switch (v.kind()) {
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      return ClaimValue{std::string(s.data(), s.size())};
    }
    case boost::json::kind::int64:
      return ClaimValue{v.get_int64()};
    case boost::json::kind::bool_:
      return ClaimValue{v.get_bool()};
    case boost::json::kind::uint64:
      return fail(errc::invalid_argument,
                  "claim \"" + printable(name) + "\" is an integer out of range");
    default:
      return fail(errc::invalid_argument,
                  "claim \"" + printable(name) + "\" has an unsupported type");
  }
}

}  // namespace

std::string write_claims_json(const Claims& claims) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : claims.items) {
    if (!first)
      out += ',';
    first = false;
    append_string(out, name);
    out += ':';
    append_value(out, value);
  }
  out += '}';
  return out;
}

Result<Claims> read_claims_json(std::string_view json) {
  std::error_code ec;
  const boost::json::value doc =
      boost::json::parse(boost::json::string_view(json.data(), json.size()), ec);
  if (ec)
    return fail(errc::invalid_argument, "not JSON (" + ec.message() + ")");
  const auto* object = doc.if_object();
  if (object == nullptr)
    return fail(errc::invalid_argument, "not a JSON object");
  Claims claims;
  claims.items.reserve(object->size());
  for (const auto& member : *object) {
    const std::string_view name(member.key().data(), member.key().size());
    auto value = to_claim_value(member.value(), name);
    if (!value)
      return fail(std::move(value.error()));
    claims.items.emplace_back(std::string(name), std::move(*value));
  }
  return claims;
}

}  // namespace stratus::auth::detail
