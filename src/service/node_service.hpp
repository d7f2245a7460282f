#pragma once
/// @file
/// Node use cases behind the RainMaker REST API (spec rainmaker.md §4.3–4.5,
/// §9): listing and reading a user's nodes, setting params (validated against
/// the node config; kept as desired state while the node is offline), and the
/// REST side of user-node mapping.
///
/// Authorization: every call checks the caller's relation to the node; a node
/// of another user fails exactly like an unknown node (errc::not_found).

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "service/account_service.hpp"
#include "service/node_mapping.hpp"
#include "service/node_messenger.hpp"
#include "storage/node_repository.hpp"

namespace stratus::service {

/// RainMaker-style error codes of the node routes (docs/api.md).
namespace node_error {
inline constexpr int node_not_found = 108005;     ///< unknown, or not the caller's
inline constexpr int invalid_params = 108019;     ///< a set fails validation
inline constexpr int no_config = 108020;          ///< the node has not reported its config
inline constexpr int no_params = 102006;          ///< spec §9.2: nothing reported yet
inline constexpr int request_not_found = 103013;  ///< mapping request id unknown
}  // namespace node_error

/// The outcome of one node's set in a batch.
struct SetOutcome {
  std::string node_id;
  bool success = false;
  bool queued = false;  ///< node offline: kept and sent when it next comes online
  std::string description;
  int error_code = 0;
};

/// Thread-safe; calls block (database). Call from the blocking pool.
class NodeService {
 public:
  NodeService(storage::NodeRepository& repository, NodeMessenger& messenger, const Clock& clock,
              std::chrono::seconds mapping_timeout);

  /// A page of the caller's nodes (`limit` 1–100).
  Result<storage::UserNodePage> list(const Principal& who, std::string_view start_node_id,
                                     std::size_t limit, std::string_view only_node_id);
  /// One of the caller's nodes.
  Result<storage::UserNode> get(const Principal& who, std::string_view node_id);

  /// Validates and sends (or queues) each set; never fails as a whole.
  std::vector<SetOutcome> set_params(
      const Principal& who, const std::vector<std::pair<std::string, boost::json::object>>& sets);

  /// `PUT /v1/user/nodes/mapping` operation add: returns the request id.
  Result<std::string> request_mapping(const Principal& who, std::string_view node_id,
                                      std::string_view secret_key);
  /// `PUT /v1/user/nodes/mapping` operation remove.
  Result<void> remove_mapping(const Principal& who, std::string_view node_id);
  /// `GET /v1/user/nodes/mapping?request_id=`: requested | confirmed | timedout | discarded.
  Result<std::string> mapping_status(const Principal& who, std::string_view request_id);

 private:
  SetOutcome set_one(const Principal& who, const std::string& node_id,
                     const boost::json::object& payload);

  storage::NodeRepository& repository_;
  NodeMessenger& messenger_;
  const Clock& clock_;
  MappingMatcher matcher_;
  std::chrono::seconds mapping_timeout_;
};

}  // namespace stratus::service
