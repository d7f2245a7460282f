#pragma once
/// @file
/// Standard base64 (RFC 4648 §4, alphabet `A–Z a–z 0–9 + /`, `=` padding): how REST
/// clients carry raw bytes in JSON (e.g. cmd-resp data with `is_base64`, spec
/// rainmaker.md §3.5). Pure; thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace stratus {

/// `bytes` as padded standard base64.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes padded or unpadded standard base64; nullopt for any other character,
/// misplaced padding, a length that is 1 mod 4, or non-zero trailing bits.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

}  // namespace stratus
