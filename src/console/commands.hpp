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
/// Commands (`help` lists them with their arguments): listing (`gateways`, `sinks`,
/// `nodes`, `networks`, `list`/`ls`, `selection`, `track_devices`), selection
/// (`set_gateway`, `set_sink`), sink requests (`gateway_configuration`, `set_app_config`,
/// `set_sink_config`/`set_config`, `send_data`, `scratchpad_status`/`scratchpad_check_sink`,
/// `scratchpad_upload`/`scratchpad_upload_to_sink`, `scratchpad_update`/
/// `scratchpad_update_only_sink`), remote-API requests to the mesh (`ping`,
/// `scratchpad_check_all`, `scratchpad_update_only_nodes`, `send_msap_cancel`, `set_ndiag`),
/// traffic (`track_data_packets`, `capture`), sessions (`record`, `playback`), display
/// (`toggle_byte_print`, `toggle_pretty_print`, `toggle_silent_loop`,
/// `set_loop_iterations`, `set_loop_timeout`, `set_reply_greeting`), and
/// `clear_offline_gateways`, `settings`, `shell`/`!`, `help`/`?`; and the RainMaker side
/// (`rm_nodes`, `rm_track`; console/rainmaker_map.hpp).
///
/// Not thread-safe: one owner, which also runs the `Link`'s pump.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/network_map.hpp"
#include "console/rainmaker_map.hpp"
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
  /// Asks the user a question (a menu of `set_gateway`/`set_sink`) and returns the line
  /// typed, nullopt at end of input. Unset (scripts): a menu fails, naming the argument.
  std::function<std::optional<std::string>(const std::string& question)> ask;
  /// Told of every command line run: whether it succeeded and, if not, why (the console's
  /// log and fluentd records).
  std::function<void(std::string_view line, bool ok, const std::string& error)> on_command;
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
  [[nodiscard]] const RainMakerMap& rainmaker() const noexcept { return rainmaker_; }
  /// The prompt: `HH:MM.SS | stratus-console[:gw[:sink]] > `, the time local.
  [[nodiscard]] std::string prompt() const;
  /// Every command name (aliases included), sorted, for `help` and completion.
  [[nodiscard]] static const std::vector<std::string>& command_names();
  /// The argument names `command` takes, in positional order (empty for an unknown one).
  [[nodiscard]] static std::vector<std::string> command_keys(std::string_view command);
  /// The ids a command line may name, for completion: gateway ids, sink ids (of the
  /// selected gateway when one is), node addresses and network addresses.
  [[nodiscard]] std::vector<std::string> known_ids() const;

 private:
  class Output;
  using Bound = std::map<std::string, std::string, std::less<>>;  // arguments by name
  struct Command;
  static const std::vector<Command>& commands();

  // What the display commands change (spec §3.2: the toggles and loop settings).
  struct Display {
    bool hex = true;                               // bytes as hex (toggle_byte_print)
    bool pretty = false;                           // JSON indented (toggle_pretty_print)
    bool silent_loop = false;                      // no `#n : time` header per loop iteration
    std::optional<std::uint64_t> loop_iterations;  // nullopt: until interrupted (Inf)
    std::uint64_t loop_timeout_s = 1;              // a loop iteration's length
    std::string greeting = "<< message from";      // before each reply
  };

  // One remote-API (MSAP) reply packet from a node (spec §3.4).
  struct RemoteApiReply;

  // Publishes `payload` as the `operation` request of `req_id` to `gw_id` (and `sink_id`
  // when the operation names one) and waits up to `timeout` for its response, decoded
  // tolerantly; nullopt when it was not published or did not come.
  std::optional<wirepas::pb::GenericMessage> exchange(
      wirepas::Operation operation, const std::string& gw_id, const std::string& sink_id,
      std::uint64_t req_id, const std::string& payload, std::chrono::milliseconds timeout);

  // The commands (see `commands()`), each with its arguments bound.
  bool gateways(Output& out, const Bound& a);
  bool sinks(Output& out, const Bound& a);
  bool nodes(Output& out, const Bound& a);
  bool networks(Output& out, const Bound& a);
  bool list(Output& out, const Bound& a);
  bool selection(Output& out, const Bound& a);
  bool set_gateway(Output& out, const Bound& a);
  bool set_sink(Output& out, const Bound& a);
  bool gateway_configuration(Output& out, const Bound& a);
  bool set_app_config(Output& out, const Bound& a);
  bool set_sink_config(Output& out, const Bound& a);
  bool send_data(Output& out, const Bound& a);
  bool scratchpad_status(Output& out, const Bound& a);
  bool scratchpad_upload(Output& out, const Bound& a);
  bool scratchpad_update(Output& out, const Bound& a);
  bool ping(Output& out, const Bound& a);
  bool scratchpad_check_all(Output& out, const Bound& a);
  bool scratchpad_update_only_nodes(Output& out, const Bound& a);
  bool send_msap_cancel(Output& out, const Bound& a);
  bool set_ndiag(Output& out, const Bound& a);
  bool track_data_packets(Output& out, const Bound& a);
  bool track_devices(Output& out, const Bound& a);
  bool capture(Output& out, const Bound& a);
  bool record(Output& out, const Bound& a);
  bool playback(Output& out, const Bound& a);
  bool clear_offline_gateways(Output& out, const Bound& a);
  bool settings(Output& out, const Bound& a);
  bool toggle_byte_print(Output& out, const Bound& a);
  bool toggle_pretty_print(Output& out, const Bound& a);
  bool toggle_silent_loop(Output& out, const Bound& a);
  bool set_loop_iterations(Output& out, const Bound& a);
  bool set_loop_timeout(Output& out, const Bound& a);
  bool set_reply_greeting(Output& out, const Bound& a);
  bool help(Output& out, const Bound& a);
  bool rm_nodes(Output& out, const Bound& a);
  bool rm_track(Output& out, const Bound& a);
  // `shell <command>` / `!<command>`: the rest of the line, as typed, to /bin/sh.
  bool shell(Output& out, std::string_view command);

  // Runs the command of `line` (its first non-blank character on; `w` its words).
  bool dispatch(Output& out, std::string_view line, const std::vector<std::string>& w);
  // A question for the user: from the played-back file when one plays, else
  // `options_.ask`; the answer is recorded. nullopt when there is no answer.
  std::optional<std::string> ask(Output& out, const std::string& question);
  // Whether a menu can get an answer (a user to ask, or a playback to read it from).
  [[nodiscard]] bool can_ask() const;
  // The original's menu: `i :item` lines and a last "custom <what> id" entry; returns the
  // item chosen (by index, or the id typed), nullopt without an answer.
  std::optional<std::string> menu(Output& out, const std::vector<std::string>& items,
                                  const std::string& what);
  // Sends the remote-API `frame` from endpoint 255 to endpoint 240 of `destination`
  // through `gw_id`/`sink_id` and collects every reply packet from endpoint 240 of that
  // sink until `silence` passes without one; `on_reply` sees each as it comes. nullopt
  // (reason printed) when the send_data request failed or was not answered.
  std::optional<std::vector<RemoteApiReply>> remote_api(
      Output& out, const std::string& gw_id, const std::string& sink_id,
      const std::vector<std::uint8_t>& frame, std::uint32_t destination,
      std::chrono::milliseconds silence,
      const std::function<void(const RemoteApiReply&)>& on_reply);
  // The number of loop iterations `a` asks for (`iterations=`, else the display default);
  // nullopt with the reason printed when invalid or endless without a way to interrupt.
  std::optional<std::optional<std::uint64_t>> loop_iterations(Output& out, const Bound& a);
  // The length of one loop iteration (`update_rate=`, else the display default); nullopt
  // with the reason printed when invalid.
  std::optional<std::chrono::seconds> update_rate(Output& out, const Bound& a);
  // Runs `iterations` periods of `period`, calling `each(n)` before each one; stops early
  // when the user interrupts.
  void loop(std::optional<std::uint64_t> iterations, std::chrono::seconds period,
            const std::function<void(std::uint64_t)>& each);

  Link& link_;
  ConsoleOptions options_;
  std::ostream& out_;
  NetworkMap map_;
  RainMakerMap rainmaker_;
  std::string gateway_;  // the selection
  std::string sink_;
  Display display_;
  // The answer a command waits for (one at a time), and the MSAP replies it collects.
  struct Pending {
    std::uint64_t req_id = 0;
    std::string operation;
    std::string gw_id;
    std::optional<std::string> answer;  // the response's payload
  } pending_;
  std::function<void(const std::string& topic, const std::string& payload)> collector_;
  std::function<void(const RainMakerMessage&)> rainmaker_collector_;  // `rm_track`
  std::unique_ptr<std::ostream> capture_;  // `capture start <file>` until `capture stop`
  std::string capture_path_;
  std::uint64_t captured_ = 0;
  std::unique_ptr<std::ostream> record_;  // `record <file>`: the command lines run
  std::string record_path_;
  std::deque<std::string>* playback_ = nullptr;  // the lines a playback has yet to run
  int playback_depth_ = 0;  // a played-back file may play back another, not endlessly
};

}  // namespace stratus::console
