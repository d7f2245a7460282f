#include "client/event_stream.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>

#include "client/errors.hpp"
#include "proto/rest/events.hpp"

namespace stratus::client {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// Runs `io` until `done` or `deadline`; whether `done` became true.
bool run_until(net::io_context& io, const bool& done, Clock::time_point deadline) {
  io.restart();
  while (!done && Clock::now() < deadline) {
    if (io.run_one_until(deadline) == 0 && io.stopped())
      io.restart();
  }
  return done;
}

struct Target {
  std::string host, port, path;  // path with query
  bool tls = false;
};

Result<Target> target_of(const ServerUrl& server, const EventFilter& filter) {
  std::string query = proto::rest::event_filter_query(filter);
  const std::string text = server.versioned(query.empty() ? "user/events" : "user/events?" + query);
  auto url = boost::urls::parse_uri(text);
  if (!url)
    return fail(errc::invalid_argument, "not a URL: " + text);
  Target t;
  t.tls = url->scheme() == "https";
  if (!t.tls && url->scheme() != "http")
    return fail(errc::invalid_argument, "the server URL must be http or https: " + server.root);
  t.host = url->host();
  t.port = url->has_port() ? std::string(url->port()) : (t.tls ? "443" : "80");
  t.path = std::string(url->encoded_target());
  return t;
}

}  // namespace

struct EventStream::Impl {
  virtual ~Impl() = default;
  virtual Result<StreamMessage> next(std::chrono::milliseconds timeout) = 0;
  virtual void close() = 0;
  std::optional<StreamClosed> closed;
};

namespace {

template <class Next>
class Connection final : public EventStream::Impl {
 public:
  /// `tls_context` is used (and kept) only for TLS connections.
  explicit Connection(std::optional<net::ssl::context> tls_context)
      : tls_context_(std::move(tls_context)), ws_(make_stream(io_, tls_context_)) {}

  Result<void> open(const Target& t, std::string_view ca_file, std::string_view token,
                    std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    const std::string where = t.host + ":" + t.port;
    tcp::resolver resolver(io_);
    bool done = false;
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(t.host, t.port, [&](beast::error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
      done = true;
    });
    if (!run_until(io_, done, deadline))
      return fail(errc::timeout, "cannot reach " + where + ": resolving timed out");
    if (ec)
      return fail(errc::unavailable, "cannot reach " + where + ": " + ec.message());
    auto& tcp_layer = beast::get_lowest_layer(ws_);
    tcp_layer.expires_at(deadline);
    done = false;
    tcp_layer.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    if (!run_until(io_, done, deadline + std::chrono::milliseconds(100)) || ec)
      return fail(errc::unavailable,
                  "cannot reach " + where + ": " + (ec ? ec.message() : "timed out"));
    if constexpr (!std::is_same_v<Next, beast::tcp_stream>) {
      auto& tls = ws_.next_layer();
      // SSL_set_tlsext_host_name, without the macro's C cast.
      if (SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(t.host.c_str())) != 1)
        return fail(errc::unavailable, "cannot set the TLS server name " + t.host);
      tls.set_verify_callback(net::ssl::host_name_verification(t.host));
      done = false;
      tls.async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
      if (!run_until(io_, done, deadline + std::chrono::milliseconds(100)) || ec) {
        return fail(errc::unavailable,
                    "TLS with " + where + " failed: " + (ec ? ec.message() : "timed out") +
                        (ca_file.empty() ? "" : " (CA " + std::string(ca_file) + ")"));
      }
    }
    tcp_layer.expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.set_option(
        websocket::stream_base::decorator([token = std::string(token)](websocket::request_type& r) {
          r.set(beast::http::field::authorization, token);
          r.set(beast::http::field::user_agent, "stratus");
        }));
    websocket::response_type response;
    done = false;
    ws_.async_handshake(response, t.host + ":" + t.port, t.path, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    if (!run_until(io_, done, deadline + std::chrono::milliseconds(100)))
      return fail(errc::timeout, "the event stream of " + where + " did not open in time");
    if (ec == websocket::error::upgrade_declined)
      return fail(error_from_response(static_cast<int>(response.result_int()), response.body()));
    if (ec)
      return fail(errc::unavailable, "the event stream of " + where + ": " + ec.message());
    return {};
  }

  Result<StreamMessage> next(std::chrono::milliseconds timeout) override {
    if (ended_)
      return fail(errc::unavailable, ended_text());
    if (!reading_) {
      reading_ = true;
      ready_ = false;
      ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
        read_ec_ = ec;
        ready_ = true;
      });
    }
    if (!run_until(io_, ready_, Clock::now() + timeout))
      return fail(errc::timeout, "no event within " + std::to_string(timeout.count()) + " ms");
    reading_ = false;
    if (read_ec_) {
      ended_ = true;
      if (read_ec_ == websocket::error::closed)
        closed = StreamClosed{ws_.reason().code, std::string(ws_.reason().reason.c_str())};
      else
        reason_ = read_ec_.message();
      return fail(errc::unavailable, ended_text());
    }
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return proto::rest::parse_stream_message(text);
  }

  void close() override {
    if (ended_)
      return;
    ended_ = true;
    bool done = false;
    ws_.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
    run_until(io_, done, Clock::now() + std::chrono::seconds(2));
  }

 private:
  std::string ended_text() const {
    if (closed) {
      return "the event stream was closed (" + std::to_string(closed->code) + ": " +
             closed->reason + ")";
    }
    return "the event stream ended: " + (reason_.empty() ? std::string("closed") : reason_);
  }

  static websocket::stream<Next> make_stream(net::io_context& io,
                                             std::optional<net::ssl::context>& tls) {
    if constexpr (std::is_same_v<Next, beast::tcp_stream>) {
      return websocket::stream<Next>(io);
    } else {
      return websocket::stream<Next>(io, *tls);
    }
  }

  // Declared before the stream that uses them.
  net::io_context io_;
  std::optional<net::ssl::context> tls_context_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  bool reading_ = false;
  bool ready_ = false;
  bool ended_ = false;
  beast::error_code read_ec_;
  std::string reason_;
};

}  // namespace

Result<EventStream> EventStream::open(const ServerUrl& server, std::string_view ca_file,
                                      std::string_view access_token, const EventFilter& filter,
                                      std::chrono::milliseconds connect_timeout) {
  auto target = target_of(server, filter);
  if (!target)
    return fail(target.error());
  if (!target->tls) {
    auto c = std::make_unique<Connection<beast::tcp_stream>>(std::nullopt);
    if (auto r = c->open(*target, ca_file, access_token, connect_timeout); !r)
      return fail(r.error());
    return EventStream(std::move(c));
  }
  net::ssl::context context(net::ssl::context::tls_client);
  context.set_verify_mode(net::ssl::verify_peer);
  beast::error_code ec;
  if (ca_file.empty())
    context.set_default_verify_paths(ec);
  else
    context.load_verify_file(std::string(ca_file), ec);
  if (ec)
    return fail(errc::invalid_argument, "CA file " + std::string(ca_file) + ": " + ec.message());
  auto c = std::make_unique<Connection<beast::ssl_stream<beast::tcp_stream>>>(std::move(context));
  if (auto r = c->open(*target, ca_file, access_token, connect_timeout); !r)
    return fail(r.error());
  return EventStream(std::move(c));
}

EventStream::EventStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EventStream::EventStream(EventStream&&) noexcept = default;
EventStream& EventStream::operator=(EventStream&&) noexcept = default;
EventStream::~EventStream() = default;

Result<StreamMessage> EventStream::next(std::chrono::milliseconds timeout) {
  return impl_->next(timeout);
}

const std::optional<StreamClosed>& EventStream::closed() const {
  return impl_->closed;
}

void EventStream::close() {
  impl_->close();
}

}  // namespace stratus::client
