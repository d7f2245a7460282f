#pragma once
/// @file
/// The node's side of RainMaker provisioning over protocomm, sans-I/O (spec
/// rainmaker-device.md §1-§4, rainmaker.md §8): the endpoints of ESP-IDF's Wi-Fi
/// provisioning manager (`proto-ver`, `prov-session`, `prov-config`, `prov-scan`,
/// `prov-ctrl`) and RainMaker's (`cloud_user_assoc`, `ch_resp`) answered from one
/// protocomm session, with a simulated Wi-Fi station. A transport (the SoftAP HTTP server
/// of `sim`) feeds it request bodies and sends back what it returns; events tell the
/// driver when to bring the node online and which mapping to do.
///
/// Wi-Fi is simulated from a list of access points (`WifiNetwork`): applying credentials
/// of a listed SSID with its passphrase connects after `connect_delay`; another passphrase
/// fails with `auth_error`, an unlisted SSID with `network_not_found` (the manager's
/// reasons; no retries). A `GetStatus` that reports `connected` ends provisioning as the
/// firmware's `wifi_prov_mgr_done` does (`finished()`; the transport stops about 1 s
/// later).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/challenge_response.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "protocomm/security.hpp"
#include "protocomm/wifi.hpp"

namespace stratus::agent {

/// One access point the simulated station can see and join.
struct WifiNetwork {
  std::string ssid;        ///< bytes, 1..32
  std::string passphrase;  ///< what the AP accepts (empty for an open network)
  std::int32_t rssi = -50;
  std::uint32_t channel = 6;
  std::string bssid;  ///< 6 bytes; empty: derived from the SSID
  protocomm::WifiAuthMode auth = protocomm::WifiAuthMode::wpa2_psk;
  bool operator==(const WifiNetwork&) const = default;
};

/// The access points a virtual node sees when none are configured: a WPA2 network
/// `stratus-lab` (passphrase `stratus-lab-pass`) and two weaker neighbours.
[[nodiscard]] std::vector<WifiNetwork> default_wifi_networks();

/// How a node provisions.
struct ProvisioningOptions {
  std::string node_id;
  /// Protocomm security of the `prov-session` endpoint.
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  /// Proof of possession. Security 1: empty = none (`no_pop`). Security 2: the password of
  /// user `protocomm::kSec2Username` ("wifiprov"), as RainMaker's `app_network` derives
  /// the salt and verifier from the PoP; must not be empty.
  std::string pop;
  /// Serve `ch_resp` and advertise it in `rmaker_extra` (firmware default: on). Needs
  /// `sign`.
  bool challenge_response = true;
  ChallengeSigner sign;
  /// The scan list and the networks that can be joined.
  std::vector<WifiNetwork> networks = default_wifi_networks();
  /// Time from applied credentials to the station's IP address.
  std::chrono::milliseconds connect_delay{1000};
  /// The address the station "gets" (`WifiConnectedState.ip4_addr`).
  std::string ip4_addr = "192.168.1.42";
  /// Randomness of the security engine (keys, nonces, the sec2 salt).
  protocomm::RandomSource random = protocomm::system_random();
};

/// Where provisioning stands (the manager's `prov_state`/`wifi_state`).
enum class ProvisioningState : std::uint8_t {
  waiting,     ///< not provisioned: no credentials applied yet
  connecting,  ///< credentials received and applied, the station is connecting
  connected,   ///< the station got its IP address: the node goes online
  failed,      ///< the station could not join (`fail_reason`); `prov-ctrl` reset re-arms
};

/// "waiting", "connecting", "connected", "failed".
[[nodiscard]] std::string_view to_string(ProvisioningState state) noexcept;

/// Something the driver must act on.
struct ProvisioningEvent {
  enum class Kind : std::uint8_t {
    credentials_applied,  ///< `ssid`: the station starts connecting
    wifi_connected,       ///< `ssid`: bring the node online (MQTT)
    wifi_failed,          ///< `ssid`, `fail_reason`
    user_mapping,         ///< `user_id`, `secret_key` from `cloud_user_assoc`: publish
                          ///< `user/mapping` once connected (`NodeSession::start_mapping`)
    challenge_signed,     ///< `ch_resp` answered a challenge (informational)
    finished,             ///< `connected` was reported: provisioning is over
  };
  Kind kind = Kind::credentials_applied;
  std::string ssid;
  std::string user_id;
  std::string secret_key;
  protocomm::WifiFailReason fail_reason = protocomm::WifiFailReason::auth_error;
};

/// The provisioning endpoints of one node, on one protocomm session.
///
/// `handle` errors (the transport then closes the connection without an answer, as
/// esp_http_server does when a protocomm handler fails): not_found for an endpoint this
/// node does not serve; the security engine's errors for `prov-session` (wrong PoP:
/// unauthenticated); conflict for an endpoint other than `proto-ver`/`prov-session` before
/// the session is established (security 1 and 2); invalid_argument for a body that does
/// not decrypt or decode as the endpoint's message, a `ch_resp` request other than a
/// challenge or disable (the firmware does not answer `GetNodeID`), an empty challenge;
/// the signer's error. Application failures the firmware reports in a status field are
/// answers, not errors (e.g. `SetConfig` with a 33-byte SSID → `invalid_argument` status).
///
/// Thread-safety: none; drive it from one thread. Keeps a reference to `clock`.
class ProvisioningEngine {
 public:
  /// Errors: invalid_argument for security 2 without a PoP or `challenge_response`
  /// without a signer; internal when the sec2 verifier cannot be computed.
  static Result<std::unique_ptr<ProvisioningEngine>> create(ProvisioningOptions options,
                                                            const Clock& clock);
  ~ProvisioningEngine();
  ProvisioningEngine(const ProvisioningEngine&) = delete;
  ProvisioningEngine& operator=(const ProvisioningEngine&) = delete;

  /// Whether `endpoint` (a name without '/') is served: the transport answers 404 for the
  /// others.
  [[nodiscard]] bool serves(std::string_view endpoint) const noexcept;

  /// One request body for `endpoint`; returns the response body. See the class comment.
  Result<std::string> handle(std::string_view endpoint, std::string_view body);

  /// A new transport session began (a new cookie): the security session starts over.
  void new_session() noexcept;

  /// Runs what is due at the clock's time (the station's connection).
  void tick();
  /// When `tick` has something to do next, if anything.
  [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> next_deadline() const;

  /// The events since the last call, oldest first.
  [[nodiscard]] std::vector<ProvisioningEvent> take_events();

  /// The station's state.
  [[nodiscard]] ProvisioningState state() const noexcept;
  /// True once `connected` has been reported to the client.
  [[nodiscard]] bool finished() const noexcept;
  /// True once `ch_resp` was disabled by the client.
  [[nodiscard]] bool challenge_response_disabled() const noexcept;

 private:
  struct Impl;
  explicit ProvisioningEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The session rule of ESP-IDF's protocomm HTTP transport (`protocomm_httpd.c`
/// `common_post_handler`; spec rainmaker-device.md §1.2): the device has one session. A
/// request continues it when its `Cookie` header is exactly `session=<id>`, or, without a
/// Cookie header, when it arrives on the connection that opened the session. Any other
/// request opens a new session (the old one is closed) whose first answer carries
/// `Set-Cookie: session=<id>`, a fresh random 32-bit id.
///
/// Thread-safety: none.
class SessionCookies {
 public:
  /// Ids come from `random` (4 bytes each).
  explicit SessionCookies(protocomm::RandomSource random = protocomm::system_random());

  /// What to do with one request.
  struct Decision {
    bool new_session = false;  ///< reset the security session before handling it
    /// `session=<id>` for the answer's Set-Cookie (set when `new_session`).
    std::optional<std::string> set_cookie;
  };

  /// Decides for a request on connection `connection` (any id unique among open
  /// connections) with the Cookie header `cookie` (nullopt when absent).
  Decision on_request(std::uint64_t connection, std::optional<std::string_view> cookie);

  /// A connection closed: a later request without a cookie cannot continue the session
  /// by connection any more.
  void on_closed(std::uint64_t connection) noexcept;

 private:
  protocomm::RandomSource random_;
  std::optional<std::uint32_t> session_id_;
  std::optional<std::uint64_t> connection_;
};

}  // namespace stratus::agent
