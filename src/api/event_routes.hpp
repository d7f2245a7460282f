#pragma once
/// @file
/// Live events and alerts (issue 15, docs/adr/0010-live-events.md, docs/api.md "Live
/// events"): the WebSocket stream `GET /v1/user/events` and `GET /v1/user/nodes/alerts`.

#include <chrono>
#include <cstddef>

#include "core/clock.hpp"
#include "http/router.hpp"
#include "service/account_service.hpp"
#include "service/event_hub.hpp"
#include "service/node_service.hpp"
#include "service/webhook_service.hpp"

namespace boost::asio {
class thread_pool;
}  // namespace boost::asio

namespace stratus::api {

/// Settings of the event stream (config section `events`).
struct EventStreamOptions {
  /// How long a stream opened without an `Authorization` header waits for its first
  /// message, `{"access_token":…}`, before closing with 4001.
  std::chrono::milliseconds hello_timeout{10000};
  /// Messages a stream's socket queues before it is cut off (`events.stream_send_queue`,
  /// the HTTP server's `websocket_send_queue`): a resume whose replay needs more is
  /// answered `resync` (`SubscribeOptions::sink_capacity`).
  std::size_t send_queue = 1024;
  /// How often an open stream checks that its session is still active: at most this long
  /// after a logout, or after its user was disabled or deleted, it closes with 4001. (The
  /// token's expiry closes it with 4002 at that moment.)
  std::chrono::milliseconds session_check{30000};
};

/// Adds:
///
/// - `GET /v1/user/events` (WebSocket; a plain GET gets 426). The filter comes from the
///   query (`node_ids`, `types`, `last_event_id`; 400 `event_error::invalid_filter`) or
///   the first message. With an `Authorization` header the token is checked before the
///   upgrade (401 on failure); without one the stream waits `hello_timeout` for
///   `{"access_token",…}` and closes with 4001 (no or bad token) or 4003 (malformed).
///   The stream then carries the replay or `resync`, `ready`, and live events the caller
///   may see (proto/rest/events.hpp); it closes with 4002 when the token expires and with
///   4008 when the client reads too slowly. Subscribing reads the caller's nodes on
///   `pool`.
/// - `GET /v1/user/nodes/alerts?node_id=&start_time=&end_time=&start_id=&num_records=`
///   → `{"alerts":[…],"next_id"?}`, newest first; 404 for a node the caller cannot see.
///
/// Every reference must outlive the router and the server's connections.
void add_event_routes(http::Router& router, service::AccountService& accounts,
                      service::NodeService& nodes, service::EventHub& hub,
                      boost::asio::thread_pool& pool, const Clock& clock,
                      EventStreamOptions options);

/// Adds, for a logged-in caller (401 otherwise):
///
/// - `POST /v1/user/webhooks` `{"url","events":[…],"node_ids"?,"secret"}` → 200
///   `{"status":"success","description","webhook_id"}` (errors: `event_error::webhook_*`,
///   404 for a node the caller cannot see);
/// - `GET /v1/user/webhooks` → `{"webhooks":[…]}` (state included, never the secret);
/// - `DELETE /v1/user/webhooks?webhook_id=` → 200, or 404 `event_error::webhook_not_found`.
///
/// Handlers run on `pool`; every reference must outlive the router.
void add_webhook_routes(http::Router& router, service::AccountService& accounts,
                        service::WebhookService& webhooks, boost::asio::thread_pool& pool);

}  // namespace stratus::api
