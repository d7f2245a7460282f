#pragma once
/// @file
/// Internal: tolerant readers for server JSON (Boost.JSON stays in the .cpp files
/// of this module). Nobody outside src/client includes this.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::client::detail {

/// Parses `text` as a JSON object. Errors: internal "<what>: the server's answer is
/// not a JSON object" (a server that speaks another protocol).
Result<boost::json::object> parse_object(std::string_view text, std::string_view what);

/// The string at `key`, or `fallback` when absent or not a string.
std::string string_or(const boost::json::object& o, std::string_view key,
                      std::string fallback = {});

/// The integer at `key` (a JSON number, or a string of digits as some RainMaker
/// answers have it), or `fallback`.
std::int64_t int_or(const boost::json::object& o, std::string_view key, std::int64_t fallback = 0);

/// The boolean at `key`, or `fallback`.
bool bool_or(const boost::json::object& o, std::string_view key, bool fallback = false);

/// The value at `key` serialized compactly, or empty when absent or null.
std::string json_or_empty(const boost::json::object& o, std::string_view key);

}  // namespace stratus::client::detail
