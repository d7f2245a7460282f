#pragma once
/// @file
/// The node's side of ESP RainMaker local control, sans-I/O (spec rainmaker-device.md §5;
/// ESP-IDF `components/esp_local_ctrl/src/esp_local_ctrl.c`, `esp_local_ctrl_handler.c`;
/// esp-rainmaker `src/core/esp_rmaker_local_ctrl.c`): the endpoints
/// `esp_local_ctrl/version`, `esp_local_ctrl/session` and `esp_local_ctrl/control` of one
/// protocomm session, answering from a `NodeSession`. A transport (the HTTP server of
/// `sim`) feeds it request bodies and sends back what it returns.
///
/// Properties, as the firmware registers them:
///
/// | index | name     | type | flags          | value                                   |
/// |-------|----------|------|----------------|-----------------------------------------|
/// | 0     | `config` | 1    | 1 (read-only)  | the node config JSON (`config_json`)     |
/// | 1     | `params` | 2    | 0              | the params JSON; a set takes a document |
///
/// A set of `params` is the firmware's `esp_rmaker_handle_set_params` with source
/// "local": `NodeSession::apply_user_set` (`SetOrigin::local_control`), the validation and
/// merge of a `params/remote` set, reported to the cloud like any change when connected.
/// Status mapping of `esp_local_ctrl_handler.c`: an index at or past the count, or a set
/// naming the read-only `config`, is `InvalidArgument` (nothing is applied); a set
/// document that is not a JSON object (or is too large) is `InternalError`; params the
/// model refuses are skipped and the status is still `Success`, as the firmware's.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/node_actions.hpp"
#include "agent/node_session.hpp"
#include "core/error.hpp"
#include "protocomm/security.hpp"

namespace stratus::agent {

/// The firmware's default local-control port (`CONFIG_ESP_RMAKER_LOCAL_CTRL_HTTP_PORT`).
inline constexpr std::uint16_t kLocalControlDefaultPort = 8080;

/// A PoP as the firmware generates one when none is set or stored
/// (`esp_rmaker_local_ctrl_get_pop`): 8 lowercase hex characters from 4 random bytes.
[[nodiscard]] std::string make_local_control_pop(const protocomm::RandomSource& random);

/// How local control is secured (`CONFIG_ESP_RMAKER_LOCAL_CTRL_SECURITY`, default 1).
struct LocalControlOptions {
  /// Security of `esp_local_ctrl/session`. The firmware offers 0 and 1 (default 1).
  /// Security 2 is accepted too (ESP-IDF's esp_local_ctrl supports it): user
  /// `protocomm::kSec2Username` ("wifiprov") with the PoP as password.
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  /// Proof of possession (security 1: empty = none; security 2: required). The node
  /// publishes it in the `Local Control` service (`standard::local_control_service`).
  std::string pop;
  /// Randomness of the security engine.
  protocomm::RandomSource random = protocomm::system_random();
};

/// The local-control endpoints of one node, on one protocomm session.
///
/// `handle` errors (the transport then closes the connection without an answer, as
/// esp_http_server does when a protocomm handler fails): not_found for another endpoint;
/// the security engine's errors for `esp_local_ctrl/session` (wrong PoP:
/// unauthenticated); conflict for `esp_local_ctrl/control` before the session is
/// established (security 1 and 2); invalid_argument for a body that does not decrypt
/// (tampered ciphertext) or does not decode as a `LocalCtrlMessage` request.
///
/// Thread-safety: none; drive it and the session from one thread (the agent's).
class LocalControlEngine {
 public:
  /// Errors: those of `make_device_security` (security 2 without a PoP).
  static Result<std::unique_ptr<LocalControlEngine>> create(LocalControlOptions options);
  ~LocalControlEngine();
  LocalControlEngine(const LocalControlEngine&) = delete;
  LocalControlEngine& operator=(const LocalControlEngine&) = delete;

  /// Whether `endpoint` (a name without the leading '/') is served.
  [[nodiscard]] bool serves(std::string_view endpoint) const noexcept;

  /// One request body for `endpoint`; returns the response body. `esp_local_ctrl/version`
  /// answers `{"local_ctrl":{"ver":"v1.0","sec_ver":N,"sec_patch_ver":P}}` (P = 1 for
  /// security 2) whatever the body. Sets append MQTT actions (the report) to `out`.
  Result<std::string> handle(std::string_view endpoint, std::string_view body, NodeSession& session,
                             MqttActions& out);

  /// A new transport session began (a new cookie): the security session starts over.
  void new_session() noexcept;

  /// The security version served.
  [[nodiscard]] protocomm::SecurityVersion security() const noexcept;

 private:
  struct Impl;
  explicit LocalControlEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::agent
