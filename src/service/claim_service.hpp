#pragma once
/// @file
/// Claiming: how a node gets its node id and its MQTT client certificate from
/// this cloud (spec rainmaker.md §6). Three flows share two HTTP calls,
/// `claim/initiate` and `claim/verify`:
/// - assisted (§6.2: the phone app relays for the node) and host-driven (§6.3:
///   the CLI on a PC) are *user claiming*: a user token, a cloud-assigned
///   node id per (user, MAC), and a CSR whose CN is that node id;
/// - self claiming (§6.1): the node alone, no user; node id = its MAC; an
///   HMAC challenge the cloud cannot check (see `self_verify`), so it is
///   governed by policy (`claiming.self_claim`).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/audit.hpp"
#include "service/certificate_issuer.hpp"
#include "service/revocation_list.hpp"
#include "storage/claim_repository.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// Tunables of the claiming service (config section `claiming`).
struct ClaimOptions {
  /// Node ids one user may hold (user claiming); initiate beyond → `claim_error::node_limit`.
  std::size_t max_nodes_per_user = 100;
  /// Who may self-claim (no user token).
  enum class SelfClaim {
    deny,      ///< nobody (the default: the cloud cannot authenticate the node)
    allow,     ///< every MAC
    allowlist  ///< MACs matching an entry of `allowlist`
  };
  SelfClaim self_claim = SelfClaim::deny;
  /// For `allowlist`: normalised MACs (12 upper-case hex digits) or MAC
  /// prefixes (1–11 upper-case hex digits), as `parse_mac_allowlist` returns.
  std::vector<std::string> allowlist;
  /// How long a self-claim challenge may be answered.
  std::chrono::seconds challenge_lifetime{300};
  /// Sent as `mqtt_host` in verify answers (the node stores it); empty: omitted.
  std::string mqtt_host;
  /// `accounts.default_node_quota` (0 = unlimited; a user's own quota overrides it): a
  /// user at its quota may repeat a claim of a MAC it claimed before, not claim a new one
  /// (forbidden `admin_error::node_quota_reached`).
  std::int64_t default_node_quota = 0;
};

/// Parses `claiming.self_claim` ("deny" | "allow" | "allowlist", case-sensitive).
/// Errors: invalid_argument naming the accepted values.
Result<ClaimOptions::SelfClaim> parse_self_claim_policy(std::string_view text);

/// Parses the text of a self-claim allow-list file: one MAC or MAC prefix per
/// line, hex digits with optional ':' / '-' separators and an optional trailing
/// '*' ("7C:DF:A1:00:03:3B", "7CDFA1*", "7c-df-a1"); blank lines and '#'
/// comments (whole-line or trailing) are ignored. Returns the entries as
/// upper-case hex without separators, in file order, duplicates dropped.
/// Errors: invalid_argument listing every bad line as "line N: …". Pure.
Result<std::vector<std::string>> parse_mac_allowlist(std::string_view text);

/// Normalises a MAC address to 12 upper-case hex digits: accepts
/// "7CDFA100033B", "7c:df:a1:00:03:3b", "7c-df-a1-00-03-3b". Errors:
/// invalid_argument with reason proto::rest::claim_error::mac_invalid. Pure.
Result<std::string> normalize_mac(std::string_view mac_addr);

/// What self claiming's initiate answers (`{"auth_id","challenge"}`).
struct SelfClaimChallenge {
  std::string auth_id;    ///< 32 lower-case hex chars (the firmware keeps up to 63)
  std::string challenge;  ///< 64 lower-case hex chars (the firmware keeps up to 128)
};

/// What verify answers (`{"certificate","mqtt_host"}`).
struct ClaimedCertificate {
  std::string node_id;          ///< the certificate's CN
  std::string certificate_pem;  ///< PEM of the node certificate
  std::string mqtt_host;        ///< ClaimOptions::mqtt_host (may be empty)
};

/// The claiming use cases. Thread-safe (stateless; the revocation list orders its own
/// publishing); every call blocks (database, signing): call it from the blocking pool. Failures
/// carry a code of proto/rest/error_codes.hpp (`claim_error`) in `Error::reason`.
class ClaimService {
 public:
  /// Keeps references: they must all outlive it. `nodes` tells who the node's primary
  /// users are (re-issue rule); `revocations` is published whenever a certificate
  /// replaces earlier ones.
  ClaimService(storage::ClaimRepository& repository, storage::NodeRepository& nodes,
               NodeCertificateIssuer& issuer, RevocationList& revocations, const Clock& clock,
               ClaimOptions options, AuditLog& audit);

  /// User claiming, `POST claim/initiate {mac_addr, platform}` with a token:
  /// the node id of (`user_id`, MAC) — the same one again on a repeat, else a
  /// new id of 22 characters [A-Za-z0-9] from the CSPRNG (a valid MQTT client
  /// id). Errors: invalid_argument `claim_error::mac_invalid` (MAC) /
  /// `claim_error::platform_invalid` (platform); resource_exhausted `claim_error::node_limit` when
  /// the user already holds `max_nodes_per_user` node ids.
  /// Claims are audited (`claim.initiate`, `claim.verify`, `claim.self_verify`) with
  /// `client_address` (the caller's IP address; may be empty).
  Result<std::string> initiate(std::string_view user_id, std::string_view mac_addr,
                               std::string_view platform, std::string_view client_address = {});

  /// User claiming, `POST claim/verify {csr}` with a token. The request names
  /// no claim, so the CSR's CN is the node id. Who may get a certificate for it
  /// (issue 13): while the node has a primary user, only a primary user; while it
  /// has none, only the user who initiated the claim. Repeating verify (e.g. a
  /// retried CLI run) issues a new certificate and revokes the earlier ones: one
  /// valid certificate per node id; the revocation list then goes to the broker.
  /// `node_id` (a Stratus extension; empty when absent) must equal the CN. Every
  /// certificate gets an audit row (method assisted). Errors: invalid_argument
  /// `claim_error::csr_missing` (no CSR), `claim_error::csr_invalid` (bad or > 16 KiB CSR),
  /// `claim_error::cn_mismatch` (CN ≠ `node_id`); not_found `claim_error::claim_not_found` (no such
  /// claim, and the caller is not a primary user of the node); forbidden
  /// `claim_error::reissue_forbidden` (the node has other primary users) or
  /// `mfg_error::reclaim_forbidden` (an admin revoked the node and has not allowed
  /// reclaiming it); internal when signing fails.
  Result<ClaimedCertificate> verify(std::string_view user_id, std::string_view node_id,
                                    std::string_view csr_pem, std::string_view client_address);

  /// Self claiming, `POST claim/initiate {mac_addr, platform}` without a token:
  /// a fresh single-use challenge for the MAC (replacing an earlier one),
  /// valid for `challenge_lifetime`. Errors: invalid_argument `claim_error::mac_invalid` /
  /// `claim_error::platform_invalid`; forbidden `claim_error::self_claim_disabled` (policy deny) or
  /// `claim_error::mac_not_allowed` (MAC not in the allow-list).
  Result<SelfClaimChallenge> self_initiate(std::string_view mac_addr, std::string_view platform);

  /// Self claiming, `POST claim/verify {auth_id, challenge_response, csr}`.
  /// The node answers with HMAC-SHA512(challenge) keyed by a secret burnt into
  /// its eFuse that only Espressif knows, so this cloud cannot check it: any
  /// non-empty response (≤ 512 bytes) is accepted and trust rests on the
  /// policy (checked again here) and the challenge being fresh and single use.
  /// The CSR's CN must be the node id = the MAC given at initiate. A node id that
  /// already holds a valid certificate is refused whatever the policy (issue 13):
  /// self claiming cannot take over a node in use. The challenge is consumed only
  /// when a certificate is issued. Errors: invalid_argument
  /// `claim_error::challenge_response_missing` (auth_id or response missing),
  /// `claim_error::csr_missing`, `claim_error::csr_invalid`, `claim_error::cn_mismatch` (CN ≠ MAC);
  /// forbidden `claim_error::challenge_invalid` (unknown, expired or used auth_id),
  /// `claim_error::self_claim_disabled` / `claim_error::mac_not_allowed` (policy),
  /// `claim_error::already_certified` (already certified), `mfg_error::reclaim_forbidden`
  /// (an admin revoked the node and has not allowed reclaiming it).
  Result<ClaimedCertificate> self_verify(std::string_view auth_id,
                                         std::string_view challenge_response,
                                         std::string_view csr_pem, std::string_view client_address);

  /// Largest CSR accepted (PEM bytes); an RSA-4096 CSR is about 1.7 KiB.
  static constexpr std::size_t kMaxCsrBytes = 16 * 1024;

 private:
  Result<std::string> initiate_unaudited(std::string_view user_id, std::string_view mac_addr,
                                         std::string_view platform);
  Result<ClaimedCertificate> verify_unaudited(std::string_view user_id, std::string_view node_id,
                                              std::string_view csr_pem,
                                              std::string_view client_address);
  Result<ClaimedCertificate> self_verify_unaudited(std::string_view auth_id,
                                                   std::string_view challenge_response,
                                                   std::string_view csr_pem,
                                                   std::string_view client_address);
  Result<void> check_policy(const std::string& mac) const;
  Result<void> check_csr_size(std::string_view csr_pem) const;
  Result<void> check_reclaim(std::string_view node_id) const;
  std::int64_t now_s() const;

  storage::ClaimRepository& repository_;
  storage::NodeRepository& nodes_;
  NodeCertificateIssuer& issuer_;
  RevocationList& revocations_;
  const Clock& clock_;
  AuditLog& audit_;
  ClaimOptions options_;
};

}  // namespace stratus::service
