#pragma once
/// @file
/// What every protocomm endpoint set of a node shares (spec rainmaker-device.md §1.3, §2):
/// the device security engine of a session endpoint, and the dispatch rule of the other
/// endpoints (decrypt → handler → encrypt; security 0 passes messages as they are).
/// Used by `ProvisioningEngine`, `LocalControlEngine` and `OnNetworkChallengeEngine`.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "protocomm/security.hpp"

namespace stratus::agent {

/// The device engine of `security`. `pop`: security 1, the proof of possession (empty:
/// none, `no_pop`); security 2, the password of user `protocomm::kSec2Username`
/// ("wifiprov", as RainMaker derives the salt and verifier from the PoP); ignored for
/// security 0. Errors: invalid_argument for security 2 with an empty `pop`; internal when
/// the sec2 verifier cannot be computed.
Result<std::unique_ptr<protocomm::DeviceSecurity>> make_device_security(
    protocomm::SecurityVersion security, const std::string& pop,
    const protocomm::RandomSource& random);

/// One request to a protected endpoint (not the session or version endpoint): security 0
/// hands `body` to `handler` and returns its answer as it is; security 1 and 2 need an
/// established session (else conflict), decrypt `body` (its errors), call `handler` and
/// encrypt the answer. Errors of `handler` are returned unchanged.
Result<std::string> serve_protected(
    protocomm::DeviceSecurity& security, std::string_view body,
    const std::function<Result<std::string>(std::string_view plain)>& handler);

}  // namespace stratus::agent
