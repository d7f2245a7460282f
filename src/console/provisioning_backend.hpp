#pragma once
/// @file
/// The provisioning server between MQTT and its sessions, sans-I/O (issue 22; spec
/// wirepas.md §5.3): reads `gw-event/received_data/<gw>/<sink>/<net>/246/255` events and
/// `gw-response/send_data/<gw>/<sink>` responses, feeds `wirepas::provisioning::
/// ProvisioningServer`, and turns its sends into `gw-request/send_data/<gw>/<sink>`
/// requests (endpoint 255 → 246, Wirepas QoS 1). Keeps the counters and the recent
/// outcomes for the status file. The configuration can be replaced while sessions run:
/// each START looks its UID up in the configuration current at that moment.
///
/// The driver (`provisioning_server.hpp`) subscribes `filters()`, passes every message
/// and the time, calls `tick` at `next_wakeup`, publishes `Output::publishes` and reports
/// a publish the client refused with `on_publish_failed`. Not thread-safe: one owner.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "console/provisioning_config.hpp"
#include "console/settings.hpp"
#include "wirepas/provisioning_server.hpp"

namespace stratus::console {

/// One finished session, for logs and the status file.
struct ProvisioningOutcome {
  wirepas::provisioning::SessionKey key;
  std::string uid;    ///< `printable_uid`; empty when no START was seen
  std::string name;   ///< the configuration entry's name; empty when unknown
  std::string gw_id;  ///< the gateway of the session's latest packet
  std::string sink_id;
  wirepas::provisioning::FinalStatus status = wirepas::provisioning::FinalStatus::success;
  std::int64_t at_ms = 0;  ///< wall clock, ms since the epoch
};

/// Counters since start.
struct ProvisioningCounters {
  std::uint64_t packets = 0;        ///< 246 → 255 packets read
  std::uint64_t ignored = 0;        ///< messages that were not usable (malformed, wrong endpoints)
  std::uint64_t requests = 0;       ///< send_data requests produced
  std::uint64_t send_failures = 0;  ///< responses with an error, or publishes refused
  std::uint64_t reloads = 0;        ///< configurations applied after the first
  /// Finished sessions by final status name ("SUCCESS", "ERROR_NO_RESPONSE", …).
  std::map<std::string, std::uint64_t, std::less<>> outcomes;
};

/// See the file comment.
class ProvisioningBackend {
 public:
  using Clock = std::chrono::steady_clock;

  /// An MQTT publish to make: QoS 1, not retained.
  struct Publish {
    std::string topic;
    std::string payload;
    std::uint64_t req_id = 0;  ///< report a refused publish with it
  };
  /// What a call produced.
  struct Output {
    std::vector<Publish> publishes;
    std::vector<ProvisioningOutcome> finished;
  };

  /// `seed` feeds the sessions' counters.
  ProvisioningBackend(ProvisioningConfig config, wirepas::provisioning::ServerOptions options,
                      std::uint64_t seed);
  // The sessions' lookup refers to this object: it stays where it was made.
  ProvisioningBackend(const ProvisioningBackend&) = delete;
  ProvisioningBackend& operator=(const ProvisioningBackend&) = delete;

  /// The subscriptions (spec §5.3): received data on 246 → 255 and send_data responses,
  /// narrowed by the `mqtt_subscribe_*` settings.
  [[nodiscard]] static std::vector<std::string> filters(const MqttSettings& settings);

  /// One MQTT message. `wall_ms` stamps outcomes. Anything but the two subscribed topics,
  /// an undecodable payload, or a response to a request we did not send (or sent to
  /// another gateway) changes nothing.
  Output on_message(std::string_view topic, std::string_view payload, Clock::time_point now,
                    std::int64_t wall_ms);
  /// The client refused to publish `req_id` (not connected): a failed send.
  Output on_publish_failed(std::uint64_t req_id, Clock::time_point now, std::int64_t wall_ms);
  /// Sessions whose wait ran out.
  Output tick(Clock::time_point now, std::int64_t wall_ms);
  /// When to call `tick` next (nullopt: no session waits).
  [[nodiscard]] std::optional<Clock::time_point> next_wakeup() const;

  /// Replaces the configuration; open sessions continue.
  void reload(ProvisioningConfig config);
  /// The configuration in use.
  [[nodiscard]] const ProvisioningConfig& config() const noexcept { return *config_; }

  [[nodiscard]] const ProvisioningCounters& counters() const noexcept { return counters_; }
  /// Sessions open now.
  [[nodiscard]] std::size_t sessions() const noexcept { return server_.sessions(); }
  /// The latest outcomes, oldest first (at most 100).
  [[nodiscard]] const std::deque<ProvisioningOutcome>& recent() const noexcept { return recent_; }

 private:
  Output convert(wirepas::provisioning::Actions actions, Clock::time_point now,
                 std::int64_t wall_ms);

  // Owned through a pointer so the lookup the server holds stays valid across reloads.
  std::shared_ptr<ProvisioningConfig> config_;
  wirepas::provisioning::ProvisioningServer server_;
  // The origin of each open session's latest packet, for outcomes.
  std::map<wirepas::provisioning::SessionKey, wirepas::provisioning::PacketOrigin> origins_;
  ProvisioningCounters counters_;
  std::deque<ProvisioningOutcome> recent_;
};

/// The status file's JSON: counters, open sessions, configured nodes and the recent
/// outcomes (docs/wirepas.md shows an example). Pure.
[[nodiscard]] std::string status_json(const ProvisioningBackend& backend, std::int64_t wall_ms);

}  // namespace stratus::console
