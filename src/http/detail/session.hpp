#pragma once
/// @file
/// One HTTP/1.1 connection: read a request within the limits (the route, known once
/// the header is in, may raise the body limit or have the body streamed to a temp
/// file), run the handler under a deadline, write the reply (a file reply in bounded
/// chunks), repeat while keep-alive. Written once as a template over the stream (plain
/// TCP or TLS over TCP), instantiated once per stream in serve_plain.cpp and
/// serve_tls.cpp.
/// Internal: included by those two units only.

#include <algorithm>
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
#include <boost/asio/write.hpp>
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
#include <vector>

#include "core/metrics.hpp"
#include "http/detail/connections.hpp"
#include "http/detail/files.hpp"
#include "http/detail/serve.hpp"
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

/// Turns the parsed header plus the body (in memory, or the path of the file holding
/// it) into the handler's `Request`; fails on a bad target.
inline Result<Request> to_request(const bhttp::request_header<>& message, std::string body,
                                  std::string body_file, const std::string& remote) {
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
  request.body = std::move(body);
  request.body_file = std::move(body_file);
  request.remote_address = remote;
  return request;
}

inline bool bodiless_status(int status) {
  return status == 204 || status == 304;  // RFC 9110 §8.6
}

/// Replaces a `response` that breaks the `Response` contract (status outside
/// 200..599; a file with a body or with a bodiless status) by a 500, logging why.
inline void enforce_contract(Response& response) {
  if (response.status < 200 || response.status > 599) {
    log::error(log::Channel::http, "handler returned invalid status={}", response.status);
  } else if (response.file && (!response.body.empty() || bodiless_status(response.status))) {
    log::error(log::Channel::http, "handler returned a file reply with a body or status={}",
               response.status);
  } else {
    return;
  }
  response = failure_response(500, proto::rest::http_error::internal_error, "internal error");
}

/// Status and header fields of `response` on `wire`; framing (Content-Length,
/// Transfer-Encoding, Connection) is the caller's.
template <class Body>
void set_header(bhttp::response<Body>& wire, const Response& response, bool keep_alive) {
  wire.result(static_cast<bhttp::status>(response.status));
  wire.set(bhttp::field::server, "stratus");
  if (!response.content_type.empty())
    wire.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) {
    const auto field = bhttp::string_to_field(name);
    if (field == bhttp::field::content_length || field == bhttp::field::transfer_encoding ||
        field == bhttp::field::connection) {
      continue;  // framing is ours
    }
    wire.insert(name, value);
  }
  wire.keep_alive(keep_alive);
}

/// The wire form of an in-memory `response` (`enforce_contract` applied, no `file`):
/// always Content-Length (RainMaker firmware rejects chunked replies), except for
/// statuses that have no body at all.
inline bhttp::response<bhttp::string_body> to_wire(Response response, unsigned version,
                                                   bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> wire{bhttp::status::ok, version};
  set_header(wire, response, keep_alive);
  if (bodiless_status(response.status))
    return wire;
  wire.content_length(response.body.size());
  if (!head)
    wire.body() = std::move(response.body);
  return wire;
}

/// The header of a file reply (`enforce_contract` applied, `file` set): Content-Length
/// is the range's length; the body follows separately.
inline bhttp::response<bhttp::empty_body> to_wire_header(const Response& response, unsigned version,
                                                         bool keep_alive) {
  bhttp::response<bhttp::empty_body> wire{bhttp::status::ok, version};
  set_header(wire, response, keep_alive);
  wire.content_length(response.file->length);
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
    // A file reply is a header write then chunk writes: without this, Nagle holds the
    // first chunk until the peer's (delayed) ACK of the header, ~40 ms per reply.
    beast::error_code ignored;
    tcp().socket().set_option(net::ip::tcp::no_delay(true), ignored);
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
  using FileParser = bhttp::request_parser<bhttp::file_body>;
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
    // The body limit depends on the route, known once the header is in (read_body sets
    // it); Beast would check Content-Length against a limit while reading the header.
    parser.body_limit(boost::none);

    tcp().expires_after(context_.options.idle_timeout);
    beast::error_code ec;
    std::size_t unused = 0;
    std::tie(ec, unused) = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    connection_.set_busy(true);
    const auto started = std::chrono::steady_clock::now();

    Exchange exchange{.started = started};
    if (const auto target = to_std(parser.get().target());
        !target.empty()) {  // start line was read
      exchange.method = std::string(to_std(parser.get().method_string()));
      exchange.path = std::string(target.substr(0, target.find('?')));
    }

    // On a body_to_file route the message moves to `file_parser` (`parser` is then
    // spent) and the body to the file `upload` names.
    std::optional<FileParser> file_parser;
    TempFile upload;
    bool upload_failed = false;
    if (!ec) {
      auto reading = read_body(parser, file_parser, upload, upload_failed);
      ec = co_await std::move(reading);
    }
    if (upload_failed) {
      upload.remove();
      Response broken =
          failure_response(500, proto::rest::http_error::internal_error, "internal error");
      co_await reply_and_log(exchange, broken, 11, false, false);
      co_return false;
    }
    if (ec) {
      upload.remove();
      auto reply = read_error_reply(ec);
      if (!reply) {
        log::debug(log::Channel::http, "connection ended remote={} reason={}", remote_,
                   ec.message());
        co_return false;
      }
      co_await reply_and_log(exchange, *reply, 11, false, false);
      co_return false;
    }

    const bhttp::request_header<>& message =
        file_parser ? file_parser->get().base() : parser.get().base();
    const unsigned version = message.version();
    const bool head = message.method() == bhttp::verb::head;
    const bool keep_alive = file_parser ? file_parser->keep_alive() : parser.keep_alive();
    if (over_capacity_) {
      Response busy =
          failure_response(503, proto::rest::http_error::server_busy, "too many connections");
      co_await reply_and_log(exchange, busy, version, false, head);
      co_return false;
    }
    // A WebSocket handshake needs the request as Beast parsed it (headers only: a GET).
    std::optional<bhttp::request<bhttp::string_body>> upgrade_message;
    if (!file_parser && beast::websocket::is_upgrade(parser.get()))
      upgrade_message.emplace(parser.get());
    std::string body = file_parser ? std::string{} : std::move(parser.get().body());
    auto request = to_request(message, std::move(body), upload.path(), remote_);
    if (!request) {
      upload.remove();
      Response malformed = failure_response(400, proto::rest::http_error::malformed_request,
                                            request.error().context);
      co_await reply_and_log(exchange, malformed, version, false, head);
      co_return false;
    }
    // A streamed body may take long to arrive: the handler's time starts when it is in.
    const auto deadline = (upload.path().empty() ? started : std::chrono::steady_clock::now()) +
                          context_.options.request_timeout;
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
    upload.remove();  // unless the handler moved it away
    exchange.route = request->route.empty() ? "unmatched" : request->route;
    const bool again = keep_alive && !context_.stopping.load();
    const bool written = co_await reply_and_log(exchange, response, version, again, head);
    co_return written&& again;
  }

  // How to read one request's body, decided from its header and route.
  struct BodyPlan {
    std::size_t max_body_bytes = 0;
    bool to_file = false;
  };

  [[nodiscard]] BodyPlan plan_body(const bhttp::request_header<>& header) const {
    BodyPlan plan{.max_body_bytes = context_.options.max_body_bytes, .to_file = false};
    if (over_capacity_)
      return plan;  // answered 503 whatever it is: no temp file for it
    const auto target = parse_target(to_std(header.target()));
    if (!target)
      return plan;  // answered 400 once read
    const RouteMatch match = context_.router.find(to_std(header.method_string()), target->path);
    if (match.kind != RouteMatch::Kind::found)
      return plan;
    plan.max_body_bytes = match.options.max_body_bytes.value_or(plan.max_body_bytes);
    plan.to_file = match.options.body_to_file;
    return plan;
  }

  // Reads the body of the request whose header `parser` holds, as its route wants: into
  // memory under `request_timeout` for the whole body, or (body_to_file) through
  // `file_parser` into a new temp file that `upload` then names, under `idle_timeout` per
  // read. Answers `Expect: 100-continue` first. A declared Content-Length over the limit
  // fails at once (no 100 Continue, nothing read). Returns the read error; sets
  // `upload_failed` (and returns no error) when the temp file could not be made.
  net::awaitable<beast::error_code> read_body(Parser& parser,
                                              std::optional<FileParser>& file_parser,
                                              TempFile& upload, bool& upload_failed) {
    beast::error_code ec;
    const BodyPlan plan = plan_body(parser.get());
    const auto declared = parser.content_length();
    if (declared && *declared > plan.max_body_bytes) {
      ec = bhttp::error::body_limit;
      co_return ec;
    }
    if (plan.to_file) {
      auto created = create_upload_file(context_.options.upload_dir);
      if (!created) {
        log::error(log::Channel::http, "upload file failed error={}", created.error().context);
        upload_failed = true;
        co_return ec;
      }
      upload.adopt(created->path);
      if (parser.is_done())
        co_return ec;  // no body: the handler gets an empty file
      file_parser.emplace(std::move(parser));
      file_parser->body_limit(plan.max_body_bytes);
      file_parser->get().body().reset(std::move(created->file), ec);
      if (ec) {
        log::error(log::Channel::http, "upload file failed path={} error={}", upload.path(),
                   ec.message());
        upload_failed = true;
        ec = {};
        co_return ec;
      }
    } else {
      parser.body_limit(plan.max_body_bytes);
      if (parser.is_done())
        co_return ec;
    }

    const bhttp::request_header<>& header =
        file_parser ? file_parser->get().base() : parser.get().base();
    std::size_t unused = 0;
    tcp().expires_after(context_.options.request_timeout);
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, header.version()};
      std::tie(ec, unused) = co_await bhttp::async_write(stream_, go_on, use_tuple);
      if (ec)
        co_return ec;
    }
    if (!file_parser) {
      std::tie(ec, unused) = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
      co_return ec;
    }
    // An image of hundreds of MB over a slow link: what bounds the read is the peer
    // going quiet, not the total time.
    while (!file_parser->is_done()) {
      tcp().expires_after(context_.options.idle_timeout);
      std::tie(ec, unused) =
          co_await bhttp::async_read_some(stream_, buffer_, *file_parser, use_tuple);
      if (ec)
        break;
    }
    file_parser->get().body().close();
    co_return ec;
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
        if (channel->discarding())
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
      if (channel->discarding() || close) {
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
  // its reply always finds it in /metrics. A file reply's file is opened first (a
  // missing or short file turns it into a 500) and then streamed after the header.
  net::awaitable<bool> reply_and_log(const Exchange& exchange, Response& response, unsigned version,
                                     bool keep_alive, bool head) {
    enforce_contract(response);
    std::optional<beast::file> source;
    if (response.file) {
      auto opened = open_file_range(*response.file);
      if (opened) {
        source.emplace(std::move(*opened));
      } else {
        log::error(log::Channel::http, "file reply failed route={} error={}", exchange.route,
                   opened.error().context);
        response = failure_response(500, proto::rest::http_error::internal_error, "internal error");
      }
    }
    const int status = response.status;
    const std::uint64_t bytes = response.file ? response.file->length : response.body.size();
    context_.metrics
        .counter("stratus_http_requests_total", "HTTP requests answered, by route and status",
                 {{"route", exchange.route}, {"status", std::to_string(status)}})
        .inc();
    tcp().expires_after(context_.options.request_timeout);
    beast::error_code ec;
    std::size_t unused = 0;
    bool complete = true;
    if (!response.file) {
      auto wire = to_wire(std::move(response), version, keep_alive, head);
      std::tie(ec, unused) = co_await bhttp::async_write(stream_, wire, use_tuple);
    } else {
      auto wire = to_wire_header(response, version, keep_alive);
      bhttp::response_serializer<bhttp::empty_body> serializer(wire);
      std::tie(ec, unused) = co_await bhttp::async_write_header(stream_, serializer, use_tuple);
      if (!ec && !head) {
        auto streaming = write_file(*source, *response.file);
        complete = co_await std::move(streaming);
      }
    }

    const std::chrono::duration<double, std::milli> latency =
        std::chrono::steady_clock::now() - exchange.started;
    log::info(
        log::Channel::http,
        "access method={} target_path={} route={} status={} bytes={} latency_ms={:.2f} remote={}",
        exchange.method, exchange.path, exchange.route, status, bytes, latency.count(), remote_);
    if (ec)
      log::debug(log::Channel::http, "write failed remote={} error={}", remote_, ec.message());
    co_return !ec && complete;
  }

  // Streams `file.length` bytes from `source` (positioned at `file.offset`) in chunks
  // of `file_chunk_bytes`, each write under its own `request_timeout`. False (the
  // connection must close: the client was promised more) if the file ends early or a
  // read or write fails.
  net::awaitable<bool> write_file(beast::file& source, const FileBody& file) {
    std::vector<char> chunk(
        static_cast<std::size_t>(std::min<std::uint64_t>(file.length, file_chunk_bytes)));
    std::uint64_t sent = 0;
    while (sent < file.length) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(file.length - sent, chunk.size()));
      beast::error_code ec;
      const std::size_t got = source.read(chunk.data(), want, ec);
      if (ec || got == 0) {
        log::error(log::Channel::http,
                   "file reply cut short path={} sent={} promised={} remote={} error={}", file.path,
                   sent, file.length, remote_, ec ? ec.message() : "end of file");
        co_return false;
      }
      tcp().expires_after(context_.options.request_timeout);
      std::size_t written = 0;
      std::tie(ec, written) =
          co_await net::async_write(stream_, net::buffer(chunk.data(), got), use_tuple);
      if (ec) {
        log::debug(log::Channel::http, "file reply write failed remote={} sent={} error={}",
                   remote_, sent, ec.message());
        co_return false;
      }
      sent += got;
    }
    co_return true;
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
