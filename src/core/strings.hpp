#pragma once
/// @file
/// Small string helpers that every module needs the same way: trimming,
/// comma-separated lists and JSON string literals. Pure functions, no locale; thread-safe.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace stratus {

/// The characters `std::isspace` accepts in the "C" locale: space, `\t`, `\n`, `\v`,
/// `\f`, `\r`. Bytes >= 0x80 are never whitespace.
inline constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";

/// `text` without the leading and trailing characters that occur in `chars` (by default
/// ASCII whitespace; pass e.g. `" "` to strip only spaces). Returns a view into `text`
/// (empty if `text` holds nothing else), so `text` must outlive it. Never throws.
[[nodiscard]] std::string_view trim(std::string_view text,
                                    std::string_view chars = kAsciiWhitespace) noexcept;

/// Splits a comma-separated list as typed in a config value or on a command line:
/// `" a, b ,,c "` → `{"a", "b", "c"}`. Each item is stripped of spaces (only `' '`,
/// not tabs); empty items are dropped, so `""` gives `{}`. No quoting or escaping: an
/// item cannot contain a comma. Throws only `std::bad_alloc`.
[[nodiscard]] std::vector<std::string> split_list(std::string_view text);

/// Joins `items` with `separator` between them: `{"a","b"}` → `"a,b"`, `{}` → `""`.
/// The inverse of `split_list` for items without commas or spaces. Throws only
/// `std::bad_alloc`.
[[nodiscard]] std::string join_list(const std::vector<std::string>& items,
                                    std::string_view separator = ",");

/// Appends `text` to `out` as a JSON string literal (RFC 8259 §7): quoted, with `"`, `\`
/// and the control characters below 0x20 escaped (as `\u00XX`), every other byte copied
/// (so UTF-8 stays UTF-8; invalid UTF-8 is not checked). A JSON parser reads `text` back
/// unchanged. Throws only `std::bad_alloc`.
void append_json_string(std::string& out, std::string_view text);

/// Hash for `std::unordered_map<std::string, T, StringHash, std::equal_to<>>`, so that
/// `find(std::string_view)` looks a key up without building a `std::string` (C++20
/// heterogeneous lookup). Same values as `std::hash<std::string_view>`; thread-safe.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

}  // namespace stratus
