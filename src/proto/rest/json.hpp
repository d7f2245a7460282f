#pragma once
/// @file
/// Reading and writing RainMaker REST bodies (spec rainmaker.md §4.1): the strict
/// readers a server applies to requests (a bad body is invalid_argument with
/// `request_error::invalid_request_body` and a text naming the field, never an
/// exception) and the tolerant readers a client applies to answers (a missing or
/// mistyped member reads as its fallback, since servers differ).
///
/// For the codecs of proto/rest and their two users, `api` and `client`; it includes
/// Boost.JSON, so it stays out of headers that others include. Pure; thread-safe.

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

// --- requests (strict) ------------------------------------------------------------

/// invalid_argument, `request_error::invalid_request_body`, "invalid request body: <what>".
[[nodiscard]] Error invalid_body(std::string_view what);

/// Parses a request body as JSON whose numbers all fit a double. Errors:
/// `invalid_body` for malformed JSON or an out-of-range number.
[[nodiscard]] Result<boost::json::value> parse_body(std::string_view text);

/// `parse_body`, and the top level must be an object. Errors as `parse_body`, and
/// `invalid_body("expected a JSON object")`.
[[nodiscard]] Result<boost::json::object> parse_object_body(std::string_view text);

/// The string member `key`: absent or null → nullopt. Errors: `invalid_body("<key>
/// must be a string")` for another type.
[[nodiscard]] Result<std::optional<std::string>> optional_string(const boost::json::object& o,
                                                                 std::string_view key);

/// The named string members, in order (each as `optional_string`). Errors: the first
/// member's error.
template <std::size_t N>
[[nodiscard]] Result<std::array<std::optional<std::string>, N>> optional_string_fields(
    const boost::json::object& o, const std::array<std::string_view, N>& names) {
  std::array<std::optional<std::string>, N> values;
  for (std::size_t i = 0; i < N; ++i) {
    auto value = optional_string(o, names[i]);
    if (!value)
      return fail(value.error());
    values[i] = std::move(*value);
  }
  return values;
}

/// The boolean member `key`: absent or null → `fallback`. Errors: `invalid_body("<key>
/// must be a boolean")` for another type.
[[nodiscard]] Result<bool> optional_bool(const boost::json::object& o, std::string_view key,
                                         bool fallback = false);

/// The member `key` as an array of strings: absent or null → empty. Errors:
/// `invalid_body("<key> must be an array of strings")`.
[[nodiscard]] Result<std::vector<std::string>> optional_strings(const boost::json::object& o,
                                                                std::string_view key);

/// A JSON integer as int64 (an int64, or a uint64 that fits); nullopt for anything
/// else, including 1.0.
[[nodiscard]] std::optional<std::int64_t> integer(const boost::json::value& v) noexcept;

/// A query boolean the way RainMaker clients send them ("true", "True", "1", "false",
/// "False", "0"); nullopt for anything else.
[[nodiscard]] std::optional<bool> parse_query_bool(std::string_view text);

/// A query integer: absent or empty → nullopt. Errors: `invalid_body`-style
/// invalid_argument "<name> must be an integer" for anything but decimal digits
/// (with an optional '-') that fit an int64.
[[nodiscard]] Result<std::optional<std::int64_t>> parse_query_int(
    std::optional<std::string_view> text, std::string_view name);

/// `num_records` of a paged list: absent → `limits::kDefaultPageSize`. Errors:
/// invalid_argument `invalid_request_body` "num_records must be between 1 and 100".
[[nodiscard]] Result<std::size_t> parse_page_size(std::optional<std::string_view> text);

// --- answers (tolerant) -------------------------------------------------------------

/// Parses a server's answer as a JSON object. Errors: internal "<what>: the server's
/// answer is not a JSON object" (a server that speaks another protocol).
[[nodiscard]] Result<boost::json::object> parse_answer(std::string_view text,
                                                       std::string_view what);

/// The string at `key`, or `fallback` when absent or not a string.
[[nodiscard]] std::string string_or(const boost::json::object& o, std::string_view key,
                                    std::string fallback = {});

/// The integer at `key` (a JSON number, or a string of digits as some RainMaker
/// answers have it), or `fallback`.
[[nodiscard]] std::int64_t int_or(const boost::json::object& o, std::string_view key,
                                  std::int64_t fallback = 0);

/// The boolean at `key`, or `fallback`.
[[nodiscard]] bool bool_or(const boost::json::object& o, std::string_view key,
                           bool fallback = false);

/// The strings of the array at `key` (other elements skipped); empty when absent.
[[nodiscard]] std::vector<std::string> strings_or_empty(const boost::json::object& o,
                                                        std::string_view key);

/// The value at `key` serialized compactly, or empty when absent or null.
[[nodiscard]] std::string document_or_empty(const boost::json::object& o, std::string_view key);

/// The port at `key` when it is 1–65535, else 0 ("not sent").
[[nodiscard]] std::uint16_t port_or_zero(const boost::json::object& o, std::string_view key);

/// JSON text (a stored document, command data) as a value: null when empty or
/// unreadable.
[[nodiscard]] boost::json::value document_value(std::string_view text);

/// `values` as a JSON array of strings (the writer of `optional_strings` and
/// `strings_or_empty`).
[[nodiscard]] boost::json::array strings_json(const std::vector<std::string>& values);

/// `{"status":"success","description":"<description>"}`, the answer of most writes.
[[nodiscard]] boost::json::object success_body(std::string_view description);

}  // namespace stratus::proto::rest
