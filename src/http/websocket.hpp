#pragma once
/// @file
/// WebSocket routes (RFC 6455) as the `api` module sees them: a route answers an upgrade
/// request either with an ordinary `Response` (a refusal: 401, 400…) or with a
/// `WebSocketApp`, which then gets the open socket and the client's text messages. Beast
/// stays in server.cpp; this header is cheap to include.

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.hpp"

namespace stratus::http {

/// The server's end of one open WebSocket. Thread-safe: `send` and `close` may be called
/// from any thread, also after the connection ended (they then do nothing).
class WebSocket {
 public:
  virtual ~WebSocket() = default;

  /// Queues `text` as one text message. Returns false, and queues nothing, when the
  /// socket is closing or closed, or when `ServerOptions::websocket_send_queue` messages
  /// are already waiting: then the connection is closed with code 4008 and the reason
  /// "send queue full: the client reads too slowly" (what is queued is dropped).
  virtual bool send(std::string text) = 0;

  /// Sends what is queued, then a close frame with `code` (1000–4999) and `reason`
  /// (cut to 123 bytes), then ends the connection. Only the first call counts.
  virtual void close(std::uint16_t code, std::string reason) = 0;

  /// Like `close`, but what is queued is dropped and a message being written is the
  /// last: for a connection that may no longer receive anything (its session ended).
  /// A write the client never lets finish ends the connection after the write grace.
  virtual void abort(std::uint16_t code, std::string reason) = 0;
};

/// What a WebSocket route does once the connection is upgraded. The three callbacks run
/// on the connection's strand, never concurrently with each other, and must not block:
/// `on_open` once, then `on_message` per text message received (binary messages close
/// the connection with 1003), then `on_close` once when the connection has ended,
/// whoever ended it.
class WebSocketApp {
 public:
  virtual ~WebSocketApp() = default;
  virtual void on_open(std::shared_ptr<WebSocket> socket) = 0;
  virtual void on_message(std::string_view text) = 0;
  virtual void on_close() = 0;
};

/// The answer to an upgrade request: a refusal, or the app to run on the socket.
using Upgrade = std::variant<Response, std::shared_ptr<WebSocketApp>>;

/// A WebSocket route handler: a coroutine on the connection's executor, under the same
/// deadline as an ordinary handler. It may throw (the client gets 500).
using UpgradeHandler = std::function<boost::asio::awaitable<Upgrade>(Request&)>;

}  // namespace stratus::http
