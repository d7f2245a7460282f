#include "watchers.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace stratus::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct Watchers::Impl {
  struct Client {
    explicit Client(asio::io_context& io) : ws(io) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
  };

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      asio::make_work_guard(io)};
  std::vector<std::unique_ptr<Client>> clients;
  WatcherSink sink;
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::size_t> lost{0};
  std::thread thread;
  bool closed = false;

  void read(std::size_t i) {
    auto& c = *clients[i];
    c.ws.async_read(c.buffer, [this, i](beast::error_code ec, std::size_t) {
      auto& client = *clients[i];
      if (ec) {
        lost.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      const auto at = std::chrono::steady_clock::now();
      const auto data = client.buffer.cdata();
      sink(i, std::string_view(static_cast<const char*>(data.data()), data.size()), at);
      client.buffer.consume(client.buffer.size());
      received.fetch_add(1, std::memory_order_relaxed);
      read(i);
    });
  }
};

Watchers::Watchers(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Watchers::~Watchers() {
  close();
}

Result<std::unique_ptr<Watchers>> Watchers::open(const WatcherOptions& options, WatcherSink sink) {
  auto impl = std::make_unique<Impl>();
  impl->sink = std::move(sink);
  tcp::resolver resolver(impl->io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec)
    return fail(errc::unavailable, "resolve " + options.host + ": " + ec.message());
  for (std::size_t i = 0; i < options.clients; ++i) {
    auto client = std::make_unique<Impl::Client>(impl->io);
    beast::get_lowest_layer(client->ws).connect(endpoints, ec);
    if (ec)
      return fail(errc::unavailable, "stream " + std::to_string(i) + ": connect: " + ec.message());
    const std::string token = options.access_token;
    client->ws.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& r) { r.set(beast::http::field::authorization, token); }));
    const std::string query = options.query ? options.query(i) : std::string();
    client->ws.handshake(options.host,
                         query.empty() ? "/v1/user/events" : "/v1/user/events?" + query, ec);
    if (ec) {
      return fail(errc::unavailable,
                  "stream " + std::to_string(i) + ": WebSocket handshake: " + ec.message());
    }
    impl->clients.push_back(std::move(client));
  }
  auto* raw = impl.get();
  for (std::size_t i = 0; i < raw->clients.size(); ++i)
    raw->read(i);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<Watchers>(new Watchers(std::move(impl)));
}

std::uint64_t Watchers::received() const {
  return impl_->received.load(std::memory_order_relaxed);
}

std::size_t Watchers::lost() const {
  return impl_->lost.load(std::memory_order_relaxed);
}

void Watchers::close() {
  if (!impl_ || impl_->closed)
    return;
  impl_->closed = true;
  // Closing happens on the reading thread, where the streams live.
  asio::post(impl_->io, [raw = impl_.get()] {
    for (auto& c : raw->clients) {
      beast::error_code ignored;
      beast::get_lowest_layer(c->ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(c->ws).socket().close(ignored);
    }
  });
  impl_->work.reset();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

}  // namespace stratus::bench
