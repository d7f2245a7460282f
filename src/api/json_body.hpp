#pragma once
/// @file
/// Reading RainMaker JSON request bodies: a bad body is a clear 100006 error
/// naming the field, never an exception.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/error.hpp"

namespace stratus::api {

/// Parses `body` as a JSON object. Errors: invalid_argument 100006 ("invalid
/// request body: …") for malformed JSON or another top-level type.
Result<boost::json::object> parse_object(std::string_view body);

/// The string field `key`: absent or null → nullopt; a string → its value;
/// any other type → invalid_argument 100006 "<key> must be a string".
Result<std::optional<std::string>> optional_string(const boost::json::object& o, std::string_view key);

/// Parses a query boolean the way RainMaker clients send them ("true",
/// "True", "false", "False", "1", "0"); nullopt for anything else.
std::optional<bool> parse_query_bool(std::string_view text);

}  // namespace stratus::api
