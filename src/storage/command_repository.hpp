#pragma once
/// @file
/// Storage port for command requests (cmd-resp, spec rainmaker.md §3): one record per
/// (request id, node). Bytes travel as `std::string` (raw, not necessarily UTF-8).
/// Times are Unix milliseconds (`_ms`).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// A command request to one node as stored.
struct CommandRecord {
  std::int64_t id = 0;  ///< assigned by `create`; creation order
  std::string request_id;
  std::string node_id;
  std::string user_id;       ///< the caller who created it
  std::string user_name;     ///< the caller's user name at creation
  int cmd = 0;               ///< 0–65535
  std::string request_data;  ///< raw bytes as sent to the node
  bool is_base64 = false;    ///< the caller sent the data base64-encoded
  int role = 0;              ///< the TLV role byte sent
  /// requested | in_progress | success | failure | timed_out | overridden | cancelled
  std::string status;
  std::optional<int> device_status;  ///< the node's TLV status byte (0–255)
  std::string status_description;
  std::optional<std::string> response_data;  ///< raw bytes from the node
  std::int64_t request_ms = 0;
  std::optional<std::int64_t> response_ms;    ///< when the record became final
  std::optional<std::int64_t> expiration_ms;  ///< nullopt: no timeout
};

/// What `list`/`count` select. Empty strings and nullopt mean "any".
struct CommandFilter {
  std::string request_id;
  std::string node_id;
  std::string user_id;
  std::string status;         ///< one status
  bool pending_only = false;  ///< status requested or in_progress
  std::optional<int> cmd;
  std::optional<std::int64_t> from_ms;   ///< request_ms ≥ from_ms
  std::optional<std::int64_t> until_ms;  ///< request_ms ≤ until_ms
  /// Only not yet expired at this time (expiration_ms NULL or > it).
  std::optional<std::int64_t> unexpired_at_ms;
  std::int64_t after_id = 0;  ///< records with id > after_id (paging)
  std::size_t limit = 100;    ///< `list` only; ≥ 1
};

/// Reads and writes inside one transaction (see `CommandRepository::write`). Valid only
/// during the callback. Every method may fail with errc::unavailable (busy, I/O).
class CommandWriter {
 public:
  virtual ~CommandWriter() = default;
  /// Inserts `record` and sets its `id`. errc::conflict if (request_id, node_id) exists.
  virtual Result<void> create(CommandRecord& record) = 0;
  /// errc::not_found when there is no such (request_id, node_id).
  virtual Result<CommandRecord> get(std::string_view request_id, std::string_view node_id) = 0;
  /// Writes status, device_status, status_description, response_data and response_ms of
  /// the record with `record.id`.
  virtual Result<void> update(const CommandRecord& record) = 0;
  /// Matching records ordered by id, at most `filter.limit`.
  virtual Result<std::vector<CommandRecord>> list(const CommandFilter& filter) = 0;
  /// Marks every pending record with expiration_ms ≤ `now_ms` `timed_out` (response_ms =
  /// now_ms). Returns them as they are now (for the `command` events).
  virtual Result<std::vector<CommandRecord>> expire_due(std::int64_t now_ms) = 0;
};

/// Command request storage. Thread-safe; every call may block.
class CommandRepository {
 public:
  virtual ~CommandRepository() = default;
  /// Runs `body` in one transaction: all of its writes or none.
  virtual Result<void> write(const std::function<Result<void>(CommandWriter&)>& body) = 0;
  /// One record; errc::not_found when unknown.
  virtual Result<CommandRecord> get(std::string_view request_id, std::string_view node_id) = 0;
  /// Matching records ordered by id, at most `filter.limit`.
  virtual Result<std::vector<CommandRecord>> list(const CommandFilter& filter) = 0;
  /// How many records match (`limit` and `after_id` are ignored).
  virtual Result<std::int64_t> count(const CommandFilter& filter) = 0;
  /// True if some pending record has expiration_ms ≤ `now_ms` (a cheap read, so that
  /// readers write only when something is due).
  virtual Result<bool> any_due(std::int64_t now_ms) = 0;
};

}  // namespace stratus::storage
