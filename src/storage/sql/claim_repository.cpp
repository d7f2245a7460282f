#include "storage/sql/claim_repository.hpp"

#include <algorithm>
#include <string>

namespace stratus::storage::sql {
namespace {

std::string_view state_name(ClaimState s) {
  return s == ClaimState::certified ? "certified" : "initiated";
}

std::string_view method_name(ClaimMethod m) {
  switch (m) {
    case ClaimMethod::self:
      return "self";
    case ClaimMethod::manufactured:
      return "manufactured";
    case ClaimMethod::assisted:
      break;
  }
  return "assisted";
}

ClaimMethod parse_method(std::string_view text) {
  if (text == "self")
    return ClaimMethod::self;
  if (text == "manufactured")
    return ClaimMethod::manufactured;
  return ClaimMethod::assisted;
}

std::optional<std::string> optional_text(const Statement& s, int col) {
  if (s.is_null(col))
    return std::nullopt;
  return s.text(col);
}

constexpr std::string_view kNodeColumns =
    "SELECT node_id, user_id, mac_addr, platform, state, created_at, updated_at "
    "FROM claimed_nodes ";

ClaimedNodeRecord read_node(const Statement& s) {
  return ClaimedNodeRecord{s.text(0),
                           optional_text(s, 1),
                           s.text(2),
                           s.text(3),
                           s.text(4) == "certified" ? ClaimState::certified : ClaimState::initiated,
                           s.integer(5),
                           s.integer(6)};
}

// The first row of `sql` (bound to `key`) as a node; nullopt when there is none.
Result<std::optional<ClaimedNodeRecord>> find_node(Connection& c, std::string_view where,
                                                   std::string_view key1,
                                                   std::string_view key2 = {}) {
  auto s = c.prepare(std::string(kNodeColumns) + std::string(where));
  if (!s)
    return fail(s.error());
  s->bind(1, key1);
  if (!key2.empty())
    s->bind(2, key2);
  auto row = s->step();
  if (!row)
    return fail(row.error());
  if (!*row)
    return std::optional<ClaimedNodeRecord>();
  return std::optional<ClaimedNodeRecord>(read_node(*s));
}

Result<std::int64_t> count_nodes(Connection& c, std::string_view user_id) {
  auto s = c.prepare("SELECT COUNT(*) FROM claimed_nodes WHERE user_id = ?1");
  if (!s)
    return fail(s.error());
  s->bind(1, user_id);
  auto row = s->step();
  if (!row)
    return fail(row.error());
  return *row ? s->integer(0) : 0;
}

}  // namespace

Result<ClaimedNodeRecord> SqlClaimRepository::create_user_node(const ClaimedNodeRecord& node,
                                                               std::size_t max_nodes_per_user) {
  if (!node.user_id)
    return fail(errc::invalid_argument, "create_user_node needs a user id");
  return db_->with([&](Connection& c) -> Result<ClaimedNodeRecord> {
    ClaimedNodeRecord result;
    auto done = c.transaction([&]() -> Result<void> {
      auto existing =
          find_node(c, "WHERE user_id = ?1 AND mac_addr = ?2", *node.user_id, node.mac_addr);
      if (!existing)
        return fail(existing.error());
      if (*existing) {
        result = std::move(**existing);
        return {};
      }
      auto count = count_nodes(c, *node.user_id);
      if (!count)
        return fail(count.error());
      if (*count >= static_cast<std::int64_t>(max_nodes_per_user)) {
        return fail(errc::resource_exhausted,
                    "user holds " + std::to_string(*count) + " claimed node ids (the limit)");
      }
      auto s = c.prepare(
          "INSERT INTO claimed_nodes(node_id, user_id, mac_addr, platform, state, created_at, "
          "updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      if (!s)
        return fail(s.error());
      s->bind(1, node.node_id)
          .bind(2, *node.user_id)
          .bind(3, node.mac_addr)
          .bind(4, node.platform)
          .bind(5, state_name(node.state))
          .bind(6, node.created_at)
          .bind(7, node.updated_at);
      if (auto r = s->run(); !r)
        return r;
      result = node;
      return {};
    });
    if (!done)
      return fail(done.error());
    return result;
  });
}

Result<ClaimedNodeRecord> SqlClaimRepository::get_node(std::string_view node_id) {
  return db_->with([&](Connection& c) -> Result<ClaimedNodeRecord> {
    auto found = find_node(c, "WHERE node_id = ?1", node_id);
    if (!found)
      return fail(found.error());
    if (!*found)
      return fail(errc::not_found, "no claimed node " + std::string(node_id));
    return std::move(**found);
  });
}

Result<std::int64_t> SqlClaimRepository::count_user_nodes(std::string_view user_id) {
  return db_->with([&](Connection& c) { return count_nodes(c, user_id); });
}

Result<void> SqlClaimRepository::create_challenge(const ClaimChallengeRecord& ch) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      auto purge = c.prepare("DELETE FROM claim_challenges WHERE expires_at < ?1 OR mac_addr = ?2");
      if (!purge)
        return fail(purge.error());
      purge->bind(1, ch.created_at).bind(2, ch.mac_addr);
      if (auto r = purge->run(); !r)
        return r;
      auto s = c.prepare(
          "INSERT INTO claim_challenges(auth_id, mac_addr, node_id, platform, challenge, "
          "expires_at, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      if (!s)
        return fail(s.error());
      s->bind(1, ch.auth_id)
          .bind(2, ch.mac_addr)
          .bind(3, ch.node_id)
          .bind(4, ch.platform)
          .bind(5, ch.challenge)
          .bind(6, ch.expires_at)
          .bind(7, ch.created_at);
      return s->run();
    });
  });
}

Result<ClaimChallengeRecord> SqlClaimRepository::get_challenge(std::string_view auth_id) {
  return db_->with([&](Connection& c) -> Result<ClaimChallengeRecord> {
    auto s = c.prepare(
        "SELECT auth_id, mac_addr, node_id, platform, challenge, expires_at, created_at "
        "FROM claim_challenges WHERE auth_id = ?1");
    if (!s)
      return fail(s.error());
    s->bind(1, auth_id);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return fail(errc::not_found, "no claim challenge " + std::string(auth_id));
    return ClaimChallengeRecord{s->text(0), s->text(1),    s->text(2),   s->text(3),
                                s->text(4), s->integer(5), s->integer(6)};
  });
}

Result<std::int64_t> SqlClaimRepository::record_certificate(const ClaimedNodeRecord& node,
                                                            const IssuedCertificateRecord& cert,
                                                            std::string_view consumed_auth_id,
                                                            std::string_view revoke_reason) {
  std::int64_t revoked = 0;
  auto done = db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      revoked = 0;
      if (!consumed_auth_id.empty()) {
        auto s = c.prepare("DELETE FROM claim_challenges WHERE auth_id = ?1 AND expires_at >= ?2");
        if (!s)
          return fail(s.error());
        s->bind(1, consumed_auth_id).bind(2, cert.issued_at);
        if (auto r = s->run(); !r)
          return r;
        if (c.changes() == 0)
          return fail(errc::conflict, "claim challenge already used or expired");
      }
      // An admin revoked this node id: no new certificate until reclaiming is allowed;
      // an allowed reclaim is used up by this certificate.
      auto blocked = c.query_all(
          "SELECT reclaim_allowed FROM node_revocations WHERE node_id = ?1",
          [](const Statement& s) { return s.integer(0); }, node.node_id);
      if (!blocked)
        return fail(blocked.error());
      if (!blocked->empty()) {
        if (blocked->front() == 0) {
          return fail(errc::forbidden,
                      "node " + node.node_id +
                          " was revoked by an admin; claiming it again needs an admin's "
                          "allow_reclaim");
        }
        if (auto r = c.execute("DELETE FROM node_revocations WHERE node_id = ?1",
                               std::string_view(node.node_id));
            !r) {
          return r;
        }
      }
      if (cert.user_id) {
        // User claiming: the re-issue rule, checked again inside the transaction (a
        // mapping may have committed since the service looked).
        auto users = c.query_all(
            "SELECT user_id, role FROM user_nodes WHERE node_id = ?1",
            [](const Statement& s) { return std::pair(s.text(0), s.text(1)); }, node.node_id);
        if (!users)
          return fail(users.error());
        const bool primary = std::any_of(users->begin(), users->end(), [&](const auto& u) {
          return u.first == *cert.user_id && u.second == "primary";
        });
        if (!users->empty() && !primary)
          return fail(errc::forbidden, "node " + node.node_id + " belongs to another user");
        auto r = users->empty()
                     ? c.execute(
                           "UPDATE claimed_nodes SET state = 'certified', updated_at = ?1 "
                           "WHERE node_id = ?2 AND user_id = ?3",
                           cert.issued_at, std::string_view(node.node_id),
                           std::string_view(*cert.user_id))
                     : c.execute(
                           "UPDATE claimed_nodes SET state = 'certified', updated_at = ?1 "
                           "WHERE node_id = ?2",
                           cert.issued_at, std::string_view(node.node_id));
        if (!r)
          return r;
        if (c.changes() == 0)
          return fail(errc::not_found, "no claim of node " + node.node_id + " by this user");
      } else {
        auto valid = c.query_one(
            "SELECT COUNT(*) FROM claim_certificates WHERE node_id = ?1 AND revoked_at IS NULL "
            "AND not_after > ?2",
            {"count"}, [](const Statement& s) { return s.integer(0); }, node.node_id,
            cert.issued_at);
        if (!valid)
          return fail(valid.error());
        if (*valid > 0) {
          return fail(errc::already_exists,
                      "node " + node.node_id + " already has a valid certificate");
        }
        auto s = c.prepare(
            "INSERT INTO claimed_nodes(node_id, user_id, mac_addr, platform, state, created_at, "
            "updated_at) VALUES(?1, NULL, ?2, ?3, 'certified', ?4, ?4) "
            "ON CONFLICT(node_id) DO UPDATE SET state = 'certified', platform = excluded.platform, "
            "updated_at = excluded.updated_at");
        if (!s)
          return fail(s.error());
        s->bind(1, node.node_id)
            .bind(2, node.mac_addr)
            .bind(3, node.platform)
            .bind(4, cert.issued_at);
        if (auto r = s->run(); !r)
          return r;
      }
      if (auto r =
              c.execute("UPDATE claim_certificates SET revoked_at = ?1, revoked_reason = ?2 WHERE "
                        "node_id = ?3 AND revoked_at IS NULL",
                        cert.issued_at, revoke_reason, std::string_view(cert.node_id));
          !r) {
        return r;
      }
      revoked = c.changes();
      auto s = c.prepare(
          "INSERT INTO claim_certificates(node_id, user_id, serial_hex, fingerprint_hex, "
          "not_after, issued_at, method, client_address, certificate_pem) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
      if (!s)
        return fail(s.error());
      s->bind(1, cert.node_id);
      s->bind(2, cert.user_id);
      s->bind(3, cert.serial_hex)
          .bind(4, cert.fingerprint_hex)
          .bind(5, cert.not_after)
          .bind(6, cert.issued_at)
          .bind(7, method_name(cert.method))
          .bind(8, cert.client_address)
          .bind(9, cert.certificate_pem);
      return s->run();
    });
  });
  if (!done)
    return fail(done.error());
  return revoked;
}

Result<bool> SqlClaimRepository::reclaim_blocked(std::string_view node_id) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto rows = c.query_all(
        "SELECT reclaim_allowed FROM node_revocations WHERE node_id = ?1",
        [](const Statement& s) { return s.integer(0); }, node_id);
    if (!rows)
      return fail(rows.error());
    return !rows->empty() && rows->front() == 0;
  });
}

Result<std::vector<std::string>> SqlClaimRepository::revoked_fingerprints(std::int64_t now_at) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT fingerprint_hex FROM claim_certificates WHERE revoked_at IS NOT NULL AND "
        "not_after > ?1 ORDER BY fingerprint_hex",
        [](const Statement& s) { return s.text(0); }, now_at);
  });
}

Result<std::vector<RevokedSerialRecord>> SqlClaimRepository::revoked_serials(std::int64_t since) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT serial_hex, revoked_at, CASE WHEN method = 'manufactured' THEN certificate_pem "
        "ELSE '' END FROM claim_certificates WHERE revoked_at IS NOT NULL AND not_after >= ?1 "
        "ORDER BY serial_hex",
        [](const Statement& s) {
          return RevokedSerialRecord{s.text(0), s.integer(1), s.text(2)};
        },
        since);
  });
}

Result<std::vector<IssuedCertificateRecord>> SqlClaimRepository::list_certificates(
    std::string_view node_id) {
  return db_->with([&](Connection& c) -> Result<std::vector<IssuedCertificateRecord>> {
    return c.query_all(
        "SELECT node_id, user_id, serial_hex, fingerprint_hex, not_after, issued_at, method, "
        "client_address, certificate_pem, revoked_at FROM claim_certificates WHERE node_id = ?1 "
        "ORDER BY id",
        [](const Statement& s) {
          return IssuedCertificateRecord{
              s.text(0),
              optional_text(s, 1),
              s.text(2),
              s.text(3),
              s.integer(4),
              s.integer(5),
              parse_method(s.text(6)),
              s.text(7),
              s.text(8),
              s.is_null(9) ? std::nullopt : std::optional<std::int64_t>(s.integer(9))};
        },
        node_id);
  });
}

Result<std::int64_t> SqlClaimRepository::count_certificates() {
  return db_->with(
      [&](Connection& c) { return c.query_int("SELECT COUNT(*) FROM claim_certificates"); });
}

Result<std::optional<std::string>> SqlClaimRepository::latest_certificate_pem(
    std::string_view node_id, std::int64_t now_at) {
  return db_->with([&](Connection& c) -> Result<std::optional<std::string>> {
    auto s = c.prepare(
        "SELECT certificate_pem FROM claim_certificates WHERE node_id = ?1 "
        "AND revoked_at IS NULL AND not_after > ?2 ORDER BY id DESC LIMIT 1");
    if (!s)
      return fail(s.error());
    s->bind(1, node_id);
    s->bind(2, now_at);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row || s->text(0).empty())
      return std::optional<std::string>();
    return std::optional<std::string>(s->text(0));
  });
}

}  // namespace stratus::storage::sql
