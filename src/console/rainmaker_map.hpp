#pragma once
/// @file
/// The console's RainMaker side (issue 21 item 6; spec rainmaker.md §1): node traffic on a
/// broker (stratusd's embedded one with its backend identity, or any broker carrying
/// RainMaker node topics) decoded message by message, and a map of the nodes seen.
///
/// Topics: `node/<id>/<suffix>` and the firmware's basic-ingest form
/// `$aws/rules/<rule>/node/<id>/<suffix>` (proto/topics.hpp), Stratus presence
/// `$stratus/presence/<id>` (retained, published by the broker plugin), and AWS IoT's
/// `$aws/events/presence/{connected,disconnected}/<id>`. Every payload goes through the
/// decoder the cloud uses (node config, params, alerts, OTA, command-response TLV,
/// user mapping, time series); one that does not decode is reported with the reason, never
/// dropped silently and never fatal. The user-mapping secret is never shown.
///
/// Sans-I/O: the caller passes the wall time. Not thread-safe: one owner (the console).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stratus::console {

/// One node as its traffic showed it.
struct RainMakerNode {
  std::string node_id;
  std::string name;  ///< from its node config (empty until one is seen)
  std::string type;
  std::string model;
  std::string fw_version;            ///< from its node config or an `otafetch`
  std::optional<bool> online;        ///< from presence; unknown until an event arrives
  std::int64_t online_since_ms = 0;  ///< the presence event's time (ms since the epoch)
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t last_params_ms = 0;  ///< the last `params/local` (or init) report; 0: none
  std::uint64_t messages = 0;
  std::uint64_t alerts = 0;
  std::string ota_status;  ///< the last `otastatus` state (`in-progress`, `success`, …)
};

/// One RainMaker message, decoded.
struct RainMakerMessage {
  std::string node_id;
  /// The topic's suffix (`config`, `params/local`, `from-node`, …) or `presence`.
  std::string kind;
  bool decoded = true;  ///< false: `error` says why the payload was refused
  std::string error;
  std::string summary;  ///< one line for a person
  std::string json;     ///< the decoded content as one JSON object (`{}` when refused)
};

/// See the file comment.
class RainMakerMap {
 public:
  /// One MQTT message: nullopt when the topic is not a RainMaker one (the map unchanged).
  std::optional<RainMakerMessage> on_message(std::string_view topic, std::string_view payload,
                                             std::int64_t wall_ms);
  [[nodiscard]] const std::map<std::string, RainMakerNode, std::less<>>& nodes() const noexcept {
    return nodes_;
  }

 private:
  RainMakerNode& node(std::string_view node_id, std::int64_t wall_ms);
  std::map<std::string, RainMakerNode, std::less<>> nodes_;
};

/// The topic filters that carry what `RainMakerMap` reads.
[[nodiscard]] const std::vector<std::string>& rainmaker_filters();

}  // namespace stratus::console
