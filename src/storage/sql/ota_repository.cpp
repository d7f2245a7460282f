#include "storage/sql/ota_repository.hpp"

#include <limits>
#include <string>

#include "storage/sql/unchanged_row.hpp"

namespace stratus::storage::sql {
namespace {

constexpr std::string_view kImageColumns =
    "i.image_id, i.image_name, i.sha256, i.md5, i.size, i.model, i.type, i.fw_version, "
    "i.project_name, i.chip, i.secure_version, i.signature, i.uploaded_by, i.user_image, "
    "i.archived, i.created_ms";
constexpr int kImageColumnCount = 16;

constexpr std::string_view kJobColumns =
    "j.job_id, j.job_name, j.image_id, j.description, j.status, j.pause_reason, j.nodes, "
    "j.groups_json, j.node_model, j.node_type, j.priority, j.force_push, j.user_approval, "
    "j.metadata, j.has_rollout, j.rollout_batch, j.rollout_percent, j.rollout_interval_s, "
    "j.rollout_stop_percent, j.batches_released, j.next_batch_ms, j.created_by, j.created_ms, "
    "j.updated_ms";
constexpr int kJobColumnCount = 24;

constexpr std::string_view kNodeColumns =
    "n.job_id, n.node_id, n.status, n.batch, n.additional_info, n.ts_source, n.updated_ms, "
    "n.approved_by";

OtaImageRecord read_image(const Statement& s, int at = 0) {
  OtaImageRecord i;
  i.image_id = s.text(at + 0);
  i.image_name = s.text(at + 1);
  i.sha256 = s.text(at + 2);
  i.md5 = s.text(at + 3);
  i.size = s.integer(at + 4);
  i.model = s.text(at + 5);
  i.type = s.text(at + 6);
  i.fw_version = s.text(at + 7);
  i.project_name = s.text(at + 8);
  i.chip = s.text(at + 9);
  i.secure_version = s.integer(at + 10);
  i.signature = s.text(at + 11);
  i.uploaded_by = s.text(at + 12);
  i.user_image = s.integer(at + 13) != 0;
  i.archived = s.integer(at + 14) != 0;
  i.created_ms = s.integer(at + 15);
  return i;
}

OtaJobRecord read_job(const Statement& s, int at = 0) {
  OtaJobRecord j;
  j.job_id = s.text(at + 0);
  j.job_name = s.text(at + 1);
  j.image_id = s.text(at + 2);
  j.description = s.text(at + 3);
  j.status = s.text(at + 4);
  j.pause_reason = s.text(at + 5);
  j.nodes_json = s.text(at + 6);
  j.groups_json = s.text(at + 7);
  j.node_model = s.text(at + 8);
  j.node_type = s.text(at + 9);
  j.priority = s.integer(at + 10);
  j.force_push = s.integer(at + 11) != 0;
  j.user_approval = s.integer(at + 12) != 0;
  j.metadata_json = s.text(at + 13);
  j.has_rollout = s.integer(at + 14) != 0;
  if (!s.is_null(at + 15))
    j.rollout_batch = s.integer(at + 15);
  if (!s.is_null(at + 16))
    j.rollout_percent = s.integer(at + 16);
  j.rollout_interval_s = s.integer(at + 17);
  j.rollout_stop_percent = s.integer(at + 18);
  j.batches_released = s.integer(at + 19);
  j.next_batch_ms = s.integer(at + 20);
  j.created_by = s.text(at + 21);
  j.created_ms = s.integer(at + 22);
  j.updated_ms = s.integer(at + 23);
  return j;
}

OtaJobNodeRecord read_node(const Statement& s, int at = 0) {
  OtaJobNodeRecord n;
  n.job_id = s.text(at + 0);
  n.node_id = s.text(at + 1);
  n.status = s.text(at + 2);
  n.batch = s.integer(at + 3);
  n.additional_info = s.text(at + 4);
  n.ts_source = s.text(at + 5);
  n.updated_ms = s.integer(at + 6);
  n.approved_by = s.text(at + 7);
  return n;
}

OtaStatusCount read_count(const Statement& s) {
  return {s.text(0), s.integer(1)};
}

OtaTargetNode read_target(const Statement& s) {
  return {s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.integer(5) != 0};
}

}  // namespace

Result<void> SqlOtaRepository::add_image(const OtaImageRecord& i) {
  return db_->with([&](Connection& c) {
    return c.execute(
        "INSERT INTO ota_images(image_id, image_name, sha256, md5, size, model, type, fw_version, "
        "project_name, chip, secure_version, signature, uploaded_by, user_image, archived, "
        "created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        i.image_id, i.image_name, i.sha256, i.md5, i.size, i.model, i.type, i.fw_version,
        i.project_name, i.chip, i.secure_version, i.signature, i.uploaded_by,
        std::int64_t{i.user_image}, std::int64_t{i.archived}, i.created_ms);
  });
}

Result<std::optional<OtaImageRecord>> SqlOtaRepository::image(std::string_view image_id) {
  return db_->with([&](Connection& c) -> Result<std::optional<OtaImageRecord>> {
    auto rows = c.query_all(
        "SELECT " + std::string(kImageColumns) + " FROM ota_images i WHERE i.image_id = ?1",
        [](const Statement& s) { return read_image(s); }, image_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<OtaImageRecord>{};
    return std::optional<OtaImageRecord>(std::move(rows->front()));
  });
}

Result<std::vector<OtaImageRecord>> SqlOtaRepository::images(std::string_view start_id,
                                                             std::size_t limit,
                                                             bool include_archived,
                                                             bool include_user_images) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT " + std::string(kImageColumns) +
            " FROM ota_images i WHERE i.image_id >= ?1 AND (?2 OR i.archived = 0) "
            "AND (?3 OR i.user_image = 0) ORDER BY i.image_id LIMIT ?4",
        [](const Statement& s) { return read_image(s); }, start_id, std::int64_t{include_archived},
        std::int64_t{include_user_images}, static_cast<std::int64_t>(limit));
  });
}

Result<bool> SqlOtaRepository::sha256_in_use(std::string_view sha256) {
  return db_->with([&](Connection& c) {
    return c.query_one(
        "SELECT EXISTS(SELECT 1 FROM ota_images WHERE sha256 = ?1)", {"no row"},
        [](const Statement& s) { return s.integer(0) != 0; }, sha256);
  });
}

Result<void> SqlOtaRepository::set_image_archived(std::string_view image_id, bool archived) {
  return db_->with([&](Connection& c) -> Result<void> {
    if (auto r = c.execute("UPDATE ota_images SET archived = ?2 WHERE image_id = ?1", image_id,
                           std::int64_t{archived});
        !r)
      return r;
    if (c.changes() == 0)
      return fail(errc::not_found, "no such OTA image");
    return {};
  });
}

Result<bool> SqlOtaRepository::remove_image(std::string_view image_id) {
  return db_->with([&](Connection& c) -> Result<bool> {
    bool shared = false;
    auto r = c.transaction([&]() -> Result<void> {
      auto sha = c.query_one(
          "SELECT sha256 FROM ota_images WHERE image_id = ?1", {"no such OTA image"},
          [](const Statement& s) { return s.text(0); }, image_id);
      if (!sha)
        return fail(sha.error());
      auto used = c.query_one(
          "SELECT COUNT(*) FROM ota_jobs WHERE image_id = ?1 AND status IN ('active', 'paused')",
          {"no count"}, [](const Statement& s) { return s.integer(0); }, image_id);
      if (!used)
        return fail(used.error());
      if (*used > 0)
        return fail(errc::conflict, "an active OTA job uses the image");
      // Finished and cancelled jobs keep their history: they lose the image reference.
      if (auto d = c.execute("DELETE FROM ota_jobs WHERE image_id = ?1", image_id); !d)
        return d;
      if (auto d = c.execute("DELETE FROM ota_images WHERE image_id = ?1", image_id); !d)
        return d;
      auto others = c.query_one(
          "SELECT COUNT(*) FROM ota_images WHERE sha256 = ?1", {"no count"},
          [](const Statement& s) { return s.integer(0); }, *sha);
      if (!others)
        return fail(others.error());
      shared = *others > 0;
      return {};
    });
    if (!r)
      return fail(r.error());
    return shared;
  });
}

Result<void> SqlOtaRepository::create_job(const OtaJobRecord& j,
                                          const std::vector<std::string>& node_ids) {
  return db_->with([&](Connection& c) {
    return c.transaction([&]() -> Result<void> {
      auto r = c.execute(
          "INSERT INTO ota_jobs(job_id, job_name, image_id, description, status, pause_reason, "
          "nodes, groups_json, node_model, node_type, priority, force_push, user_approval, "
          "metadata, has_rollout, rollout_batch, rollout_percent, rollout_interval_s, "
          "rollout_stop_percent, batches_released, next_batch_ms, created_by, created_ms, "
          "updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
          "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
          j.job_id, j.job_name, j.image_id, j.description, j.status, j.pause_reason, j.nodes_json,
          j.groups_json, j.node_model, j.node_type, j.priority, std::int64_t{j.force_push},
          std::int64_t{j.user_approval}, j.metadata_json, std::int64_t{j.has_rollout},
          j.rollout_batch, j.rollout_percent, j.rollout_interval_s, j.rollout_stop_percent,
          j.batches_released, j.next_batch_ms, j.created_by, j.created_ms, j.updated_ms);
      if (!r) {
        if (r.error().code == errc::conflict)
          return fail(errc::already_exists, "an OTA job of that name exists");
        return r;
      }
      return c.execute(
          "INSERT INTO ota_job_nodes(job_id, node_id, status, batch, updated_ms) "
          "SELECT ?1, value, 'pending', 0, ?2 FROM " +
              c.json_strings("?3"),
          j.job_id, j.created_ms, json_array(node_ids));
    });
  });
}

Result<std::optional<OtaJobRecord>> SqlOtaRepository::job(std::string_view job_id) {
  return db_->with([&](Connection& c) -> Result<std::optional<OtaJobRecord>> {
    auto rows = c.query_all(
        "SELECT " + std::string(kJobColumns) + " FROM ota_jobs j WHERE j.job_id = ?1",
        [](const Statement& s) { return read_job(s); }, job_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<OtaJobRecord>{};
    return std::optional<OtaJobRecord>(std::move(rows->front()));
  });
}

Result<std::vector<OtaJobRecord>> SqlOtaRepository::jobs(std::string_view start_id,
                                                         std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT " + std::string(kJobColumns) +
            " FROM ota_jobs j WHERE j.job_id >= ?1 ORDER BY j.job_id LIMIT ?2",
        [](const Statement& s) { return read_job(s); }, start_id, static_cast<std::int64_t>(limit));
  });
}

Result<std::vector<OtaJobRecord>> SqlOtaRepository::active_jobs() {
  return db_->with([&](Connection& c) {
    return c.query_all("SELECT " + std::string(kJobColumns) +
                           " FROM ota_jobs j WHERE j.status = 'active' ORDER BY j.created_ms",
                       [](const Statement& s) { return read_job(s); });
  });
}

Result<void> SqlOtaRepository::update_job(const OtaJobRecord& j, std::string_view expected_status) {
  return db_->with([&](Connection& c) -> Result<void> {
    if (auto r = c.execute("UPDATE ota_jobs SET status = ?2, pause_reason = ?3, "
                           "next_batch_ms = ?4, updated_ms = ?5 WHERE job_id = ?1 AND status = ?6",
                           j.job_id, j.status, j.pause_reason, j.next_batch_ms, j.updated_ms,
                           expected_status);
        !r)
      return r;
    if (c.changes() != 0)
      return {};
    return why_unchanged(
        c, "SELECT status FROM ota_jobs WHERE job_id = ?1", "no such OTA job",
        [&](const std::string& status) {
          return "the OTA job is " + status + ", not " + std::string(expected_status);
        },
        j.job_id);
  });
}

Result<std::vector<std::string>> SqlOtaRepository::cancel_job(std::string_view job_id,
                                                              std::int64_t now_ms) {
  return db_->with([&](Connection& c) -> Result<std::vector<std::string>> {
    std::vector<std::string> cancelled;
    auto r = c.transaction([&]() -> Result<void> {
      if (auto u = c.execute("UPDATE ota_jobs SET status = 'cancelled', updated_ms = ?2 "
                             "WHERE job_id = ?1 AND status IN ('active', 'paused')",
                             job_id, now_ms);
          !u)
        return u;
      if (c.changes() == 0)
        return fail(errc::not_found, "no active OTA job of that id");
      auto nodes = c.query_all(
          "UPDATE ota_job_nodes SET status = 'cancelled', updated_ms = ?2, "
          "additional_info = 'job cancelled' WHERE job_id = ?1 AND status IN ('pending', "
          "'offered', 'in-progress', 'delayed') RETURNING node_id",
          [](const Statement& s) { return s.text(0); }, job_id, now_ms);
      if (!nodes)
        return fail(nodes.error());
      cancelled = std::move(*nodes);
      return {};
    });
    if (!r)
      return fail(r.error());
    return cancelled;
  });
}

Result<std::vector<OtaStatusCount>> SqlOtaRepository::status_counts(std::string_view job_id) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT status, COUNT(*) FROM ota_job_nodes WHERE job_id = ?1 GROUP BY status", read_count,
        job_id);
  });
}

Result<std::vector<OtaStatusCount>> SqlOtaRepository::released_counts(std::string_view job_id) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT status, COUNT(*) FROM ota_job_nodes WHERE job_id = ?1 AND batch > 0 "
        "GROUP BY status",
        read_count, job_id);
  });
}

Result<std::vector<std::string>> SqlOtaRepository::release_batch(std::string_view job_id,
                                                                 std::int64_t batch,
                                                                 std::int64_t count,
                                                                 std::int64_t next_batch_ms,
                                                                 std::int64_t updated_ms) {
  return db_->with([&](Connection& c) -> Result<std::vector<std::string>> {
    std::vector<std::string> released;
    auto r = c.transaction([&]() -> Result<void> {
      if (auto claimed =
              c.execute("UPDATE ota_jobs SET batches_released = ?2, next_batch_ms = ?3, "
                        "updated_ms = ?4 WHERE job_id = ?1 AND batches_released = ?2 - 1 AND "
                        "status = 'active'",
                        job_id, batch, next_batch_ms, updated_ms);
          !claimed)
        return claimed;
      if (c.changes() == 0)
        return fail(errc::conflict,
                    "batch " + std::to_string(batch) + " is not the next of an active job");
      auto nodes = c.query_all(
          "UPDATE ota_job_nodes SET batch = ?2 WHERE job_id = ?1 AND node_id IN (SELECT "
          "node_id FROM ota_job_nodes WHERE job_id = ?1 AND batch = 0 ORDER BY node_id LIMIT "
          "?3) RETURNING node_id",
          [](const Statement& s) { return s.text(0); }, job_id, batch, count);
      if (!nodes)
        return fail(nodes.error());
      released = std::move(*nodes);
      return {};
    });
    if (!r)
      return fail(r.error());
    return released;
  });
}

Result<std::vector<OtaJobNodeRecord>> SqlOtaRepository::job_nodes(std::string_view job_id,
                                                                  std::string_view node_id,
                                                                  std::string_view start_node_id,
                                                                  std::size_t limit) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT " + std::string(kNodeColumns) +
            " FROM ota_job_nodes n WHERE n.job_id = ?1 AND (?2 = '' OR n.node_id "
            "= ?2) AND n.node_id >= ?3 ORDER BY n.node_id LIMIT ?4",
        [](const Statement& s) { return read_node(s); }, job_id, node_id, start_node_id,
        static_cast<std::int64_t>(limit));
  });
}

Result<bool> SqlOtaRepository::set_job_node(const OtaJobNodeRecord& n,
                                            const std::vector<std::string>& from,
                                            std::optional<std::int64_t> updated_before) {
  return db_->with([&](Connection& c) -> Result<bool> {
    auto r = c.execute(
        "UPDATE ota_job_nodes SET status = ?3, additional_info = ?4, ts_source = ?5, "
        "updated_ms = ?6, approved_by = CASE WHEN ?3 = 'pending' THEN '' WHEN ?9 <> '' THEN ?9 "
        "ELSE approved_by END WHERE job_id = ?1 AND node_id = ?2 AND (?7 = '[]' OR "
        "status IN (SELECT value FROM " +
            c.json_strings("?7") + ")) AND updated_ms < ?8",
        n.job_id, n.node_id, n.status, n.additional_info, n.ts_source, n.updated_ms,
        json_array(from), updated_before.value_or(std::numeric_limits<std::int64_t>::max()),
        n.approved_by);
    if (!r)
      return fail(r.error());
    return c.changes() > 0;
  });
}

Result<std::vector<OtaOffer>> SqlOtaRepository::offers_for_node(std::string_view node_id) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT " + std::string(kJobColumns) + ", " + std::string(kImageColumns) + ", " +
            std::string(kNodeColumns) +
            " FROM ota_job_nodes n JOIN ota_jobs j ON j.job_id = n.job_id JOIN ota_images i ON "
            "i.image_id = j.image_id WHERE n.node_id = ?1 AND n.batch > 0 AND j.status = "
            "'active' AND n.status IN ('pending', 'offered', 'in-progress', 'delayed', 'failed') "
            "ORDER BY j.priority, j.created_ms",
        [](const Statement& s) {
          return OtaOffer{read_job(s, 0), read_image(s, kJobColumnCount),
                          read_node(s, kJobColumnCount + kImageColumnCount)};
        },
        node_id);
  });
}

Result<std::vector<OtaJobNodeRecord>> SqlOtaRepository::stale_job_nodes(
    const std::vector<std::string>& statuses, std::int64_t before_ms) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "SELECT " + std::string(kNodeColumns) +
            " FROM ota_job_nodes n JOIN ota_jobs j ON j.job_id = n.job_id WHERE "
            "j.status = 'active' AND n.batch > 0 AND n.updated_ms < ?2 AND "
            "n.status IN (SELECT value FROM " +
            c.json_strings("?1") +
            ") ORDER BY n.updated_ms "
            "LIMIT 10000",
        [](const Statement& s) { return read_node(s); }, json_array(statuses), before_ms);
  });
}

Result<std::vector<OtaTargetNode>> SqlOtaRepository::target_nodes(
    const std::vector<std::string>& node_ids, const std::vector<std::string>& group_ids,
    std::string_view model, std::string_view type) {
  return db_->with([&](Connection& c) {
    return c.query_all(
        "WITH RECURSIVE groups_in(group_id) AS (SELECT value FROM " + c.json_strings("?2") +
            " UNION SELECT g.group_id FROM node_groups g JOIN groups_in p ON "
            "g.parent_group_id = p.group_id), wanted(node_id) AS (SELECT value FROM " +
            c.json_strings("?1") +
            " UNION SELECT gn.node_id FROM "
            "group_nodes gn JOIN groups_in USING (group_id) UNION SELECT node_id FROM nodes WHERE "
            "?3 <> '' AND model = ?3 AND (?4 = '' OR type = ?4)) "
            "SELECT n.node_id, n.model, n.type, n.fw_version, n.platform, n.connected FROM nodes n "
            "JOIN wanted "
            "USING (node_id) ORDER BY n.node_id",
        read_target, json_array(node_ids), json_array(group_ids), model, type);
  });
}

Result<std::optional<OtaTargetNode>> SqlOtaRepository::target_node(std::string_view node_id) {
  return db_->with([&](Connection& c) -> Result<std::optional<OtaTargetNode>> {
    auto rows = c.query_all(
        "SELECT node_id, model, type, fw_version, platform, connected FROM nodes WHERE node_id = "
        "?1",
        read_target, node_id);
    if (!rows)
      return fail(rows.error());
    if (rows->empty())
      return std::optional<OtaTargetNode>{};
    return std::optional<OtaTargetNode>(std::move(rows->front()));
  });
}

}  // namespace stratus::storage::sql
