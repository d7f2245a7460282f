#include "http/server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/assert.hpp"
#include "core/thread_name.hpp"
#include "http/detail/connections.hpp"
#include "http/detail/serve.hpp"
#include "log/log.hpp"

namespace stratus::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

// After the grace period and a forced close, how long handlers get to notice.
constexpr std::chrono::milliseconds abandon_wait{100};
// Then how long work held on the io_context from elsewhere (a blocking-pool task letting go
// of its work guard) gets to end before the io_context is stopped under it.
constexpr std::chrono::milliseconds drain_wait{1000};

Result<void> check(const ServerOptions& options, const Router& router) {
  if (router.has_body_to_file_routes() && options.upload_dir.empty())
    return fail(errc::invalid_argument,
                "http upload_dir must be set: a route streams bodies to files");
  if (options.threads == 0)
    return fail(errc::invalid_argument, "http threads must be at least 1");
  if (options.max_header_bytes == 0 || options.max_header_bytes > 0xffffffffU) {
    return fail(errc::invalid_argument, "http max_header_bytes must be in 1..4294967295");
  }
  if (options.max_connections == 0)
    return fail(errc::invalid_argument, "http max_connections must be at least 1");
  if (options.websocket_send_queue == 0 || options.websocket_max_message_bytes == 0)
    return fail(errc::invalid_argument, "http websocket limits must be at least 1");
  return {};
}

// Creates the upload directory (owner-only) unless it exists.
Result<void> prepare_upload_dir(const std::filesystem::path& dir) {
  if (dir.empty())
    return {};
  std::error_code ec;
  const bool created = std::filesystem::create_directories(dir, ec);
  if (ec)
    return fail(errc::unavailable, "http upload_dir " + dir.string() + ": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec))
    return fail(errc::unavailable, "http upload_dir " + dir.string() + ": not a directory");
  if (created) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    if (ec)
      return fail(errc::unavailable, "http upload_dir " + dir.string() + ": " + ec.message());
  }
  return {};
}

Result<net::ssl::context> load_tls(const TlsFiles& files) {
  net::ssl::context context(net::ssl::context::tls_server);
  context.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                      net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                      net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  beast::error_code ec;
  context.use_certificate_chain_file(files.cert_file.string(), ec);
  if (ec) {
    return fail(errc::invalid_argument,
                fmt::format("tls cert_file {}: {}", files.cert_file.string(), ec.message()));
  }
  // Fails too when the key does not match the certificate.
  context.use_private_key_file(files.key_file.string(), net::ssl::context::pem, ec);
  if (ec) {
    return fail(errc::invalid_argument,
                fmt::format("tls key_file {}: {}", files.key_file.string(), ec.message()));
  }
  return context;
}

// Logs what escaped a coroutine: the per-session boundary for exceptions.
auto log_escape(std::string_view what) {
  return [what](const std::exception_ptr& failure) {
    if (!failure)
      return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      log::error(log::Channel::http, "{} failed error={}", what, e.what());
    } catch (...) {
      log::error(log::Channel::http, "{} failed error=unknown exception", what);
    }
  };
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Router router, MetricsRegistry& metrics)
      : options_(std::move(options)),
        router_(std::move(router)),
        metrics_(metrics),
        connections_(metrics.gauge("stratus_http_connections", "Open HTTP connections")),
        context_{options_, router_, metrics_, stopping_} {}

  ~Impl() { stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  Result<void> start() {
    std::lock_guard lock(lifecycle_);
    STRATUS_ASSERT(!started_, "Server::start called twice");
    if (auto ok = check(options_, router_); !ok)
      return ok;
    if (auto ok = prepare_upload_dir(options_.upload_dir); !ok)
      return ok;
    if (options_.tls) {
      auto tls = load_tls(*options_.tls);
      if (!tls)
        return fail(std::move(tls.error()));
      tls_.emplace(std::move(*tls));
    }

    beast::error_code ec;
    const auto address = net::ip::make_address(options_.bind_address, ec);
    if (ec)
      return fail(errc::invalid_argument,
                  "http bind_address '" + options_.bind_address + "': " + ec.message());
    const tcp::endpoint endpoint(address, options_.port);
    const std::string where = fmt::format("{}:{}", options_.bind_address, options_.port);

    tcp::acceptor& acceptor = acceptor_.emplace(net::make_strand(io_));
    if (acceptor.open(endpoint.protocol(), ec); ec)
      return fail(errc::unavailable, "open " + where + ": " + ec.message());
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (acceptor.bind(endpoint, ec); ec)
      return fail(errc::unavailable, "bind " + where + ": " + ec.message());
    if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
      return fail(errc::unavailable, "listen " + where + ": " + ec.message());
    }
    port_.store(acceptor.local_endpoint().port());

    net::co_spawn(acceptor.get_executor(), accept_loop(), log_escape("http accept loop"));
    work_.emplace(io_.get_executor());
    running_ = options_.threads;
    for (unsigned i = 0; i < options_.threads; ++i)
      threads_.emplace_back([this] {
        core::name_this_thread("http");
        io_.run();
        std::lock_guard ran(lifecycle_);
        --running_;
        ran_out_.notify_all();
      });
    started_ = true;
    log::info(log::Channel::http, "listening address={} port={} tls={} threads={}",
              options_.bind_address, port_.load(), tls_ ? "on" : "off", options_.threads);
    return {};
  }

  [[nodiscard]] std::uint16_t port() const { return port_.load(); }

  void stop() {
    std::unique_lock lock(lifecycle_);
    if (!started_ || stopped_)
      return;
    stopped_ = true;
    stopping_.store(true);
    const auto begin = std::chrono::steady_clock::now();

    // No new connections; idle ones go now, busy ones after their reply.
    std::promise<void> closed;
    net::post(acceptor_->get_executor(), [this, &closed] {
      beast::error_code ignored;
      acceptor_->close(ignored);
      closed.set_value();
    });
    closed.get_future().wait();
    connections_.for_each([](detail::Connection& c) { c.close_if_idle(); });

    if (!connections_.wait_empty(options_.shutdown_grace)) {
      log::warn(log::Channel::http,
                "shutdown grace of {} ms over, closing the remaining connections",
                options_.shutdown_grace.count());
      connections_.for_each([](detail::Connection& c) { c.close(); });
      connections_.wait_empty(abandon_wait);
    }
    // The threads return by themselves once nothing holds work on the io_context. A
    // handler's task on the blocking pool (api's `on_pool`: `co_spawn` with a work guard
    // on this executor) hands its answer back and only then, on the pool's thread, lets
    // go of the guard: the connection may be answered and gone by then, and stopping
    // now would free the io_context under the guard. Whatever still runs after
    // `drain_wait` (handlers that ignore cancellation) is abandoned here and destroyed
    // with the io_context.
    work_.reset();
    if (!ran_out_.wait_for(lock, drain_wait, [this] { return running_ == 0; }))
      io_.stop();
    lock.unlock();
    for (auto& thread : threads_)
      thread.join();
    threads_.clear();
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - begin;
    log::info(log::Channel::http, "stopped port={} shutdown_ms={:.1f}", port_.load(), took.count());
  }

 private:
  net::awaitable<void> accept_loop() {
    for (;;) {
      auto accepted = co_await acceptor_->async_accept(net::make_strand(io_),
                                                       net::as_tuple(net::use_awaitable));
      const beast::error_code ec = std::get<0>(accepted);
      auto& socket = std::get<1>(accepted);
      if (ec == net::error::operation_aborted || !acceptor_->is_open())
        co_return;
      if (ec) {
        // Typically EMFILE: back off briefly instead of spinning on the error.
        log::warn(log::Channel::http, "accept failed error={}", ec.message());
        const auto executor = co_await net::this_coro::executor;
        net::steady_timer pause(executor, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::as_tuple(net::use_awaitable));
        continue;
      }
      auto connection = std::make_shared<detail::Connection>(socket.get_executor());
      detail::Registration registration(connections_, std::move(connection));
      const auto executor = socket.get_executor();
      net::co_spawn(executor, run_connection(std::move(socket), std::move(registration)),
                    log_escape("http connection"));
    }
  }

  template <class Socket>
  net::awaitable<void> run_connection(Socket socket, detail::Registration registration) {
    beast::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    std::string remote = ec ? "-" : peer.address().to_string();
    const bool over_capacity = registration.open_count() > options_.max_connections;

    beast::tcp_stream stream(std::move(socket));
    // Named locals: the arguments are moved into the coroutine before the co_await
    // (src/http/README.md, GCC 12).
    if (tls_) {
      auto serving = detail::serve_tls(std::move(stream), *tls_, context_,
                                       registration.connection(), std::move(remote), over_capacity);
      co_await std::move(serving);
    } else {
      auto serving = detail::serve_plain(std::move(stream), context_, registration.connection(),
                                         std::move(remote), over_capacity);
      co_await std::move(serving);
    }
  }

  // Declaration order matters for destruction: the io_context goes before the
  // connection table, so abandoned coroutines unregister from a live table.
  ServerOptions options_;
  Router router_;
  MetricsRegistry& metrics_;
  std::atomic<bool> stopping_{false};
  detail::ConnectionTable connections_;
  detail::SessionContext context_;
  std::optional<net::ssl::context> tls_;
  net::io_context io_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<std::uint16_t> port_{0};
  std::mutex lifecycle_;
  std::condition_variable ran_out_;  // a thread's io_.run() returned (lifecycle_)
  unsigned running_ = 0;             // threads still in io_.run() (lifecycle_)
  bool started_ = false;
  bool stopped_ = false;
};

Server::Server(ServerOptions options, Router router, MetricsRegistry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), metrics)) {}

Server::~Server() = default;

Result<void> Server::start() {
  return impl_->start();
}

std::uint16_t Server::port() const {
  return impl_->port();
}

void Server::stop() {
  impl_->stop();
}

}  // namespace stratus::http
