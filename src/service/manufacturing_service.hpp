#pragma once
/// @file
/// Manufacturing and revocation (issue 18; spec rainmaker.md §7; docs/adr/0014): what
/// Espressif's admin CLI asks of the cloud (node ids for a batch, the MQTT host, node
/// groups, node-certificate registration through an upload URL) and what `stratus-admin`
/// adds (manufacturing CAs, node revocation, reclaim permission, the revoked list).
///
/// Every call is super-admin only (forbidden `request_error::not_authorized` otherwise)
/// except the two signed-URL calls, whose URL is the credential. Registration runs on one
/// worker thread of its own, fed by a bounded queue; per-row errors go into the job's
/// description and never fail the good rows.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/account_service.hpp"
#include "service/audit.hpp"
#include "service/manufacturing_ports.hpp"
#include "service/revocation_list.hpp"
#include "storage/claim_repository.hpp"
#include "storage/manufacturing_repository.hpp"

namespace stratus::service {

/// Tunables (config section `manufacturing`).
struct ManufacturingOptions {
  std::string mqtt_host;       ///< what `GET /v1/admin/mqtt_host` answers
  std::string mqtt_cred_host;  ///< ditto; empty: the same as `mqtt_host`
  /// HMAC key of the upload/download URLs (≥ 32 bytes of secret).
  std::string url_key;
  /// How long an upload or download URL works.
  std::chrono::seconds url_lifetime{3600};
  /// Node ids one request may ask for (the admin CLI's limit per run).
  std::size_t max_node_ids = 50000;
  /// Registration jobs waiting for the worker; beyond → `mfg_error::queue_full`.
  std::size_t max_queued_registrations = 16;
  /// Data rows of one node_certs.csv; beyond → the job fails.
  std::size_t max_rows = 100000;
  /// Per-row errors spelled out in a job's description; the rest are counted.
  std::size_t max_listed_errors = 100;
  /// How long a worker's hold on a job lasts unless renewed (it renews it every third of
  /// this while it runs the job); a job whose worker died is taken again by any
  /// instance's worker this long after its last renewal, at the latest half of it later
  /// (how often a worker looks for such jobs). docs/adr/0014, "Workers".
  std::chrono::seconds job_lease{60};
};

/// `GET /v1/admin/node_ids?request_id=` (the admin CLI polls until `success`).
struct NodeIdsStatus {
  std::string status;  ///< "success" (ids are reserved synchronously)
  std::string url;     ///< signed, unauthenticated download of the ids
};

/// `GET /v1/admin/node_certificates/register?file_name=`.
struct UploadTicket {
  std::string url;  ///< signed, unauthenticated `PUT` of the file
  std::string request_id;
};

/// What `POST /v1/admin/node_certificates/register` asks for.
struct RegistrationRequest {
  std::string request_id;  ///< from the upload ticket
  std::string file_name;
  std::string file_md5;  ///< lower- or upper-case hex of the uploaded bytes
  std::string group_name, parent_group_name;
  std::string type, model, subtype;
  std::string tags;  ///< "k:v,k2:v2" (the admin CLI's form); dynamic `k:@column` refused
  bool force = false;
  bool update_nodes = false;
};

/// `GET /v1/admin/node_certificates/register?request_id=`.
struct RegistrationStatus {
  std::string status;  ///< storage::to_string(RegistrationState)
  std::string description;
  std::int64_t total = 0, registered = 0, failed = 0;
};

/// `GET /v1/admin/node_group?group_name=`: one element of the array.
struct AdminGroup {
  std::string group_id;
  std::string group_name;
  std::optional<std::string> parent_group_id;
};

/// A registered manufacturing CA as listed.
struct ManufacturingCa {
  std::string fingerprint_hex;
  std::string subject;
  std::int64_t not_after = 0;
  std::int64_t added_at = 0;
};

/// What revoking a node did.
struct NodeRevoked {
  std::string node_id;
  std::int64_t certificates = 0;  ///< certificates revoked now
};

/// The manufacturing use cases. Thread-safe; every call but `start`/`stop` blocks
/// (database, files): call it from the blocking pool. Failures carry codes of
/// proto/rest/error_codes.hpp (`mfg_error`) in `Error::reason`.
class ManufacturingService {
 public:
  /// Keeps references: they must outlive it. `revocations` (the list shared with
  /// ClaimService) and `trust` reach the broker.
  ManufacturingService(storage::ManufacturingRepository& repository,
                       CertificateInspector& inspector, BrokerTrust& trust,
                       RevocationList& revocations, RegistrationFileStore& files, AuditLog& audit,
                       const Clock& clock, ManufacturingOptions options);
  ~ManufacturingService();
  ManufacturingService(const ManufacturingService&) = delete;
  ManufacturingService& operator=(const ManufacturingService&) = delete;

  /// Starts the registration worker. It runs the jobs this instance queues and, looking
  /// now and every half `job_lease`, any job queued or left unfinished by an instance
  /// that stopped or died (a job held by another live worker is left to it; a job
  /// restarts from its first row, which is idempotent: a row registered already is
  /// reported as a duplicate of itself). Publishes the registered list and every CA to
  /// the broker. Errors: unavailable (database).
  Result<void> start();
  /// Stops the worker after the row it is on and gives its job back (`queued`); queued
  /// jobs stay queued in the database.
  void stop();

  /// `{"mqtt_host","mqtt_cred_host"}`.
  Result<std::pair<std::string, std::string>> mqtt_host(const Principal& who) const;

  /// `GET /v1/admin/rainmaker_deployment_details`: whether job results are mailed to
  /// the admin (they are not: Stratus has no SES; the CLI then warns and asks).
  Result<bool> deployment_status_mail(const Principal& who) const;

  /// Reserves `count` new node ids (22 characters of shortuuid's base-57 alphabet, the
  /// ids the admin CLI makes locally). Errors: invalid_argument `node_count_invalid`.
  Result<std::string> request_node_ids(const Principal& who, std::int64_t count);
  /// The status of a node-id request and its download URL under `base_url`
  /// (`https://host:port`). Errors: not_found `request_not_found`.
  Result<NodeIdsStatus> node_ids_status(const Principal& who, std::string_view request_id,
                                        std::string_view base_url);
  /// The ids of a signed download URL, comma-separated on one line. Errors: forbidden
  /// `signed_url_invalid`, not_found `request_not_found`.
  Result<std::string> download_node_ids(std::string_view request_id, std::string_view expires,
                                        std::string_view sig);

  /// A new registration request and its upload URL under `base_url`. Errors:
  /// invalid_argument `file_name_invalid`.
  Result<UploadTicket> upload_url(const Principal& who, std::string_view file_name,
                                  std::string_view base_url);
  /// Stores the body of a signed `PUT` (the temp file at `temp_path` is moved). Errors:
  /// forbidden `signed_url_invalid`; conflict `registration_state` when a file is stored.
  Result<void> store_upload(std::string_view request_id, std::string_view expires,
                            std::string_view sig, const std::string& temp_path);
  /// Checks the uploaded file's MD5 and queues the job. Errors: not_found
  /// `request_not_found`; invalid_argument `file_missing`, `md5_mismatch`,
  /// `field_invalid` (tags, names); conflict `registration_state` (queued already);
  /// unavailable `queue_full`.
  Result<std::string> register_certificates(const Principal& who,
                                            const RegistrationRequest& request);
  /// Errors: not_found `request_not_found`.
  Result<RegistrationStatus> registration_status(const Principal& who, std::string_view request_id);
  /// Groups named `group_name` (empty array when none).
  Result<std::vector<AdminGroup>> node_groups(const Principal& who, std::string_view group_name);

  /// Registers a manufacturing CA and adds it to the broker's trust store. Errors:
  /// invalid_argument `ca_invalid`; conflict `ca_exists`.
  Result<ManufacturingCa> add_ca(const Principal& who, std::string_view pem);
  Result<std::vector<ManufacturingCa>> list_cas(const Principal& who);

  /// Revokes every certificate of `node_id` (the broker refuses them and drops a live
  /// session within about a second) and blocks claiming it again. `reason` ≤ 256 bytes.
  /// Errors: not_found `node_not_found`; invalid_argument `field_invalid`; unavailable
  /// when storage fails, or when the revocation is stored but the broker's list could not
  /// be written (`RevocationList::retry` writes it later; revoking again is harmless).
  Result<NodeRevoked> revoke_node(const Principal& who, std::string_view node_id,
                                  std::string_view reason);
  /// Lets the next claim of a revoked node get a certificate. Errors: not_found
  /// `not_revoked`.
  Result<void> allow_reclaim(const Principal& who, std::string_view node_id);
  /// Revoked certificates, newest first; `node_id` filters when not empty.
  Result<std::vector<storage::RevokedCertificate>> list_revoked(const Principal& who,
                                                                std::string_view node_id,
                                                                std::size_t offset,
                                                                std::size_t limit);

  /// Runs one queued job to its end on the calling thread (the worker's body; tests).
  /// Does nothing when the job is not there to take (another worker's lease holds it).
  void process_for_test(std::string_view request_id) { process(request_id); }
  /// This service's worker id: what the database records as the holder of the jobs it
  /// runs (random, one per service object).
  [[nodiscard]] const std::string& worker_id() const { return worker_id_; }

 private:
  // Refusals of a non-admin are audited under `action`.
  Result<void> require_admin(const Principal& who, std::string_view action) const;
  std::int64_t now_s() const;
  std::string sign(std::string_view kind, std::string_view request_id, std::int64_t expires) const;
  Result<void> check_signature(std::string_view kind, std::string_view request_id,
                               std::string_view expires, std::string_view sig) const;
  std::string signed_url(std::string_view base_url, std::string_view path, std::string_view kind,
                         std::string_view request_id) const;
  void process(std::string_view request_id);
  void publish_registered();
  void run_worker();
  // Queues the jobs a worker may take now and the queue does not hold yet.
  Result<void> queue_claimable();

  storage::ManufacturingRepository& repository_;
  CertificateInspector& inspector_;
  BrokerTrust& trust_;
  RevocationList& revocations_;
  RegistrationFileStore& files_;
  AuditLog& audit_;
  const Clock& clock_;
  ManufacturingOptions options_;
  std::string worker_id_;

  std::mutex publish_mutex_;  // the registered list: read and write as one

  std::mutex queue_mutex_;
  std::condition_variable queue_wake_;
  std::deque<std::string> queue_;  // request ids, at most max_queued_registrations
  bool stopping_ = false;
  std::thread worker_;
};

/// Parses the admin CLI's tags argument, "k:v,k2:v2" (spaces around names and values
/// trimmed), into "k:v" strings. Errors: invalid_argument `field_invalid` for an empty
/// name or value, a dynamic `k:@column` reference, a tag over 256 bytes or control
/// characters. Pure.
Result<std::vector<std::string>> parse_admin_tags(std::string_view text);

}  // namespace stratus::service
