#pragma once
/// @file
/// Text helpers of the console's commands (console/commands.hpp): command-line words,
/// argument binding (spec wirepas.md §3.2), numbers, times and padding. Internal to the
/// console module. Pure functions, thread-safe.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::console::detail {

/// A command's arguments by name.
using Bound = std::map<std::string, std::string, std::less<>>;

/// Words of a command line, split at spaces and tabs; "double quotes" keep spaces.
[[nodiscard]] std::vector<std::string> words(std::string_view line);

/// Binds `args` to a command's declared `names`: `key=value` for a declared key, else the
/// next name not given yet (spec §3.2). Errors: invalid_argument naming a surplus word.
[[nodiscard]] Result<Bound> bind(const std::vector<std::string>& args,
                                 std::span<const char* const> names);

/// A whole number in decimal or `0x` hex, at most `max`; nullopt otherwise (empty, sign,
/// other characters, overflow).
[[nodiscard]] std::optional<std::uint64_t> to_uint(std::string_view text, std::uint64_t max);
/// Bytes typed in hex (`cafe`, `0xCAFE`); nullopt when not hex.
[[nodiscard]] std::optional<std::string> typed_hex(std::string_view text);
/// `1 true True yes on` / `0 false False no off`; nullopt otherwise.
[[nodiscard]] std::optional<bool> to_bool(std::string_view text);
/// The value of `key` in `a`, or `fallback`.
[[nodiscard]] std::string value_or(const Bound& a, std::string_view key, std::string_view fallback);

/// `timeout=` in whole seconds (at most a day), `fallback` when absent; nullopt when not a
/// number.
[[nodiscard]] std::optional<std::chrono::milliseconds> timeout_of(
    const Bound& a, std::chrono::milliseconds fallback);
/// Whole seconds of `ms`, as text.
[[nodiscard]] std::string seconds(std::chrono::milliseconds ms);

/// `2026-12-04T03:20:00Z` for ms since the epoch (UTC); `-` for 0 or less.
[[nodiscard]] std::string iso_time(std::int64_t ms);
/// `text` padded with spaces to `width` (never cut).
[[nodiscard]] std::string pad(std::string text, std::size_t width);
/// Bytes for a person: hex (`0a1b…`) or, with `hex` false, printable ASCII kept and the
/// rest as `\xNN` (the original's `toggle_byte_print`).
[[nodiscard]] std::string bytes_text(std::string_view bytes, bool hex);

}  // namespace stratus::console::detail
