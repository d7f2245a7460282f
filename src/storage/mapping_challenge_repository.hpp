#pragma once
/// @file
/// Storage port for challenge-response user-node mapping (spec rainmaker.md
/// §4.3): the challenges handed out by `user/nodes/mapping/initiate`, each
/// answerable once. The service layer sees only this interface; storage/sqlite
/// implements it. Times are Unix seconds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace stratus::storage {

/// A mapping challenge as stored.
struct MappingChallengeRecord {
  std::string request_id;  ///< what the user sends back with the node's answer
  std::string user_id;     ///< who initiated; only they may verify
  std::string challenge;   ///< the text the node signs
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;          ///< answerable while now < expires_at
  std::optional<std::int64_t> used_at;  ///< set by the (single) verify attempt
};

/// Mapping challenge storage. Implementations are thread-safe; every call may
/// block. Errors: errc::not_found for unknown ids, errc::unavailable when the
/// database is, errc::internal otherwise.
class MappingChallengeRepository {
 public:
  virtual ~MappingChallengeRepository() = default;

  /// How long used or expired challenges are kept before `create` purges them.
  static constexpr std::int64_t kRetentionSeconds = 24 * 60 * 60;

  /// Stores `challenge` (not used yet) and drops every challenge that expired
  /// more than `kRetentionSeconds` before `challenge.created_at`. Errors:
  /// errc::conflict if the request id is taken or the user does not exist
  /// (foreign key).
  virtual Result<void> create(const MappingChallengeRecord& challenge) = 0;

  /// The challenge `request_id` (used, expired or not). Errors: errc::not_found.
  virtual Result<MappingChallengeRecord> get(std::string_view request_id) = 0;

  /// Atomically marks `request_id` used at `at`, if it is not yet. Errors:
  /// errc::conflict when it already was (a concurrent verify won);
  /// errc::not_found when it does not exist.
  virtual Result<void> mark_used(std::string_view request_id, std::int64_t at) = 0;
};

}  // namespace stratus::storage
