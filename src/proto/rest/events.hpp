#pragma once
/// @file
/// The live event stream, `GET /v1/user/events` upgraded to a WebSocket (issue 15,
/// docs/adr/0010-live-events.md, docs/api.md "Live events"): what the server pushes, what a
/// client may send, and the filter both sides read from a query string or a first
/// message. RainMaker has no such stream (its apps poll; rainmaker-cloud.md §5 lists only
/// push notifications); the event kinds follow its push event types
/// (`rmaker.event.node_params_changed` → `params`, `node_connected`/`node_disconnected`
/// → `connectivity`, `node_config_changed` → `config`, `alert`, `user_node_added`/
/// `user_node_removed` → `mapping`, `user_node_sharing_add` → `sharing_request`,
/// `user_node_ota` → `ota`) plus `command` for command requests (spec rainmaker.md §3.5).
///
/// Server → client, one JSON object per text message:
/// - an event: `{"id":<int>,"type":"<kind>","node_id":"<id>"?,"timestamp":<ms>,
///   "data":{...}}`; ids grow strictly within one server run and jump ahead across
///   restarts, so "resume from id N" is always well defined;
/// - `{"type":"ready","last_event_id":<int>,"resumed":<bool>}` once, when the stream
///   is subscribed (after any replayed events);
/// - `{"type":"resync","reason":"..."}` when a resume point is older than what the
///   server keeps, or in the middle of a stream when events were lost on the way
///   (docs/adr/0034): the client must re-read state over REST.
///
/// Client → server: `{"access_token":"<jwt>","node_ids":[...]?,"types":[...]?,
/// "last_event_id":<int>?}` as the first message when no `Authorization` header was
/// sent (browsers cannot set one). Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// The kinds of event. The bit of kind k in a mask is `1u << k`.
enum class EventKind : std::uint8_t {
  params,           ///< reported params changed: data `{"payload":{device:{param:value}}}`
  connectivity,     ///< presence: data `{"connected":bool,"timestamp":<ms>}`
  config,           ///< node config reported: data `{"config":{...}}`
  alert,            ///< `node/<id>/alert`: data `{"payload":{...},"alert_id":<int>}`
  command,          ///< a command request changed state: data `{"request_id","status",...}`
  mapping,          ///< the recipient's access to a node or group changed: data `{"role"|null,...}`
  sharing_request,  ///< a sharing request to or from the recipient: data
                    ///< `{"request_id","status",...}`
  ota,              ///< the node's state in an OTA job changed: data `{"ota_job_id","status",
                    ///< "additional_info"}` (docs/adr/0013)
  automation,       ///< one of the recipient's automations fired: data `{"automation_id",
                    ///< "name","cause","results":[…]}` (node_id: the trigger node, if any)
};
/// How many kinds there are.
inline constexpr std::size_t kEventKindCount = 9;
/// Every kind's bit.
inline constexpr std::uint32_t kAllEventKinds = (1u << kEventKindCount) - 1;

/// The wire name of `kind` ("params", "sharing_request").
[[nodiscard]] std::string_view to_string(EventKind kind) noexcept;
/// The kind named `name`; nullopt for an unknown name.
[[nodiscard]] std::optional<EventKind> parse_event_kind(std::string_view name) noexcept;

/// Which events a stream carries.
struct EventFilter {
  std::vector<std::string> node_ids;           ///< empty: every node the caller may see
  std::uint32_t kinds = kAllEventKinds;        ///< a mask of `EventKind` bits
  std::optional<std::uint64_t> last_event_id;  ///< resume after this id

  /// Whether an event of `kind` passes the kind mask.
  [[nodiscard]] bool wants(EventKind kind) const noexcept {
    return (kinds & (1u << static_cast<unsigned>(kind))) != 0;
  }
};

/// Most node ids one filter may name.
inline constexpr std::size_t kMaxFilterNodes = 1000;

/// The filter in a query string: `node_ids=a,b`, `types=params,alert`,
/// `last_event_id=N`. Errors: invalid_argument with `event_error::invalid_filter`
/// naming the unknown kind, the malformed id or the list over `kMaxFilterNodes`.
[[nodiscard]] Result<EventFilter> parse_event_filter(
    const std::vector<std::pair<std::string, std::string>>& query);

/// The first message of a browser: the token and optionally a filter (members as in
/// the query string, `node_ids`/`types` as arrays). Errors: invalid_argument with
/// `event_error::invalid_filter` for malformed JSON, a missing token or a bad member.
struct StreamHello {
  std::string access_token;
  EventFilter filter;
};
[[nodiscard]] Result<StreamHello> parse_stream_hello(std::string_view text);
/// The text of a first message (the client side of `parse_stream_hello`).
[[nodiscard]] std::string stream_hello_json(std::string_view access_token,
                                            const EventFilter& filter);
/// The query string of `filter` (without '?'; empty for the default filter).
[[nodiscard]] std::string event_filter_query(const EventFilter& filter);

/// The text of one event; `data_json` must be a JSON object's text (it is copied
/// verbatim) and `node_id` may be empty (then absent).
[[nodiscard]] std::string event_json(std::uint64_t id, EventKind kind, std::string_view node_id,
                                     std::int64_t timestamp_ms, std::string_view data_json);
/// `{"type":"ready","last_event_id":N,"resumed":bool}`.
[[nodiscard]] std::string stream_ready_json(std::uint64_t last_event_id, bool resumed);
/// `{"type":"resync","reason":"..."}`.
[[nodiscard]] std::string stream_resync_json(std::string_view reason);

/// One message of the stream as a client reads it.
struct StreamMessage {
  std::string type;               ///< an event kind, "ready" or "resync"
  std::uint64_t id = 0;           ///< events; `last_event_id` for "ready"
  std::string node_id;            ///< events about a node
  std::int64_t timestamp_ms = 0;  ///< events
  std::string data_json = "{}";   ///< events: the `data` object's text
  std::string reason;             ///< "resync"
  bool resumed = false;           ///< "ready"
};
/// Errors: invalid_argument (not a JSON object, no string `type`).
[[nodiscard]] Result<StreamMessage> parse_stream_message(std::string_view text);

// --- alerts: GET /v1/user/nodes/alerts ---------------------------------------------

/// One stored alert as the REST answer shows it.
struct Alert {
  std::int64_t alert_id = 0;
  std::string node_id;
  std::int64_t timestamp_ms = 0;  ///< when the cloud received it
  std::string payload_json;       ///< the node's JSON object, e.g. `{"esp.alert.str":"…"}`
};

/// A page of alerts, newest first: `{"alerts":[{"alert_id","node_id","timestamp",
/// "payload"}],"next_id"?}`; `next_id` (the `start_id` of the next page) is absent on the
/// last page.
struct AlertPage {
  std::vector<Alert> alerts;
  std::optional<std::int64_t> next_id;
};
[[nodiscard]] std::string alert_page_json(const AlertPage& page);
/// Errors: internal when the answer is not an object with an `alerts` array.
[[nodiscard]] Result<AlertPage> parse_alert_page(std::string_view text);

/// The query of `GET /v1/user/nodes/alerts`: `node_id` (required), `start_time`,
/// `end_time` (Unix seconds, [start, end)), `start_id`, `num_records` (1–100, default 10).
struct AlertQuery {
  std::string node_id;
  std::optional<std::int64_t> start_time, end_time, start_id;
  std::size_t num_records = 10;
};
/// Errors: invalid_argument — `request_error::invalid_request_body`
/// for a missing node id or a bad number, `event_error::invalid_time_range` for a start
/// after the end or a time outside 0–253402300799.
[[nodiscard]] Result<AlertQuery> parse_alert_query(
    const std::vector<std::pair<std::string, std::string>>& query);

/// One line for people about an event message (without time or node): `params` as
/// `Light.Power=true, Light.Brightness=40`, `connectivity` as `online`/`offline`, an
/// alert's `esp.alert.str` text (else its JSON), `command` as `command <id> <status>`,
/// `mapping` as `access: primary` / `access removed`, `sharing_request` as
/// `sharing request <id> <status>`; other kinds as their compact `data`.
[[nodiscard]] std::string event_summary(const StreamMessage& message);

/// The text of an alert payload for people: its `esp.alert.str`, else the JSON itself.
[[nodiscard]] std::string alert_text(std::string_view payload_json);

// --- webhooks: /v1/user/webhooks ---------------------------------------------------

/// `POST /v1/user/webhooks` `{"url","events":[…],"node_ids"?:[…],"secret"}`.
struct WebhookRequest {
  std::string url;
  std::vector<std::string> events;    ///< event type names
  std::vector<std::string> node_ids;  ///< empty: every node the caller may see
  std::string secret;                 ///< the HMAC key; never shown again
};
/// Errors: `invalid_body` for a missing `url`/`secret` or a member of a wrong type.
[[nodiscard]] Result<WebhookRequest> parse_webhook_request(const boost::json::object& body);
[[nodiscard]] std::string webhook_request_json(const WebhookRequest& request);

/// A webhook as `GET /v1/user/webhooks` shows it (never its secret).
struct WebhookInfo {
  std::string webhook_id;
  std::string url;
  std::vector<std::string> events;
  std::vector<std::string> node_ids;
  bool enabled = true;
  std::int64_t failures = 0;    ///< consecutive failed deliveries
  std::string disabled_reason;  ///< why it was disabled (empty while enabled)
  std::string last_error;       ///< of the newest failed attempt
  std::int64_t created_ms = 0;
  std::int64_t last_success_ms = 0;  ///< 0: never
};
/// `{"webhooks":[{webhook_id,url,events,node_ids,enabled,failures,disabled_reason?,
/// last_error?,created,last_success?}]}` (times in ms).
[[nodiscard]] std::string webhook_list_json(const std::vector<WebhookInfo>& webhooks);
/// Errors: internal when the answer has no `webhooks` array.
[[nodiscard]] Result<std::vector<WebhookInfo>> parse_webhook_list(std::string_view text);
/// The names of the kinds in `mask`, in kind order.
[[nodiscard]] std::vector<std::string> event_kind_names(std::uint32_t mask);

/// WebSocket close codes the server uses (RFC 6455 §7.4.2 private range 4000–4999).
namespace close_code {
inline constexpr std::uint16_t unauthenticated = 4001;  ///< no, bad or expired token
inline constexpr std::uint16_t token_expired = 4002;    ///< the token expired mid-stream
inline constexpr std::uint16_t bad_request = 4003;      ///< a malformed first message
inline constexpr std::uint16_t too_slow = 4008;         ///< the send queue overflowed
inline constexpr std::uint16_t going_away = 1001;       ///< the server stops
}  // namespace close_code

}  // namespace stratus::proto::rest
