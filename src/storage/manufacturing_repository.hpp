#pragma once
/// @file
/// Storage port for manufacturing (issue 18; spec rainmaker.md §7; docs/adr/0014): node
/// ids reserved for production batches, node-certificate registration jobs, registered
/// manufacturing CAs, admin node groups, registered (manufactured) nodes and admin
/// revocations of nodes. Registered certificates live in the claim audit table
/// (`claim_certificates`, method `manufactured`), so revocation, the broker's lists and
/// challenge-response mapping treat them like claimed ones. Times are Unix seconds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// Where a registration job is.
enum class RegistrationState {
  awaiting_upload,  ///< upload URL handed out, no file yet
  uploaded,         ///< the file is stored, registration not requested yet
  queued,           ///< registration requested, waiting for the worker
  in_progress,      ///< the worker is on it
  success,          ///< every row registered
  partial_success,  ///< some rows registered, some refused
  failure,          ///< no row registered (or the file was unusable)
};

/// The state's name as stored and as the REST status shows it ("in_progress", …). Pure.
std::string_view to_string(RegistrationState state) noexcept;
/// The state named `text`; nullopt for an unknown name. Pure.
std::optional<RegistrationState> parse_registration_state(std::string_view text) noexcept;

/// One node_certs.csv upload and its registration job.
struct RegistrationRecord {
  std::string request_id;
  std::string file_name;  ///< as the admin named it (a label; never a path on disk)
  RegistrationState state = RegistrationState::awaiting_upload;
  std::string options = "{}";  ///< JSON object text: what the POST asked for (group, type, …)
  std::string created_by;      ///< user id of the admin
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t total = 0;       ///< data rows in the file
  std::int64_t registered = 0;  ///< rows registered
  std::int64_t failed = 0;      ///< rows refused
  std::string description;      ///< human-readable outcome, with per-row errors
};

/// A registered manufacturing CA.
struct ManufacturingCaRecord {
  std::string fingerprint_hex;  ///< SHA-256 of the DER, lower-case hex
  std::string subject;          ///< one-line subject, e.g. "CN=Acme Factory CA,O=Acme"
  std::string certificate_pem;
  std::int64_t not_after = 0;
  std::string added_by;
  std::int64_t added_at = 0;
};

/// An admin node group (the admin CLI's `node_group` shape).
struct AdminGroupRecord {
  std::string group_id;
  std::string group_name;
  std::optional<std::string> parent_group_id;
  std::int64_t created_at = 0;
};

/// What one registered row stores.
struct NodeRegistration {
  std::string node_id;
  std::string request_id;
  std::string serial_hex;
  std::string fingerprint_hex;
  std::int64_t not_after = 0;
  std::string certificate_pem;
  std::string qrcode;  ///< the row's QR payload (may be empty)
  std::string type, model, subtype;
  std::string tags_json = "[]";  ///< JSON array of "key:value" strings, merged into the node's tags
  std::optional<std::string> group_id;  ///< the node joins this admin group
  /// Replace a different valid certificate of the node id (its earlier certificates are
  /// revoked with `revoke_reason`).
  bool force = false;
  /// The node id already holds this very certificate: update its attributes instead of
  /// refusing the row.
  bool update_nodes = false;
  std::string revoke_reason;
  std::int64_t at = 0;
};

/// What `register_node` did.
enum class RegistrationOutcome {
  registered,  ///< certificate recorded, node created or updated
  updated,     ///< same certificate already registered: attributes updated (`update_nodes`)
};

/// A revoked certificate, as listed to admins.
struct RevokedCertificate {
  std::string node_id;
  std::string serial_hex;
  std::string fingerprint_hex;
  std::string method;  ///< "assisted" | "self" | "manufactured"
  std::int64_t revoked_at = 0;
  std::string reason;
};

/// An admin revocation of a node (claiming it again needs `allow_reclaim`).
struct NodeRevocationRecord {
  std::string node_id;
  std::string reason;
  std::string revoked_by;
  std::int64_t revoked_at = 0;
  bool reclaim_allowed = false;
};

/// Manufacturing storage. Implementations are thread-safe; every call may block.
/// Errors: errc::not_found for unknown keys, errc::unavailable when the database is,
/// errc::internal otherwise.
class ManufacturingRepository {
 public:
  virtual ~ManufacturingRepository() = default;

  /// Reserves `node_ids` under `request_id` in one transaction. Errors: errc::conflict
  /// (nothing written) when one of them is already reserved, claimed or certified.
  virtual Result<void> create_node_ids(std::string_view request_id,
                                       const std::vector<std::string>& node_ids,
                                       std::string_view created_by, std::int64_t at) = 0;
  /// The node ids reserved under `request_id`, in reservation order. Errors: not_found.
  virtual Result<std::vector<std::string>> node_ids(std::string_view request_id) = 0;

  virtual Result<void> create_registration(const RegistrationRecord& record) = 0;
  virtual Result<RegistrationRecord> get_registration(std::string_view request_id) = 0;
  /// Replaces the stored record of `record.request_id` if its stored state is still
  /// `expected` (a compare-and-set: of two requests to queue one upload, only the first
  /// moves it). Not for a job a worker holds: see `update_claimed_registration`.
  /// Errors: not_found; conflict when the stored state differs; nothing changes then.
  virtual Result<void> update_registration(const RegistrationRecord& record,
                                           RegistrationState expected) = 0;

  /// Takes the job `request_id` for `worker` (an id unique to one worker's run) until
  /// `lease_until` (Unix seconds), if it is `queued`, or `in_progress` under a lease
  /// that ended before `now` (its worker died; docs/adr/0014, "Workers"): state
  /// `in_progress`, `updated_at = now`. Of several workers taking one job, one gets it.
  /// Returns the record as taken; nullopt when there is nothing to take (another
  /// worker's lease holds it, it finished, or it was never queued). Errors: not_found.
  virtual Result<std::optional<RegistrationRecord>> claim_registration(
      std::string_view request_id, std::string_view worker, std::int64_t now,
      std::int64_t lease_until) = 0;
  /// Stores the state, counts, description and `updated_at` of `record`, a job `worker`
  /// holds, and moves its lease to `lease_until` (0 once the job is finished or given
  /// back as `queued`). Returns false, writing nothing, when `worker` no longer holds it
  /// (the lease ended and another worker took it).
  virtual Result<bool> update_claimed_registration(const RegistrationRecord& record,
                                                   std::string_view worker,
                                                   std::int64_t lease_until) = 0;
  /// Request ids of the jobs a worker may take at `now` (as `claim_registration`), oldest
  /// first, at most `limit`: the workers' start and their periodic look for jobs queued
  /// on, or left by, an instance that ended.
  virtual Result<std::vector<std::string>> claimable_registrations(std::int64_t now,
                                                                   std::size_t limit) = 0;

  /// Stores a CA. Errors: already_exists when its fingerprint is registered.
  virtual Result<void> create_ca(const ManufacturingCaRecord& ca) = 0;
  /// Every registered CA, oldest first.
  virtual Result<std::vector<ManufacturingCaRecord>> list_cas() = 0;

  /// The group named `name` under `parent_group_id` (nullopt: a top-level group),
  /// created at `at` with a fresh id `new_group_id` when missing.
  virtual Result<AdminGroupRecord> ensure_group(std::string_view name,
                                                const std::optional<std::string>& parent_group_id,
                                                std::string_view new_group_id, std::int64_t at) = 0;
  /// Every group named `name` (top-level and children), by id.
  virtual Result<std::vector<AdminGroupRecord>> find_groups(std::string_view name) = 0;

  /// Registers one node certificate atomically. Refuses (nothing written):
  /// errc::conflict when the certificate is registered to another node id or was
  /// revoked; errc::already_exists when the node id holds another valid certificate and
  /// `force` is off, or holds this one and neither `update_nodes` nor `force` is on.
  /// Otherwise revokes the node id's other valid certificates (with `revoke_reason`),
  /// records this one (method `manufactured`) unless it is there already, clears an
  /// admin revocation of the node id, creates or updates the node (type, model, tags)
  /// and stores its registration and group membership. Returns what it did and how many
  /// certificates it revoked.
  virtual Result<std::pair<RegistrationOutcome, std::int64_t>> register_node(
      const NodeRegistration& registration) = 0;

  /// SHA-256 fingerprints of every manufactured certificate that is neither revoked nor
  /// expired at `now_at`: what the broker accepts from non-Stratus CAs. Sorted.
  virtual Result<std::vector<std::string>> registered_fingerprints(std::int64_t now_at) = 0;

  /// Revokes every valid certificate of `node_id` (reason `reason`) and records the
  /// admin revocation (reclaiming refused until `allow_reclaim`). Returns how many
  /// certificates it revoked. Errors: not_found when the node id has no certificate
  /// and is not a known node.
  virtual Result<std::int64_t> revoke_node(std::string_view node_id, std::string_view reason,
                                           std::string_view revoked_by, std::int64_t at) = 0;
  /// Lets the next claim of `node_id` get a certificate. Errors: not_found when the node
  /// has no admin revocation.
  virtual Result<void> allow_reclaim(std::string_view node_id) = 0;
  /// The admin revocation of `node_id`, if any.
  virtual Result<std::optional<NodeRevocationRecord>> node_revocation(std::string_view node_id) = 0;
  /// Revoked certificates, newest revocation first, after the first `offset`; at most
  /// `limit`; only of `node_id` when it is not empty.
  virtual Result<std::vector<RevokedCertificate>> list_revoked(std::string_view node_id,
                                                               std::size_t offset,
                                                               std::size_t limit) = 0;
};

}  // namespace stratus::storage
