#pragma once
/// @file
/// Hexadecimal text for bytes, the one encoder and decoder modules share (console output,
/// APDU dumps, fingerprints). Lower-case out; either case in. Pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace stratus {

/// `bytes` as lower-case hex, two characters a byte: `"\x01\xab"` → `"01ab"`. Throws only
/// `std::bad_alloc`.
[[nodiscard]] std::string to_hex(std::string_view bytes);
/// As above, for a byte span.
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);

/// The bytes `text` spells: an even number of hex digits of either case (no prefix, no
/// spaces); `""` gives `""`. nullopt for an odd length or a non-hex character. Throws only
/// `std::bad_alloc`.
[[nodiscard]] std::optional<std::string> from_hex(std::string_view text);

/// The value of one hex digit of either case (0-15), -1 for any other character.
[[nodiscard]] int hex_digit(char c) noexcept;

}  // namespace stratus
