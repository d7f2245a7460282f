#pragma once
/// @file
/// One HTTP/1.1 connection: read a request within the limits, route it, run the
/// handler under a deadline, write the reply, repeat while keep-alive. Written
/// once as a template over the stream (plain TCP or TLS over TCP).
/// Internal: included by server.cpp only.

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/metrics.hpp"
#include "http/detail/connections.hpp"
#include "http/detail/websocket_channel.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/websocket.hpp"
#include "log/log.hpp"
#include "proto/rest/error_codes.hpp"

namespace stratus::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

/// What every session shares; owned by the server, outlives all sessions.
struct SessionContext {
  const ServerOptions& options;
  const Router& router;
  MetricsRegistry& metrics;
  const std::atomic<bool>& stopping;
};

template <class Stream>
inline constexpr bool is_tls_stream = false;
template <class Next>
inline constexpr bool is_tls_stream<beast::ssl_stream<Next>> = true;

inline std::string_view to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

/// The reply for a failed read, or nothing when the peer is gone or the read
/// timed out (then there is nobody to answer).
inline std::optional<Response> read_error_reply(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return failure_response(431, proto::rest::http_error::headers_too_large,
                            "request headers too large");
  }
  if (ec == bhttp::error::body_limit) {
    return failure_response(413, proto::rest::http_error::body_too_large, "request body too large");
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message)
    return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
    return failure_response(400, proto::rest::http_error::malformed_request,
                            "malformed HTTP request");
  }
  return std::nullopt;
}

/// Turns the parsed message into the handler's `Request`; fails on a bad target.
inline Result<Request> to_request(bhttp::request<bhttp::string_body>&& message,
                                  const std::string& remote) {
  auto target = parse_target(to_std(message.target()));
  if (!target)
    return fail(std::move(target.error()));
  Request request;
  request.method = std::string(to_std(message.method_string()));
  request.target = std::string(to_std(message.target()));
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  for (const auto& field : message) {
    request.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote;
  return request;
}

/// The wire form of `response`: always Content-Length (RainMaker firmware rejects
/// chunked replies), except for statuses that have no body at all.
inline bhttp::response<bhttp::string_body> to_wire(Response response, unsigned version,
                                                   bool keep_alive, bool head) {
  if (response.status < 200 || response.status > 599) {
    log::error(log::Channel::http, "handler returned invalid status={}", response.status);
    response = failure_response(500, proto::rest::http_error::internal_error, "internal error");
  }
  bhttp::response<bhttp::string_body> wire{static_cast<bhttp::status>(response.status), version};
  wire.set(bhttp::field::server, "stratus");
  if (!response.content_type.empty())
    wire.set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) {
    const auto field = bhttp::string_to_field(name);
    if (field == bhttp::field::content_length || field == bhttp::field::transfer_encoding ||
        field == bhttp::field::connection) {
      continue;  // framing is ours
    }
    wire.insert(name, value);
  }
  wire.keep_alive(keep_alive);
  if (response.status == 204 || response.status == 304)
    return wire;  // RFC 9110 §8.6
  wire.content_length(response.body.size());
  if (!head)
    wire.body() = std::move(response.body);
  return wire;
}

/// Runs `handler`, turning a synchronous throw into a failed coroutine as well.
template <class Result, class AnyHandler>
net::awaitable<Result> invoke(const AnyHandler& handler, Request& request) {
  co_return co_await handler(request);
}

template <class Stream>
class Session {
 public:
  Session(Stream& stream, const SessionContext& context, Connection& connection, std::string remote,
          bool over_capacity)
      : stream_(stream),
        context_(context),
        connection_(connection),
        remote_(std::move(remote)),
        over_capacity_(over_capacity) {
    connection_.attach(tcp());
  }
  ~Session() { connection_.detach(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Serves requests until the peer leaves, keep-alive ends, a limit is hit or
  /// the server stops; then closes the connection.
  net::awaitable<void> run() {
    // (Plain bools rather than co_await in conditions: kinder to GCC 12.)
    bool more = co_await handshake();
    while (more)
      more = co_await serve_one();
    co_await close();
  }

 private:
  using Parser = bhttp::request_parser<bhttp::string_body>;
  static constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
  // After an error reply or a server-side close, how long and how much of what
  // the peer still sends is read and dropped, so that closing does not reset
  // the connection before the peer has read the reply.
  static constexpr std::chrono::milliseconds linger_time{1000};
  static constexpr std::size_t linger_bytes = std::size_t{1} << 20;

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  net::awaitable<bool> handshake() {
    if constexpr (is_tls_stream<Stream>) {
      tcp().expires_after(context_.options.idle_timeout);
      beast::error_code ec;
      std::tie(ec) = co_await stream_.async_handshake(net::ssl::stream_base::server, use_tuple);
      if (ec)
        log::debug(log::Channel::http, "tls handshake failed remote={} error={}", remote_,
                   ec.message());
      co_return !ec;
    } else {
      co_return true;
    }
  }

  // One request/response exchange; returns whether to read another request.
  net::awaitable<bool> serve_one() {
    connection_.set_busy(false);
    if (context_.stopping.load())
      co_return false;

    Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(context_.options.max_header_bytes));
    parser.body_limit(context_.options.max_body_bytes);

    tcp().expires_after(context_.options.idle_timeout);
    beast::error_code ec;
    std::size_t unused = 0;
    std::tie(ec, unused) = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    connection_.set_busy(true);
    const auto started = std::chrono::steady_clock::now();
    if (!ec && !parser.is_done()) {
      tcp().expires_after(context_.options.request_timeout);
      if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, parser.get().version()};
        std::tie(ec, unused) = co_await bhttp::async_write(stream_, go_on, use_tuple);
      }
      if (!ec)
        std::tie(ec, unused) = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
    }

    Exchange exchange{.started = started};
    if (const auto target = to_std(parser.get().target());
        !target.empty()) {  // start line was read
      exchange.method = std::string(to_std(parser.get().method_string()));
      exchange.path = std::string(target.substr(0, target.find('?')));
    }
    if (ec) {
      auto reply = read_error_reply(ec);
      if (!reply) {
        log::debug(log::Channel::http, "connection ended remote={} reason={}", remote_,
                   ec.message());
        co_return false;
      }
      co_await reply_and_log(exchange, *reply, 11, false, false);
      co_return false;
    }

    auto& message = parser.get();
    const unsigned version = message.version();
    const bool head = message.method() == bhttp::verb::head;
    const bool keep_alive = message.keep_alive();
    if (over_capacity_) {
      Response busy =
          failure_response(503, proto::rest::http_error::server_busy, "too many connections");
      co_await reply_and_log(exchange, busy, version, false, head);
      co_return false;
    }
    // A WebSocket handshake needs the request as Beast parsed it (headers only: a GET).
    std::optional<bhttp::request<bhttp::string_body>> upgrade_message;
    if (beast::websocket::is_upgrade(message))
      upgrade_message.emplace(message);
    auto request = to_request(parser.release(), remote_);
    if (!request) {
      Response malformed = failure_response(400, proto::rest::http_error::malformed_request,
                                            request.error().context);
      co_await reply_and_log(exchange, malformed, version, false, head);
      co_return false;
    }
    const auto deadline = started + context_.options.request_timeout;
    if (upgrade_message) {
      const RouteMatch match = context_.router.find(request->method, request->path);
      if (match.upgrade != nullptr) {
        request->route = std::string(match.route);
        exchange.route = request->route;
        auto step =
            upgrade(*request, *match.upgrade, *upgrade_message, exchange, version, deadline);
        co_await std::move(step);
        co_return false;
      }
    }
    Response response = co_await respond(*request, deadline);
    exchange.route = request->route.empty() ? "unmatched" : request->route;
    const bool again = keep_alive && !context_.stopping.load();
    const bool written = co_await reply_and_log(exchange, response, version, again, head);
    co_return written&& again;
  }

  // Per-request facts for the access log and the metrics.
  struct Exchange {
    std::string method = "-";
    std::string path = "-";  // never the query string: it may carry secrets
    std::string route = "unmatched";
    std::chrono::steady_clock::time_point started;
  };

  // Routes `request` and runs its handler until `deadline`.
  net::awaitable<Response> respond(Request& request,
                                   std::chrono::steady_clock::time_point deadline) {
    const RouteMatch match = context_.router.find(request.method, request.path);
    if (match.kind == RouteMatch::Kind::not_found) {
      co_return failure_response(404, proto::rest::http_error::unknown_route,
                                 "no such route: " + request.path);
    }
    request.route = std::string(match.route);
    if (match.kind == RouteMatch::Kind::method_not_allowed) {
      Response response =
          failure_response(405, proto::rest::http_error::method_not_allowed,
                           "method " + request.method + " not allowed on " + request.route);
      response.headers.emplace_back("Allow", match.allow);
      co_return response;
    }

    Response failure;
    auto work = invoke<Response>(*match.handler, request);
    auto step = within_deadline(std::move(work), request.route, deadline, failure);
    std::optional<Response> answer = co_await std::move(step);
    if (!answer)
      co_return failure;
    co_return std::move(*answer);
  }

  // Runs `work` until `deadline`. On a timeout (503) or an exception (500) returns
  // nothing and puts the reply in `failure`.
  // Race the work against the deadline; the loser is cancelled, and both have
  // finished when the group completes, so the request outlives the handler. (Built
  // step by step: GCC 12 mishandles non-trivial temporaries that live across a
  // co_await.)
  template <class T>
  net::awaitable<std::optional<T>> within_deadline(net::awaitable<T> work, const std::string& route,
                                                   std::chrono::steady_clock::time_point deadline,
                                                   Response& failure) {
    const auto executor = co_await net::this_coro::executor;
    net::steady_timer timer(executor, deadline);
    auto work_done = net::co_spawn(executor, std::move(work), net::deferred);
    auto timer_done = timer.async_wait(net::deferred);
    auto race = net::experimental::make_parallel_group(std::move(work_done), std::move(timer_done));
    auto outcome =
        co_await std::move(race).async_wait(net::experimental::wait_for_one(), net::use_awaitable);
    const std::size_t first_done = std::get<0>(outcome)[0];
    const std::exception_ptr error = std::get<1>(outcome);
    if (first_done == 1) {
      log::warn(log::Channel::http, "handler timed out route={} timeout_ms={}", route,
                context_.options.request_timeout.count());
      failure =
          failure_response(503, proto::rest::http_error::request_timeout, "request timed out");
      co_return std::nullopt;
    }
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        log::error(log::Channel::http, "handler failed route={} error={}", route, e.what());
      } catch (...) {
        log::error(log::Channel::http, "handler failed route={} error=unknown exception", route);
      }
      failure = failure_response(500, proto::rest::http_error::internal_error, "internal error");
      co_return std::nullopt;
    }
    co_return std::move(std::get<2>(outcome));
  }

  // --- WebSocket ---------------------------------------------------------------------

  using WsStream = beast::websocket::stream<Stream&>;

  // Asks the route; a refusal is an ordinary reply, an app gets the upgraded socket.
  net::awaitable<void> upgrade(Request& request, const UpgradeHandler& handler,
                               bhttp::request<bhttp::string_body>& message, Exchange& exchange,
                               unsigned version, std::chrono::steady_clock::time_point deadline) {
    Response failure;
    auto work = invoke<Upgrade>(handler, request);
    auto step = within_deadline(std::move(work), request.route, deadline, failure);
    std::optional<Upgrade> decided = co_await std::move(step);
    if (!decided) {
      co_await reply_and_log(exchange, failure, version, false, false);
      co_return;
    }
    if (auto* refusal = std::get_if<Response>(&*decided)) {
      co_await reply_and_log(exchange, *refusal, version, false, false);
      co_return;
    }
    auto app = std::get<std::shared_ptr<WebSocketApp>>(std::move(*decided));
    auto run = run_websocket(message, std::move(app), exchange);
    co_await std::move(run);
  }

  net::awaitable<void> run_websocket(bhttp::request<bhttp::string_body>& message,
                                     std::shared_ptr<WebSocketApp> app, const Exchange& exchange) {
    tcp().expires_never();  // the WebSocket stream keeps its own timeouts
    WsStream ws(stream_);
    ws.set_option(beast::websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(beast::websocket::stream_base::decorator(
        [](beast::websocket::response_type& r) { r.set(bhttp::field::server, "stratus"); }));
    ws.read_message_max(context_.options.websocket_max_message_bytes);
    beast::error_code ec;
    std::tie(ec) = co_await ws.async_accept(message, use_tuple);
    const int status = ec ? 400 : 101;
    context_.metrics
        .counter("stratus_http_requests_total", "HTTP requests answered, by route and status",
                 {{"route", exchange.route}, {"status", std::to_string(status)}})
        .inc();
    log::info(log::Channel::http, "access method={} target_path={} route={} status={} remote={}",
              exchange.method, exchange.path, exchange.route, status, remote_);
    if (ec) {
      log::debug(log::Channel::http, "websocket handshake failed remote={} error={}", remote_,
                 ec.message());
      co_return;
    }
    connection_.set_busy(false);  // an open stream is no request in flight: stop() closes it
    const auto executor = co_await net::this_coro::executor;
    auto channel = std::make_shared<WebSocketChannel>(
        executor, context_.options.websocket_send_queue, context_.options.websocket_write_grace,
        [this] { tcp().close(); });
    app->on_open(channel);
    auto reader = net::co_spawn(executor, read_loop(ws, *app, channel), net::deferred);
    auto writer = net::co_spawn(executor, write_loop(ws, channel), net::deferred);
    auto both = net::experimental::make_parallel_group(std::move(reader), std::move(writer));
    co_await std::move(both).async_wait(net::experimental::wait_for_all(), net::use_awaitable);
    channel->finish();
    app->on_close();
  }

  static net::awaitable<void> read_loop(WsStream& ws, WebSocketApp& app,
                                        std::shared_ptr<WebSocketChannel> channel) {
    beast::flat_buffer buffer;
    while (true) {
      beast::error_code ec;
      std::size_t n = 0;
      std::tie(ec, n) = co_await ws.async_read(buffer, use_tuple);
      if (ec)
        break;
      if (!ws.got_text()) {
        channel->close(1003, "only text messages are accepted");
      } else {
        const auto data = buffer.data();
        app.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      buffer.consume(buffer.size());
    }
    channel->reader_finished();
  }

  static net::awaitable<void> write_loop(WsStream& ws, std::shared_ptr<WebSocketChannel> channel) {
    std::deque<std::string> batch;
    while (true) {
      auto close = channel->take(batch);
      for (auto& text : batch) {
        if (channel->overflowed())
          break;
        ws.text(true);
        beast::error_code ec;
        std::size_t n = 0;
        channel->set_writing(true);
        std::tie(ec, n) = co_await ws.async_write(net::buffer(text), use_tuple);
        channel->set_writing(false);
        if (ec)
          co_return;  // the connection is gone; the reader ends too
      }
      batch.clear();
      if (channel->overflowed() || close) {
        auto request = channel->take(batch).value_or(WebSocketChannel::CloseRequest{});
        beast::error_code ec;
        channel->set_writing(true);
        std::tie(ec) = co_await ws.async_close(
            beast::websocket::close_reason(static_cast<beast::websocket::close_code>(request.code),
                                           request.reason),
            use_tuple);
        channel->set_writing(false);
        co_return;
      }
      if (channel->reader_done())
        co_return;
      if (channel->has_work())
        continue;
      channel->wake_timer().expires_at(net::steady_timer::time_point::max());
      beast::error_code ec;
      std::tie(ec) = co_await channel->wake_timer().async_wait(use_tuple);
    }
  }

  // Counts the reply, writes it (moving from `response`), then logs it; returns
  // whether the write succeeded. Counting first means a client that has read
  // its reply always finds it in /metrics.
  net::awaitable<bool> reply_and_log(const Exchange& exchange, Response& response, unsigned version,
                                     bool keep_alive, bool head) {
    const int status = response.status;
    const std::size_t bytes = response.body.size();
    auto wire = to_wire(std::move(response), version, keep_alive, head);
    context_.metrics
        .counter("stratus_http_requests_total", "HTTP requests answered, by route and status",
                 {{"route", exchange.route}, {"status", std::to_string(status)}})
        .inc();
    tcp().expires_after(context_.options.request_timeout);
    beast::error_code ec;
    std::size_t unused = 0;
    std::tie(ec, unused) = co_await bhttp::async_write(stream_, wire, use_tuple);

    const std::chrono::duration<double, std::milli> latency =
        std::chrono::steady_clock::now() - exchange.started;
    log::info(
        log::Channel::http,
        "access method={} target_path={} route={} status={} bytes={} latency_ms={:.2f} remote={}",
        exchange.method, exchange.path, exchange.route, status, bytes, latency.count(), remote_);
    if (ec)
      log::debug(log::Channel::http, "write failed remote={} error={}", remote_, ec.message());
    co_return !ec;
  }

  // Ends the connection politely: TLS close_notify or TCP FIN, then drains what
  // the peer still sends (bounded) before the socket is closed.
  net::awaitable<void> close() {
    tcp().expires_after(linger_time);
    if constexpr (is_tls_stream<Stream>) {
      beast::error_code ec;
      std::tie(ec) = co_await stream_.async_shutdown(use_tuple);
    } else {
      beast::error_code ec;
      tcp().socket().shutdown(net::socket_base::shutdown_send, ec);
      std::size_t drained = 0;
      while (!ec && drained < linger_bytes) {
        std::array<char, 4096> sink{};
        std::size_t n = 0;
        std::tie(ec, n) = co_await tcp().async_read_some(net::buffer(sink), use_tuple);
        drained += n;
      }
    }
    tcp().close();
  }

  Stream& stream_;
  const SessionContext& context_;
  Connection& connection_;
  std::string remote_;
  bool over_capacity_;
  beast::flat_buffer buffer_;
};

}  // namespace stratus::http::detail
