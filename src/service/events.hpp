#pragma once
/// @file
/// The service layer's port for live events (issue 15, docs/adr/0010-live-events.md):
/// use cases describe what happened, after it is committed, and hand it to an
/// `EventPublisher`; the `EventHub` numbers events and fans them out to streams and
/// webhooks. Cheap to include.

#include <cstdint>
#include <string>
#include <vector>

#include "proto/rest/events.hpp"

namespace stratus::service {

/// One event before it is numbered.
///
/// Who may receive it: with `user_ids` empty, every user with access to `node_id`
/// (direct or through a group, checked against the recipient's current access);
/// otherwise exactly the users in `user_ids` (events about someone's access, or a
/// sharing request, which concern people who may not, or no longer, see the node).
struct EventDraft {
  proto::rest::EventKind kind = proto::rest::EventKind::params;
  std::string node_id;                ///< may be empty for user-addressed events
  std::vector<std::string> user_ids;  ///< empty: the node's users
  std::int64_t timestamp_ms = 0;      ///< when it happened (Unix ms)
  std::string data_json = "{}";       ///< the event's `data`, a JSON object's text
  /// The recipients' access changed (mapping, sharing, groups): streams of these users
  /// re-read which nodes they may see before this event is delivered.
  bool access_changed = false;
  /// Produced and committed by another instance of a cluster and relayed here
  /// (docs/adr/0021): it goes to this instance's streams only, never to the consumers
  /// that act on events (webhooks, automations, alert mail, OTA), which ran there.
  bool relayed = false;
};

/// Takes committed events. Implementations are thread-safe and never block on I/O, so
/// the ingest writer and request handlers may call `publish` on their own threads.
class EventPublisher {
 public:
  virtual ~EventPublisher() = default;
  /// Hands over `events` in the order they happened. Never fails: a publisher that
  /// cannot keep up drops (and counts) deliveries, never the caller's work.
  virtual void publish(std::vector<EventDraft> events) = 0;
};

/// The data of a `mapping` event: `{"role":"primary"|"secondary"|null,
/// "previous_role":…|null}` (null: no access).
[[nodiscard]] std::string mapping_event_data(std::string_view role, std::string_view previous_role);

/// One `mapping` event per user whose role on `node_id` differs between `before` and
/// `after` (pairs of user id and role, as `NodeRepository::users_of` returns them),
/// addressed to that user with `access_changed` set.
[[nodiscard]] std::vector<EventDraft> access_change_events(
    std::string_view node_id, const std::vector<std::pair<std::string, std::string>>& before,
    const std::vector<std::pair<std::string, std::string>>& after, std::int64_t timestamp_ms);

}  // namespace stratus::service
