#pragma once
/// @file
/// The on-network challenge-response service, sans-I/O (esp-rainmaker
/// `src/core/esp_rmaker_on_network_chal_resp.c`, `include/esp_rmaker_on_network_chal_resp.h`;
/// the RainMaker CLI's `provision --transport on-network`,
/// `rmaker_tools/rmaker_prov/on_network_chal_resp.py`): an already provisioned node serves
/// `ch_resp` over protocomm HTTP so a user can map it to their account without
/// re-provisioning. Endpoints, named as local control's for the CLI's sake:
///
/// - `esp_local_ctrl/version` → `{"on_network":{"ver":"v1.0","cap":["ch_resp"]}}` (no session)
/// - `esp_local_ctrl/session` → the protocomm handshake (default security 1 without PoP)
/// - `ch_resp` → `RMakerChRespPayload` (`ChallengeResponder`)
///
/// When a client disables challenge-response (the CLI does after a successful mapping),
/// `finished()` turns true and the transport stops 2 s later (`STOP_DELAY_US`). The
/// firmware's default port is 80; it also announces `_esp_rmaker_chal_resp._tcp` over mDNS
/// (not simulated).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "agent/challenge_response.hpp"
#include "core/error.hpp"
#include "protocomm/security.hpp"

namespace stratus::agent {

/// The firmware's default port (`ESP_RMAKER_ON_NETWORK_CHAL_RESP_DEFAULT_CONFIG`).
inline constexpr std::uint16_t kOnNetworkDefaultPort = 80;

/// The `esp_local_ctrl/version` answer of the on-network service (`VERSION_STRING`).
inline constexpr std::string_view kOnNetworkVersionJson =
    R"({"on_network":{"ver":"v1.0","cap":["ch_resp"]}})";

/// How the service is secured.
struct OnNetworkOptions {
  std::string node_id;
  /// Default security 1 (`ESP_RMAKER_ON_NETWORK_SEC1`).
  protocomm::SecurityVersion security = protocomm::SecurityVersion::sec1;
  /// Security 1: the PoP (empty: none, the firmware default). Security 2: the password of
  /// user "wifiprov" (the firmware takes an application's salt and verifier; Stratus
  /// derives them as provisioning does); required.
  std::string pop;
  /// Signs challenges with the node key; required.
  ChallengeSigner sign;
  protocomm::RandomSource random = protocomm::system_random();
};

/// The on-network challenge-response endpoints of one node, on one protocomm session.
///
/// `handle` errors (the transport closes the connection without an answer): not_found for
/// another endpoint; the security engine's errors for the session endpoint; conflict for
/// `ch_resp` before the session is established (security 1 and 2); invalid_argument for a
/// body that does not decrypt or decode; `ChallengeResponder::handle`'s errors.
///
/// Thread-safety: none; drive it from one thread.
class OnNetworkChallengeEngine {
 public:
  /// Errors: invalid_argument without a signer; those of `make_device_security`.
  static Result<std::unique_ptr<OnNetworkChallengeEngine>> create(OnNetworkOptions options);
  ~OnNetworkChallengeEngine();
  OnNetworkChallengeEngine(const OnNetworkChallengeEngine&) = delete;
  OnNetworkChallengeEngine& operator=(const OnNetworkChallengeEngine&) = delete;

  /// Whether `endpoint` (a name without '/') is served.
  [[nodiscard]] bool serves(std::string_view endpoint) const noexcept;
  /// One request body for `endpoint`; returns the response body.
  Result<std::string> handle(std::string_view endpoint, std::string_view body);
  /// A new transport session began: the security session starts over.
  void new_session() noexcept;

  /// True once a client disabled challenge-response: the service stops shortly.
  [[nodiscard]] bool finished() const noexcept;
  /// Challenges signed so far.
  [[nodiscard]] std::uint64_t challenges_signed() const noexcept;

 private:
  struct Impl;
  explicit OnNetworkChallengeEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::agent
