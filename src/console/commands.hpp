#pragma once
/// @file
/// The console's gateway commands (issue 21 items 3-4; spec wirepas.md §3.2-3.5): one
/// command line at a time, run to its end — a request is published, answers are matched by
/// `req_id`, operation and `gw_id`, and the command waits for them (per-command
/// `timeout=`) while every other message keeps updating the network map. Arguments are
/// positional in each command's declared order or `key=value` (spec §3.2).
///
/// Output is the original's text (spec §3.3) with what it lacked added (gateway states,
/// hop counts, missing configuration keys shown as `-` instead of a crash), or, with
/// `json`, one JSON object per command: `{"command": …, "ok": true|false, …}`.
///
/// Commands: `gateways`, `sinks`, `nodes`, `networks`, `list`/`ls`, `selection`,
/// `set_gateway`, `set_sink`, `gateway_configuration`, `set_app_config`,
/// `set_sink_config`/`set_config`, `send_data`, `ping`, `scratchpad_status`/
/// `scratchpad_check_sink`, `track_data_packets`, `capture start <file>`/`capture stop`,
/// `record <file>`/`record stop`, `playback <file>`, `clear_offline_gateways`, `settings`,
/// `help`/`?`.
///
/// Not thread-safe: one owner, which also runs the `Link`'s pump.

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/network_map.hpp"
#include "core/error.hpp"

namespace stratus::console {

/// What the commands need of the outside world: publishing, and time during which
/// incoming messages reach `Console::on_message`.
class Link {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Link() = default;
  /// Publishes. Errors: as `mqtt::Client::publish` (unavailable when not connected).
  virtual Result<void> publish(std::string_view topic, std::string_view payload, int qos,
                               bool retain) = 0;
  /// Delivers the messages that arrive until `until`, returning as soon as `done()` is
  /// true (checked after each message and at least every 100 ms).
  virtual void pump(Clock::time_point until, const std::function<bool()>& done) = 0;
};

/// Console behaviour.
struct ConsoleOptions {
  bool json = false;  ///< one JSON object per command
  /// Waits when a command has no `timeout=` (the original's 30 s; ping and other MSAP
  /// commands wait for this much silence instead, 10 s).
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds silence_timeout{std::chrono::seconds(10)};
  /// The `settings` command's lines (secrets already masked).
  std::vector<std::string> settings_lines;
  /// Ends a loop command without an end of its own (`track_data_packets` without
  /// `iterations=`): true once the user typed a line. Unset (scripts): such a loop is
  /// refused instead of running forever.
  std::function<bool()> interrupted;
};

/// See the file comment.
class Console {
 public:
  Console(Link& link, ConsoleOptions options, std::ostream& out);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  /// Every MQTT message, in arrival order (written to the capture when one runs).
  void on_message(const std::string& topic, const std::string& payload, int qos = 0,
                  bool retain = false);
  /// Starts writing every message to `path` (console/capture.hpp), as `capture start`
  /// does. Errors: already_exists when a capture runs; unavailable when the file cannot
  /// be written.
  Result<void> start_capture(const std::string& path);
  /// Runs one command line. False when it failed, timed out or is unknown (the reason
  /// printed); an empty line succeeds and does nothing.
  bool run(std::string_view line);

  [[nodiscard]] const NetworkMap& map() const noexcept { return map_; }
  /// The prompt: `HH:MM.SS | stratus-console[:gw[:sink]] > `, the time local.
  [[nodiscard]] std::string prompt() const;
  /// Every command name, for `help` and completion.
  [[nodiscard]] static const std::vector<std::string>& command_names();

 private:
  struct Awaiting;
  class Output;
  using Args = std::vector<std::string>;  // the words after the command

  // Publishes `payload` as the `operation` request of `req_id` to `gw_id` (and `sink_id`
  // when the operation names one) and waits up to `timeout` for its response, decoded
  // tolerantly; nullopt when it was not published or did not come.
  std::optional<wirepas::pb::GenericMessage> exchange(
      wirepas::Operation operation, const std::string& gw_id, const std::string& sink_id,
      std::uint64_t req_id, const std::string& payload, std::chrono::milliseconds timeout);

  bool gateways(Output& out);
  bool sinks(Output& out);
  bool nodes(Output& out);
  bool networks(Output& out);
  bool selection(Output& out);
  bool set_gateway(Output& out, const Args& args);
  bool set_sink(Output& out, const Args& args);
  bool gateway_configuration(Output& out, const Args& args);
  bool set_app_config(Output& out, const Args& args);
  bool set_sink_config(Output& out, const Args& args);
  bool send_data(Output& out, const Args& args);
  bool ping(Output& out, const Args& args);
  bool scratchpad_status(Output& out, const Args& args);
  bool track_data_packets(Output& out, const Args& args);
  bool capture(Output& out, const Args& args);
  bool record(Output& out, const Args& args);
  bool playback(Output& out, const Args& args);
  bool clear_offline_gateways(Output& out);
  bool settings(Output& out);
  bool help(Output& out);

  Link& link_;
  ConsoleOptions options_;
  std::ostream& out_;
  NetworkMap map_;
  std::string gateway_;  // the selection
  std::string sink_;
  // The answer a command waits for (one at a time), and the MSAP replies it collects.
  struct Pending {
    std::uint64_t req_id = 0;
    std::string operation;
    std::string gw_id;
    std::optional<std::string> answer;  // the response's payload
  } pending_;
  std::function<void(const std::string& topic, const std::string& payload)> collector_;
  std::unique_ptr<std::ostream> capture_;  // `capture start <file>` until `capture stop`
  std::string capture_path_;
  std::uint64_t captured_ = 0;
  std::unique_ptr<std::ostream> record_;  // `record <file>`: the command lines run
  std::string record_path_;
  int playback_depth_ = 0;  // a played-back file may play back another, not endlessly
};

}  // namespace stratus::console
