#pragma once
/// @file
/// Challenge-response user-node mapping (spec rainmaker.md §4.3, used by
/// `esp-rainmaker-cli provision` and the phone apps when the device advertises
/// `ch_resp`): the user asks the cloud for a challenge, the device signs it
/// with its MQTT private key during provisioning, and the cloud checks the
/// signature with the public key of the node certificate it issued. A valid
/// signature proves the user holds the device, so the user becomes the node's
/// primary user at once: no MQTT message, no polling.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/account_service.hpp"
#include "service/node_signature_verifier.hpp"
#include "storage/claim_repository.hpp"
#include "storage/mapping_challenge_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Error codes of challenge-response mapping, in `Error::reason` and sent as
/// `error_code`. RainMaker's own codes where the spec gives one (103xxx);
/// Stratus's own in 151001–151099, a range no RainMaker REST code uses.
/// Stable: never renumber, only add.
namespace challenge_mapping_error {
/// The request id is past its timeout (spec §4.5 "timed out"). 409.
inline constexpr int timed_out = 103011;
/// The request id is unknown, purged, or was initiated by another user
/// (spec §4.5 "request not found"; the cases are indistinguishable). 404.
inline constexpr int request_not_found = 103018;
/// The challenge response is not hex, or is not a valid signature of the
/// challenge by the node's key (spec §4.3 "invalid challenge response"). 400.
inline constexpr int invalid_response = 103031;
/// `request_id` missing or empty. 400.
inline constexpr int request_id_missing = 151001;
/// `node_id` missing, empty, longer than 64 bytes or with control characters. 400.
inline constexpr int node_id_invalid = 151002;
/// `challenge_response` missing or empty. 400.
inline constexpr int response_missing = 151003;
/// `timeout` not a whole number of seconds within the allowed range. 400.
inline constexpr int timeout_invalid = 151004;
/// No node certificate was issued for `node_id` by this cloud's claiming
/// service, so there is no key to check the signature with. 404.
inline constexpr int no_certificate = 151005;
/// The request id was already used by a verify (each allows one attempt). 409.
inline constexpr int request_used = 151006;
}  // namespace challenge_mapping_error

/// Tunables (config section `mapping`, when wired).
struct ChallengeMappingOptions {
  /// Lifetime of a challenge when initiate names no `timeout` (the CLI sends 360).
  std::chrono::seconds default_timeout{360};
  /// Largest `timeout` accepted; the smallest is 1 s.
  std::chrono::seconds max_timeout{3600};
};

/// What initiate answers (`{"request_id","challenge"}`).
struct MappingChallenge {
  std::string request_id;       ///< 32 lower-case hex characters
  std::string challenge;        ///< 64 lower-case hex characters; the node signs these bytes
  std::int64_t expires_at = 0;  ///< Unix seconds
};

/// The challenge-response mapping use cases. Thread-safe (no mutable state of
/// its own); every call blocks (database, signature check): call it from the
/// blocking pool. Failures carry a `challenge_mapping_error` code in
/// `Error::reason` unless they are storage failures (unavailable/internal).
class ChallengeMapping {
 public:
  /// Keeps references: all arguments but `options` must outlive it.
  ChallengeMapping(storage::MappingChallengeRepository& challenges,
                   storage::ClaimRepository& claims, storage::NodeRepository& nodes,
                   NodeSignatureVerifier& verifier, const Clock& clock,
                   ChallengeMappingOptions options);

  /// `POST user/nodes/mapping/initiate {"timeout":N}`: a fresh challenge for
  /// `who`, answerable once within `timeout` (nullopt: `default_timeout`).
  /// Errors: invalid_argument 151004 for a timeout outside 1 s..`max_timeout`.
  Result<MappingChallenge> initiate(const Principal& who,
                                    std::optional<std::chrono::seconds> timeout);

  /// `POST user/nodes/mapping/verify`: checks `challenge_response_hex` (the
  /// node's signature of the challenge as hex, either case) against the latest
  /// certificate issued for `node_id`, and on success makes `who` a primary
  /// user of the node (creating the node row if it has not talked yet). Other
  /// users of the node are kept (as with the MQTT mapping flow; a factory
  /// reset report drops them). The request is used up by the first attempt
  /// that passes the checks on its inputs and owner, even if the signature is
  /// wrong, so a response cannot be guessed repeatedly.
  /// Errors, checked in this order: invalid_argument 151001 / 151002 / 151003
  /// for missing or malformed fields, 103031 for a response that is not hex
  /// (or longer than 1 KiB of signature); not_found 103018 (unknown request,
  /// or another user's); conflict 151006 (used) or 103011 (expired);
  /// not_found 151005 (no certificate for the node); invalid_argument 103031
  /// (signature does not verify).
  Result<void> verify(const Principal& who, std::string_view request_id, std::string_view node_id,
                      std::string_view challenge_response_hex);

  /// Largest signature accepted (bytes): an RSA-4096 signature is 512.
  static constexpr std::size_t kMaxSignatureBytes = 1024;

 private:
  std::int64_t now_s() const;

  storage::MappingChallengeRepository& challenges_;
  storage::ClaimRepository& claims_;
  storage::NodeRepository& nodes_;
  NodeSignatureVerifier& verifier_;
  const Clock& clock_;
  ChallengeMappingOptions options_;
};

}  // namespace stratus::service
