#include "service/challenge_mapping.hpp"

#include <string>
#include <utility>

#include "core/hex.hpp"
#include "core/random.hpp"
#include "log/log.hpp"
#include "service/node_quota.hpp"

namespace stratus::service {
namespace {

namespace code = proto::rest::mapping_error;
using log::Channel;

constexpr std::size_t kMaxNodeIdBytes = 64;  // spec §4.5: node ids are 12–64 characters

bool valid_node_id(std::string_view node_id) {
  if (node_id.empty() || node_id.size() > kMaxNodeIdBytes)
    return false;
  for (const char c : node_id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return false;
  }
  return true;
}

tl::unexpected<Error> request_not_found(std::string_view request_id) {
  return fail(errc::not_found, code::request_not_found,
              "no mapping request \"" + std::string(request_id) +
                  "\" of this user; call user/nodes/mapping/initiate first");
}

tl::unexpected<Error> request_used(std::string_view request_id) {
  return fail(errc::conflict, code::request_used,
              "mapping request \"" + std::string(request_id) +
                  "\" was already used; call user/nodes/mapping/initiate again");
}

}  // namespace

ChallengeMapping::ChallengeMapping(storage::MappingChallengeRepository& challenges,
                                   storage::ClaimRepository& claims, storage::NodeRepository& nodes,
                                   NodeSignatureVerifier& verifier, const Clock& clock,
                                   ChallengeMappingOptions options, AuditLog& audit)
    : challenges_(challenges),
      claims_(claims),
      nodes_(nodes),
      verifier_(verifier),
      clock_(clock),
      audit_(audit),
      options_(options) {}

std::int64_t ChallengeMapping::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

Result<MappingChallenge> ChallengeMapping::initiate(const Principal& who,
                                                    std::optional<std::chrono::seconds> timeout) {
  const auto lifetime = timeout.value_or(options_.default_timeout);
  if (lifetime < std::chrono::seconds(1) || lifetime > options_.max_timeout) {
    return fail(errc::invalid_argument, code::timeout_invalid,
                "timeout must be a whole number of seconds from 1 to " +
                    std::to_string(options_.max_timeout.count()));
  }
  const std::int64_t now = now_s();
  storage::MappingChallengeRecord record{random_hex(16),         who.user_id, random_hex(32), now,
                                         now + lifetime.count(), std::nullopt};
  if (auto r = challenges_.create(record); !r)
    return fail(r.error());
  log::info(Channel::service, "mapping challenge issued user_id={} request_id={} timeout_s={}",
            who.user_id, record.request_id, lifetime.count());
  return MappingChallenge{std::move(record.request_id), std::move(record.challenge),
                          record.expires_at};
}

Result<void> ChallengeMapping::verify_unaudited(const Principal& who, std::string_view request_id,
                                                std::string_view node_id,
                                                std::string_view challenge_response_hex) {
  if (request_id.empty())
    return fail(errc::invalid_argument, code::request_id_missing, "request_id is missing");
  if (!valid_node_id(node_id)) {
    return fail(errc::invalid_argument, code::node_id_invalid,
                "node_id must be 1 to 64 characters without control characters");
  }
  if (challenge_response_hex.empty()) {
    return fail(errc::invalid_argument, code::response_missing,
                "challenge_response is missing (the node's signature as hex)");
  }
  const auto signature = challenge_response_hex.size() <= 2 * kMaxSignatureBytes
                             ? from_hex(challenge_response_hex)
                             : std::nullopt;
  if (!signature) {
    return fail(errc::invalid_argument, code::invalid_response,
                "challenge_response must be the node's signature as hex (at most " +
                    std::to_string(kMaxSignatureBytes) + " bytes)");
  }

  auto request = challenges_.get(request_id);
  if (!request) {
    if (request.error().code == errc::not_found)
      return request_not_found(request_id);
    return fail(request.error());
  }
  if (request->user_id != who.user_id)
    return request_not_found(request_id);
  if (request->used_at)
    return request_used(request_id);
  const std::int64_t now = now_s();
  if (now >= request->expires_at) {
    return fail(errc::conflict, code::timed_out,
                "mapping request \"" + std::string(request_id) +
                    "\" timed out; call user/nodes/mapping/initiate again");
  }

  // Only a certificate that still stands: the key of a revoked (say, stolen) node, or
  // one past its notAfter, proves nothing.
  auto certificate = claims_.latest_certificate_pem(node_id, now);
  if (!certificate)
    return fail(certificate.error());
  if (!*certificate) {
    return fail(errc::not_found, code::no_certificate,
                "node \"" + std::string(node_id) +
                    "\" has no valid certificate issued by this server (none, revoked or "
                    "expired); claim the node first");
  }

  // One attempt per request, spent before the check.
  if (auto r = challenges_.mark_used(request_id, now); !r) {
    if (r.error().code == errc::conflict)
      return request_used(request_id);
    if (r.error().code == errc::not_found)  // purged meanwhile
      return request_not_found(request_id);
    return fail(r.error());
  }

  if (auto r = verifier_.verify(**certificate, request->challenge, *signature); !r) {
    if (r.error().code != errc::invalid_argument)
      return fail(r.error());
    log::info(Channel::service,
              "mapping challenge response rejected user_id={} node_id={} request_id={}",
              who.user_id, node_id, request_id);
    return fail(errc::invalid_argument, code::invalid_response,
                "the challenge response is not node \"" + std::string(node_id) +
                    "\"'s signature of the challenge");
  }

  auto mapped = nodes_.write([&](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node(node_id, now); !r)
      return r;
    if (auto r = check_node_quota(w, who.user_id, node_id, options_.default_node_quota); !r)
      return r;
    if (auto r = w.add_user(who.user_id, node_id, "primary", now); !r)
      return r;
    // A legacy mapping report the node left waiting must not map someone else later.
    return w.remove_node_mapping_report(node_id);
  });
  if (!mapped)
    return fail(mapped.error());
  log::info(Channel::service, "mapping confirmed by challenge-response user_id={} node_id={}",
            who.user_id, node_id);
  return {};
}

Result<void> ChallengeMapping::verify(const Principal& who, std::string_view request_id,
                                      std::string_view node_id,
                                      std::string_view challenge_response_hex) {
  return audited(audit_, who, "node.mapping.challenge", "node", std::string(node_id),
                 verify_unaudited(who, request_id, node_id, challenge_response_hex),
                 "request_id=" + std::string(request_id));
}

}  // namespace stratus::service
