#pragma once
/// @file
/// Unicode hygiene for user names (issue 13): an account name must not be spoofable by
/// one that looks the same. Built on ICU (NFKC normalisation and the UTS #39 spoof
/// checker), the library every serious identity system uses for this.

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::auth {

/// Normalises `text` to NFKC (full-width `ａ` becomes `a`, `＠` becomes `@`,
/// ligatures split), so two spellings of the same characters are one name. The bytes
/// must be valid UTF-8, and control, format (bidi overrides such as U+202E, zero-width
/// characters), private-use, unassigned and separator characters are refused.
/// Errors: invalid_argument naming the problem (and the code point). Pure, thread-safe.
Result<std::string> nfkc_normalize(std::string_view text);

/// Refuses one part of a name (an e-mail's local part, or its domain) that mixes
/// scripts or digit sets in a way Unicode's UTS #39 does not call "highly restrictive"
/// (a Cyrillic `а` among Latin letters: `аlice`), or hides invisible characters. A part
/// in one script (`иван`, `münchen`, `山田`) passes. Expects NFKC text. Errors:
/// invalid_argument. Pure, thread-safe (a spoof checker per call).
Result<void> check_not_spoofable(std::string_view part);

/// Lower-cases `text` with Unicode's full case mapping (locale-independent, e.g.
/// `EXAMPLE.ÇOM` → `example.çom`). `text` must be valid UTF-8 (as
/// `nfkc_normalize` returns). Errors: invalid_argument. Pure, thread-safe.
Result<std::string> unicode_lower(std::string_view text);

}  // namespace stratus::auth
