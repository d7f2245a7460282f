#pragma once
/// @file
/// Output for people: durations, local times, connectivity, tables, indented JSON,
/// and the one-line error format of the `stratus` command.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "client/types.hpp"
#include "core/error.hpp"

namespace stratus::cli {

/// A duration as people say it, rounded down: "0 s" … "59 s", "1 min" … "59 min",
/// "1 h", "2 h 5 min" … "47 h 59 min", then "2 days", … Negative durations count
/// as 0. Pure; thread-safe.
[[nodiscard]] std::string format_duration(std::chrono::seconds d);

/// `t` in the local time zone (TZ): "14:02" when it is on the same local day as
/// `now`, else "2026-11-20 14:02". Thread-safe (localtime_r).
[[nodiscard]] std::string format_local_time(std::chrono::system_clock::time_point t,
                                            std::chrono::system_clock::time_point now);

/// "online since 14:02" / "offline for 3 min"; without a timestamp (0) just
/// "online" / "offline". `c.timestamp_ms` is milliseconds since the epoch
/// (spec rainmaker.md §9.1). Thread-safe.
[[nodiscard]] std::string connectivity_text(const client::Connectivity& c,
                                            std::chrono::system_clock::time_point now);

/// Columns padded to their widest cell (UTF-8 aware), separated by two spaces,
/// header first, no trailing blanks; each line ends with '\n'. Pure; thread-safe.
[[nodiscard]] std::string render_table(const std::vector<std::string>& header,
                                       const std::vector<std::vector<std::string>>& rows);

/// `items` joined with ", " for a table cell or a line; "-" when there are none. Pure.
[[nodiscard]] std::string list_text(const std::vector<std::string>& items);

/// The node list table: NODE ID, NAME (config info name, "-" when unknown),
/// TYPE, STATUS (`connectivity_text`). "no nodes\n" for an empty list.
[[nodiscard]] std::string node_table(const std::vector<client::NodeDetails>& nodes,
                                     std::chrono::system_clock::time_point now);

/// `json` re-printed with two-space indentation, every line prefixed with
/// `indent`, ending in '\n'. Text that is not JSON comes back unchanged (plus
/// '\n'). Key order is kept. Pure; thread-safe.
[[nodiscard]] std::string pretty_json(std::string_view json, std::string_view indent = {});

/// The one line the `stratus` command prints for a failure, without '\n':
/// "error: <context> (code N)" when the error carries a RainMaker code, else
/// "error: <context>". Line breaks in the context become spaces. Pure.
[[nodiscard]] std::string error_line(const Error& error);

}  // namespace stratus::cli
