#pragma once
/// @file
/// The node's `ch_resp` endpoint (spec rainmaker-device.md §4.2; esp-rainmaker
/// `src/core/esp_rmaker_chal_resp.c`), shared by every transport that serves it: the
/// provisioning manager (`ProvisioningEngine`) and the on-network challenge-response
/// service (`OnNetworkChallengeEngine`). Works on plaintext `RMakerChRespPayload` bytes;
/// the caller's protocomm session decrypts and encrypts.

#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::agent {

/// Signs a challenge as the firmware's `esp_rmaker_node_auth_sign_msg` does (SHA-256, then
/// ECDSA with a DER signature or RSA-PSS, with the node's MQTT key): raw signature bytes.
using ChallengeSigner = std::function<Result<std::string>(std::string_view challenge)>;

/// One `ch_resp` handler with its enabled/disabled state.
///
/// A challenge (`TypeCmdChallengeResponse`) is signed and answered with the signature and
/// the node id; `TypeCmdDisableChalResp` disables the handler (answered success), after
/// which challenges are answered with status `Disabled` and no signature.
///
/// Thread-safety: none; the owner serialises calls.
class ChallengeResponder {
 public:
  /// Answers for `node_id`, signing with `sign` (must be callable).
  ChallengeResponder(std::string node_id, ChallengeSigner sign);

  /// What one request did.
  struct Answer {
    std::string response;           ///< plaintext `RMakerChRespPayload` bytes
    bool signed_challenge = false;  ///< a challenge was signed
    bool disabled_now = false;      ///< this request disabled the handler
  };

  /// Handles one plaintext request. Errors (the transport closes the connection, as the
  /// firmware's handler failing does): invalid_argument for bytes that do not decode, a
  /// `GetNodeID` request (not served by the firmware), an empty challenge; the signer's
  /// error.
  Result<Answer> handle(std::string_view plain);

  /// True once a client disabled the handler.
  [[nodiscard]] bool disabled() const noexcept { return disabled_; }

 private:
  std::string node_id_;
  ChallengeSigner sign_;
  bool disabled_ = false;
};

}  // namespace stratus::agent
