#pragma once
/// @file
/// `EventStream`: the client end of `GET /v1/user/events` (a WebSocket, RFC 6455; the
/// messages of proto/rest/events.hpp), blocking, over Beast. Beast and Asio stay in
/// event_stream.cpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/server_url.hpp"
#include "client/types.hpp"
#include "core/error.hpp"

namespace stratus::client {

/// How the stream ended, when the server closed it.
struct StreamClosed {
  std::uint16_t code = 0;  ///< RFC 6455 close code; 4001/4002/4003/4008: proto::rest::close_code
  std::string reason;
};

/// One open event stream. Thread-safety: none (one thread at a time).
class EventStream {
 public:
  /// Opens `<server>/v1/user/events?<filter>` with `access_token` in the Authorization
  /// header; https servers are verified against `ca_file` (empty: the system CAs) with
  /// the host name checked. Errors: invalid_argument for a URL that is not http(s);
  /// unavailable / timeout when the server cannot be reached within `connect_timeout`;
  /// the server's refusal (401, 400) as `error_from_response` makes it.
  [[nodiscard]] static Result<EventStream> open(const ServerUrl& server, std::string_view ca_file,
                                                std::string_view access_token,
                                                const EventFilter& filter,
                                                std::chrono::milliseconds connect_timeout);

  EventStream(EventStream&&) noexcept;
  EventStream& operator=(EventStream&&) noexcept;
  ~EventStream();

  /// The next message, waiting at most `timeout`. Errors: timeout when nothing arrived
  /// (the stream stays usable); unavailable when the stream ended (`closed()` then says
  /// how, if the server said); invalid_argument for a message that is not a stream
  /// message (the stream stays usable).
  Result<StreamMessage> next(std::chrono::milliseconds timeout);

  /// The server's close frame, once the stream has ended with one.
  [[nodiscard]] const std::optional<StreamClosed>& closed() const;

  /// Sends a close frame (1000) and waits briefly for the server's answer.
  void close();

  /// The connection behind the stream (internal: defined in event_stream.cpp).
  struct Impl;

 private:
  explicit EventStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stratus::client
