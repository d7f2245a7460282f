#include "storage/sql/account_repository.hpp"

namespace stratus::storage::sql {
namespace {

std::string_view purpose_name(CodePurpose p) {
  switch (p) {
    case CodePurpose::signup:
      return "signup";
    case CodePurpose::reset_password:
      return "reset_password";
    case CodePurpose::delete_user:
      return "delete_user";
  }
  return "signup";
}

constexpr std::string_view kUserColumns =
    "SELECT user_id, user_name, password_hash, verified, super_admin, name, created_at, "
    "updated_at, alert_mail, disabled, node_quota FROM users ";

UserRecord read_user(const Statement& s) {
  UserRecord u{s.text(0), s.text(1),    s.text(2),    s.integer(3) != 0, s.integer(4) != 0,
               s.text(5), s.integer(6), s.integer(7), s.integer(8) != 0};
  u.disabled = s.integer(9) != 0;
  if (!s.is_null(10))
    u.node_quota = s.integer(10);
  return u;
}

Result<UserRecord> query_user(Connection& c, std::string_view where, std::string_view key) {
  return c.query_one(std::string(kUserColumns) + std::string(where), {"user does not exist"},
                     read_user, key);
}

Result<void> revoke_sessions_except(Connection& c, std::string_view user_id,
                                    std::string_view keep_session, std::int64_t now) {
  return c.execute(
      "UPDATE sessions SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL "
      "AND session_id <> ?3",
      now, user_id, keep_session);
}

}  // namespace

Result<void> SqlAccountRepository::create_user(const UserRecord& u) {
  return db_->with([&](Connection& c) -> Result<void> {
    auto r = c.execute(
        "INSERT INTO users(user_id, user_name, password_hash, verified, super_admin, "
        "name, created_at, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        u.user_id, u.user_name, u.password_hash, std::int64_t{u.verified},
        std::int64_t{u.super_admin}, u.name, u.created_at, u.updated_at);
    if (!r && r.error().code == errc::conflict) {
      return fail(errc::already_exists, "user account already exists");
    }
    return r;
  });
}

Result<UserRecord> SqlAccountRepository::get_user(std::string_view user_id) {
  return db_->with([&](Connection& c) { return query_user(c, "WHERE user_id = ?1", user_id); });
}

Result<UserRecord> SqlAccountRepository::get_user_by_name(std::string_view user_name) {
  return db_->with([&](Connection& c) { return query_user(c, "WHERE user_name = ?1", user_name); });
}

Result<bool> SqlAccountRepository::update_password_hash(std::string_view user_id,
                                                        std::string_view hash, std::int64_t now) {
  return db_->with([&](Connection& c) -> Result<bool> {
    if (auto r = c.execute("UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE "
                           "user_id = ?3 AND verified = 0",
                           hash, now, user_id);
        !r)
      return fail(r.error());
    return c.changes() != 0;
  });
}

Result<UserRecord> SqlAccountRepository::update_profile(std::string_view user_id,
                                                        const ProfileUpdate& update,
                                                        std::int64_t now) {
  return db_->with([&](Connection& c) -> Result<UserRecord> {
    // One statement: a member left out keeps its value (NULL → COALESCE).
    std::optional<std::int64_t> alert_mail;
    if (update.alert_mail)
      alert_mail = *update.alert_mail ? 1 : 0;
    auto r = c.execute(
        "UPDATE users SET name = COALESCE(?1, name), alert_mail = COALESCE(?2, alert_mail), "
        "updated_at = ?3 WHERE user_id = ?4",
        update.name, alert_mail, now, user_id);
    if (!r)
      return fail(r.error());
    if (c.changes() == 0)
      return fail(errc::not_found, "user does not exist");
    return query_user(c, "WHERE user_id = ?1", user_id);
  });
}

Result<void> SqlAccountRepository::remove_user(std::string_view user_id) {
  return db_->with([&](Connection& c) -> Result<void> {
    auto r = c.execute("DELETE FROM users WHERE user_id = ?1", user_id);
    if (!r)
      return r;
    if (c.changes() == 0)
      return fail(errc::not_found, "user does not exist");
    return {};
  });
}

Result<std::int64_t> SqlAccountRepository::count_users() {
  return db_->with([&](Connection& c) { return c.query_int("SELECT COUNT(*) FROM users"); });
}

Result<std::vector<UserRecord>> SqlAccountRepository::list_users(std::string_view start_user_name,
                                                                 std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        std::string(kUserColumns) + "WHERE user_name >= ?1 ORDER BY user_name LIMIT ?2", read_user,
        start_user_name, static_cast<std::int64_t>(limit));
  });
}

Result<void> SqlAccountRepository::put_code(const CodeRecord& code) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "INSERT INTO verification_codes(user_id, purpose, code_hash, expires_at, attempts, "
        "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(user_id, purpose) DO UPDATE SET "
        "code_hash = excluded.code_hash, expires_at = excluded.expires_at, "
        "attempts = excluded.attempts, created_at = excluded.created_at",
        code.user_id, purpose_name(code.purpose), code.code_hash, code.expires_at,
        std::int64_t{code.attempts}, code.created_at);
  });
}

Result<CodeRecord> SqlAccountRepository::get_code(std::string_view user_id, CodePurpose purpose) {
  return db_->with([&](Connection& c) -> Result<CodeRecord> {
    return c.query_one(
        "SELECT code_hash, expires_at, attempts, created_at FROM verification_codes "
        "WHERE user_id = ?1 AND purpose = ?2",
        {"no pending verification code"},
        [&](const Statement& s) {
          return CodeRecord{std::string(user_id),           purpose,     s.text(0), s.integer(1),
                            static_cast<int>(s.integer(2)), s.integer(3)};
        },
        user_id, purpose_name(purpose));
  });
}

Result<int> SqlAccountRepository::add_code_attempt(std::string_view user_id, CodePurpose purpose) {
  return db_->with([&](Connection& c) -> Result<int> {
    auto s = c.prepare(
        "UPDATE verification_codes SET attempts = attempts + 1 WHERE user_id = ?1 AND purpose = "
        "?2 RETURNING attempts");
    if (!s)
      return fail(s.error());
    s->bind(1, user_id).bind(2, purpose_name(purpose));
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return fail(errc::not_found, "no pending verification code");
    const int attempts = static_cast<int>(s->integer(0));
    if (auto done = s->run(); !done)
      return fail(done.error());
    return attempts;
  });
}

Result<void> SqlAccountRepository::remove_code(std::string_view user_id, CodePurpose purpose) {
  return db_->with([&](Connection& c) {
    return c.execute("DELETE FROM verification_codes WHERE user_id = ?1 AND purpose = ?2", user_id,
                     purpose_name(purpose));
  });
}

Result<void> SqlAccountRepository::confirm_user(std::string_view user_id, std::int64_t now) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      if (auto r = c.execute("UPDATE users SET verified = 1, updated_at = ?1 WHERE user_id = ?2",
                             now, user_id);
          !r) {
        return r;
      }
      return c.execute("DELETE FROM verification_codes WHERE user_id = ?1 AND purpose = 'signup'",
                       user_id);
    });
  });
}

Result<void> SqlAccountRepository::set_password(std::string_view user_id, std::string_view hash,
                                                std::optional<CodePurpose> consumed_code,
                                                std::string_view keep_session, std::int64_t now) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      if (auto r =
              c.execute("UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE user_id = ?3",
                        hash, now, user_id);
          !r) {
        return r;
      }
      if (consumed_code) {
        if (auto r = c.execute("DELETE FROM verification_codes WHERE user_id = ?1 AND purpose = ?2",
                               user_id, purpose_name(*consumed_code));
            !r) {
          return r;
        }
      }
      return revoke_sessions_except(c, user_id, keep_session, now);
    });
  });
}

Result<void> SqlAccountRepository::create_session(std::string_view session_id,
                                                  std::string_view user_id,
                                                  std::string_view token_hash, std::int64_t now) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      if (auto r = c.execute("INSERT INTO sessions(session_id, user_id, created_at, last_used_at) "
                             "VALUES(?1, ?2, ?3, ?3)",
                             session_id, user_id, now);
          !r) {
        return r;
      }
      return c.execute(
          "INSERT INTO refresh_tokens(token_hash, session_id, created_at) VALUES(?1, ?2, ?3)",
          token_hash, session_id, now);
    });
  });
}

Result<RefreshTokenRecord> SqlAccountRepository::get_refresh_token(std::string_view token_hash) {
  return db_->with([&](Connection& c) -> Result<RefreshTokenRecord> {
    return c.query_one(
        "SELECT t.session_id, s.user_id, t.rotated_at, s.revoked_at FROM refresh_tokens t "
        "JOIN sessions s ON s.session_id = t.session_id WHERE t.token_hash = ?1",
        {"unknown refresh token"},
        [&](const Statement& s) {
          RefreshTokenRecord r{std::string(token_hash), s.text(0), s.text(1), std::nullopt,
                               std::nullopt};
          if (!s.is_null(2))
            r.rotated_at = s.integer(2);
          if (!s.is_null(3))
            r.session_revoked_at = s.integer(3);
          return r;
        },
        token_hash);
  });
}

Result<void> SqlAccountRepository::rotate_refresh_token(std::string_view old_hash,
                                                        std::string_view new_hash,
                                                        std::int64_t now) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      // Inside BEGIN IMMEDIATE: no other writer can interleave from here on.
      // A superseded token (its parent came back after it was issued), or a rotated one
      // whose successor was used: two holders of one family.
      auto replayed = c.prepare(
          "SELECT (SELECT COUNT(*) FROM refresh_tokens WHERE parent_hash = ?1 AND rotated_at "
          "IS NOT NULL) + (SELECT COUNT(*) FROM refresh_tokens WHERE token_hash = ?1 AND "
          "superseded_at IS NOT NULL)");
      if (!replayed)
        return fail(replayed.error());
      replayed->bind(1, old_hash);
      if (auto row = replayed->step(); !row)
        return fail(row.error());
      if (replayed->integer(0) > 0)
        return fail(errc::conflict, "refresh token replayed");
      // Only the newest superseded generation is kept: a client that keeps its first
      // token (the CLI) supersedes one row per refresh, which would pile up under it.
      if (auto r = c.execute(
              "DELETE FROM refresh_tokens WHERE parent_hash = ?1 AND superseded_at IS NOT NULL",
              old_hash);
          !r) {
        return r;
      }
      if (auto r =
              c.execute("UPDATE refresh_tokens SET superseded_at = ?2 WHERE parent_hash = ?1 AND "
                        "superseded_at IS NULL",
                        old_hash, now);
          !r) {
        return r;
      }
      if (auto r = c.execute("UPDATE refresh_tokens SET rotated_at = COALESCE(rotated_at, ?1) "
                             "WHERE token_hash = ?2",
                             now, old_hash);
          !r) {
        return r;
      }
      if (c.changes() != 1)
        return fail(errc::not_found, "unknown refresh token");
      if (auto r = c.execute(
              "INSERT INTO refresh_tokens(token_hash, session_id, parent_hash, created_at) "
              "SELECT ?1, session_id, token_hash, ?2 FROM refresh_tokens WHERE token_hash = ?3",
              new_hash, now, old_hash);
          !r) {
        return r;
      }
      return c.execute(
          "UPDATE sessions SET last_used_at = ?1 WHERE session_id = (SELECT session_id "
          "FROM refresh_tokens WHERE token_hash = ?2)",
          now, old_hash);
    });
  });
}

Result<void> SqlAccountRepository::revoke_session(std::string_view session_id, std::int64_t now) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "UPDATE sessions SET revoked_at = ?1 WHERE session_id = ?2 AND revoked_at IS NULL", now,
        session_id);
  });
}

Result<void> SqlAccountRepository::revoke_all_sessions(std::string_view user_id, std::int64_t now) {
  return db_->with([&](Connection& c) { return revoke_sessions_except(c, user_id, "", now); });
}

Result<bool> SqlAccountRepository::session_active(std::string_view session_id) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto s = c.prepare(
        "SELECT s.revoked_at IS NULL AND u.disabled = 0 FROM sessions s "
        "JOIN users u ON u.user_id = s.user_id WHERE s.session_id = ?1");
    if (!s)
      return fail(s.error());
    s->bind(1, session_id);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    return *row && s->integer(0) != 0;
  });
}

Result<void> SqlAccountRepository::set_disabled(std::string_view user_id, bool disabled,
                                                std::int64_t now) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      if (auto r = c.execute("UPDATE users SET disabled = ?1, updated_at = ?2 WHERE user_id = ?3",
                             std::int64_t{disabled}, now, user_id);
          !r)
        return r;
      if (c.changes() == 0)
        return fail(errc::not_found, "user does not exist");
      if (disabled)
        return revoke_sessions_except(c, user_id, "", now);
      return {};
    });
  });
}

Result<void> SqlAccountRepository::set_node_quota(std::string_view user_id,
                                                  std::optional<std::int64_t> quota,
                                                  std::int64_t now) {
  return db_->with([&](Connection& c) -> Result<void> {
    if (auto r = c.execute("UPDATE users SET node_quota = ?1, updated_at = ?2 WHERE user_id = ?3",
                           quota, now, user_id);
        !r)
      return r;
    if (c.changes() == 0)
      return fail(errc::not_found, "user does not exist");
    return {};
  });
}

}  // namespace stratus::storage::sql
