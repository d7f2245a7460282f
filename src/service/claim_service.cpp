#include "service/claim_service.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <optional>
#include <span>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"
#include "service/node_quota.hpp"

namespace stratus::service {
namespace {

namespace code = proto::rest::claim_error;
using log::Channel;

constexpr std::size_t kNodeIdLength = 22;
constexpr std::size_t kMaxPlatformBytes = 32;
constexpr std::size_t kMaxChallengeResponseBytes = 512;
constexpr std::size_t kMaxAuthIdBytes = 128;

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

char upper(char c) {
  return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
}

// Hex digits of `text` upper-cased, separators ':' and '-' dropped; nullopt
// for any other character.
std::optional<std::string> hex_digits(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == ':' || c == '-')
      continue;
    if (!is_hex(c))
      return std::nullopt;
    out.push_back(upper(c));
  }
  return out;
}

// 22 characters of [A-Za-z0-9], like the ids of Espressif's cloud.
std::string new_node_id() {
  return random_alnum(kNodeIdLength);
}

Result<std::string> normalize_platform(std::string_view platform) {
  const std::string_view p = trim(platform);
  const bool ok =
      !p.empty() && p.size() <= kMaxPlatformBytes && std::all_of(p.begin(), p.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
      });
  if (!ok) {
    return fail(errc::invalid_argument, code::platform_invalid,
                "platform must be 1 to 32 characters of letters, digits, '.', '_' or '-' "
                "(e.g. esp32s3)");
  }
  std::string lower(p);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// The issuer's CSR errors keep their reason; anything else without one is a
// CSR problem from the client's point of view only if it is invalid_argument.
Error csr_error(Error e) {
  if (e.reason == 0 && e.code == errc::invalid_argument)
    e.reason = code::csr_invalid;
  return e;
}

Result<ClaimedCertificate> already_certified(const std::string& node_id) {
  log::warn(Channel::service, "self claim refused node_id={}: already certified", node_id);
  return fail(errc::forbidden, code::already_certified,
              "node " + node_id +
                  " already has a valid certificate; self claiming cannot replace it (its "
                  "primary user can re-claim it, or an admin can unclaim it)");
}

Error reclaim_forbidden(std::string_view node_id) {
  return Error{errc::forbidden,
               "node " + std::string(node_id) +
                   " was revoked by an admin; claiming it again needs an admin's allow_reclaim "
                   "(POST /v1/admin/nodes/allow_reclaim)",
               proto::rest::mfg_error::reclaim_forbidden};
}

}  // namespace

Result<ClaimOptions::SelfClaim> parse_self_claim_policy(std::string_view text) {
  if (text == "deny")
    return ClaimOptions::SelfClaim::deny;
  if (text == "allow")
    return ClaimOptions::SelfClaim::allow;
  if (text == "allowlist")
    return ClaimOptions::SelfClaim::allowlist;
  return fail(errc::invalid_argument,
              "self_claim must be deny, allow or allowlist (got \"" + std::string(text) + "\")");
}

Result<std::vector<std::string>> parse_mac_allowlist(std::string_view text) {
  std::vector<std::string> entries;
  std::string problems;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty())
      continue;
    std::string_view body = line;
    if (body.back() == '*')
      body.remove_suffix(1);
    auto digits = hex_digits(body);
    if (!digits || digits->empty() || digits->size() > 12) {
      problems += (problems.empty() ? "" : "; ") + std::string("line ") + std::to_string(line_no) +
                  ": \"" + std::string(line) +
                  "\" is not a MAC address or MAC prefix (1 to 12 hex digits)";
      continue;
    }
    if (std::find(entries.begin(), entries.end(), *digits) == entries.end())
      entries.push_back(std::move(*digits));
  }
  if (!problems.empty())
    return fail(errc::invalid_argument, std::move(problems));
  return entries;
}

Result<std::string> normalize_mac(std::string_view mac_addr) {
  auto digits = hex_digits(trim(mac_addr));
  if (!digits || digits->size() != 12) {
    return fail(errc::invalid_argument, code::mac_invalid,
                "mac_addr must be 12 hex digits, e.g. 7CDFA100033B");
  }
  return std::move(*digits);
}

ClaimService::ClaimService(storage::ClaimRepository& repository, storage::NodeRepository& nodes,
                           NodeCertificateIssuer& issuer, RevocationList& revocations,
                           const Clock& clock, ClaimOptions options, AuditLog& audit)
    : repository_(repository),
      nodes_(nodes),
      issuer_(issuer),
      revocations_(revocations),
      clock_(clock),
      audit_(audit),
      options_(std::move(options)) {}

std::int64_t ClaimService::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

Result<void> ClaimService::check_policy(const std::string& mac) const {
  switch (options_.self_claim) {
    case ClaimOptions::SelfClaim::allow:
      return {};
    case ClaimOptions::SelfClaim::deny:
      break;
    case ClaimOptions::SelfClaim::allowlist: {
      const bool listed =
          std::any_of(options_.allowlist.begin(), options_.allowlist.end(),
                      [&](const std::string& entry) { return mac.starts_with(entry); });
      if (listed)
        return {};
      return fail(errc::forbidden, code::mac_not_allowed,
                  "self claiming is not allowed for MAC " + mac +
                      " (not in the server's self-claim allow-list); claim it with a user "
                      "login instead");
    }
  }
  return fail(errc::forbidden, code::self_claim_disabled,
              "self claiming is disabled on this server; claim the node with a user login "
              "(assisted or host-driven claiming) or pre-provision its credentials");
}

Result<void> ClaimService::check_reclaim(std::string_view node_id) const {
  auto blocked = repository_.reclaim_blocked(node_id);
  if (!blocked)
    return fail(blocked.error());
  if (*blocked) {
    log::warn(Channel::service, "certificate refused node_id={}: revoked by an admin", node_id);
    return fail(reclaim_forbidden(node_id));
  }
  return {};
}

Result<void> ClaimService::check_csr_size(std::string_view csr_pem) const {
  if (trim(csr_pem).empty())
    return fail(errc::invalid_argument, code::csr_missing, "csr is missing");
  if (csr_pem.size() > kMaxCsrBytes) {
    return fail(errc::invalid_argument, code::csr_invalid,
                "csr is larger than " + std::to_string(kMaxCsrBytes) + " bytes");
  }
  return {};
}

Result<std::string> ClaimService::initiate_unaudited(std::string_view user_id,
                                                     std::string_view mac_addr,
                                                     std::string_view platform) {
  auto mac = normalize_mac(mac_addr);
  if (!mac)
    return fail(mac.error());
  auto plat = normalize_platform(platform);
  if (!plat)
    return fail(plat.error());
  const auto now = now_s();
  // Node quota (service/node_quota.hpp): a user at its quota may repeat a claim of a MAC
  // it claimed before (same node id) but not claim a new one; a limit of 0 below makes
  // the repository return the existing id or refuse.
  std::optional<Error> quota_full;
  if (auto q = nodes_.write([&](storage::NodeWriter& w) {
        return check_node_quota(w, user_id, {}, options_.default_node_quota);
      });
      !q) {
    if (q.error().code != errc::forbidden)
      return fail(q.error());
    quota_full = q.error();
  }
  // A fresh id collides with an existing one with probability ~2^-131; retry
  // a few times anyway rather than reason about it.
  for (int attempt = 0;; ++attempt) {
    storage::ClaimedNodeRecord node{
        new_node_id(), std::string(user_id), *mac, *plat, storage::ClaimState::initiated, now, now};
    auto stored = repository_.create_user_node(node, quota_full ? 0 : options_.max_nodes_per_user);
    if (stored) {
      if (stored->node_id == node.node_id) {
        log::info(Channel::service, "claim initiated user_id={} mac={} node_id={}", user_id, *mac,
                  stored->node_id);
      }
      return stored->node_id;
    }
    Error e = stored.error();
    if (e.code == errc::conflict && attempt < 3)
      continue;
    if (e.code == errc::resource_exhausted && quota_full)
      return fail(*quota_full);
    if (e.code == errc::resource_exhausted) {
      return fail(errc::resource_exhausted, code::node_limit,
                  "this user already holds " + std::to_string(options_.max_nodes_per_user) +
                      " claimed node ids (claiming.max_nodes_per_user)");
    }
    return fail(std::move(e));
  }
}

Result<ClaimedCertificate> ClaimService::verify_unaudited(std::string_view user_id,
                                                          std::string_view node_id,
                                                          std::string_view csr_pem,
                                                          std::string_view client_address) {
  if (auto r = check_csr_size(csr_pem); !r)
    return fail(r.error());
  auto cn = issuer_.subject_cn(csr_pem);
  if (!cn)
    return fail(csr_error(cn.error()));
  if (!node_id.empty() && *cn != node_id) {
    return fail(errc::invalid_argument, code::cn_mismatch,
                "the CSR's common name \"" + *cn + "\" is not the node id \"" +
                    std::string(node_id) + "\"");
  }
  auto node = repository_.get_node(*cn);
  if (!node && node.error().code != errc::not_found)
    return fail(node.error());
  // Re-issue rule (issue 13): the node's primary users decide while it has any.
  auto users = nodes_.users_of(*cn);
  if (!users)
    return fail(users.error());
  const bool is_primary = std::any_of(users->begin(), users->end(), [&](const auto& u) {
    return u.first == user_id && u.second == "primary";
  });
  if (!node || (!is_primary && node->user_id != user_id)) {
    return fail(errc::not_found, code::claim_not_found,
                "no claim of node id \"" + *cn +
                    "\" by this user; call claim/initiate first and use the node_id it "
                    "returns as the CSR's common name");
  }
  // "No user" means none at all: a node used only by secondary users is not free.
  if (!users->empty() && !is_primary) {
    log::warn(Channel::service,
              "certificate re-issue refused user_id={} node_id={} client={}: not its primary "
              "user",
              user_id, *cn, client_address);
    return fail(errc::forbidden, code::reissue_forbidden,
                "node \"" + *cn +
                    "\" belongs to another user now; only its primary user may get a new "
                    "certificate for it");
  }
  if (auto r = check_reclaim(*cn); !r)
    return fail(r.error());
  auto issued = issuer_.issue(csr_pem, *cn);
  if (!issued)
    return fail(csr_error(issued.error()));
  storage::IssuedCertificateRecord audit{*cn,
                                         std::string(user_id),
                                         issued->serial_hex,
                                         issued->fingerprint_hex,
                                         issued->not_after,
                                         now_s(),
                                         storage::ClaimMethod::assisted,
                                         std::string(client_address),
                                         issued->certificate_pem,
                                         std::nullopt};
  auto revoked = repository_.record_certificate(
      *node, audit, {}, "replaced by a certificate issued to user " + std::string(user_id));
  if (!revoked) {
    if (revoked.error().code == errc::not_found) {  // the user was removed meanwhile
      return fail(errc::not_found, code::claim_not_found, "no claim of node id \"" + *cn + "\"");
    }
    if (revoked.error().code == errc::forbidden) {  // revoked, or mapped to another user
      if (auto blocked = repository_.reclaim_blocked(*cn); blocked && *blocked)
        return fail(reclaim_forbidden(*cn));
      return fail(errc::forbidden, code::reissue_forbidden,
                  "node \"" + *cn + "\" belongs to another user now");
    }
    return fail(revoked.error());
  }
  if (*revoked > 0) {
    log::info(Channel::service, "node_id={}: {} earlier certificates revoked", *cn, *revoked);
    (void)revocations_.publish();  // logged; the database is the record
  }
  log::info(Channel::service,
            "node certificate issued method=assisted user_id={} node_id={} serial={} client={}",
            user_id, *cn, issued->serial_hex, client_address);
  return ClaimedCertificate{*cn, std::move(issued->certificate_pem), options_.mqtt_host};
}

Result<SelfClaimChallenge> ClaimService::self_initiate(std::string_view mac_addr,
                                                       std::string_view platform) {
  auto mac = normalize_mac(mac_addr);
  if (!mac)
    return fail(mac.error());
  if (auto r = check_policy(*mac); !r) {
    log::info(Channel::service, "self claim refused mac={} reason={}", *mac, r.error().reason);
    return fail(r.error());
  }
  auto plat = normalize_platform(platform);
  if (!plat)
    return fail(plat.error());
  const auto now = now_s();
  SelfClaimChallenge answer{random_hex(16), random_hex(32)};
  storage::ClaimChallengeRecord record{answer.auth_id,
                                       *mac,
                                       *mac,
                                       *plat,
                                       answer.challenge,
                                       now + options_.challenge_lifetime.count(),
                                       now};
  if (auto r = repository_.create_challenge(record); !r)
    return fail(r.error());
  log::info(Channel::service, "self claim initiated mac={} auth_id={}", *mac, answer.auth_id);
  return answer;
}

Result<ClaimedCertificate> ClaimService::self_verify_unaudited(std::string_view auth_id,
                                                               std::string_view challenge_response,
                                                               std::string_view csr_pem,
                                                               std::string_view client_address) {
  if (auth_id.empty() || auth_id.size() > kMaxAuthIdBytes) {
    return fail(errc::invalid_argument, code::challenge_response_missing,
                "auth_id is missing (self claiming: send the auth_id claim/initiate returned)");
  }
  if (trim(challenge_response).empty() || challenge_response.size() > kMaxChallengeResponseBytes) {
    return fail(errc::invalid_argument, code::challenge_response_missing,
                "challenge_response is missing or longer than 512 bytes");
  }
  if (auto r = check_csr_size(csr_pem); !r)
    return fail(r.error());
  const auto now = now_s();
  const auto invalid_challenge = [] {
    return fail(errc::forbidden, code::challenge_invalid,
                "unknown, expired or already used auth_id; call claim/initiate again");
  };
  auto challenge = repository_.get_challenge(auth_id);
  if (!challenge) {
    if (challenge.error().code == errc::not_found)
      return invalid_challenge();
    return fail(challenge.error());
  }
  if (challenge->expires_at < now)
    return invalid_challenge();
  if (auto r = check_policy(challenge->mac_addr); !r)
    return fail(r.error());
  // Checked before signing too (the transaction checks again): a node in use is not
  // taken over by whoever can reach the claiming endpoint.
  auto earlier = repository_.list_certificates(challenge->node_id);
  if (!earlier)
    return fail(earlier.error());
  if (std::any_of(earlier->begin(), earlier->end(),
                  [&](const auto& c) { return c.not_after > now && !c.revoked_at; })) {
    return already_certified(challenge->node_id);
  }
  if (auto r = check_reclaim(challenge->node_id); !r)
    return fail(r.error());
  auto issued = issuer_.issue(csr_pem, challenge->node_id);
  if (!issued) {
    Error e = csr_error(issued.error());
    if (e.reason == code::cn_mismatch) {
      e.context = "the CSR's common name must be the node's MAC address " + challenge->node_id +
                  " (self claiming)";
    }
    return fail(std::move(e));
  }
  storage::ClaimedNodeRecord node{challenge->node_id,
                                  std::nullopt,
                                  challenge->mac_addr,
                                  challenge->platform,
                                  storage::ClaimState::certified,
                                  now,
                                  now};
  storage::IssuedCertificateRecord audit{challenge->node_id,         std::nullopt,
                                         issued->serial_hex,         issued->fingerprint_hex,
                                         issued->not_after,          now,
                                         storage::ClaimMethod::self, std::string(client_address),
                                         issued->certificate_pem,    std::nullopt};
  if (auto r = repository_.record_certificate(node, audit, auth_id, "self claim"); !r) {
    // Another verify consumed the challenge first: this certificate is dropped
    // unseen (it was never recorded nor returned).
    if (r.error().code == errc::conflict)
      return invalid_challenge();
    if (r.error().code == errc::already_exists)
      return already_certified(challenge->node_id);
    if (r.error().code == errc::forbidden)  // an admin revoked it meanwhile
      return fail(reclaim_forbidden(challenge->node_id));
    return fail(r.error());
  } else if (*r > 0) {
    (void)revocations_.publish();  // earlier certificates had all expired: keep the list exact
  }
  log::info(Channel::service, "node certificate issued method=self node_id={} serial={} client={}",
            challenge->node_id, issued->serial_hex, client_address);
  return ClaimedCertificate{challenge->node_id, std::move(issued->certificate_pem),
                            options_.mqtt_host};
}

// --- audited entry points (docs/adr/0015) ----------------------------------------------

Result<std::string> ClaimService::initiate(std::string_view user_id, std::string_view mac_addr,
                                           std::string_view platform,
                                           std::string_view client_address) {
  auto r = initiate_unaudited(user_id, mac_addr, platform);
  AuditEntry e;
  e.actor_kind = ActorKind::user;
  e.actor_id = std::string(user_id);
  e.action = "claim.initiate";
  e.object_kind = "node";
  e.object_id = r ? *r : std::string();
  e.remote_address = std::string(client_address);
  e.outcome = outcome_of(r);
  e.detail = "mac=" + std::string(mac_addr);
  audit_.record(std::move(e));
  return r;
}

Result<ClaimedCertificate> ClaimService::verify(std::string_view user_id, std::string_view node_id,
                                                std::string_view csr_pem,
                                                std::string_view client_address) {
  auto r = verify_unaudited(user_id, node_id, csr_pem, client_address);
  AuditEntry e;
  e.actor_kind = ActorKind::user;
  e.actor_id = std::string(user_id);
  e.action = "claim.verify";
  e.object_kind = "node";
  e.object_id = r ? r->node_id : std::string(node_id);
  e.remote_address = std::string(client_address);
  e.outcome = outcome_of(r);
  audit_.record(std::move(e));
  return r;
}

Result<ClaimedCertificate> ClaimService::self_verify(std::string_view auth_id,
                                                     std::string_view challenge_response,
                                                     std::string_view csr_pem,
                                                     std::string_view client_address) {
  auto r = self_verify_unaudited(auth_id, challenge_response, csr_pem, client_address);
  AuditEntry e;
  e.actor_kind = ActorKind::node;
  e.actor_id = r ? r->node_id : std::string();
  e.action = "claim.self_verify";
  e.object_kind = "node";
  e.object_id = e.actor_id;
  e.remote_address = std::string(client_address);
  e.outcome = outcome_of(r);
  audit_.record(std::move(e));
  return r;
}

}  // namespace stratus::service
