#include "storage/sql/manufacturing_repository.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "storage/sql/unchanged_row.hpp"

namespace stratus::storage::sql {
namespace {

constexpr std::string_view kRegistrationColumns =
    "SELECT request_id, file_name, state, options, created_by, created_at, updated_at, total, "
    "registered, failed, description FROM mfg_registrations ";

RegistrationRecord read_registration(const Statement& s) {
  RegistrationRecord r;
  r.request_id = s.text(0);
  r.file_name = s.text(1);
  r.state = parse_registration_state(s.text(2)).value_or(RegistrationState::failure);
  r.options = s.text(3);
  r.created_by = s.text(4);
  r.created_at = s.integer(5);
  r.updated_at = s.integer(6);
  r.total = s.integer(7);
  r.registered = s.integer(8);
  r.failed = s.integer(9);
  r.description = s.text(10);
  return r;
}

AdminGroupRecord read_group(const Statement& s) {
  return AdminGroupRecord{s.text(0), s.text(1),
                          s.is_null(2) ? std::nullopt : std::optional<std::string>(s.text(2)),
                          s.integer(3)};
}

}  // namespace

Result<void> SqlManufacturingRepository::create_node_ids(std::string_view request_id,
                                                         const std::vector<std::string>& node_ids,
                                                         std::string_view created_by,
                                                         std::int64_t at) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      if (auto r = c.execute(
              "INSERT INTO mfg_node_id_requests(request_id, node_count, created_by, created_at) "
              "VALUES(?1, ?2, ?3, ?4)",
              request_id, static_cast<std::int64_t>(node_ids.size()), created_by, at);
          !r) {
        return r;
      }
      for (const auto& id : node_ids) {
        // A node id claimed or certified already is not handed out again.
        auto taken = c.query_one(
            "SELECT (SELECT COUNT(*) FROM claimed_nodes WHERE node_id = ?1) + "
            "(SELECT COUNT(*) FROM claim_certificates WHERE node_id = ?1) + "
            "(SELECT COUNT(*) FROM nodes WHERE node_id = ?1)",
            {"count"}, [](const Statement& s) { return s.integer(0); }, std::string_view(id));
        if (!taken)
          return fail(taken.error());
        if (*taken > 0)
          return fail(errc::conflict, "node id " + id + " is in use");
        if (auto r = c.execute(
                "INSERT INTO mfg_node_ids(node_id, request_id, created_at) VALUES(?1, ?2, ?3)",
                std::string_view(id), request_id, at);
            !r) {
          return r;  // a constraint violation is errc::conflict
        }
      }
      return {};
    });
  });
}

Result<std::vector<std::string>> SqlManufacturingRepository::node_ids(std::string_view request_id) {
  return db_->with([&](Connection& c) -> Result<std::vector<std::string>> {
    auto known = c.query_one(
        "SELECT COUNT(*) FROM mfg_node_id_requests WHERE request_id = ?1", {"count"},
        [](const Statement& s) { return s.integer(0); }, request_id);
    if (!known)
      return fail(known.error());
    if (*known == 0)
      return fail(errc::not_found, "no node id request " + std::string(request_id));
    return c.query_all(
        "SELECT node_id FROM mfg_node_ids WHERE request_id = ?1 ORDER BY node_id",
        [](const Statement& s) { return s.text(0); }, request_id);
  });
}

Result<void> SqlManufacturingRepository::create_registration(const RegistrationRecord& r) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "INSERT INTO mfg_registrations(request_id, file_name, state, options, created_by, "
        "created_at, updated_at, total, registered, failed, description) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        std::string_view(r.request_id), std::string_view(r.file_name), to_string(r.state),
        std::string_view(r.options), std::string_view(r.created_by), r.created_at, r.updated_at,
        r.total, r.registered, r.failed, std::string_view(r.description));
  });
}

Result<RegistrationRecord> SqlManufacturingRepository::get_registration(
    std::string_view request_id) {
  return db_->with([&](Connection& c) {
    return c.query_one(std::string(kRegistrationColumns) + "WHERE request_id = ?1",
                       {"no such registration request"}, read_registration, request_id);
  });
}

Result<void> SqlManufacturingRepository::update_registration(const RegistrationRecord& r,
                                                             RegistrationState expected) {
  return db_->with([&](Connection& c) -> Result<void> {
    if (auto done =
            c.execute("UPDATE mfg_registrations SET file_name = ?2, state = ?3, options = ?4, "
                      "updated_at = ?5, total = ?6, registered = ?7, failed = ?8, description = ?9 "
                      "WHERE request_id = ?1 AND state = ?10",
                      std::string_view(r.request_id), std::string_view(r.file_name),
                      to_string(r.state), std::string_view(r.options), r.updated_at, r.total,
                      r.registered, r.failed, std::string_view(r.description), to_string(expected));
        !done) {
      return done;
    }
    if (c.changes() != 0)
      return {};
    return why_unchanged(
        c, "SELECT state FROM mfg_registrations WHERE request_id = ?1",
        "no such registration request",
        [&](const std::string& state) {
          return "the registration request is " + state + ", not " +
                 std::string(to_string(expected));
        },
        std::string_view(r.request_id));
  });
}

Result<std::optional<RegistrationRecord>> SqlManufacturingRepository::claim_registration(
    std::string_view request_id, std::string_view worker, std::int64_t now,
    std::int64_t lease_until) {
  return db_->with([&](Connection& c) -> Result<std::optional<RegistrationRecord>> {
    if (auto done = c.execute(
            "UPDATE mfg_registrations SET state = 'in_progress', worker = ?2, updated_at = ?3, "
            "lease_until = ?4 WHERE request_id = ?1 AND (state = 'queued' OR "
            "(state = 'in_progress' AND lease_until < ?3))",
            request_id, worker, now, lease_until);
        !done) {
      return fail(done.error());
    }
    const bool taken = c.changes() != 0;
    auto record = c.query_one(std::string(kRegistrationColumns) + "WHERE request_id = ?1",
                              {"no such registration request"}, read_registration, request_id);
    if (!record)
      return fail(record.error());
    if (!taken)
      return std::optional<RegistrationRecord>();
    return std::optional<RegistrationRecord>(std::move(*record));
  });
}

Result<bool> SqlManufacturingRepository::update_claimed_registration(const RegistrationRecord& r,
                                                                     std::string_view worker,
                                                                     std::int64_t lease_until) {
  return db_->with([&](Connection& c) -> Result<bool> {
    if (auto done =
            c.execute("UPDATE mfg_registrations SET state = ?2, updated_at = ?3, total = ?4, "
                      "registered = ?5, failed = ?6, description = ?7, lease_until = ?8 "
                      "WHERE request_id = ?1 AND state = 'in_progress' AND worker = ?9",
                      std::string_view(r.request_id), to_string(r.state), r.updated_at, r.total,
                      r.registered, r.failed, std::string_view(r.description), lease_until, worker);
        !done) {
      return fail(done.error());
    }
    return c.changes() != 0;
  });
}

Result<std::vector<std::string>> SqlManufacturingRepository::claimable_registrations(
    std::int64_t now, std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT request_id FROM mfg_registrations WHERE state = 'queued' OR "
        "(state = 'in_progress' AND lease_until < ?1) ORDER BY created_at, request_id LIMIT ?2",
        [](const Statement& s) { return s.text(0); }, now,
        static_cast<std::int64_t>(std::min<std::size_t>(limit, 1U << 30)));
  });
}

Result<void> SqlManufacturingRepository::create_ca(const ManufacturingCaRecord& ca) {
  return db_->with([&](Connection& c) -> Result<void> {
    auto done = c.execute(
        "INSERT INTO mfg_cas(fingerprint_hex, subject, certificate_pem, not_after, added_by, "
        "added_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        std::string_view(ca.fingerprint_hex), std::string_view(ca.subject),
        std::string_view(ca.certificate_pem), ca.not_after, std::string_view(ca.added_by),
        ca.added_at);
    if (!done && done.error().code == errc::conflict)
      return fail(errc::already_exists, "this CA is registered already");
    return done;
  });
}

Result<std::vector<ManufacturingCaRecord>> SqlManufacturingRepository::list_cas() {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT fingerprint_hex, subject, certificate_pem, not_after, added_by, added_at "
        "FROM mfg_cas ORDER BY added_at, fingerprint_hex",
        [](const Statement& s) {
          return ManufacturingCaRecord{s.text(0),    s.text(1), s.text(2),
                                       s.integer(3), s.text(4), s.integer(5)};
        });
  });
}

Result<AdminGroupRecord> SqlManufacturingRepository::ensure_group(
    std::string_view name, const std::optional<std::string>& parent_group_id,
    std::string_view new_group_id, std::int64_t at) {
  return db_->with([&](Connection& c) -> Result<AdminGroupRecord> {
    AdminGroupRecord group;
    auto done = c.transaction([&]() -> Result<void> {
      const std::string parent = parent_group_id.value_or("");
      auto found = c.query_one(
          "SELECT group_id, group_name, parent_group_id, created_at FROM mfg_groups "
          "WHERE group_name = ?1 AND COALESCE(parent_group_id, '') = ?2",
          {"no group"}, read_group, name, std::string_view(parent));
      if (found) {
        group = std::move(*found);
        return {};
      }
      if (found.error().code != errc::not_found)
        return fail(found.error());
      auto s = c.prepare(
          "INSERT INTO mfg_groups(group_id, group_name, parent_group_id, created_at) "
          "VALUES(?1, ?2, ?3, ?4)");
      if (!s)
        return fail(s.error());
      s->bind(1, new_group_id).bind(2, name).bind(3, parent_group_id).bind(4, at);
      if (auto r = s->run(); !r)
        return r;
      group = AdminGroupRecord{std::string(new_group_id), std::string(name), parent_group_id, at};
      return {};
    });
    if (!done)
      return fail(done.error());
    return group;
  });
}

Result<std::vector<AdminGroupRecord>> SqlManufacturingRepository::find_groups(
    std::string_view name) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT group_id, group_name, parent_group_id, created_at FROM mfg_groups "
        "WHERE group_name = ?1 ORDER BY group_id",
        read_group, name);
  });
}

Result<std::pair<RegistrationOutcome, std::int64_t>> SqlManufacturingRepository::register_node(
    const NodeRegistration& n) {
  RegistrationOutcome outcome = RegistrationOutcome::registered;
  std::int64_t revoked = 0;
  auto done = db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      outcome = RegistrationOutcome::registered;
      revoked = 0;
      const std::string_view node_id = n.node_id;
      // The same certificate may not serve two node ids, nor come back once revoked.
      auto used = c.query_one(
          "SELECT (SELECT COUNT(*) FROM claim_certificates WHERE fingerprint_hex = ?1 AND "
          "node_id <> ?2), (SELECT COUNT(*) FROM claim_certificates WHERE fingerprint_hex = ?1 "
          "AND revoked_at IS NOT NULL)",
          {"count"}, [](const Statement& s) { return std::pair(s.integer(0), s.integer(1)); },
          std::string_view(n.fingerprint_hex), node_id);
      if (!used)
        return fail(used.error());
      if (used->first > 0)
        return fail(errc::conflict, "this certificate is registered to another node id");
      if (used->second > 0)
        return fail(errc::conflict, "this certificate was revoked");
      auto valid = c.query_all(
          "SELECT fingerprint_hex FROM claim_certificates WHERE node_id = ?1 AND "
          "revoked_at IS NULL AND not_after > ?2",
          [](const Statement& s) { return s.text(0); }, node_id, n.at);
      if (!valid)
        return fail(valid.error());
      bool same = false;
      bool other = false;
      for (const auto& f : *valid)
        (f == n.fingerprint_hex ? same : other) = true;
      if (other && !n.force)
        return fail(errc::already_exists, "the node id holds another valid certificate");
      if (same && !other && !n.update_nodes && !n.force) {
        // The same job again (resumed after a restart) is not a duplicate of itself.
        auto mine = c.query_one(
            "SELECT COUNT(*) FROM mfg_nodes WHERE node_id = ?1 AND request_id = ?2", {"count"},
            [](const Statement& s) { return s.integer(0); }, node_id,
            std::string_view(n.request_id));
        if (!mine)
          return fail(mine.error());
        if (*mine == 0)
          return fail(errc::already_exists, "this certificate is registered already");
      }
      if (auto r = c.execute("UPDATE claim_certificates SET revoked_at = ?1, revoked_reason = ?2 "
                             "WHERE node_id = ?3 AND revoked_at IS NULL AND fingerprint_hex <> ?4",
                             n.at, std::string_view(n.revoke_reason), node_id,
                             std::string_view(n.fingerprint_hex));
          !r) {
        return r;
      }
      revoked = c.changes();
      if (same) {
        outcome = RegistrationOutcome::updated;
      } else {
        if (auto r = c.execute(
                "INSERT INTO claim_certificates(node_id, user_id, serial_hex, fingerprint_hex, "
                "not_after, issued_at, method, client_address, certificate_pem) "
                "VALUES(?1, NULL, ?2, ?3, ?4, ?5, 'manufactured', '', ?6)",
                node_id, std::string_view(n.serial_hex), std::string_view(n.fingerprint_hex),
                n.not_after, n.at, std::string_view(n.certificate_pem));
            !r) {
          return r;
        }
        // A new certificate is a fresh start: an earlier admin revocation no longer blocks.
        if (auto r = c.execute("DELETE FROM node_revocations WHERE node_id = ?1", node_id); !r)
          return r;
      }
      if (auto r =
              c.execute("INSERT INTO mfg_nodes(node_id, request_id, type, model, subtype, qrcode, "
                        "registered_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                        "ON CONFLICT(node_id) DO UPDATE SET request_id = excluded.request_id, "
                        "type = excluded.type, model = excluded.model, subtype = excluded.subtype, "
                        "qrcode = CASE WHEN excluded.qrcode = '' THEN mfg_nodes.qrcode ELSE "
                        "excluded.qrcode END, "
                        "registered_at = excluded.registered_at",
                        node_id, std::string_view(n.request_id), std::string_view(n.type),
                        std::string_view(n.model), std::string_view(n.subtype),
                        std::string_view(n.qrcode), n.at);
          !r) {
        return r;
      }
      // The node row: created now so it can connect and be mapped without claiming.
      // type/model are what the node reports in its config later; until then, these.
      if (auto r = c.execute(
              "INSERT INTO nodes(node_id, type, model, created_at) VALUES(?1, ?2, ?3, ?4) "
              "ON CONFLICT(node_id) DO UPDATE SET "
              "type = CASE WHEN excluded.type = '' THEN nodes.type ELSE excluded.type END, "
              "model = CASE WHEN excluded.model = '' THEN nodes.model ELSE excluded.model END",
              node_id, std::string_view(n.type), std::string_view(n.model), n.at);
          !r) {
        return r;
      }
      // The node's tags become the union of its tags and the batch's (both JSON
      // arrays of strings).
      const std::string merge_tags =
          c.dialect() == sql::Dialect::postgres
              ? "UPDATE nodes SET tags = (SELECT COALESCE(json_agg(value ORDER BY value)::text, "
                "'[]') FROM (SELECT value FROM jsonb_array_elements_text(CAST(nodes.tags AS "
                "jsonb)) AS t(value) UNION SELECT value FROM jsonb_array_elements_text(CAST(?2 "
                "AS jsonb)) AS b(value)) AS u) WHERE node_id = ?1"
              : "UPDATE nodes SET tags = (SELECT json_group_array(value) FROM ("
                "SELECT value FROM json_each(nodes.tags) UNION "
                "SELECT value FROM json_each(?2))) WHERE node_id = ?1";
      if (auto r = c.execute(merge_tags, node_id, std::string_view(n.tags_json)); !r) {
        return r;
      }
      if (n.group_id) {
        if (auto r = c.execute("INSERT INTO mfg_group_nodes(group_id, node_id) VALUES(?1, ?2) "
                               "ON CONFLICT DO NOTHING",
                               std::string_view(*n.group_id), node_id);
            !r) {
          return r;
        }
      }
      return {};
    });
  });
  if (!done)
    return fail(done.error());
  return std::pair(outcome, revoked);
}

Result<std::vector<std::string>> SqlManufacturingRepository::registered_fingerprints(
    std::int64_t now_at) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT DISTINCT fingerprint_hex FROM claim_certificates WHERE method = 'manufactured' "
        "AND revoked_at IS NULL AND not_after > ?1 ORDER BY fingerprint_hex",
        [](const Statement& s) { return s.text(0); }, now_at);
  });
}

Result<std::int64_t> SqlManufacturingRepository::revoke_node(std::string_view node_id,
                                                             std::string_view reason,
                                                             std::string_view revoked_by,
                                                             std::int64_t at) {
  std::int64_t revoked = 0;
  auto done = db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      auto known = c.query_one(
          "SELECT (SELECT COUNT(*) FROM claim_certificates WHERE node_id = ?1) + "
          "(SELECT COUNT(*) FROM nodes WHERE node_id = ?1) + "
          "(SELECT COUNT(*) FROM claimed_nodes WHERE node_id = ?1)",
          {"count"}, [](const Statement& s) { return s.integer(0); }, node_id);
      if (!known)
        return fail(known.error());
      if (*known == 0)
        return fail(errc::not_found, "no node " + std::string(node_id));
      if (auto r = c.execute("UPDATE claim_certificates SET revoked_at = ?1, revoked_reason = ?2 "
                             "WHERE node_id = ?3 AND revoked_at IS NULL",
                             at, reason, node_id);
          !r) {
        return r;
      }
      revoked = c.changes();
      return c.execute(
          "INSERT INTO node_revocations(node_id, reason, revoked_by, revoked_at, reclaim_allowed) "
          "VALUES(?1, ?2, ?3, ?4, 0) ON CONFLICT(node_id) DO UPDATE SET reason = excluded.reason, "
          "revoked_by = excluded.revoked_by, revoked_at = excluded.revoked_at, "
          "reclaim_allowed = 0",
          node_id, reason, revoked_by, at);
    });
  });
  if (!done)
    return fail(done.error());
  return revoked;
}

Result<void> SqlManufacturingRepository::allow_reclaim(std::string_view node_id) {
  return db_->with([&](Connection& c) -> Result<void> {
    if (auto r = c.execute("UPDATE node_revocations SET reclaim_allowed = 1 WHERE node_id = ?1",
                           node_id);
        !r) {
      return r;
    }
    if (c.changes() == 0)
      return fail(errc::not_found, "node " + std::string(node_id) + " was not revoked by an admin");
    return {};
  });
}

Result<std::optional<NodeRevocationRecord>> SqlManufacturingRepository::node_revocation(
    std::string_view node_id) {
  return db_->with([&](Connection& c) -> Result<std::optional<NodeRevocationRecord>> {
    auto found = c.query_one(
        "SELECT node_id, reason, revoked_by, revoked_at, reclaim_allowed FROM node_revocations "
        "WHERE node_id = ?1",
        {"not revoked"},
        [](const Statement& s) {
          return NodeRevocationRecord{s.text(0), s.text(1), s.text(2), s.integer(3),
                                      s.integer(4) != 0};
        },
        node_id);
    if (found)
      return std::optional<NodeRevocationRecord>(std::move(*found));
    if (found.error().code == errc::not_found)
      return std::optional<NodeRevocationRecord>();
    return fail(found.error());
  });
}

Result<std::vector<RevokedCertificate>> SqlManufacturingRepository::list_revoked(
    std::string_view node_id, std::size_t offset, std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT node_id, serial_hex, fingerprint_hex, method, revoked_at, revoked_reason "
        "FROM claim_certificates WHERE revoked_at IS NOT NULL AND (?1 = '' OR node_id = ?1) "
        "ORDER BY revoked_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        [](const Statement& s) {
          return RevokedCertificate{s.text(0), s.text(1),    s.text(2),
                                    s.text(3), s.integer(4), s.text(5)};
        },
        node_id, static_cast<std::int64_t>(limit), static_cast<std::int64_t>(offset));
  });
}

}  // namespace stratus::storage::sql
