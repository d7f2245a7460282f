#pragma once
/// @file
/// Storage port for automations (issue 16, docs/adr/0012; rainmaker-cloud.md §3): the
/// definitions as the API shows them and each one's newest firing. Times: `_ms` Unix
/// milliseconds.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::storage {

/// One automation as stored. JSON members are texts in the API's shape.
struct AutomationRecord {
  std::string automation_id;
  std::string user_id;  ///< its owner: the actions run with the owner's access
  std::string name;
  std::string event_type;           ///< node_params | daylight | weather
  std::string node_id;              ///< node_params: the trigger node; else empty
  std::string latitude, longitude;  ///< daylight, weather: as the client wrote them
  std::string events_json = "[]";   ///< `[{"params":{…},"check":"=="}]`
  std::string event_operator = "and";
  std::string actions_json = "[]";  ///< `[{"node_id","params":{…}}]`
  bool retrigger = false;
  bool enabled = true;
  std::string metadata_json = "{}";
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> last_fired_ms;
  std::string last_cause;
  std::string last_results_json = "[]";
};

/// Thread-safe; every call may block and may fail with errc::unavailable.
class AutomationRepository {
 public:
  virtual ~AutomationRepository() = default;

  /// Errors: already_exists when the user has an automation of that name for that node.
  virtual Result<void> create(const AutomationRecord& automation) = 0;
  /// Replaces the definition (not the firing) if the stored one is still the one last
  /// updated at `read_updated_ms` (a compare-and-set: of two concurrent edits, the second
  /// to write sees conflict instead of undoing the first). Errors: as `create`;
  /// not_found; conflict when it changed since it was read.
  virtual Result<void> update(const AutomationRecord& automation, std::int64_t read_updated_ms) = 0;
  /// Removes the user's automation; false when there was none.
  virtual Result<bool> remove(std::string_view user_id, std::string_view automation_id) = 0;
  /// The automation, whoever owns it (nullopt: none).
  virtual Result<std::optional<AutomationRecord>> get(std::string_view automation_id) = 0;
  /// The user's automations by id from `start_id` (inclusive; empty: the first), at most
  /// `limit`, only those of trigger node `node_id` when not empty.
  virtual Result<std::vector<AutomationRecord>> list(std::string_view user_id,
                                                     std::string_view node_id,
                                                     std::string_view start_id,
                                                     std::size_t limit) = 0;
  /// How many automations `list` would give without paging.
  virtual Result<std::int64_t> count(std::string_view user_id, std::string_view node_id) = 0;
  /// Every automation (loaded by the engine at start-up).
  virtual Result<std::vector<AutomationRecord>> all() = 0;
  /// Claims the firing of an automation due at `scheduled_ms` (a sunrise or sunset) for
  /// this caller: sets its newest firing to `at_ms` if none is stored at or after
  /// `scheduled_ms`, in one conditional statement. True: this caller claimed it and may
  /// act; false: another instance did (or the automation is gone). So two instances that
  /// both believe they lead (a leadership change, docs/adr/0021) fire it once in total.
  /// `at_ms` must not be before `scheduled_ms`. Errors: unavailable.
  virtual Result<bool> claim_firing(std::string_view automation_id, std::int64_t scheduled_ms,
                                    std::int64_t at_ms) = 0;
  /// Claims the firing of a node_params automation's edge judged on the trigger report
  /// committed at `report_ms` (its event's `timestamp_ms`, the same on every instance),
  /// the `ordinal`-th (from 0) of the automation's edges on reports of that millisecond:
  /// stores the three unless they are stored already, and deletes the automation's claims
  /// older than an hour before `at_ms`. True: this caller claimed it and may act; false:
  /// another instance did (or the automation is gone). So two instances that both
  /// believe they lead, judging the same report, fire its edge once in total (table
  /// `automation_edges`). Errors: unavailable.
  virtual Result<bool> claim_edge(std::string_view automation_id, std::int64_t report_ms,
                                  std::int64_t ordinal, std::int64_t at_ms) = 0;
  /// Stores the newest firing.
  virtual Result<void> record_firing(std::string_view automation_id, std::int64_t at_ms,
                                     std::string_view cause, std::string_view results_json) = 0;
};

}  // namespace stratus::storage
