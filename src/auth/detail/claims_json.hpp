#pragma once
/// @file
/// Internals of the auth module: the JSON form of a flat claims object (JWT
/// header and payload). Nobody outside src/auth/ includes this.

#include <string>
#include <string_view>

#include "auth/token.hpp"
#include "core/error.hpp"

namespace stratus::auth::detail {

/// `claims` as a compact JSON object, in order, written so that its standard
/// base64 and base64url encodings are the same text (spec rainmaker.md §4.2):
/// every output byte is ASCII and none is `>` `?` `~` or DEL. To get there,
/// control characters, `>` `?` `~` DEL and all non-ASCII characters inside
/// strings are written as `\uXXXX` (UTF-16 surrogate pairs above U+FFFF), and
/// each byte of invalid UTF-8 becomes `\ufffd`. Output size <= 2 + sum over
/// claims of (6 * (name bytes + value bytes) + 24): every input byte costs at
/// most 6 output bytes. Thread-safe.
[[nodiscard]] std::string write_claims_json(const Claims& claims);

/// Parses a JSON object whose members are strings, integers that fit
/// std::int64_t, or booleans, keeping member order (for a repeated name the
/// last value wins, at the position of the first). Errors: invalid_argument
/// with the reason (not JSON, not an object, a member of another type).
/// Thread-safe.
[[nodiscard]] Result<Claims> read_claims_json(std::string_view json);

}  // namespace stratus::auth::detail
