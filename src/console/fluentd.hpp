#pragma once
/// @file
/// Log records to fluentd over its forward protocol (spec wirepas.md §4; fluentd's
/// "Forward Protocol Specification v1", Message Mode): each record is the MessagePack array
/// `[tag, time, record]` on a TCP connection, `tag` = `<fluentd_tag>.<fluentd_record>`,
/// `time` in whole seconds, `record` a map of strings (the original's fields `host`,
/// `where`, `type` = level name, and `message`, plus the caller's own).
///
/// Delivery is best effort, as the original's handler: a record that cannot be written
/// within `timeout` is dropped and counted, the connection is retried after `retry_after`;
/// the caller never waits longer than `timeout` per record. Not thread-safe: one owner.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "console/settings.hpp"

namespace stratus::console {

/// See the file comment.
class FluentdSender {
 public:
  /// `settings.hostname` must be set; nothing connects until the first `post`.
  explicit FluentdSender(FluentdSettings settings,
                         std::chrono::milliseconds timeout = std::chrono::seconds(1),
                         std::chrono::milliseconds retry_after = std::chrono::seconds(5));
  ~FluentdSender();
  FluentdSender(const FluentdSender&) = delete;
  FluentdSender& operator=(const FluentdSender&) = delete;

  /// Sends one record: `level` ("INFO", "WARNING", …), `message`, and `fields` as extra
  /// string members. Returns false when it was dropped.
  bool post(std::string_view level, std::string_view message,
            const std::vector<std::pair<std::string, std::string>>& fields = {});

  /// Records dropped so far.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

  /// The MessagePack bytes of one record (what `post` writes). Pure; for tests.
  [[nodiscard]] static std::string encode(
      std::string_view tag, std::int64_t time_s,
      const std::vector<std::pair<std::string, std::string>>& record);

 private:
  bool connect();
  void close();

  FluentdSettings settings_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds retry_after_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::uint64_t dropped_ = 0;
  std::string host_;  // this machine's name, for the `host` field
};

}  // namespace stratus::console
