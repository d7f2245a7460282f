#pragma once
/// @file
/// The client side of protocomm as `stratus` drives it (spec rainmaker-device.md §1-§5,
/// rainmaker.md §8; the RainMaker CLI's `rmaker_prov/esp_rainmaker_prov.py`,
/// `challenge_response.py`, `on_network_chal_resp.py`, `rmaker_local_ctrl/`): the
/// sequence of protocomm exchanges of `stratus provision` (SoftAP and on-network) and of
/// local control, over an abstract `ProtocommChannel` so the whole flow runs against an
/// in-process device in tests. The HTTP channel is `client::ProtocommHttp`; the cloud
/// calls go through `MappingCloud` (over `client::Session` in the command).
///
/// Thread-safety: none; every object here is driven from one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/types.hpp"
#include "core/error.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/security.hpp"
#include "protocomm/wifi.hpp"

namespace stratus::cli {

/// Carries one protocomm message: `POST /<endpoint>` with `body`, the answer's body.
/// Errors are the transport's (see `client::ProtocommHttp::send`); an implementation
/// keeps the device's session (cookie, connection) across calls.
class ProtocommChannel {
 public:
  virtual ~ProtocommChannel() = default;
  /// One request, its answer.
  virtual Result<std::string> send(std::string_view endpoint, std::string_view body) = 0;
};

/// The security scheme to use with a device that advertised `info` (`proto-ver`), as the
/// CLI decides it: `requested` (`--sec_ver`) when given, which must be the device's
/// `prov.sec_ver` when it advertises one (else for an old device: 0 only with `no_sec`,
/// 1 or 2 only without); without `requested`, `prov.sec_ver`, else 0 with `no_sec`, else
/// 1. Errors: invalid_argument "the device offers security N, not M" and "security
/// version M is unknown (0, 1, 2)". Pure.
Result<protocomm::SecurityVersion> choose_security(const protocomm::ProtoVersion& info,
                                                   std::optional<int> requested);

/// The credentials of a session.
struct SessionCredentials {
  /// Security 1: the proof of possession (empty when the device has `no_pop`). Security
  /// 2: the password when `sec2_password` is empty (RainMaker derives the SRP verifier of
  /// user "wifiprov" from the PoP).
  std::string pop;
  /// Security 2 user name; empty = `protocomm::kSec2Username` ("wifiprov").
  std::string sec2_username;
  /// Security 2 password; empty = `pop`.
  std::string sec2_password;
};

/// The client engine for `version`. Errors: invalid_argument for security 2 without a
/// password (no `pop`, no `sec2_password`). `patch_version`: the device's
/// `sec_patch_ver` (security 2 only).
Result<std::unique_ptr<protocomm::ClientSecurity>> make_client_security(
    protocomm::SecurityVersion version, int patch_version, const SessionCredentials& credentials,
    protocomm::RandomSource random = protocomm::system_random());

/// A secured protocomm session over a channel: the handshake, then encrypted calls.
class ProtocommClient {
 public:
  /// `channel` must outlive the client.
  ProtocommClient(ProtocommChannel& channel, std::unique_ptr<protocomm::ClientSecurity> security);

  /// Runs the handshake on `session_endpoint` (`prov-session`,
  /// `esp_local_ctrl/session`). Errors: unauthenticated "the device refused the session
  /// (wrong proof of possession or security version?)" when the device hangs up during
  /// the handshake or its proof does not verify; the channel's other errors (unreachable,
  /// timeout) as they are; invalid_argument for an answer that is not a handshake message.
  Result<void> establish(std::string_view session_endpoint);
  /// Encrypts `plaintext`, sends it to `endpoint`, decrypts the answer. Errors: conflict
  /// before `establish`; the channel's; the engine's (a tampered answer). After an error
  /// the session is unusable (security 1's stream is out of step).
  Result<std::string> call(std::string_view endpoint, std::string_view plaintext);
  /// The scheme of the session.
  [[nodiscard]] protocomm::SecurityVersion version() const noexcept;

 private:
  ProtocommChannel* channel_;
  std::unique_ptr<protocomm::ClientSecurity> security_;
};

/// The cloud calls of user-node mapping (a `client::Session` in the command, a fake or a
/// real server in tests). Errors are the call's.
class MappingCloud {
 public:
  virtual ~MappingCloud() = default;
  /// `POST user/nodes/mapping/initiate`.
  virtual Result<client::MappingChallenge> initiate() = 0;
  /// `POST user/nodes/mapping/verify` with the signature as lowercase hex.
  virtual Result<void> verify(std::string_view request_id, std::string_view node_id,
                              std::string_view signature_hex) = 0;
  /// `PUT user/nodes/mapping` (operation add) → request id.
  virtual Result<std::string> add_mapping(std::string_view node_id,
                                          std::string_view secret_key) = 0;
  /// `GET user/nodes/mapping?request_id=`.
  virtual Result<client::MappingStatus> mapping_status(std::string_view request_id) = 0;
};

/// Hooks of the interactive and timed parts.
struct ProvisionHooks {
  /// A line of progress ("Establishing session - Successful"); may be empty.
  std::function<void(std::string_view line)> progress;
  /// Waits between polls; empty = std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  /// Picks the network from a scan (no `--ssid`): the SSID and passphrase, or an error
  /// (no terminal to ask on). Empty = the scan list is printed and the flow stops with
  /// invalid_argument "give --ssid and --passphrase".
  std::function<Result<std::pair<std::string, std::string>>(
      const std::vector<protocomm::WifiScanEntry>&)>
      choose_network;
};

/// What `stratus provision` was told.
struct ProvisionRequest {
  SessionCredentials credentials;
  std::optional<int> sec_ver;  ///< `--sec_ver`; nullopt = from `proto-ver`
  std::optional<std::string> ssid;
  std::string passphrase;
  bool no_wifi = false;  ///< `--no-wifi`: map only
  /// Legacy mapping: the user the node maps to and the secret it will publish (the CLI
  /// uses the id token's `custom:user_id` and a fresh UUID4).
  std::string user_id;
  std::string secret_key;
  /// Polling of the Wi-Fi status and of a legacy mapping request.
  std::chrono::milliseconds poll_interval{1000};
  /// Gives up polling (Wi-Fi status, legacy mapping) after this long (counted in
  /// `poll_interval` steps, so a fake sleep ends it too).
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  /// Randomness of the session (tests fix it).
  protocomm::RandomSource random = protocomm::system_random();
};

/// How it went.
struct ProvisionResult {
  std::string node_id;
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  bool challenge_response = false;  ///< mapped by challenge-response (else legacy)
  bool mapping_confirmed = false;   ///< the cloud says the node is the user's
  std::string ssid;                 ///< the network joined (empty with `no_wifi`)
  std::string ip4_addr;             ///< the station's address once connected
};

/// The whole SoftAP flow (the CLI's `provision_device` + `provision`): `proto-ver`
/// (`choose_security`; a node still waiting for assisted claiming — `rmaker.cap`
/// `claim`/`camera_claim` — is refused with failed_precondition "claim the node
/// first"), the `prov-session` handshake; mapping by challenge-response when
/// `rmaker_extra.cap` has `ch_resp` (cloud initiate → `ch_resp` → cloud verify), else
/// legacy `cloud_user_assoc` {user id, secret}; then, unless `no_wifi`, the network (from
/// `ssid`, else a `prov-scan` and `choose_network`), `prov-config` set + apply, and
/// `GetStatus` polls until connected; finally, for the legacy path, `PUT
/// user/nodes/mapping` and polling until confirmed.
///
/// Errors, each naming the step: the channel's (device unreachable: unavailable;
/// timeout); `establish`'s (wrong PoP: unauthenticated); invalid_argument for an answer
/// that does not decode, a device status other than success (SetConfig refused, the
/// node's `cloud_user_assoc`/`ch_resp` status), no `wifi_scan` capability without
/// `ssid`; failed_precondition "Wi-Fi connection failed: wrong passphrase (auth error)" /
/// "network not found"; timeout when the station or the mapping is not through within
/// `timeout`; conflict when the cloud discarded the mapping; the cloud's errors.
Result<ProvisionResult> provision(ProtocommChannel& channel, MappingCloud& cloud,
                                  const ProvisionRequest& request, const ProvisionHooks& hooks);

/// What `stratus provision --transport on-network` was told.
struct OnNetworkRequest {
  SessionCredentials credentials;
  /// `--sec_ver`; nullopt = the device's `esp_local_ctrl/version` `sec_ver`, else 1 (the
  /// CLI's default for a direct address).
  std::optional<int> sec_ver;
  /// Send `ch_resp` disable after success (the CLI's default for on-network).
  bool disable_after = true;
  protocomm::RandomSource random = protocomm::system_random();
};

/// The on-network challenge-response (the CLI's `perform_on_network_chal_resp_flow`) with
/// an already-connected node: session on `esp_local_ctrl/session`, cloud initiate →
/// `ch_resp` → cloud verify, then (with `disable_after`) `ch_resp` disable. Returns the
/// node id. Errors as `provision`'s; a failed disable is reported through
/// `hooks.progress`, not as an error (the mapping stands).
Result<std::string> on_network_map(ProtocommChannel& channel, MappingCloud& cloud,
                                   const OnNetworkRequest& request, const ProvisionHooks& hooks);

/// Local control of one node (esp_local_ctrl; esp-rainmaker `esp_rmaker_local_ctrl.c`):
/// properties `config` (the node config JSON, read-only) and `params` (the params JSON;
/// a write takes `{"<device>":{"<param>":value}}`), found by name.
class LocalControl {
 public:
  /// Reads `esp_local_ctrl/version` (a device without it counts as security 1, the CLI's
  /// default) and picks the scheme (`sec_ver` when given, which must match the device's),
  /// then runs the handshake on `esp_local_ctrl/session` and reads the property list.
  /// Errors: those of `ProtocommClient::establish` and of the channel; invalid_argument
  /// "the device offers security N, not M", an answer that does not decode, or a
  /// non-success status. `channel` must outlive the object.
  static Result<LocalControl> connect(ProtocommChannel& channel, std::optional<int> sec_ver,
                                      const SessionCredentials& credentials,
                                      protocomm::RandomSource random = protocomm::system_random());
  /// The value of property `name` ("config", "params"). Errors: not_found for a property
  /// the node does not have; invalid_argument for a non-success status or an answer that
  /// does not decode; the channel's.
  Result<std::string> get(std::string_view name);
  /// Writes property `name`. Errors: as `get`; failed_precondition for a read-only
  /// property; invalid_argument "the node refused the value" for a non-success status.
  Result<void> set(std::string_view name, std::string_view value);

 private:
  struct Property {
    std::string name;
    std::uint32_t index = 0;
    std::uint32_t flags = 0;
  };
  explicit LocalControl(ProtocommClient client) : client_(std::move(client)) {}
  Result<const Property*> find(std::string_view name) const;
  ProtocommClient client_;
  std::vector<Property> properties_;
};

}  // namespace stratus::cli
