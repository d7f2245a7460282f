#include "sim/protocomm_server.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "agent/provisioning.hpp"
#include "log/log.hpp"

namespace stratus::sim {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

struct ProtocommServer::Impl : std::enable_shared_from_this<ProtocommServer::Impl> {
  Impl(std::unique_ptr<ProtocommHandler> h, ProtocommServerOptions o)
      : handler(std::move(h)), options(std::move(o)) {}

  // One connection; the server keeps at most one.
  struct Connection {
    explicit Connection(tcp::socket socket, std::uint64_t connection_id)
        : stream(std::move(socket)), id(connection_id) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;
    std::uint64_t id;
    bool open = true;
  };

  std::unique_ptr<ProtocommHandler> handler;
  ProtocommServerOptions options;
  agent::SessionCookies cookies;
  net::io_context io;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(io);
  tcp::acceptor acceptor{io};
  net::steady_timer deadline{io};
  net::steady_timer finish{io};
  std::thread thread;
  std::shared_ptr<Connection> current;
  std::uint64_t next_id = 1;
  std::uint16_t bound_port = 0;
  std::atomic<bool> active{true};
  bool finishing = false;

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        return;  // closed
      }
      // LRU purge with max_open_sockets 1: the older connection goes.
      self->close(self->current);
      auto connection = std::make_shared<Connection>(std::move(socket), self->next_id++);
      self->current = connection;
      self->read(connection);
      self->accept();
    });
  }

  void close(const std::shared_ptr<Connection>& connection) {
    if (!connection || !connection->open) {
      return;
    }
    connection->open = false;
    beast::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    connection->stream.close();
    cookies.on_closed(connection->id);
  }

  void read(const std::shared_ptr<Connection>& connection) {
    connection->parser.emplace();
    connection->parser->header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    connection->parser->body_limit(options.max_body_bytes);
    connection->stream.expires_after(options.idle_timeout);
    http::async_read(connection->stream, connection->buffer, *connection->parser,
                     [self = shared_from_this(), connection](beast::error_code ec, std::size_t) {
                       if (!connection->open) {
                         return;
                       }
                       if (ec) {  // closed by the client, timeout, over a limit, malformed
                         self->close(connection);
                         return;
                       }
                       self->serve(connection);
                     });
  }

  void write(const std::shared_ptr<Connection>& connection, bool keep_alive) {
    auto& response = connection->response;
    response.set(http::field::server, "stratus-node");
    response.keep_alive(keep_alive);
    response.prepare_payload();
    connection->stream.expires_after(options.idle_timeout);
    http::async_write(
        connection->stream, response,
        [self = shared_from_this(), connection, keep_alive](beast::error_code ec, std::size_t) {
          if (!connection->open) {
            return;
          }
          if (ec || !keep_alive || !self->active) {
            self->close(connection);
            return;
          }
          self->read(connection);
        });
  }

  void error_reply(const std::shared_ptr<Connection>& connection, http::status status,
                   std::string text, unsigned version) {
    connection->response = {};
    connection->response.version(version);
    connection->response.result(status);
    connection->response.set(http::field::content_type, "text/html");
    connection->response.body() = std::move(text);
    write(connection, false);
  }

  void serve(const std::shared_ptr<Connection>& connection) {
    auto request = connection->parser->release();
    std::string_view target = request.target();
    target = target.substr(0, target.find('?'));
    const std::string endpoint(target.empty() ? target : target.substr(1));
    if (!handler->serves(endpoint)) {
      error_reply(connection, http::status::not_found, "This URI does not exist",
                  request.version());
      return;
    }
    if (request.method() != http::verb::post) {
      error_reply(connection, http::status::method_not_allowed,
                  "Request method for this URI is not handled by server", request.version());
      return;
    }
    std::optional<std::string_view> cookie;
    if (const auto it = request.find(http::field::cookie); it != request.end()) {
      cookie = it->value();
    }
    const auto decision = cookies.on_request(connection->id, cookie);
    if (decision.new_session) {
      handler->new_session();
    }
    if (request.body().empty()) {  // "Content length not found": the handler fails
      close(connection);
      return;
    }
    auto answer = handler->handle(endpoint, request.body());
    after_request();
    if (!answer) {
      log::info(log::Channel::agent, "{} endpoint={} refused: {}", options.name, endpoint,
                answer.error().context);
      close(connection);
      return;
    }
    auto& response = connection->response;
    response = {};
    response.version(request.version());
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/html");
    if (decision.set_cookie) {
      response.set(http::field::set_cookie, *decision.set_cookie);
    }
    response.body() = std::move(*answer);
    write(connection, request.keep_alive());
  }

  // Re-arms the timers (the handler hands its events out itself).
  void after_request() {
    if (handler->finished() && !finishing) {
      finishing = true;
      finish.expires_after(options.finish_delay);
      finish.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) {
          log::info(log::Channel::agent, "{} finished: the transport stops", self->options.name);
          self->shutdown();
        }
      });
    }
    arm_deadline();
  }

  void arm_deadline() {
    const auto next = handler->next_deadline();
    if (!next) {
      deadline.cancel();
      return;
    }
    deadline.expires_at(*next);
    deadline.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) {
        self->handler->tick();
        self->after_request();
      }
    });
  }

  // On the server's thread: nothing more is accepted or served.
  void shutdown() {
    active = false;
    beast::error_code ignored;
    acceptor.close(ignored);
    close(current);
    current.reset();
    deadline.cancel();
    finish.cancel();
    work.reset();
  }
};

ProtocommServer::ProtocommServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProtocommServer::~ProtocommServer() {
  stop();
}

Result<std::unique_ptr<ProtocommServer>> ProtocommServer::start(
    std::unique_ptr<ProtocommHandler> handler, ProtocommServerOptions options) {
  if (!handler) {
    return fail(errc::invalid_argument, "protocomm server without a handler");
  }
  auto impl = std::make_shared<Impl>(std::move(handler), std::move(options));
  beast::error_code ec;
  const auto address = net::ip::make_address(impl->options.bind_address, ec);
  if (ec) {
    return fail(errc::invalid_argument, "bad address " + impl->options.bind_address);
  }
  const tcp::endpoint endpoint(address, impl->options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fail(errc::unavailable, impl->options.name + " transport on " +
                                       impl->options.bind_address + ":" +
                                       std::to_string(impl->options.port) + ": " + ec.message());
  }
  impl->bound_port = impl->acceptor.local_endpoint().port();
  impl->accept();
  impl->thread = std::thread([raw = impl.get()] { raw->io.run(); });
  return std::unique_ptr<ProtocommServer>(new ProtocommServer(std::move(impl)));
}

std::uint16_t ProtocommServer::port() const noexcept {
  return impl_->bound_port;
}

void ProtocommServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) {
    return;
  }
  net::post(impl_->io, [impl = impl_] { impl->shutdown(); });
  impl_->thread.join();
  // When the server had stopped by itself, the post above is still queued (and holds the
  // Impl): run what is left here, so every handler and its reference goes.
  impl_->io.restart();
  impl_->io.run();
  impl_->active = false;
}

bool ProtocommServer::running() const noexcept {
  return impl_->active;
}

}  // namespace stratus::sim
