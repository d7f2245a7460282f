#pragma once
/// @file
/// Traffic captures (issue 21 item 5): every MQTT message the console sees, one JSON object
/// per line — `{"t_us": <receive time, µs since the epoch>, "topic": "…", "qos": 0-2,
/// "retain": bool, "payload": "<base64>"}` — so a field problem can be replayed into the
/// console's decoders and map offline (`stratus-console replay`). Pure apart from
/// `load_capture` reading a file; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::console {

/// One captured message.
struct CapturedMessage {
  std::int64_t t_us = 0;
  std::string topic;
  std::string payload;  ///< raw bytes
  int qos = 0;
  bool retain = false;
  friend bool operator==(const CapturedMessage&, const CapturedMessage&) = default;
};

/// The line for `m` (without the newline).
[[nodiscard]] std::string encode_capture_line(const CapturedMessage& m);
/// Reads one line. Errors: invalid_argument naming what is wrong (not a JSON object, a
/// missing or mistyped member, a payload that is not base64, qos outside 0-2, an empty or
/// over-long topic).
[[nodiscard]] Result<CapturedMessage> parse_capture_line(std::string_view line);
/// Reads a capture file; blank lines are skipped. Errors: not_found when it cannot be
/// read; invalid_argument `<path>:<line>: <what>` for the first bad line.
[[nodiscard]] Result<std::vector<CapturedMessage>> load_capture(const std::string& path);

}  // namespace stratus::console
