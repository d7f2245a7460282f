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
#include "proto/rest/error_codes.hpp"
#include "service/account_service.hpp"
#include "service/node_signature_verifier.hpp"
#include "storage/claim_repository.hpp"
#include "storage/mapping_challenge_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Tunables (config section `mapping`, when wired).
struct ChallengeMappingOptions {
  /// Lifetime of a challenge when initiate names no `timeout` (the CLI sends 360).
  std::chrono::seconds default_timeout{360};
  /// Largest `timeout` accepted; the smallest is 1 s.
  std::chrono::seconds max_timeout{3600};
  /// `accounts.default_node_quota` (0 = unlimited; a user's own quota overrides it).
  std::int64_t default_node_quota = 0;
};

/// What initiate answers (`{"request_id","challenge"}`).
struct MappingChallenge {
  std::string request_id;       ///< 32 lower-case hex characters
  std::string challenge;        ///< 64 lower-case hex characters; the node signs these bytes
  std::int64_t expires_at = 0;  ///< Unix seconds
};

/// The challenge-response mapping use cases. Thread-safe (no mutable state of
/// its own); every call blocks (database, signature check): call it from the
/// blocking pool. Failures carry a `proto::rest::mapping_error` code in
/// `Error::reason` unless they are storage failures (unavailable/internal).
class ChallengeMapping {
 public:
  /// Keeps references: all arguments but `options` must outlive it.
  ChallengeMapping(storage::MappingChallengeRepository& challenges,
                   storage::ClaimRepository& claims, storage::NodeRepository& nodes,
                   NodeSignatureVerifier& verifier, const Clock& clock,
                   ChallengeMappingOptions options, AuditLog& audit);

  /// `POST user/nodes/mapping/initiate {"timeout":N}`: a fresh challenge for
  /// `who`, answerable once within `timeout` (nullopt: `default_timeout`).
  /// Errors: invalid_argument `mapping_error::timeout_invalid` for a timeout outside 1
  /// s..`max_timeout`.
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
  /// Errors, checked in this order: invalid_argument `mapping_error::request_id_missing` /
  /// `mapping_error::node_id_invalid` / `mapping_error::response_missing` for missing or malformed
  /// fields, `mapping_error::invalid_response` for a response that is not hex (or longer than 1 KiB
  /// of signature); not_found `mapping_error::request_not_found` (unknown request, or another
  /// user's); conflict `mapping_error::request_used` (used) or `mapping_error::timed_out`
  /// (expired); not_found `mapping_error::no_certificate` (no certificate for the node);
  /// invalid_argument `mapping_error::invalid_response` (signature does not verify);
  /// forbidden `admin_error::node_quota_reached` (the caller holds its node quota). Every
  /// attempt is audited (`node.mapping.challenge`).
  Result<void> verify(const Principal& who, std::string_view request_id, std::string_view node_id,
                      std::string_view challenge_response_hex);

  /// Largest signature accepted (bytes): an RSA-4096 signature is 512.
  static constexpr std::size_t kMaxSignatureBytes = 1024;

 private:
  Result<void> verify_unaudited(const Principal& who, std::string_view request_id,
                                std::string_view node_id, std::string_view challenge_response_hex);
  std::int64_t now_s() const;

  storage::MappingChallengeRepository& challenges_;
  storage::ClaimRepository& claims_;
  storage::NodeRepository& nodes_;
  NodeSignatureVerifier& verifier_;
  const Clock& clock_;
  AuditLog& audit_;
  ChallengeMappingOptions options_;
};

}  // namespace stratus::service
