#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the OTA storage port (tables
/// `ota_images`, `ota_jobs`, `ota_job_nodes`, migration 0013; docs/adr/0013).

#include <memory>

#include "storage/ota_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlOtaRepository final : public OtaRepository {
 public:
  explicit SqlOtaRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> add_image(const OtaImageRecord& image) override;
  Result<std::optional<OtaImageRecord>> image(std::string_view image_id) override;
  Result<std::vector<OtaImageRecord>> images(std::string_view start_id, std::size_t limit,
                                             bool include_archived,
                                             bool include_user_images) override;
  Result<bool> sha256_in_use(std::string_view sha256) override;
  Result<void> set_image_archived(std::string_view image_id, bool archived) override;
  Result<bool> remove_image(std::string_view image_id) override;
  Result<void> create_job(const OtaJobRecord& job,
                          const std::vector<std::string>& node_ids) override;
  Result<std::optional<OtaJobRecord>> job(std::string_view job_id) override;
  Result<std::vector<OtaJobRecord>> jobs(std::string_view start_id, std::size_t limit) override;
  Result<std::vector<OtaJobRecord>> active_jobs() override;
  Result<void> update_job(const OtaJobRecord& job, std::string_view expected_status) override;
  Result<std::vector<std::string>> cancel_job(std::string_view job_id,
                                              std::int64_t now_ms) override;
  Result<std::vector<OtaStatusCount>> status_counts(std::string_view job_id) override;
  Result<std::vector<OtaStatusCount>> released_counts(std::string_view job_id) override;
  Result<std::vector<std::string>> release_batch(std::string_view job_id, std::int64_t batch,
                                                 std::int64_t count, std::int64_t next_batch_ms,
                                                 std::int64_t updated_ms) override;
  Result<std::vector<OtaJobNodeRecord>> job_nodes(std::string_view job_id, std::string_view node_id,
                                                  std::string_view start_node_id,
                                                  std::size_t limit) override;
  Result<bool> set_job_node(const OtaJobNodeRecord& state, const std::vector<std::string>& from,
                            std::optional<std::int64_t> updated_before) override;
  Result<std::vector<OtaOffer>> offers_for_node(std::string_view node_id) override;
  Result<std::vector<OtaJobNodeRecord>> stale_job_nodes(const std::vector<std::string>& statuses,
                                                        std::int64_t before_ms) override;
  Result<std::vector<OtaTargetNode>> target_nodes(const std::vector<std::string>& node_ids,
                                                  const std::vector<std::string>& group_ids,
                                                  std::string_view model,
                                                  std::string_view type) override;
  Result<std::optional<OtaTargetNode>> target_node(std::string_view node_id) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
