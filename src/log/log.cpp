#include "log/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace stratus::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::info)};

// One logger for the whole process; the channel is part of the message so a
// line reads "... [info] http: request ...". Guarded because init() may swap it.
struct Sink {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
};

Sink& sink() {
  static Sink s;
  return s;
}

std::shared_ptr<spdlog::logger> current_logger() {
  auto& s = sink();
  std::lock_guard lock(s.mutex);
  if (!s.logger) {
    s.logger = std::make_shared<spdlog::logger>(
        "stratus", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    s.logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%^%l%$] %v");
    s.logger->set_level(spdlog::level::trace);
  }
  return s.logger;
}

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
    case Level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

std::string_view to_string(Channel c) noexcept {
  switch (c) {
    case Channel::main:
      return "main";
    case Channel::http:
      return "http";
    case Channel::mqtt:
      return "mqtt";
    case Channel::link:
      return "link";
    case Channel::storage:
      return "storage";
    case Channel::pki:
      return "pki";
    case Channel::service:
      return "service";
    case Channel::broker:
      return "broker";
    case Channel::agent:
      return "agent";
    case Channel::console:
      return "console";
  }
  return "?";
}

bool parse_level(std::string_view text, Level& out) noexcept {
  static constexpr std::pair<std::string_view, Level> names[] = {
      {"trace", Level::trace}, {"debug", Level::debug}, {"info", Level::info},
      {"warn", Level::warn},   {"error", Level::error}, {"off", Level::off}};
  for (const auto& [name, level] : names) {
    if (text == name) {
      out = level;
      return true;
    }
  }
  return false;
}

void init(Level level, std::string_view file_path) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (!file_path.empty()) {
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(std::string(file_path)));
  }
  auto logger = std::make_shared<spdlog::logger>("stratus", sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z [%^%l%$] %v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::warn);
  {
    auto& s = sink();
    std::lock_guard lock(s.mutex);
    s.logger = std::move(logger);
  }
  g_level.store(static_cast<int>(level));
}

bool enabled(Level level) noexcept {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed) && level != Level::off;
}

void write(Channel channel, Level level, std::string_view message) {
  current_logger()->log(to_spdlog(level), "{}: {}", to_string(channel), message);
}

}  // namespace stratus::log
