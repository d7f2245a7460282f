#pragma once
/// @file
/// `Session`: the RainMaker REST API (spec rainmaker.md §4) as typed, blocking
/// calls over libcurl, with the token handling of the RainMaker CLI (§4.2).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/server_url.hpp"
#include "client/types.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "proto/rest/manufacturing.hpp"

namespace stratus::client {

/// How to reach a server.
struct SessionOptions {
  /// The server: "http://127.0.0.1:8080", "https://host:8443/", or the RainMaker
  /// CLI's "https://host/v1/" form (see `parse_server_url`).
  std::string url;
  /// PEM file of CAs to trust for https; empty = the system's CA store.
  std::string ca_file;
  /// Time to set up a connection (TCP + TLS).
  std::chrono::milliseconds connect_timeout{5000};
  /// Whole-request limit for ordinary calls (spec §4.1: 5 s).
  std::chrono::milliseconds request_timeout{5000};
  /// Whole-request limit for slow calls: sign-up and password mails, claiming
  /// (key checks and signing on the server) (spec §4.1: 60 s).
  std::chrono::milliseconds long_request_timeout{60000};
  /// Streamed image uploads (`Session::upload_ota_image`) may take
  /// `long_request_timeout` plus one second per this many bytes (spec: 60 s for OTA
  /// images; a 200 MB image over a slow link needs longer). 0 = no allowance per byte.
  std::uint64_t upload_bytes_per_second = 256 * 1024;
  /// A token whose `exp` is at most this far ahead is refreshed before use.
  std::chrono::seconds refresh_margin{30};
};

/// The whole-request limit of a streamed upload of `bytes` bytes:
/// `options.long_request_timeout` plus `bytes / options.upload_bytes_per_second`
/// seconds (rounded up). Pure.
[[nodiscard]] std::chrono::milliseconds upload_timeout(const SessionOptions& options,
                                                       std::uint64_t bytes);

/// One client of one server, holding the user's tokens.
///
/// Errors of every call: a non-2xx answer becomes an `Error` with the errc of
/// the HTTP status, `reason` = the server's `error_code` and `context` = its
/// `description` (`error_from_response`); a network failure is unavailable or
/// timeout with context "cannot reach <server>: <cause>". Authenticated calls
/// without tokens fail with unauthenticated "not logged in" (reason 0).
///
/// Tokens: before each authenticated call, an access token whose `exp` is within
/// `refresh_margin` is refreshed (`GET <root>/apiversions` must list "v1", then
/// `POST v1/login2 {"refreshtoken"}`); a 401 with `account_error::access_token_invalid`
/// triggers one refresh and retry. The refresh token is kept as it was issued at login, as the
/// RainMaker CLI does (the server tolerates that, docs/adr/0003).
///
/// Thread-safety: none. Use one `Session` from one thread at a time (it owns one
/// libcurl handle whose connection it reuses); separate sessions are independent.
class Session {
 public:
  /// A session without tokens. Errors: invalid_argument for a bad `options.url`.
  /// `clock` decides token expiry and must outlive the session.
  [[nodiscard]] static Result<Session> open(SessionOptions options,
                                            const Clock& clock = system_clock());

  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  /// The parsed server URL.
  [[nodiscard]] const ServerUrl& server() const;
  /// The tokens held (empty strings when not logged in).
  [[nodiscard]] const Tokens& tokens() const;
  /// Replaces the tokens (e.g. loaded from the CLI's profile store).
  void set_tokens(Tokens tokens);
  /// Drops the tokens.
  void clear_tokens();
  /// Whether an access token and a refresh token are held.
  [[nodiscard]] bool logged_in() const;
  /// Called (on the calling thread) whenever the session obtained new tokens by
  /// login or refresh, so they can be stored.
  void on_tokens_changed(std::function<void(const Tokens&)> callback);
  /// The body of the last answer received (any status), as the server sent it; for
  /// the CLI's `--json` output of single-call commands.
  [[nodiscard]] const std::string& last_body() const;

  // --- unauthenticated ------------------------------------------------------

  /// `GET <root>/apiversions` → the `supported_versions` list.
  Result<std::vector<std::string>> api_versions();
  /// `GET <root>/metrics` (Stratus; no auth, loopback or as configured) → the Prometheus
  /// text exposition, as served.
  Result<std::string> metrics();
  /// `GET <root>/mqtt_host` (no auth) → host and, from Stratus, the port (§6.4).
  Result<MqttHost> mqtt_host();
  /// Sign-up step 1: `POST v1/user2 {user_name, password}` (the server mails a code).
  Result<void> sign_up(std::string_view user_name, std::string_view password);
  /// Sign-up step 2: `POST v1/user2 {user_name, verification_code}`.
  Result<void> confirm_sign_up(std::string_view user_name, std::string_view code);
  /// `POST v1/login2 {user_name, password}`; keeps and returns the tokens.
  Result<Tokens> login(std::string_view user_name, std::string_view password);
  /// Refreshes now (see the class comment), whatever the expiry. Errors:
  /// unauthenticated when no refresh token is held or the server refuses it
  /// (reason `account_error::refresh_failed`); unavailable when the server does not list API "v1".
  Result<void> refresh();
  /// Forgot password step 1: `PUT v1/forgotpassword2 {user_name}` (mails a code).
  Result<void> forgot_password(std::string_view user_name);
  /// Forgot password step 2: `PUT v1/forgotpassword2 {user_name, password,
  /// verification_code}`.
  Result<void> reset_password(std::string_view user_name, std::string_view new_password,
                              std::string_view code);

  // --- authenticated ----------------------------------------------------------

  /// `POST v1/logout2?logout_all=<all>`; drops the tokens on success.
  Result<void> logout(bool all = false);
  /// `GET v1/user2`.
  Result<UserInfo> user_info();
  /// `PUT v1/user2` (display name, alert-mail opt-in); returns the user afterwards.
  Result<UserInfo> update_user(const UserUpdate& update);
  /// One page of `GET v1/user/nodes[?start_id=]` (`num_records` 1..100; 0 = the
  /// server's default).
  Result<NodePage> list_node_ids(std::string_view start_id = {}, int num_records = 0);
  /// All node ids, following `next_id` (at most 10 000 pages).
  Result<std::vector<std::string>> all_node_ids();
  /// One page of `GET v1/user/nodes?node_details=true[&start_id=]`.
  Result<NodePage> list_node_details(std::string_view start_id = {}, int num_records = 0);
  /// Details of every node (following `next_id`), or of one (`node_id` given;
  /// unknown → not_found `node_error::node_not_found`).
  Result<std::vector<NodeDetails>> node_details(std::optional<std::string> node_id = {});
  /// `GET v1/user/nodes/config?node_id=` → the node config document, as the node
  /// wrote it (JSON text).
  Result<std::string> node_config(std::string_view node_id);
  /// `GET v1/user/nodes/status?node_id=`.
  Result<Connectivity> node_status(std::string_view node_id);
  /// `GET v1/user/nodes/params?node_id=` → the reported params document (JSON text).
  Result<std::string> node_params(std::string_view node_id);

  /// `GET v1/user/nodes/alerts`: the node's alerts, newest first (`query.node_id` is
  /// required). Errors: not_found (`node_error::node_not_found`) for a node the caller
  /// cannot see.
  Result<AlertPage> alerts(const AlertQuery& query);

  /// `POST v1/user/webhooks`: returns the new webhook's id. Errors: the server's
  /// (`event_error::webhook_*`, `node_error::node_not_found`).
  Result<std::string> add_webhook(const WebhookRequest& request);
  /// `GET v1/user/webhooks`.
  Result<std::vector<WebhookInfo>> webhooks();
  /// `DELETE v1/user/webhooks?webhook_id=`.
  Result<void> remove_webhook(std::string_view webhook_id);

  /// The access token, refreshed first when it expires within `refresh_margin` (for
  /// connections that carry the token themselves: the event stream). Errors as
  /// `refresh`; unauthenticated "not logged in" without tokens.
  Result<std::string> fresh_access_token();
  /// `PUT v1/user/nodes/params` with the batch body `[{"node_id","payload"}]`
  /// (1..`proto::rest::limits::kMaxSetsPerRequest` entries, each payload a JSON
  /// object). 200 and 207 answers both give the per-node outcomes. Errors:
  /// invalid_argument for a payload that is not a JSON object or a batch of another
  /// size (before sending), else as the class comment.
  Result<std::vector<SetOutcome>> set_params(const std::vector<NodeParams>& sets);
  /// `PUT v1/user/nodes/mapping {node_id, secret_key, user_id, operation:"add"}` →
  /// the mapping `request_id`. `user_id` empty → taken from the id token.
  Result<std::string> add_mapping(std::string_view node_id, std::string_view secret_key,
                                  std::string_view user_id = {});
  /// `PUT v1/user/nodes/mapping {node_id, secret_key:"", user_id, operation:"remove"}`.
  Result<void> remove_mapping(std::string_view node_id, std::string_view user_id = {});
  /// `GET v1/user/nodes/mapping?request_id=`. Errors: internal for a status word
  /// this client does not know.
  Result<MappingStatus> mapping_status(std::string_view request_id);
  /// `POST v1/user/nodes/mapping/initiate {"timeout":<timeout_s>}` → the request id and
  /// the challenge the node must sign (spec rainmaker.md §4.3; the CLI sends 360).
  /// Errors: the server's (`mapping_error::*`); internal when the answer lacks either.
  Result<MappingChallenge> mapping_initiate(std::int64_t timeout_s = 360);
  /// `POST v1/user/nodes/mapping/verify {"request_id","node_id","challenge_response"}`
  /// with the node's signature as lowercase hex (what the CLI sends): maps the node to
  /// the caller. Errors: the server's (a bad signature, an expired request).
  Result<void> mapping_verify(std::string_view request_id, std::string_view node_id,
                              std::string_view signature_hex);
  /// `PUT v1/user/nodes?node_id= {"tags":[…]}` (tags are "key:value").
  Result<void> add_tags(std::string_view node_id, const std::vector<std::string>& tags);
  /// `DELETE v1/user/nodes?node_id= {"tags":[…]}`.
  Result<void> remove_tags(std::string_view node_id, const std::vector<std::string>& tags);
  /// `PUT v1/user/nodes?node_id= {"metadata":<metadata_json>}` (merge rules of
  /// spec §9.6). Errors: invalid_argument when `metadata_json` is not a JSON object.
  Result<void> set_metadata(std::string_view node_id, std::string_view metadata_json);
  /// Deletes one metadata key (`{"metadata":{"<key>":null}}`) or, with no key, all
  /// metadata (`{"metadata":null}`).
  Result<void> delete_metadata(std::string_view node_id, std::optional<std::string> key = {});
  /// `POST v1/user/nodes/cmd` (spec §3.5) → the request id and, when some node was
  /// not sent to (the 207 answer), the per-node outcomes grouped as the server sent
  /// them. Errors as the class comment. Uses the long timeout (spec §4.1).
  Result<CommandCreated> create_command_request(const CommandRequest& request);
  /// `GET v1/user/nodes/cmd?request_id=[&node_id=][&start_id=][&num_records=]` → one page
  /// of records.
  Result<CommandPage> command_requests(std::string_view request_id, std::string_view node_id = {},
                                       std::string_view start_id = {}, int num_records = 0);
  /// `GET v1/user/nodes/tsdata` (or `simple_tsdata` when `query.simple`) with the
  /// query's parameters (rainmaker-cloud.md §4.1, §4.2) → one page of values; follow
  /// `next_id` by setting it as `query.start_id`. Errors as the class comment (the
  /// server's 126xxx/136xxx codes in `Error::reason`).
  Result<TsDataAnswer> tsdata(const TsDataQuery& query);
  /// `POST <root>/claim/initiate {mac_addr, platform}` with the user's token →
  /// the node id the server assigned (spec §6.3 step 6).
  Result<std::string> claim_initiate(std::string_view mac_addr, std::string_view platform);
  /// `POST <root>/claim/verify {csr}` with the user's token → the certificate and,
  /// from Stratus, its CA and the MQTT endpoint (spec §6.3 step 8).
  Result<ClaimVerified> claim_verify(std::string_view csr_pem);

  // --- sharing (nodes: `user/nodes/sharing`; groups: `user/node_group/sharing`) ------

  /// `PUT …/sharing` → the request id and the server's description. Sharing answers are
  /// judged by their `status` (the failure shape), as the RainMaker CLI does.
  Result<ShareCreated> share(SharingKind kind, const ShareRequest& request);
  /// `DELETE …/sharing?nodes|groups=a,b&user_name=` (ids and name percent-encoded).
  Result<void> unshare(SharingKind kind, const std::vector<std::string>& ids,
                       std::string_view user_name);
  /// `GET …/sharing[?node_id=|group_id=]` → who has access (`id` empty: all of the
  /// caller's nodes or groups).
  Result<std::vector<SharingUsers>> sharing_users(SharingKind kind, std::string_view id = {});
  /// `GET …/sharing/requests?primary_user=<sent>[&request_id=]`, following
  /// `next_request_id` (at most 10 000 pages) → every request sent (`sent`) or received.
  Result<SharingRequestPage> sharing_requests(SharingKind kind, bool sent,
                                              std::string_view request_id = {});
  /// `PUT …/sharing/requests {"accept","request_id"}`.
  Result<void> answer_sharing_request(SharingKind kind, std::string_view request_id, bool accept);
  /// `DELETE …/sharing/requests?request_id=` (the sender cancels).
  Result<void> cancel_sharing_request(SharingKind kind, std::string_view request_id);

  // --- automations (`user/node_automation`) ------------------------------------------

  /// `POST v1/user/node_automation` → the new automation id.
  Result<std::string> create_automation(const AutomationFields& fields);
  /// `PUT v1/user/node_automation?automation_id=` with the fields that are set.
  Result<void> update_automation(std::string_view automation_id, const AutomationFields& fields);
  /// `DELETE v1/user/node_automation?automation_id=`.
  Result<void> remove_automation(std::string_view automation_id);
  /// The caller's automations (only those of trigger node `node_id` when not empty),
  /// following `next_id` (at most 10 000 pages); with `automation_id`, that one.
  Result<std::vector<Automation>> automations(std::string_view node_id,
                                              std::string_view automation_id);

  // --- groups (`user/node_group`) -----------------------------------------------------

  /// `POST v1/user/node_group` → the new group id. Errors: invalid_argument when
  /// `custom_data_json` is set and not a JSON object (before sending).
  Result<std::string> create_group(const GroupFields& fields);
  /// `PUT v1/user/node_group?group_id=` with the fields that are set (also `nodes` with
  /// `operation` "add"|"remove"). Errors as `create_group`.
  Result<void> update_group(std::string_view group_id, const GroupFields& fields);
  /// `DELETE v1/user/node_group?group_id=`.
  Result<void> remove_group(std::string_view group_id);
  /// Every group of the caller, following `next_id` (at most 10 000 pages).
  Result<GroupPage> list_groups(bool sub_groups);
  /// `GET v1/user/node_group?group_id=[&sub_groups=true][&node_details=true|&node_list=true]`
  /// → the group. Errors: not_found (`group_error::group_not_found`) when the answer holds
  /// no group.
  Result<Group> group(std::string_view group_id, bool sub_groups, bool node_list,
                      bool node_details);

  // --- OTA, admin (`v1/admin/ota*`; super-admins only: others get 403 `100004`) -------
  // (rainmaker-cloud.md §6.2, §6.3; docs/adr/0013)

  /// `POST v1/admin/otaimage/upload?image_name=&fw_version=&model=&type=&project_name=`
  /// with the file as an `application/octet-stream` body of its size, streamed from disk
  /// (never read whole), within `upload_timeout(options, size)` → the stored image.
  /// Errors: not_found / unavailable when the file cannot be read; the server's `104xxx`
  /// (header checks, size, a declared version that differs from the header's).
  Result<OtaImage> upload_ota_image(const OtaImageFile& image);
  /// One page of `GET v1/admin/otaimage[?start_id=][&num_records=][&archived=true]`
  /// (`archived`: only archived images, else only the others).
  Result<OtaImagePage> ota_images(bool archived, std::string_view start_id = {},
                                  int num_records = 0);
  /// Every image (archived or not, as `ota_images`), following `next_id` (at most 10 000
  /// pages).
  Result<std::vector<OtaImage>> all_ota_images(bool archived);
  /// `GET v1/admin/otaimage?ota_image_id=` → that image, with a download URL valid 24 h.
  /// Errors: not_found `104015`.
  Result<OtaImage> ota_image(std::string_view ota_image_id);
  /// `PUT v1/admin/otaimage?ota_image_id=&archive=true|false`. An archived image cannot
  /// be used by new jobs (`104034`).
  Result<void> archive_ota_image(std::string_view ota_image_id, bool archive);
  /// `DELETE v1/admin/otaimage?ota_image_id=`. Errors: conflict `104016` while a job
  /// uses it.
  Result<void> delete_ota_image(std::string_view ota_image_id);
  /// `POST v1/admin/otajob` with `job` as the body → the new job's id. Errors: the
  /// server's `104xxx`/`105xxx` (name taken, no targets, priority, rollout, …).
  Result<std::string> create_ota_job(const NewOtaJob& job);
  /// One page of `GET v1/admin/otajob[?start_id=][&num_records=]`.
  Result<OtaJobPage> ota_jobs(std::string_view start_id = {}, int num_records = 0);
  /// Every job, following `next_id` (at most 10 000 pages).
  Result<std::vector<OtaJob>> all_ota_jobs();
  /// `GET v1/admin/otajob?ota_job_id=` → the job with its per-state counts. Errors:
  /// not_found `105012`.
  Result<OtaJob> ota_job(std::string_view ota_job_id);
  /// `PUT v1/admin/otajob {"ota_job_id"}`: cancels the job (nodes not yet updated are
  /// `cancelled`) → the job afterwards.
  Result<OtaJob> cancel_ota_job(std::string_view ota_job_id);
  /// `PUT v1/admin/otajob {"ota_job_id","resume":true}`: a paused rollout continues.
  Result<void> resume_ota_job(std::string_view ota_job_id);
  /// One page of `GET v1/admin/otajob/status?ota_job_id=[&node_id=][&start_id=]
  /// [&num_records=]`: the nodes' states in a job.
  Result<OtaNodeStatusPage> ota_job_statuses(std::string_view ota_job_id,
                                             std::string_view node_id = {},
                                             std::string_view start_id = {}, int num_records = 0);
  /// Every node's state in a job (only `node_id`'s when not empty), following `next_id`
  /// (pages of 100, at most 10 000 pages).
  Result<std::vector<OtaNodeStatus>> all_ota_job_statuses(std::string_view ota_job_id,
                                                          std::string_view node_id = {});

  // --- manufacturing, admin (rainmaker.md §7; super-admins only) ----------------------

  /// `GET v1/admin/mqtt_host` → the broker host nodes are given (and `mqtt_cred_host`).
  /// Errors: internal when the answer has no `mqtt_host`.
  Result<AdminMqttHost> admin_mqtt_host();
  /// `POST v1/admin/node_ids {"node_count"}` → the request id to poll with
  /// `node_ids_status`. Errors: the server's; internal when the answer has no
  /// `request_id` (the server's `status`/`description` in the context).
  Result<std::string> request_node_ids(std::int64_t node_count);
  /// `GET v1/admin/node_ids?request_id=` → `in_progress`, or `success` with the URL of
  /// the ids, or `failure` with a description.
  Result<NodeIdsStatus> node_ids_status(std::string_view request_id);
  /// `GET <url>` without the access token (the admin CLI fetches it unauthenticated; a
  /// URL starting with '/' is taken relative to the server's root) → the ids of the
  /// comma-separated answer (`proto::parse_node_id_list`). Errors: the transport's;
  /// internal when the answer is not such a list.
  Result<std::vector<std::string>> download_node_ids(std::string_view url);
  // --- manufacturing and revocation, admin (docs/adr/0014; docs/api.md) --------------

  /// `GET v1/admin/node_certificates/register?file_name=` → the signed upload URL and the
  /// registration's request id.
  Result<proto::rest::UploadUrlAnswer> certificate_upload_url(std::string_view file_name);
  /// `PUT <url>` with `bytes` as an `application/octet-stream` body, without the access
  /// token (the signed URL is the credential), within the long timeout.
  Result<void> put_to_signed_url(const std::string& url, std::string bytes);
  /// `POST v1/admin/node_certificates/register` with `registration` → the request id.
  /// Errors: the server's `156xxx` (MD5 mismatch, no upload, queue full, …).
  Result<std::string> register_certificates(
      const proto::rest::CertificateRegistration& registration);
  /// `GET v1/admin/node_certificates/register?request_id=` → the job's status.
  Result<proto::rest::RegistrationStatusAnswer> certificate_registration_status(
      std::string_view request_id);
  /// `POST v1/admin/cacert {"certificate"}` → the registered CA. Errors: `156009`, `156010`.
  Result<proto::rest::CaCertificateAnswer> register_ca_certificate(std::string_view pem);
  /// `POST v1/admin/nodes/revoke {"node_id","reason"}` → certificates revoked now.
  Result<std::int64_t> revoke_node(std::string_view node_id, std::string_view reason);
  /// `POST v1/admin/nodes/allow_reclaim {"node_id"}`. Errors: not_found `156012`.
  Result<void> allow_node_reclaim(std::string_view node_id);
  /// One page of `GET v1/admin/nodes/revoked[?node_id=][&start=][&num_records=]`.
  Result<proto::rest::RevokedPage> revoked_certificates(std::string_view node_id,
                                                        std::int64_t start, int num_records);

  // --- OTA, users (rainmaker-cloud.md §6.1; rainmaker.md §4.6) -------------------------

  /// `POST v1/user/otaimage` with `upload` (base64 image, at most
  /// `proto::rest::kMaxBase64ImageBytes` decoded; primary users) → the image's
  /// `image_url` (and, from Stratus, its `ota_image_id`). Uses the long timeout.
  Result<OtaImage> upload_user_ota_image(const OtaImageUpload& upload);
  /// `GET v1/user/nodes/ota_status?node_id=&ota_job_id=` → the node's state in that job.
  /// Errors: not_found `105024`.
  Result<OtaNodeStatus> node_ota_status(std::string_view node_id, std::string_view ota_job_id);
  /// `GET v1/user/nodes/ota_update?node_id=` → whether an update is offered to the node.
  Result<OtaUpdateCheck> ota_update_check(std::string_view node_id);
  /// `POST v1/user/nodes/ota_update {"ota_job_id","node_id"}`: approves (or pushes) the
  /// update of a user-approval job. Errors: `102001` offline, `105036`, `105061`.
  Result<void> approve_ota_update(std::string_view node_id, std::string_view ota_job_id);
  /// The node's OTA-using-params service (rainmaker.md §4.6), read from its node config
  /// (`GET v1/user/nodes/config`); nullopt when the config has no `esp.service.ota`
  /// service. Errors: those of `node_config`; internal when the config is not a JSON object.
  Result<std::optional<OtaParamsService>> ota_params_service(std::string_view node_id);
  /// The progress of an OTA-using-params update, read from the node's params
  /// (`GET v1/user/nodes/params`). Errors: those of `node_params`; internal when the
  /// answer is not a JSON object.
  Result<OtaParamsProgress> ota_params_progress(std::string_view node_id,
                                                const OtaParamsService& service);
  /// Sets the service's `esp.param.ota_url` param to `url` (one `set_params` entry),
  /// which starts the update on the node. Errors: invalid_argument when the service has
  /// no URL param (before sending); those of `set_params`; the node's refusal as
  /// invalid_argument with its description and code.
  Result<void> start_ota_params_update(std::string_view node_id, const OtaParamsService& service,
                                       std::string_view url);

  // --- fleet administration and audit (`v1/admin/…`; super-admins only, 403 `100004`
  // otherwise; docs/api.md "Fleet administration and audit") ---------------------------
  /// One page of `GET v1/admin/nodes` with `query`'s filters.
  Result<FleetNodePage> fleet_nodes(const FleetNodeQuery& query);
  /// `GET v1/admin/nodes?node_id=` → the node, its users and its audit history. Errors:
  /// not_found `157006`.
  Result<FleetNodeDetail> fleet_node(std::string_view node_id);
  /// `DELETE v1/admin/nodes/mapping?node_id=` → how many users lost the node.
  Result<std::int64_t> unmap_node(std::string_view node_id);
  /// `PUT v1/admin/nodes/primary {"node_id","user"}` (`user`: id or user name).
  Result<void> set_primary_user(std::string_view node_id, std::string_view user);
  /// One page of `GET v1/admin/users[?start_id=][&num_records=]`.
  Result<UserPage> admin_users(std::string_view start_id = {}, int num_records = 0);
  /// `PUT v1/admin/users/status {"user","disabled"}`.
  Result<void> set_user_disabled(std::string_view user, bool disabled);
  /// `PUT v1/admin/users/quota {"user","node_quota"}` (nullopt sends null: the default) →
  /// the user afterwards.
  Result<UserSummary> set_user_quota(std::string_view user, std::optional<std::int64_t> quota);
  /// One page of `GET v1/admin/audit` with `query`'s filters, newest first.
  Result<AuditPage> audit_log(const AuditQuery& query);

  /// `GET v1/admin/wirepas/credentials` → the Wirepas gateways and operators allowed on
  /// the embedded broker, by name (docs/adr/0018). Errors: conflict `158001` (disabled).
  Result<std::vector<WirepasCredential>> wirepas_credentials();
  /// `POST v1/admin/wirepas/credentials {"role","name"}` → the credential with its
  /// generated password (shown only now). Errors: `158002`–`158004`.
  Result<IssuedWirepasCredential> add_wirepas_credential(std::string_view role,
                                                         std::string_view name);
  /// `DELETE v1/admin/wirepas/credentials?name=`. Errors: not_found `158005`.
  Result<void> remove_wirepas_credential(std::string_view name);

  /// The process-wide system clock (the default of `open`).
  [[nodiscard]] static const Clock& system_clock();

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::client
