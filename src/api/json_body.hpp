#pragma once
/// @file
/// Reading RainMaker JSON request bodies: a bad body is a clear `invalid_request_body` error
/// naming the field, never an exception.

#include <array>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::api {

/// Parses `body` as a JSON object. Errors: invalid_argument `invalid_request_body` ("invalid
/// request body: …") for malformed JSON or another top-level type.
Result<boost::json::object> parse_object(std::string_view body);

/// The string field `key`: absent or null → nullopt; a string → its value;
/// any other type → invalid_argument `invalid_request_body` "<key> must be a string".
Result<std::optional<std::string>> optional_string(const boost::json::object& o,
                                                   std::string_view key);

/// Parses `body` as a JSON object and reads the named string fields, in order
/// (absent or null → nullopt). Errors as `parse_object` / `optional_string`.
template <std::size_t N>
Result<std::array<std::optional<std::string>, N>> string_fields(
    std::string_view body, const std::array<std::string_view, N>& names) {
  auto object = parse_object(body);
  if (!object)
    return fail(object.error());
  std::array<std::optional<std::string>, N> values;
  for (std::size_t i = 0; i < N; ++i) {
    auto value = optional_string(*object, names[i]);
    if (!value)
      return fail(value.error());
    values[i] = std::move(*value);
  }
  return values;
}

/// Parses a query boolean the way RainMaker clients send them ("true",
/// "True", "false", "False", "1", "0"); nullopt for anything else.
std::optional<bool> parse_query_bool(std::string_view text);

}  // namespace stratus::api
