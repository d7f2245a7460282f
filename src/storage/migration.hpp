#pragma once
/// @file
/// Numbered schema migrations. Each backend keeps its SQL files in
/// `src/storage/<backend>/migrations/NNNN_name.sql`; they are compiled into the
/// binary and applied at start-up, each in its own transaction, and recorded in
/// the `schema_migrations` table (version, name, applied_at in Unix seconds).

#include <span>
#include <string_view>
#include <vector>

namespace stratus::storage {

/// One schema step. Versions start at 1 and increase by exactly 1.
struct Migration {
  int version = 0;
  std::string_view name;  ///< e.g. "instance" from 0001_instance.sql
  std::string_view sql;   ///< may hold several statements
};

/// What `migrate` did.
struct MigrationReport {
  int from_version = 0;      ///< schema version before
  int to_version = 0;        ///< schema version after
  std::vector<int> applied;  ///< versions applied by this call (empty when current)
};

}  // namespace stratus::storage
