#pragma once
/// @file
/// The SQL implementation (SQLite and PostgreSQL, docs/adr/0020) of the node storage port.

#include <memory>

#include "storage/node_repository.hpp"
#include "storage/sql/database.hpp"

namespace stratus::storage::sql {

class Connection;

/// Inside a transaction on `c`: removes `user_id`'s direct relation to the node (every
/// user's with an empty `user_id`), their queued sets for it, and marks their pending
/// command requests `cancelled` with `reason` at `ms`. Shared by the node and access
/// repositories. Errors: as `Connection::execute`.
Result<AccessRemoved> remove_node_access(Connection& c, std::string_view node_id,
                                         std::string_view user_id, std::string_view reason,
                                         std::int64_t ms);

/// On `c`: whether `user_id` exists and is not disabled (docs/adr/0036). Shared by the
/// node and access repositories (`NodeWriter::user_active`, `AccessStore::user_active`).
/// Errors: as `Connection::query_one`.
Result<bool> user_active(Connection& c, std::string_view user_id);

/// Thread-safe; every call borrows a pooled connection and may block.
class SqlNodeRepository final : public NodeRepository {
 public:
  explicit SqlNodeRepository(std::shared_ptr<Database> db) : db_(std::move(db)) {}

  Result<void> write(const std::function<Result<void>(NodeWriter&)>& body) override;
  Result<UserNodePage> list_user_nodes(std::string_view user_id, std::string_view start_node_id,
                                       std::size_t limit, std::string_view only_node_id) override;
  Result<UserNode> get_user_node(std::string_view user_id, std::string_view node_id) override;
  Result<NodeRecord> get_node(std::string_view node_id) override;
  Result<MappingRequest> get_mapping_request(std::string_view request_id) override;
  Result<std::vector<AlertRecord>> list_alerts(const AlertQuery& query) override;
  Result<std::vector<std::pair<std::string, std::string>>> users_of(
      std::string_view node_id) override;
  Result<std::vector<FleetNode>> list_fleet_nodes(const FleetNodeFilter& filter,
                                                  std::string_view start_node_id,
                                                  std::size_t limit) override;

 private:
  std::shared_ptr<Database> db_;
};

}  // namespace stratus::storage::sql
