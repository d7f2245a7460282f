#pragma once
/// @file
/// Storage port for claiming (spec rainmaker.md §6): the node ids the claiming
/// service handed out, pending self-claim challenges, and an audit row per
/// issued node certificate. The service layer sees only this interface;
/// storage/sqlite implements it. Times are Unix seconds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// Where a claimed node id is in its life.
enum class ClaimState {
  initiated,  ///< `claim/initiate` answered, no certificate yet
  certified,  ///< at least one certificate issued
};

/// How a certificate was obtained.
enum class ClaimMethod {
  assisted,      ///< with a user token: phone app (assisted) or the CLI (host-driven)
  self,          ///< by the node itself, without a user
  manufactured,  ///< registered from a production batch (ManufacturingRepository)
};

/// A node id handed out by the claiming service.
struct ClaimedNodeRecord {
  std::string node_id;
  std::optional<std::string> user_id;  ///< the claiming user; nullopt for self claiming
  std::string mac_addr;                ///< 12 upper-case hex digits
  std::string platform;                ///< lower-cased, e.g. "esp32s3", "host"
  ClaimState state = ClaimState::initiated;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

/// A pending self-claim challenge: single use, valid until `expires_at`.
struct ClaimChallengeRecord {
  std::string auth_id;
  std::string mac_addr;  ///< 12 upper-case hex digits
  std::string node_id;   ///< the node id the CSR must name (the MAC for self claiming)
  std::string platform;
  std::string challenge;
  std::int64_t expires_at = 0;
  std::int64_t created_at = 0;
};

/// One issued node certificate (audit trail; never updated or removed here).
struct IssuedCertificateRecord {
  std::string node_id;
  std::optional<std::string> user_id;  ///< nullopt for self claiming
  std::string serial_hex;
  std::string fingerprint_hex;
  std::int64_t not_after = 0;
  std::int64_t issued_at = 0;
  ClaimMethod method = ClaimMethod::assisted;
  std::string client_address;  ///< peer IP of the verify request
  /// The issued certificate as PEM; its public key is what challenge-response
  /// mapping (spec §4.3) checks the node's signature with.
  std::string certificate_pem;
  /// When it was revoked (a newer certificate replaced it, or an admin); nullopt
  /// while valid. Set by the store, ignored by `record_certificate`.
  std::optional<std::int64_t> revoked_at;
};

/// A revoked certificate as a revocation list names it.
struct RevokedSerialRecord {
  std::string serial_hex;       ///< lower-case hex
  std::int64_t revoked_at = 0;  ///< Unix seconds
  /// The certificate (PEM) when a manufacturing batch registered it: its issuer is the
  /// Stratus CA or a manufacturing CA, which only the certificate tells. Empty for a
  /// certificate that claiming issued (always the Stratus CA).
  std::string manufactured_pem;
};

/// Claiming storage. Implementations are thread-safe; every call may block.
/// Errors: errc::not_found for unknown keys, errc::unavailable when the
/// database is, errc::internal otherwise.
class ClaimRepository {
 public:
  virtual ~ClaimRepository() = default;

  /// Atomically: the node id already held by (`node.user_id`, `node.mac_addr`)
  /// if there is one (returned unchanged); otherwise stores `node` (which must
  /// carry a user id and a fresh node id) and returns it. Errors:
  /// errc::resource_exhausted when the user already holds `max_nodes_per_user`
  /// node ids; errc::conflict if `node.node_id` is taken (retry with another).
  virtual Result<ClaimedNodeRecord> create_user_node(const ClaimedNodeRecord& node,
                                                     std::size_t max_nodes_per_user) = 0;

  /// The claimed node `node_id`. Errors: errc::not_found.
  virtual Result<ClaimedNodeRecord> get_node(std::string_view node_id) = 0;

  /// How many node ids `user_id` holds.
  virtual Result<std::int64_t> count_user_nodes(std::string_view user_id) = 0;

  /// Stores `challenge`, replacing any other challenge for the same MAC, and
  /// drops every challenge that expired before `challenge.created_at`.
  virtual Result<void> create_challenge(const ClaimChallengeRecord& challenge) = 0;

  /// The challenge `auth_id` (expired or not). Errors: errc::not_found.
  virtual Result<ClaimChallengeRecord> get_challenge(std::string_view auth_id) = 0;

  /// Atomically records an issued certificate:
  /// - if `consumed_auth_id` is not empty, removes that challenge; errc::conflict
  ///   (and nothing written) if it is gone or expired at `certificate.issued_at`
  ///   (a concurrent verify used it first);
  /// - marks `node` certified. With `certificate.user_id` set (user claiming, issue
  ///   13's re-issue rule, checked here again inside the transaction): while the
  ///   node has users, that user must be a primary one (else errc::forbidden); while
  ///   it has none, the claimed node must be that user's (else errc::not_found).
  ///   Without (self claiming): the node is created if absent, and
  ///   errc::already_exists (nothing written) when a certificate of that node id is
  ///   still valid (one valid certificate per node id: a self-claim cannot replace it);
  /// - revokes every earlier certificate of the node id (`revoked_at` =
  ///   `certificate.issued_at`, with `revoke_reason`);
  /// - appends `certificate` to the audit table.
  /// An admin revocation of the node id (ManufacturingRepository::revoke_node) refuses
  /// it with errc::forbidden (nothing written; `reclaim_blocked` tells this refusal from
  /// the re-issue rule's) until an admin allowed reclaiming; the certificate then uses
  /// that permission up.
  /// Returns how many certificates it revoked.
  virtual Result<std::int64_t> record_certificate(const ClaimedNodeRecord& node,
                                                  const IssuedCertificateRecord& certificate,
                                                  std::string_view consumed_auth_id,
                                                  std::string_view revoke_reason = {}) = 0;

  /// SHA-256 fingerprints (lower-case hex) of every revoked certificate that has not
  /// expired at `now_at`: what the broker must refuse. Sorted.
  virtual Result<std::vector<std::string>> revoked_fingerprints(std::int64_t now_at) = 0;

  /// Every revoked certificate that has not expired before `since` (Unix seconds),
  /// sorted by serial: the candidates for the Stratus CA's revocation list
  /// (docs/adr/0037), which keeps an entry for a while past its certificate's notAfter
  /// (RFC 5280 §3.3) and takes the manufactured ones only if the Stratus CA signed them.
  virtual Result<std::vector<RevokedSerialRecord>> revoked_serials(std::int64_t since) = 0;

  /// Whether an admin revoked `node_id` and has not allowed reclaiming it yet
  /// (ManufacturingRepository::revoke_node / allow_reclaim): no certificate is issued.
  virtual Result<bool> reclaim_blocked(std::string_view node_id) = 0;

  /// The audit rows of `node_id`, oldest first.
  virtual Result<std::vector<IssuedCertificateRecord>> list_certificates(
      std::string_view node_id) = 0;

  /// Number of audit rows (all nodes).
  virtual Result<std::int64_t> count_certificates() = 0;

  /// The PEM of the certificate issued last for `node_id` (the one the node was flashed
  /// with) among those neither revoked nor past their notAfter at `now_at` (Unix
  /// seconds): a revoked node's key proves nothing (challenge mapping). nullopt when
  /// there is none, or the latest such audit row predates PEM storage (empty PEM).
  virtual Result<std::optional<std::string>> latest_certificate_pem(std::string_view node_id,
                                                                    std::int64_t now_at) = 0;
};

}  // namespace stratus::storage
