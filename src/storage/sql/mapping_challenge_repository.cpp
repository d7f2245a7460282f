#include "storage/sql/mapping_challenge_repository.hpp"

#include <string>

namespace stratus::storage::sql {

Result<void> SqlMappingChallengeRepository::create(const MappingChallengeRecord& ch) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      auto purge = c.prepare("DELETE FROM mapping_challenges WHERE expires_at < ?1");
      if (!purge)
        return fail(purge.error());
      purge->bind(1, ch.created_at - kRetentionSeconds);
      if (auto r = purge->run(); !r)
        return r;
      auto s = c.prepare(
          "INSERT INTO mapping_challenges(request_id, user_id, challenge, created_at, expires_at, "
          "used_at) VALUES(?1, ?2, ?3, ?4, ?5, NULL)");
      if (!s)
        return fail(s.error());
      s->bind(1, ch.request_id)
          .bind(2, ch.user_id)
          .bind(3, ch.challenge)
          .bind(4, ch.created_at)
          .bind(5, ch.expires_at);
      return s->run();
    });
  });
}

Result<MappingChallengeRecord> SqlMappingChallengeRepository::get(std::string_view request_id) {
  return db_->with([&](Connection& c) -> Result<MappingChallengeRecord> {
    auto s = c.prepare(
        "SELECT request_id, user_id, challenge, created_at, expires_at, used_at "
        "FROM mapping_challenges WHERE request_id = ?1");
    if (!s)
      return fail(s.error());
    s->bind(1, request_id);
    auto row = s->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return fail(errc::not_found, "no mapping challenge " + std::string(request_id));
    MappingChallengeRecord record{s->text(0),    s->text(1),    s->text(2),
                                  s->integer(3), s->integer(4), std::nullopt};
    if (!s->is_null(5))
      record.used_at = s->integer(5);
    return record;
  });
}

Result<void> SqlMappingChallengeRepository::mark_used(std::string_view request_id,
                                                      std::int64_t at) {
  return db_->with([&](Connection& c) -> Result<void> {
    auto s = c.prepare(
        "UPDATE mapping_challenges SET used_at = ?1 WHERE request_id = ?2 AND used_at IS NULL");
    if (!s)
      return fail(s.error());
    s->bind(1, at).bind(2, request_id);
    if (auto r = s->run(); !r)
      return r;
    if (c.changes() == 1)
      return {};
    auto exists = c.prepare("SELECT 1 FROM mapping_challenges WHERE request_id = ?1");
    if (!exists)
      return fail(exists.error());
    exists->bind(1, request_id);
    auto row = exists->step();
    if (!row)
      return fail(row.error());
    if (!*row)
      return fail(errc::not_found, "no mapping challenge " + std::string(request_id));
    return fail(errc::conflict, "mapping challenge " + std::string(request_id) + " already used");
  });
}

}  // namespace stratus::storage::sql
