// Proves the live event stream and the alert listing (issue 15) over a real WebSocket: a
// user sees their nodes' params, alerts and presence in order and never another user's;
// filters; resume after a reconnect within the replay window and `resync` beyond it; a
// client that stops reading is cut off with 4008 while ingest goes on; token expiry closes
// the stream with 4002 and a logout with 4001; the browser's first-message login; access that
// follows sharing (granted at acceptance, gone at unshare); alert pages and their access check.
// How: http::Server on 127.0.0.1 port 0 with the account, node, sharing and event routes;
// real SQLite in a temp dir; the real EventHub and NodeIngest (reports are submitted as
// the MQTT link would); client::EventStream and a raw Beast WebSocket as clients.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fstream>
#include <mutex>
#include <sstream>

#include "api/account_routes.hpp"
#include "api/event_routes.hpp"
#include "api/node_routes.hpp"
#include "api/sharing_routes.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "client/event_stream.hpp"
#include "client/server_url.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/events.hpp"
#include "service/account_service.hpp"
#include "service/alert_mail.hpp"
#include "service/command_service.hpp"
#include "service/event_hub.hpp"
#include "service/node_ingest.hpp"
#include "service/node_service.hpp"
#include "service/sharing_service.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "support/http_client.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
namespace beast = boost::beast;
using namespace std::chrono_literals;

class EventsHttpTest : public ::testing::Test {
 protected:
  static service::EventHubOptions hub_options() {
    service::EventHubOptions o;
    o.replay_events = 50;
    o.queue_limit = 100000;
    o.access_refresh = 60s;
    return o;
  }

  explicit EventsHttpTest(std::chrono::seconds token_lifetime = 3600s)
      : db_(test::open_test_database(dir_, 3)),
        account_repository_(db_),
        node_repository_(db_),
        command_repository_(db_),
        access_repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))),
        hub_(service::node_access_lookup(access_repository_), clock_, metrics_, hub_options()),
        nodes_(node_repository_, messenger_, hub_, clock_, 300s, audit_),
        commands_(command_repository_, node_repository_, account_repository_, messenger_, hub_,
                  clock_, metrics_, {}, audit_),
        ingest_(node_repository_, messenger_, commands_, hub_, clock_, metrics_,
                service::IngestOptions{}),
        sharing_(access_repository_, account_repository_, mailer_, hub_, clock_, audit_, {}),
        pool_(2) {
    service::AccountOptions account_options;
    account_options.argon2_ops_limit = 1;
    account_options.argon2_mem_limit_bytes = 8 * 1024;
    account_options.token_lifetime = token_lifetime;
    accounts_ = std::make_unique<service::AccountService>(account_repository_, mailer_, signer_,
                                                          clock_, account_options, audit_);
    http::Router router;
    api::add_account_routes(router, *accounts_, pool_);
    api::add_node_routes(router, *accounts_, nodes_, pool_);
    api::add_sharing_routes(router, *accounts_, sharing_, pool_);
    api::add_event_routes(router, *accounts_, nodes_, hub_, pool_, clock_,
                          api::EventStreamOptions{2000ms, 8, 200ms});
    http::ServerOptions options;
    options.websocket_send_queue = 8;
    options.websocket_write_grace = 60s;  // the slow client's test reads only afterwards
    server_ = std::make_unique<http::Server>(options, std::move(router), metrics_);
  }

  void SetUp() override {
    hub_.start();
    ingest_.start();
    ASSERT_TRUE(server_->start());
    const auto hash = auth::hash_password("secret123", auth::PasswordHashParams{1, 8 * 1024});
    ASSERT_TRUE(hash);
    int n = 0;
    for (const auto& [user_id, name, token] : {std::tuple{"u-alice", "alice@example.com", &alice_},
                                               std::tuple{"u-bob", "bob@example.com", &bob_}}) {
      ASSERT_TRUE(account_repository_.create_user(
          storage::UserRecord{user_id, name, *hash, true, false, "", ++n, 1}));
      auto tokens = accounts_->log_in(name, "secret123", "127.0.0.1");
      ASSERT_TRUE(tokens) << tokens.error().message();
      *token = tokens->access_token;
    }
    for (const auto& [node_id, owner] : {std::pair{"nodeA1", "u-alice"}, {"nodeB2", "u-bob"}}) {
      ASSERT_TRUE(node_repository_.write([&](storage::NodeWriter& w) -> Result<void> {
        if (auto r = w.ensure_node(node_id, 1); !r)
          return r;
        return w.add_user(owner, node_id, "primary", 1);
      }));
    }
  }

  void TearDown() override {
    server_->stop();
    pool_.join();
    ingest_.stop();
    hub_.stop();
  }

  client::ServerUrl url() const {
    return client::ServerUrl{"http://127.0.0.1:" + std::to_string(server_->port())};
  }

  client::EventStream open(const std::string& token, rest::EventFilter filter = {}) {
    auto s = client::EventStream::open(url(), "", token, filter, 5000ms);
    EXPECT_TRUE(s) << s.error().message();
    return std::move(*s);
  }

  // The next message that is not `ready`.
  static rest::StreamMessage next_event(client::EventStream& s) {
    while (true) {
      auto m = s.next(5000ms);
      EXPECT_TRUE(m) << m.error().message();
      if (!m)
        return {};
      if (m->type != "ready")
        return *m;
    }
  }

  static rest::StreamMessage expect_ready(client::EventStream& s) {
    auto m = s.next(5000ms);
    EXPECT_TRUE(m) << m.error().message();
    EXPECT_EQ(m ? m->type : "", "ready");
    return m ? *m : rest::StreamMessage{};
  }

  // Nothing arrives within `quiet`.
  static void expect_silence(client::EventStream& s, std::chrono::milliseconds quiet = 300ms) {
    auto m = s.next(quiet);
    EXPECT_FALSE(m) << "unexpected " << (m ? m->type + " " + m->node_id : "");
    if (!m) {
      EXPECT_EQ(m.error().code, errc::timeout);
    }
  }

  void submit(const std::string& node_id, decltype(service::NodeEvent::body) body) {
    ASSERT_TRUE(
        ingest_.submit(service::NodeEvent{node_id, unix_ms(clock_.now()), std::move(body)}));
    ASSERT_TRUE(ingest_.flush(5s));
  }
  void report(const std::string& node_id, const std::string& params) {
    submit(node_id, service::ParamsReported{params, false});
  }

  HttpReply get(std::string_view target, const std::string& token) {
    return http_request("127.0.0.1", server_->port(), "GET", target, "",
                        {{"Authorization", token}});
  }
  HttpReply put(std::string_view target, std::string_view body, const std::string& token) {
    return http_request("127.0.0.1", server_->port(), "PUT", target, body,
                        {{"Authorization", token}, {"Content-Type", "application/json"}});
  }

  std::uint64_t metric(std::string_view series) {
    const auto text = metrics_.render_prometheus();
    const auto at = text.find("\n" + std::string(series) + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + series.size() + 2));
  }

  TempDir dir_;
  SystemClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository account_repository_;
  storage::sql::SqlNodeRepository node_repository_;
  storage::sql::SqlCommandRepository command_repository_;
  storage::sql::SqlAccessRepository access_repository_;
  auth::TokenSigner signer_;
  RecordingMailer mailer_;
  NoMessenger messenger_;
  service::EventHub hub_;
  service::NodeService nodes_;
  service::CommandService commands_;
  service::NodeIngest ingest_;
  service::SharingService sharing_;
  std::unique_ptr<service::AccountService> accounts_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<http::Server> server_;
  std::string alice_, bob_;
};

TEST_F(EventsHttpTest, OwnNodesInOrderAndNeverAnotherUsersNode) {
  auto alice = open(alice_);
  auto bob = open(bob_);
  expect_ready(alice);
  expect_ready(bob);

  report("nodeB2", R"({"Light":{"Power":true}})");  // bob's
  report("nodeA1", R"({"Light":{"Power":true,"Brightness":40}})");
  submit("nodeA1", service::AlertRaised{R"({"esp.alert.str":"door open"})"});
  submit("nodeA1", service::PresenceChanged{false, unix_ms(clock_.now())});

  const auto params = next_event(alice);
  EXPECT_EQ(params.type, "params");
  EXPECT_EQ(params.node_id, "nodeA1");
  EXPECT_EQ(json::parse(params.data_json).at("payload"),
            json::parse(R"({"Light":{"Power":true,"Brightness":40}})"));
  EXPECT_GT(params.timestamp_ms, 0);
  EXPECT_EQ(rest::event_summary(params), "Light.Power=true, Light.Brightness=40");
  const auto alert = next_event(alice);
  EXPECT_EQ(alert.type, "alert");
  EXPECT_EQ(rest::event_summary(alert), "alert: door open");
  EXPECT_GT(alert.id, params.id);
  const auto presence = next_event(alice);
  EXPECT_EQ(presence.type, "connectivity");
  EXPECT_EQ(json::parse(presence.data_json).at("connected"), false);
  EXPECT_GT(presence.id, alert.id);
  expect_silence(alice);  // nothing of nodeB2

  const auto theirs = next_event(bob);
  EXPECT_EQ(theirs.node_id, "nodeB2");
  expect_silence(bob);
  // Every event's way through the dispatcher is timed once it is handed on.
  ASSERT_TRUE(hub_.flush(5s));
  EXPECT_GE(metric("stratus_events_published_total"), 4U);
  EXPECT_EQ(metric("stratus_events_dispatch_seconds_count"),
            metric("stratus_events_published_total"));
}

TEST_F(EventsHttpTest, FiltersByNodeAndType) {
  ASSERT_TRUE(node_repository_.write([](storage::NodeWriter& w) -> Result<void> {
    if (auto r = w.ensure_node("nodeC3", 1); !r)
      return r;
    return w.add_user("u-alice", "nodeC3", "primary", 1);
  }));
  rest::EventFilter only_alerts;
  only_alerts.kinds = 1u << static_cast<unsigned>(rest::EventKind::alert);
  auto alerts = open(alice_, only_alerts);
  rest::EventFilter only_c3;
  only_c3.node_ids = {"nodeC3"};
  auto c3 = open(alice_, only_c3);
  expect_ready(alerts);
  expect_ready(c3);

  report("nodeA1", R"({"Light":{"Power":true}})");
  submit("nodeA1", service::AlertRaised{R"({"Door":{"Open":true}})"});
  report("nodeC3", R"({"Light":{"Power":false}})");

  const auto a = next_event(alerts);
  EXPECT_EQ(a.type, "alert");
  EXPECT_EQ(a.node_id, "nodeA1");
  expect_silence(alerts);
  const auto c = next_event(c3);
  EXPECT_EQ(c.node_id, "nodeC3");
  EXPECT_EQ(c.type, "params");
  expect_silence(c3);
}

TEST_F(EventsHttpTest, ResumesAfterAReconnectAndSaysResyncBeyondTheWindow) {
  std::uint64_t last = 0;
  {
    auto s = open(alice_);
    expect_ready(s);
    report("nodeA1", R"({"Light":{"Power":true}})");
    last = next_event(s).id;
    s.close();
  }
  report("nodeA1", R"({"Light":{"Power":false}})");
  report("nodeB2", R"({"Light":{"Power":false}})");  // not alice's: not replayed
  report("nodeA1", R"({"Light":{"Brightness":7}})");
  ASSERT_TRUE(hub_.flush(5s));

  rest::EventFilter resume;
  resume.last_event_id = last;
  auto again = open(alice_, resume);
  const auto first = again.next(5000ms);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type, "params");
  EXPECT_EQ(first->id, last + 1);
  const auto second = again.next(5000ms);
  ASSERT_TRUE(second);
  EXPECT_EQ(rest::event_summary(*second), "Light.Brightness=7");
  const auto ready = again.next(5000ms);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->type, "ready");
  EXPECT_TRUE(ready->resumed);
  // Live events continue after the replay, once each.
  report("nodeA1", R"({"Light":{"Power":true}})");
  EXPECT_GT(next_event(again).id, second->id);
  expect_silence(again);

  // An id of an earlier run, and one that fell out of the 50 events kept.
  rest::EventFilter old;
  old.last_event_id = 1;
  auto stale = open(alice_, old);
  auto resync = stale.next(5000ms);
  ASSERT_TRUE(resync);
  EXPECT_EQ(resync->type, "resync");
  EXPECT_NE(resync->reason.find("restarted"), std::string::npos) << resync->reason;
  EXPECT_FALSE(expect_ready(stale).resumed);
  for (int i = 0; i < 60; ++i)
    report("nodeA1", R"({"Light":{"Brightness":)" + std::to_string(i) + "}}");
  ASSERT_TRUE(hub_.flush(5s));
  rest::EventFilter evicted;
  evicted.last_event_id = last;
  auto late = open(alice_, evicted);
  auto told = late.next(5000ms);
  ASSERT_TRUE(told);
  EXPECT_EQ(told->type, "resync");
  EXPECT_NE(told->reason.find("older than the 50 events"), std::string::npos) << told->reason;

  // Within the window, but more events than the stream's send queue (8) takes at once: a
  // replay would be cut off half way, every time the client tried again.
  rest::EventFilter long_ago;
  long_ago.last_event_id = hub_.last_event_id() - 10;
  auto behind = open(alice_, long_ago);
  auto answer = behind.next(5000ms);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->type, "resync");
  EXPECT_NE(answer->reason.find("more than the stream takes"), std::string::npos) << answer->reason;
  EXPECT_FALSE(expect_ready(behind).resumed);
}

TEST_F(EventsHttpTest, AClientThatStopsReadingIsCutOffWhileIngestGoesOn) {
  auto slow = open(alice_);
  auto fast = open(alice_);
  expect_ready(fast);
  // Far more than the socket buffers hold: the server's 8-message queue overflows.
  const std::string big(4000, 'x');
  std::vector<service::EventDraft> burst;
  for (int i = 0; i < 6000; ++i) {
    burst.push_back(service::EventDraft{rest::EventKind::params,
                                        "nodeA1",
                                        {},
                                        1,
                                        R"({"payload":{"Blob":{"Data":")" + big + "\"}}}"});
  }
  hub_.publish(std::move(burst));  // returns at once: publishing never waits for streams
  ASSERT_TRUE(hub_.flush(30s));
  // The hub dropped the slow stream; ingest is untouched and still commits.
  report("nodeA1", R"({"Light":{"Power":true}})");
  const auto params = get("/v1/user/nodes/params?node_id=nodeA1", alice_);
  EXPECT_EQ(params.status, 200);
  EXPECT_NE(params.body.find("\"Power\":true"), std::string::npos) << params.body;
  EXPECT_GE(metric("stratus_events_dropped_total{reason=\"slow_stream\"}"), 1u);

  // The slow client, reading at last, finds what was on the wire, then the close frame.
  std::size_t read = 0;
  while (true) {
    auto m = slow.next(10000ms);
    if (!m) {
      ASSERT_EQ(m.error().code, errc::unavailable) << m.error().message();
      break;
    }
    ++read;
  }
  EXPECT_LT(read, 6001u);
  ASSERT_TRUE(slow.closed().has_value());
  EXPECT_EQ(slow.closed()->code, rest::close_code::too_slow);
  EXPECT_NE(slow.closed()->reason.find("too slowly"), std::string::npos);
  (void)fast;
}

// A WebSocket without the Authorization header, as a browser opens it.
class BrowserSocket {
 public:
  BrowserSocket(std::uint16_t port, const std::string& target) : ws_(io_) {
    boost::asio::ip::tcp::resolver resolver(io_);
    beast::get_lowest_layer(ws_).connect(
        *resolver.resolve("127.0.0.1", std::to_string(port)).begin());
    ws_.handshake(response_, "127.0.0.1", target, ec_);
  }
  const beast::error_code& handshake_error() const { return ec_; }
  const beast::websocket::response_type& response() const { return response_; }
  void send(const std::string& text) { ws_.write(boost::asio::buffer(text)); }
  // The next text message, or nullopt when the stream closed (see `close_code`).
  std::optional<std::string> read() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws_.read(buffer, ec);
    if (ec)
      return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }
  std::uint16_t close_code() const { return ws_.reason().code; }

 private:
  boost::asio::io_context io_;
  beast::websocket::stream<beast::tcp_stream> ws_;
  beast::websocket::response_type response_;
  beast::error_code ec_;
};

TEST_F(EventsHttpTest, BrowsersLogInWithTheFirstMessage) {
  {
    BrowserSocket ok(server_->port(), "/v1/user/events?types=params");
    ASSERT_FALSE(ok.handshake_error()) << ok.handshake_error().message();
    ok.send(R"({"access_token":")" + alice_ + R"(","node_ids":["nodeA1"]})");
    auto ready = ok.read();
    ASSERT_TRUE(ready);
    EXPECT_NE(ready->find(R"("type":"ready")"), std::string::npos) << *ready;
    report("nodeA1", R"({"Light":{"Power":true}})");
    auto event = ok.read();
    ASSERT_TRUE(event);
    EXPECT_NE(event->find(R"("node_id":"nodeA1")"), std::string::npos) << *event;
  }
  {
    BrowserSocket forged(server_->port(), "/v1/user/events");
    ASSERT_FALSE(forged.handshake_error());
    forged.send(R"({"access_token":"eyJhbGciOiJIUzI1NiJ9.e30.bad"})");
    EXPECT_FALSE(forged.read());
    EXPECT_EQ(forged.close_code(), rest::close_code::unauthenticated);
  }
  {
    BrowserSocket garbage(server_->port(), "/v1/user/events");
    garbage.send("{not json");
    EXPECT_FALSE(garbage.read());
    EXPECT_EQ(garbage.close_code(), rest::close_code::bad_request);
  }
  {
    BrowserSocket silent(server_->port(), "/v1/user/events");  // says nothing: 2 s limit
    EXPECT_FALSE(silent.read());
    EXPECT_EQ(silent.close_code(), rest::close_code::unauthenticated);
  }
  {
    BrowserSocket bad_filter(server_->port(), "/v1/user/events?types=params,nonsense");
    EXPECT_EQ(bad_filter.handshake_error(), beast::websocket::error::upgrade_declined);
    EXPECT_EQ(bad_filter.response().result_int(), 400u);
    EXPECT_NE(bad_filter.response().body().find(std::to_string(rest::event_error::invalid_filter)),
              std::string::npos);
  }
  const auto plain = get("/v1/user/events", alice_);
  EXPECT_EQ(plain.status, 426);
  EXPECT_NE(plain.body.find(std::to_string(rest::http_error::upgrade_required)), std::string::npos);
  auto refused = client::EventStream::open(url(), "", "not-a-token", {}, 5000ms);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::unauthenticated);
}

TEST_F(EventsHttpTest, AccessFollowsSharing) {
  auto bob = open(bob_);
  expect_ready(bob);
  report("nodeA1", R"({"Light":{"Power":true}})");
  expect_silence(bob);

  auto shared = put("/v1/user/nodes/sharing",
                    R"({"nodes":["nodeA1"],"user_name":"bob@example.com"})", alice_);
  ASSERT_EQ(shared.status, 200) << shared.body;
  const std::string request_id(json::parse(shared.body).at("request_id").as_string());
  auto offered = next_event(bob);
  EXPECT_EQ(offered.type, "sharing_request");
  EXPECT_EQ(rest::event_summary(offered), "sharing request " + request_id + " pending");
  auto accepted = put("/v1/user/nodes/sharing/requests",
                      R"({"accept":true,"request_id":")" + request_id + "\"}", bob_);
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(next_event(bob).type, "sharing_request");  // accepted
  report("nodeA1", R"({"Light":{"Power":false}})");
  const auto now_visible = next_event(bob);
  EXPECT_EQ(now_visible.node_id, "nodeA1");
  EXPECT_EQ(now_visible.type, "params");

  auto removed = http_request("127.0.0.1", server_->port(), "DELETE",
                              "/v1/user/nodes/sharing?nodes=nodeA1&user_name=bob@example.com", "",
                              {{"Authorization", alice_}});
  ASSERT_EQ(removed.status, 200) << removed.body;
  const auto gone = next_event(bob);
  EXPECT_EQ(gone.type, "mapping");
  EXPECT_EQ(rest::event_summary(gone), "access removed");
  report("nodeA1", R"({"Light":{"Power":true}})");
  expect_silence(bob);
}

TEST_F(EventsHttpTest, AlertsArePagedNewestFirstAndOnlyForTheNodesUsers) {
  for (const char* text : {"one", "two", "three"})
    submit("nodeA1", service::AlertRaised{std::string(R"({"esp.alert.str":")") + text + "\"}"});
  auto first = get("/v1/user/nodes/alerts?node_id=nodeA1&num_records=2", alice_);
  ASSERT_EQ(first.status, 200) << first.body;
  auto page = rest::parse_alert_page(first.body);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->alerts.size(), 2u);
  EXPECT_EQ(rest::alert_text(page->alerts[0].payload_json), "three");
  EXPECT_EQ(rest::alert_text(page->alerts[1].payload_json), "two");
  ASSERT_TRUE(page->next_id);
  auto second = get("/v1/user/nodes/alerts?node_id=nodeA1&num_records=2&start_id=" +
                        std::to_string(*page->next_id),
                    alice_);
  auto rest_page = rest::parse_alert_page(second.body);
  ASSERT_TRUE(rest_page);
  ASSERT_EQ(rest_page->alerts.size(), 1u);
  EXPECT_EQ(rest::alert_text(rest_page->alerts[0].payload_json), "one");
  EXPECT_FALSE(rest_page->next_id);

  EXPECT_EQ(get("/v1/user/nodes/alerts?node_id=nodeA1", bob_).status, 404);
  EXPECT_EQ(get("/v1/user/nodes/alerts?node_id=nodeA1&start_time=20&end_time=10", alice_).status,
            400);
  EXPECT_EQ(get("/v1/user/nodes/alerts", alice_).status, 400);
  EXPECT_EQ(get("/v1/user/nodes/alerts?node_id=nodeA1&num_records=x", alice_).status, 400);
  const auto future = get("/v1/user/nodes/alerts?node_id=nodeA1&start_time=4102444800", alice_);
  ASSERT_EQ(future.status, 200);
  EXPECT_TRUE(rest::parse_alert_page(future.body)->alerts.empty());
}

class ShortTokenEventsTest : public EventsHttpTest {
 protected:
  ShortTokenEventsTest() : EventsHttpTest(2s) {}
};

TEST_F(ShortTokenEventsTest, TheStreamClosesWhenTheTokenExpires) {
  auto s = open(alice_);
  expect_ready(s);
  const auto opened = std::chrono::steady_clock::now();
  while (true) {
    auto m = s.next(5000ms);
    if (!m)
      break;
  }
  ASSERT_TRUE(s.closed().has_value());
  EXPECT_EQ(s.closed()->code, rest::close_code::token_expired);
  EXPECT_LT(std::chrono::steady_clock::now() - opened, 4s);
}

// A logout (or a disabled or deleted user) ends the session: an open stream closes with
// 4001 within `session_check`, not only when its token expires.
TEST_F(EventsHttpTest, TheStreamClosesWhenItsSessionEnds) {
  auto s = open(alice_);
  expect_ready(s);
  auto who = accounts_->authenticate(alice_);
  ASSERT_TRUE(who);
  ASSERT_TRUE(accounts_->log_out(*who, false));
  const auto logged_out = std::chrono::steady_clock::now();
  while (s.next(5000ms)) {
  }
  ASSERT_TRUE(s.closed().has_value());
  EXPECT_EQ(s.closed()->code, rest::close_code::unauthenticated);
  EXPECT_LT(std::chrono::steady_clock::now() - logged_out, 3s);
}

// What a stream had queued when its session ended is not sent after the end: the client,
// reading only then, gets what was already on the wire and the 4001, not the rest.
TEST_F(EventsHttpTest, AStreamWhoseSessionEndsGetsNothingMoreOfWhatWasQueued) {
  auto s = open(alice_);
  expect_ready(s);
  // 7 messages of 4 MiB (the queue holds 8): more than the socket buffers take while the
  // client reads nothing, so some wait in the server's queue.
  const std::string big(std::size_t{4} << 20, 'x');
  std::vector<service::EventDraft> burst;
  for (int i = 0; i < 7; ++i) {
    burst.push_back(service::EventDraft{rest::EventKind::params,
                                        "nodeA1",
                                        {},
                                        1,
                                        R"({"payload":{"Blob":{"Data":")" + big + "\"}}}"});
  }
  hub_.publish(std::move(burst));
  ASSERT_TRUE(hub_.flush(30s));
  auto who = accounts_->authenticate(alice_);
  ASSERT_TRUE(who);
  ASSERT_TRUE(accounts_->log_out(*who, false));
  std::this_thread::sleep_for(1000ms);  // the session check (200 ms) has closed it
  std::size_t read = 0;
  while (s.next(5000ms))
    ++read;
  ASSERT_TRUE(s.closed().has_value());
  EXPECT_EQ(s.closed()->code, rest::close_code::unauthenticated);
  EXPECT_LT(read, 7u) << "the queued messages were dropped at the close";
}

}  // namespace
}  // namespace stratus::test

namespace stratus::test {
namespace {

// Alert mail: only users who opted in and may see the node; one mail per node and
// interval, the rest in one digest at its end; opting out stops it; a bad body changes
// nothing.
TEST_F(EventsHttpTest, AlertMailGoesToOptedInUsersOncePerInterval) {
  ManualClock pacing_clock(std::chrono::system_clock::now());
  service::AlertMailService mail(hub_, access_repository_, mailer_, pacing_clock, metrics_,
                                 service::AlertMailOptions{300s, 100, 10ms});
  mail.start();

  auto bad = put("/v1/user", R"({"alert_mail":"yes"})", alice_);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(json::parse(get("/v1/user", alice_).body).at("alert_mail"), false);
  for (const auto* token : {&alice_, &bob_}) {
    auto on = put("/v1/user", R"({"alert_mail":true})", *token);
    ASSERT_EQ(on.status, 200) << on.body;
    EXPECT_EQ(json::parse(on.body).at("alert_mail"), true);
  }
  EXPECT_EQ(json::parse(get("/v1/user2", alice_).body).at("alert_mail"), true);

  submit("nodeA1", service::AlertRaised{R"({"esp.alert.str":"door open"})"});
  auto sent = mailer_.wait_for(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, "alice@example.com");  // bob opted in too, but it is not his node
  EXPECT_NE(sent[0].subject.find("nodeA1"), std::string::npos) << sent[0].subject;
  EXPECT_NE(sent[0].body.find("door open"), std::string::npos) << sent[0].body;

  // Within the interval: held for the digest.
  submit("nodeA1", service::AlertRaised{R"({"esp.alert.str":"door open again"})"});
  submit("nodeA1", service::AlertRaised{R"({"esp.alert.str":"window open"})"});
  submit("nodeB2", service::AlertRaised{R"({"esp.alert.str":"smoke"})"});  // bob's
  sent = mailer_.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].to, "bob@example.com");  // after alice's held alerts, in order
  EXPECT_NE(sent[1].body.find("smoke"), std::string::npos);

  pacing_clock.advance(301s);
  sent = mailer_.wait_for(3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].to, "alice@example.com");
  EXPECT_NE(sent[2].subject.find("2 more alerts"), std::string::npos) << sent[2].subject;
  EXPECT_NE(sent[2].body.find("window open"), std::string::npos) << sent[2].body;

  // Opted out: alice's next alert goes nowhere (bob's later one shows it was handled).
  ASSERT_EQ(put("/v1/user", R"({"alert_mail":false,"name":"Alice"})", alice_).status, 200);
  EXPECT_EQ(json::parse(get("/v1/user", alice_).body).at("name"), "Alice");
  pacing_clock.advance(301s);
  submit("nodeA1", service::AlertRaised{R"({"esp.alert.str":"door open, nobody told"})"});
  submit("nodeB2", service::AlertRaised{R"({"esp.alert.str":"smoke again"})"});
  sent = mailer_.wait_for(4);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[3].to, "bob@example.com");
  EXPECT_NE(sent[3].body.find("smoke again"), std::string::npos);
  mail.stop();
  EXPECT_EQ(mailer_.sent().size(), 4u);
}

}  // namespace
}  // namespace stratus::test
