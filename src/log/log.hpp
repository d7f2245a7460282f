#pragma once
/// @file
/// The logging facade: channels, levels and key=value fields over spdlog.
/// spdlog stays out of this header; only fmt (light) is included.
///
///   log::info(log::Channel::http, "request method={} route={} status={} latency_ms={}", ...);
///
/// Thread-safe: every function may be called from any thread.

#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace stratus::log {

/// One channel per subsystem; the name is printed on every line.
enum class Channel { main, http, mqtt, link, storage, pki, service, broker, agent, console };

/// Severity, lowest first.
enum class Level { trace, debug, info, warn, error, off };

/// Channel name as printed ("http").
std::string_view to_string(Channel c) noexcept;

/// Parses "trace|debug|info|warn|error|off". Returns false on an unknown name.
bool parse_level(std::string_view text, Level& out) noexcept;

/// Process-wide set-up: minimum level and, when `file_path` is non-empty, a log
/// file in addition to stderr. Call once from main before other threads start;
/// later calls replace the sinks.
void init(Level level, std::string_view file_path = {});

/// True if a message at `level` would be written (cheap; check before formatting).
bool enabled(Level level) noexcept;

/// Writes one already formatted line.
void write(Channel channel, Level level, std::string_view message);

template <class... Args>
void trace(Channel c, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::trace))
    write(c, Level::trace, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(Channel c, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::debug))
    write(c, Level::debug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(Channel c, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::info))
    write(c, Level::info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(Channel c, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::warn))
    write(c, Level::warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(Channel c, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::error))
    write(c, Level::error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace stratus::log
