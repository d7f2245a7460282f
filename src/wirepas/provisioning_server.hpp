#pragma once
/// @file
/// The provisioning server's sessions, sans-I/O (issue 22; spec wirepas.md §5.3, after
/// the original server's `session.py`): one session per (source address, node address,
/// session id); a START whose UID is configured with the same method is answered with
/// DATA (unsecured, or sealed with the node's factory key), an unknown UID with NACK
/// NOT_AUTHORIZED, a known UID with another method with NACK METHOD_NOT_SUPPORTED; a
/// DATA_ACK ends the session with SUCCESS, a NACK with ERROR_NACK_RECEIVED, silence for
/// `timeout` with ERROR_NO_RESPONSE; a repeated START re-encrypts with the next counter
/// and sends DATA again. A failed `send_data` is retried once, then the session ends with
/// ERROR_SENDING_DATA (or ERROR_SENDING_NACK). Replies go through the gateway and sink
/// that delivered the session's most recent packet (by transmission time).
///
/// The driver publishes each `Send` as a `send_data` request with its `req_id` and
/// reports the response (`on_send_result`), feeds received 246 → 255 packets
/// (`on_packet`), and calls `tick` at `next_wakeup`. Where the original loops forever
/// (a send that keeps failing) or overflows (the 16-bit counter), this ends the session
/// or wraps. Not thread-safe: one owner. Times are the caller's (steady clock).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "wirepas/provisioning.hpp"

namespace stratus::wirepas::provisioning {

/// What the server knows about one node (a `provisioning_config` entry).
struct NodeConfig {
  std::string uid;
  std::uint8_t method = 0;                ///< 0 unsecured, 1 secured
  std::optional<FactoryKey> factory_key;  ///< required when secured
  Content content;                        ///< sent in DATA
};

/// Tunables.
struct ServerOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(180)};  ///< wait for the node
  int send_retries = 1;  ///< resends of a DATA or NACK whose send_data failed
};

/// How a session ended (the original's names by `to_string`).
enum class FinalStatus : std::uint8_t {
  success,
  error_sending_data,
  error_sending_nack,
  error_not_authorized,
  error_not_start,
  error_invalid_state,
  error_nack_received,
  error_no_response,
};

/// "SUCCESS", "ERROR_SENDING_DATA", … Pure.
[[nodiscard]] std::string_view to_string(FinalStatus status) noexcept;

/// Where a packet came from: the gateway event's fields.
struct PacketOrigin {
  std::string gw_id;
  std::string sink_id;
  std::uint32_t source_address = 0;
  std::int64_t tx_time_ms = 0;  ///< rx time − travel time
};

/// One session's identity.
struct SessionKey {
  std::uint32_t source_address = 0;
  std::uint32_t node_address = 0;
  std::uint8_t session_id = 0;
  friend auto operator<=>(const SessionKey&, const SessionKey&) = default;
};

/// A `send_data` the driver must publish: `payload` from endpoint 255 to 246 of
/// `destination`, through `gw_id`/`sink_id`, Wirepas QoS 1, with `req_id`.
struct Send {
  std::uint64_t req_id = 0;
  std::string gw_id;
  std::string sink_id;
  std::uint32_t destination = 0;
  std::string payload;
};

/// A finished session.
struct Outcome {
  SessionKey key;
  std::string uid;  ///< empty when no START was seen
  FinalStatus status = FinalStatus::success;
};

/// What a call produced.
struct Actions {
  std::vector<Send> sends;
  std::vector<Outcome> finished;
};

/// See the file comment.
class ProvisioningServer {
 public:
  using Clock = std::chrono::steady_clock;
  /// Finds a node's configuration by UID (nullptr: unknown). Called on every START, so a
  /// configuration reloaded meanwhile counts from the next START on.
  using Lookup = std::function<const NodeConfig*(std::string_view uid)>;

  /// `seed` feeds the counters' random start; request ids come from `new_request_id`.
  ProvisioningServer(Lookup lookup, ServerOptions options, std::uint64_t seed);

  /// A 246 → 255 packet. A malformed frame is ignored (an empty result). Anything but
  /// START for a session that is not open ends at once with ERROR_NOT_START; a DATA for
  /// an open session ends it with ERROR_INVALID_STATE (nodes never send DATA).
  Actions on_packet(const PacketOrigin& origin, std::string_view payload, Clock::time_point now);
  /// The `send_data` response for `req_id` (unknown ids are ignored): `ok` false retries
  /// or ends the session.
  Actions on_send_result(std::uint64_t req_id, bool ok, Clock::time_point now);
  /// Sessions whose wait ran out end with ERROR_NO_RESPONSE.
  Actions tick(Clock::time_point now);
  /// The earliest deadline (nullopt: no session waits).
  [[nodiscard]] std::optional<Clock::time_point> next_wakeup() const;
  /// The gateway a `send_data` in flight was published to (nullopt: no such `req_id`), so
  /// the driver matches a response by `req_id` and gateway as the API requires (spec §1.1).
  [[nodiscard]] std::optional<std::string_view> gateway_of(std::uint64_t req_id) const;
  /// Sessions open now.
  [[nodiscard]] std::size_t sessions() const noexcept { return sessions_.size(); }

 private:
  struct Session {
    enum class State : std::uint8_t { sending_data, sending_nack, waiting } state;
    std::string uid;
    PacketOrigin origin;  // of the most recent packet
    Iv iv{};
    std::uint16_t counter = 0;
    std::string payload;  // the frame being sent
    std::uint64_t req_id = 0;
    std::string sent_via;  // gateway of the send in flight
    int send_failures = 0;
    NackReason nack{};
    Clock::time_point deadline{};
  };

  Actions start(const SessionKey& key, const PacketOrigin& origin, const Start& start,
                Clock::time_point now, Session* existing);
  void send(const SessionKey& key, Session& session, Actions& out);
  void finish(const SessionKey& key, FinalStatus status, Actions& out);

  Lookup lookup_;
  ServerOptions options_;
  std::mt19937_64 rng_;
  std::map<SessionKey, Session> sessions_;
  std::map<std::uint64_t, SessionKey> pending_;  // req_id → session
};

}  // namespace stratus::wirepas::provisioning
