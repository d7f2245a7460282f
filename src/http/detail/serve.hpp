#pragma once
/// @file
/// The two ways a connection is served, each compiled in a translation unit of its own
/// (serve_plain.cpp, serve_tls.cpp): `Session` instantiates Beast's HTTP and WebSocket
/// code once per stream type, and with both in server.cpp that one unit took about five
/// minutes and 5 GB to compile with GCC 12 at -O3. Split, the two build in parallel and
/// server.cpp includes no Beast HTTP code at all.
/// Internal: included by server.cpp, session.hpp and the two units.

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <string>

#include "core/metrics.hpp"
#include "http/detail/connections.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace stratus::http::detail {

/// What every session shares; owned by the server, outlives all sessions.
struct SessionContext {
  const ServerOptions& options;
  const Router& router;
  MetricsRegistry& metrics;
  const std::atomic<bool>& stopping;
};

/// Serves the accepted plaintext connection `stream` (on its strand) until the peer
/// leaves, keep-alive ends, a limit is hit or the server stops, then closes it politely
/// (FIN, then what the peer still sends is drained, bounded). `over_capacity`: every
/// request is answered 503 and the connection closed. `context` and `connection` must
/// outlive the coroutine; `connection` is attached to the stream while it runs.
/// Errors never escape: each ends the connection (logged); a handler's exception is a 500.
boost::asio::awaitable<void> serve_plain(boost::beast::tcp_stream stream,
                                         const SessionContext& context, Connection& connection,
                                         std::string remote, bool over_capacity);

/// `serve_plain` over TLS with the server context `tls` (which must outlive the
/// coroutine): the handshake first, under `ServerOptions::idle_timeout` (a failed one
/// ends the connection, logged at debug), and `close_notify` at the end.
boost::asio::awaitable<void> serve_tls(boost::beast::tcp_stream stream,
                                       boost::asio::ssl::context& tls,
                                       const SessionContext& context, Connection& connection,
                                       std::string remote, bool over_capacity);

}  // namespace stratus::http::detail
