// Proves the HTTP server's contract end to end: routing, limits, error shapes,
// keep-alive, timeouts, connection cap, graceful stop, metrics and TLS.
// How: a real Server on 127.0.0.1 port 0 driven by the blocking test client.
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "proto/rest/error_codes.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace stratus::http {
namespace {

using namespace std::chrono_literals;
using test::http_request;
using test::HttpConnection;

constexpr auto host = "127.0.0.1";
constexpr auto deadline = 5s;

boost::asio::awaitable<Response> ping(Request&) {
  co_return json_response(200, R"({"status":"ok"})");
}

// Echoes the decoded path and query so the test can see what the handler got.
boost::asio::awaitable<Response> echo(Request& request) {
  std::string body = request.path + "|";
  for (const auto& [name, value] : request.query)
    body += name + "=" + value + ";";
  Response response = json_response(200, std::move(body));
  response.content_type = "text/plain";
  co_return response;
}

boost::asio::awaitable<Response> explode(Request&) {
  throw std::runtime_error("handler bug");
  co_return Response{};
}

std::string failure_body(int error_code, const std::string& description) {
  return R"({"status":"failure","error_code":)" + std::to_string(error_code) +
         R"(,"description":")" + description + R"("})";
}

class ServerTest : public ::testing::Test {
 protected:
  // Starts a server with the standard routes plus whatever `extra` adds.
  void start(ServerOptions options = {}, const std::function<void(Router&)>& extra = {}) {
    Router router;
    router.add("GET", "/v1/ping", ping);
    router.add("GET", "/v1/echo", echo);
    router.add("GET", "/v1/throw", explode);
    router.add("POST", "/v1/body", [this](Request& request) -> boost::asio::awaitable<Response> {
      ++body_calls_;
      co_return json_response(200, std::to_string(request.body.size()));
    });
    router.add("GET", "/v1/slow", [this](Request&) -> boost::asio::awaitable<Response> {
      slow_started_ = true;
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 300ms);
      co_await timer.async_wait(boost::asio::use_awaitable);
      co_return json_response(200, R"({"slow":true})");
    });
    if (extra)
      extra(router);
    server_ = std::make_unique<Server>(std::move(options), std::move(router), metrics_);
    const auto started = server_->start();
    ASSERT_TRUE(started.has_value()) << started.error().message();
    ASSERT_NE(server_->port(), 0);
  }

  std::uint16_t port() const { return server_->port(); }

  std::uint64_t requests(const std::string& route, int status) {
    return metrics_
        .counter("stratus_http_requests_total", "",
                 {{"route", route}, {"status", std::to_string(status)}})
        .value();
  }
  std::int64_t open_connections() { return metrics_.gauge("stratus_http_connections", "").value(); }

  MetricsRegistry metrics_;  // outlives the server
  std::unique_ptr<Server> server_;
  std::atomic<int> body_calls_{0};
  std::atomic<bool> slow_started_{false};
};

TEST_F(ServerTest, GetRouteAnswersJsonWithContentLength) {
  start();
  const auto reply = http_request(host, port(), "GET", "/v1/ping");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"({"status":"ok"})");
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(reply.header("Content-Length"), std::to_string(reply.body.size()));
  EXPECT_FALSE(reply.header("Transfer-Encoding").has_value());
  EXPECT_EQ(reply.header("Server"), "stratus");
}

TEST_F(ServerTest, HeadAnswersLikeGetWithoutBody) {
  start();
  HttpConnection connection(host, port());
  const auto reply = connection.request("HEAD", "/v1/ping");
  EXPECT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(reply.header("Content-Length"), "15");
}

TEST_F(ServerTest, UnknownRouteIs404InFailureShape) {
  start();
  const auto reply = http_request(host, port(), "GET", "/v1/nope?secret=1");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body,
            failure_body(proto::rest::http_error::unknown_route, "no such route: /v1/nope"));
  EXPECT_EQ(reply.header("Content-Type"), "application/json");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  start();
  const auto reply = http_request(host, port(), "DELETE", "/v1/ping");
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.body, failure_body(proto::rest::http_error::method_not_allowed,
                                     "method DELETE not allowed on /v1/ping"));
  EXPECT_EQ(reply.header("Allow"), "GET, HEAD");
}

TEST_F(ServerTest, QueryIsParsedAndPercentDecoded) {
  start();
  const auto reply =
      http_request(host, port(), "GET", "/v1/echo/?name=a%20b&sum=1+2&flag&utf=%C3%A9");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "/v1/echo/|name=a b;sum=1 2;flag=;utf=\xC3\xA9;");
  EXPECT_EQ(reply.header("Content-Type"), "text/plain");
}

TEST_F(ServerTest, BadPercentEscapeIs400) {
  start();
  const auto reply = http_request(host, port(), "GET", "/v1/echo?x=%zz");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find(R"("error_code":100400)"), std::string::npos) << reply.body;
}

TEST_F(ServerTest, BodyOverLimitIs413AndHandlerIsNotCalled) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  const auto big = http_request(host, port(), "POST", "/v1/body", std::string(4096, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body,
            failure_body(proto::rest::http_error::body_too_large, "request body too large"));
  EXPECT_EQ(body_calls_.load(), 0);

  const auto small = http_request(host, port(), "POST", "/v1/body", std::string(1024, 'x'));
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(small.body, "1024");
  EXPECT_EQ(body_calls_.load(), 1);
}

TEST_F(ServerTest, OversizedHeadersAre431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  const auto reply =
      http_request(host, port(), "GET", "/v1/ping", {}, {{"X-Big", std::string(4096, 'h')}});
  EXPECT_EQ(reply.status, 431);
  EXPECT_EQ(reply.body,
            failure_body(proto::rest::http_error::headers_too_large, "request headers too large"));
}

TEST_F(ServerTest, GarbageIs400AndTheNextClientIsServed) {
  start();
  {
    HttpConnection garbage(host, port());
    garbage.send_raw("\x01\x02\x03 not http at all\r\n\r\n");
    const auto reply = garbage.read_reply();
    EXPECT_EQ(reply.status, 400);
    EXPECT_EQ(reply.body,
              failure_body(proto::rest::http_error::malformed_request, "malformed HTTP request"));
    EXPECT_TRUE(garbage.closed_by_peer_within(deadline));
  }
  EXPECT_EQ(http_request(host, port(), "GET", "/v1/ping").status, 200);
}

TEST_F(ServerTest, ThrowingHandlerIs500AndServingContinues) {
  start();
  HttpConnection connection(host, port());
  const auto failed = connection.request("GET", "/v1/throw");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.body, failure_body(proto::rest::http_error::internal_error, "internal error"));
  EXPECT_EQ(connection.request("GET", "/v1/ping").status, 200);
  EXPECT_EQ(http_request(host, port(), "GET", "/v1/ping").status, 200);
}

TEST_F(ServerTest, HandlerOverrunningRequestTimeoutIs503) {
  ServerOptions options;
  options.request_timeout = 100ms;
  start(options);
  const auto reply = http_request(host, port(), "GET", "/v1/slow");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body,
            failure_body(proto::rest::http_error::request_timeout, "request timed out"));
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  start();
  HttpConnection connection(host, port());
  EXPECT_EQ(connection.request("GET", "/v1/ping").status, 200);
  EXPECT_EQ(connection.request("GET", "/v1/echo?a=1").body, "/v1/echo|a=1;");
  EXPECT_EQ(open_connections(), 1);
}

TEST_F(ServerTest, IdleTimeoutClosesAnIdleConnection) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  HttpConnection connection(host, port());
  EXPECT_EQ(connection.request("GET", "/v1/ping").status, 200);
  EXPECT_TRUE(connection.closed_by_peer_within(deadline));
  EXPECT_TRUE(test::wait_until([&] { return open_connections() == 0; }, deadline));
}

TEST_F(ServerTest, ConnectionsAboveTheCapGet503) {
  ServerOptions options;
  options.max_connections = 2;
  start(options);
  auto first = std::make_unique<HttpConnection>(host, port());
  HttpConnection second(host, port());
  EXPECT_EQ(first->request("GET", "/v1/ping").status, 200);
  EXPECT_EQ(second.request("GET", "/v1/ping").status, 200);
  ASSERT_TRUE(test::wait_until([&] { return open_connections() == 2; }, deadline));

  {
    HttpConnection third(host, port());
    const auto refused = third.request("GET", "/v1/ping");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.body,
              failure_body(proto::rest::http_error::server_busy, "too many connections"));
    EXPECT_TRUE(third.closed_by_peer_within(deadline));
  }

  first.reset();
  ASSERT_TRUE(test::wait_until([&] { return open_connections() == 1; }, deadline));
  EXPECT_EQ(http_request(host, port(), "GET", "/v1/ping").status, 200);
}

TEST_F(ServerTest, StopLetsTheRequestInFlightFinishAndClosesIdleConnections) {
  ServerOptions options;
  options.shutdown_grace = 5s;
  start(options);
  HttpConnection idle(host, port());
  EXPECT_EQ(idle.request("GET", "/v1/ping").status, 200);

  auto in_flight =
      std::async(std::launch::async, [&] { return http_request(host, port(), "GET", "/v1/slow"); });
  ASSERT_TRUE(test::wait_until([&] { return slow_started_.load(); }, deadline));

  const auto before = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, options.shutdown_grace);

  const auto reply = in_flight.get();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"({"slow":true})");
  EXPECT_TRUE(idle.closed_by_peer_within(deadline));
  EXPECT_THROW(http_request(host, port(), "GET", "/v1/ping", {}, {}, 1s), std::runtime_error);
  server_->stop();  // idempotent
}

TEST_F(ServerTest, StopClosesBusyConnectionsWhenTheGraceRunsOut) {
  ServerOptions options;
  options.shutdown_grace = 100ms;
  std::atomic<bool> stuck_started{false};
  start(options, [&](Router& router) {
    router.add("GET", "/v1/stuck", [&](Request&) -> boost::asio::awaitable<Response> {
      stuck_started = true;
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 1h);
      co_await timer.async_wait(boost::asio::use_awaitable);
      co_return json_response(200, "{}");
    });
  });
  auto in_flight = std::async(std::launch::async,
                              [&] { return http_request(host, port(), "GET", "/v1/stuck"); });
  ASSERT_TRUE(test::wait_until([&] { return stuck_started.load(); }, deadline));

  server_->stop();
  EXPECT_THROW(in_flight.get(), std::runtime_error);
  server_.reset();  // destroys the abandoned handler with the io_context
}

// Work held on the server's executor from another thread may outlast the answer: api's
// blocking pool runs a handler under `co_spawn`, whose work guard on this executor is let
// go on the pool's thread only after the answer went back. `stop` waits for it rather than
// free the io_context under it (a heap-use-after-free under ASan, seen in
// claim_http_test under load, when it did not).
TEST_F(ServerTest, StopWaitsForWorkHeldElsewhereAfterTheAnswer) {
  std::thread holder;
  std::atomic<bool> letting_go{false};
  start({}, [&](Router& router) {
    router.add("GET", "/v1/held", [&](Request&) -> boost::asio::awaitable<Response> {
      const auto executor = co_await boost::asio::this_coro::executor;
      auto guard = boost::asio::make_work_guard(executor);
      holder = std::thread([guard = std::move(guard), &letting_go]() mutable {
        std::this_thread::sleep_for(50ms);
        letting_go = true;
        guard.reset();
      });
      co_return json_response(200, "{}");
    });
  });
  EXPECT_EQ(http_request(host, port(), "GET", "/v1/held").status, 200);
  server_->stop();  // joins the thread that started `holder`
  EXPECT_TRUE(letting_go.load()) << "stop returned while work was held on its io_context";
  server_.reset();
  holder.join();
}

TEST_F(ServerTest, RequestsAreCountedPerRouteAndStatus) {
  start();
  EXPECT_EQ(http_request(host, port(), "GET", "/v1/ping").status, 200);
  EXPECT_EQ(http_request(host, port(), "GET", "/v1/ping?x=1").status, 200);
  EXPECT_EQ(http_request(host, port(), "GET", "/nowhere").status, 404);
  EXPECT_EQ(http_request(host, port(), "POST", "/v1/ping").status, 405);
  EXPECT_TRUE(test::wait_until([&] { return requests("/v1/ping", 200) == 2; }, deadline));
  EXPECT_TRUE(test::wait_until([&] { return requests("unmatched", 404) == 1; }, deadline));
  EXPECT_TRUE(test::wait_until([&] { return requests("/v1/ping", 405) == 1; }, deadline));
}

TEST_F(ServerTest, TakenPortIsUnavailable) {
  start();
  ServerOptions options;
  options.port = port();
  Server other(options, Router{}, metrics_);
  const auto started = other.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, errc::unavailable);
  EXPECT_NE(started.error().context.find("in use"), std::string::npos) << started.error().context;
}

TEST_F(ServerTest, TlsRoundTripIsVerifiedAgainstTheCertificate) {
  test::TempDir dir;
  const auto cert = dir.path() / "cert.pem";
  const auto key = dir.path() / "key.pem";
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost"
      " -addext subjectAltName=IP:127.0.0.1 -days 1 -keyout '" +
      key.string() + "' -out '" + cert.string() + "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);

  ServerOptions options;
  options.tls = TlsFiles{cert, key};
  start(options);
  const auto reply = test::https_request(host, port(), cert, "GET", "/v1/echo?a=b");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "/v1/echo|a=b;");
  // Plain HTTP to a TLS port gets no HTTP answer.
  EXPECT_THROW(http_request(host, port(), "GET", "/v1/ping", {}, {}, 2s), std::runtime_error);
}

TEST_F(ServerTest, UnloadableTlsFilesFailStart) {
  test::TempDir dir;
  ServerOptions options;
  options.tls = TlsFiles{dir.path() / "missing-cert.pem", dir.path() / "missing-key.pem"};
  Server server(options, Router{}, metrics_);
  const auto started = server.start();
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code, errc::invalid_argument);
  EXPECT_NE(started.error().context.find("missing-cert.pem"), std::string::npos);
}

}  // namespace
}  // namespace stratus::http
