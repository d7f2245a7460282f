// Proves webhooks (issue 15): deliveries are signed so a receiver can verify them with the
// secret; they carry only what the owner may see; a failing receiver gets retries with
// growing waits that survive a restart of the delivery service (the outbox is durable);
// repeated failures disable the webhook with the reason visible in GET; a loopback URL is
// refused unless the operator allows private addresses; a delivery whose owner lost access
// or was disabled meanwhile is dropped, not sent; in a cluster, a leader deposed in a round
// sends no more of it, a follower does not poll the outbox, and a failure reported for a
// delivery another instance already settled counts nothing.
// How: the real WebhookService, EventHub, NodeIngest and CurlWebhookSender over SQLite in
// a temp dir (or PostgreSQL); the webhook routes on an http::Server; a second http::Server
// on 127.0.0.1 is the receiver and records what it gets; the cluster cases use a fake
// leadership, a sender that counts its POSTs and a repository that counts its calls.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "api/account_routes.hpp"
#include "api/event_routes.hpp"
#include "auth/password.hpp"
#include "auth/secrets.hpp"
#include "auth/token.hpp"
#include "core/metrics.hpp"
#include "http/server.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/events.hpp"
#include "server/curl_webhook_sender.hpp"
#include "service/account_service.hpp"
#include "service/command_service.hpp"
#include "service/event_hub.hpp"
#include "service/node_ingest.hpp"
#include "service/webhook_service.hpp"
#include "storage/sql/access_repository.hpp"
#include "storage/sql/account_repository.hpp"
#include "storage/sql/command_repository.hpp"
#include "storage/sql/node_repository.hpp"
#include "storage/sql/webhook_repository.hpp"
#include "support/http_client.hpp"
#include "support/service_fakes.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
using namespace std::chrono_literals;

// The integration's end: records every POST and answers with the next scripted status.
class Receiver {
 public:
  struct Hit {
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
    std::chrono::steady_clock::time_point at;
  };

  Receiver() {
    http::Router router;
    router.add("POST", "/hook", [this](http::Request& r) -> boost::asio::awaitable<http::Response> {
      Hit hit{r.body, {}, std::chrono::steady_clock::now()};
      for (const auto& [name, value] : r.headers) {
        std::string lower(name);
        for (auto& c : lower)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        hit.headers[lower] = value;
      }
      int status = 200;
      {
        std::lock_guard lock(mutex_);
        hits_.push_back(std::move(hit));
        if (!script_.empty()) {
          status = script_.front();
          script_.erase(script_.begin());
        } else {
          status = otherwise_;
        }
      }
      co_return http::json_response(status, "{}");
    });
    server_ = std::make_unique<http::Server>(http::ServerOptions{}, std::move(router), metrics_);
    EXPECT_TRUE(server_->start());
  }
  ~Receiver() { server_->stop(); }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
  }
  void answer(std::vector<int> first, int otherwise = 200) {
    std::lock_guard lock(mutex_);
    script_ = std::move(first);
    otherwise_ = otherwise;
  }
  std::vector<Hit> hits() {
    std::lock_guard lock(mutex_);
    return hits_;
  }
  bool wait_hits(std::size_t n, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (hits().size() >= n)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 private:
  MetricsRegistry metrics_;
  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  std::vector<Hit> hits_;
  std::vector<int> script_;
  int otherwise_ = 200;
};

// A lease the test holds or loses. Thread-safe.
class FakeLeadership final : public service::Leadership {
 public:
  explicit FakeLeadership(bool leader) : leader_(leader) {}
  [[nodiscard]] bool is_leader() const override { return leader_.load(); }
  void lose() { leader_.store(false); }

 private:
  std::atomic<bool> leader_;
};

// A sender that reaches no network: every URL is allowed, every POST answered 200 and
// counted; with `deposes`, the lease is lost during each POST. Thread-safe.
class CountingSender final : public service::WebhookSender {
 public:
  explicit CountingSender(FakeLeadership* deposes = nullptr) : deposes_(deposes) {}
  Result<void> check_url(std::string_view) override { return {}; }
  Result<int> post(std::string_view, std::string_view,
                   const std::vector<std::pair<std::string, std::string>>&) override {
    posts_.fetch_add(1);
    if (deposes_ != nullptr)
      deposes_->lose();
    return 200;
  }
  std::size_t posts() const { return posts_.load(); }

 private:
  FakeLeadership* deposes_;
  std::atomic<std::size_t> posts_{0};
};

// Passes every call to `inner` and counts them. Thread-safe.
class CountingWebhookRepository final : public storage::WebhookRepository {
 public:
  explicit CountingWebhookRepository(storage::WebhookRepository& inner) : inner_(inner) {}
  std::size_t calls() const { return calls_.load(); }

  Result<void> create(const storage::WebhookRecord& w) override {
    ++calls_;
    return inner_.create(w);
  }
  Result<std::vector<storage::WebhookRecord>> list(std::string_view user_id) override {
    ++calls_;
    return inner_.list(user_id);
  }
  Result<std::vector<storage::WebhookRecord>> enabled() override {
    ++calls_;
    return inner_.enabled();
  }
  Result<std::optional<storage::WebhookRecord>> get(std::string_view webhook_id) override {
    ++calls_;
    return inner_.get(webhook_id);
  }
  Result<bool> remove(std::string_view user_id, std::string_view webhook_id) override {
    ++calls_;
    return inner_.remove(user_id, webhook_id);
  }
  Result<std::int64_t> count(std::string_view user_id) override {
    ++calls_;
    return inner_.count(user_id);
  }
  Result<void> enqueue(const std::vector<storage::WebhookDelivery>& deliveries) override {
    ++calls_;
    return inner_.enqueue(deliveries);
  }
  Result<std::vector<storage::WebhookDelivery>> due(std::int64_t now_ms,
                                                    std::size_t limit) override {
    ++calls_;
    return inner_.due(now_ms, limit);
  }
  Result<std::optional<std::int64_t>> next_due() override {
    ++calls_;
    return inner_.next_due();
  }
  Result<void> delivered(std::int64_t delivery_id, std::string_view webhook_id,
                         std::int64_t now_ms) override {
    ++calls_;
    return inner_.delivered(delivery_id, webhook_id, now_ms);
  }
  Result<void> discard(std::int64_t delivery_id) override {
    ++calls_;
    return inner_.discard(delivery_id);
  }
  Result<bool> failed(std::int64_t delivery_id, std::string_view webhook_id, std::string_view error,
                      std::int64_t retry_at_ms, std::int64_t max_failures) override {
    ++calls_;
    return inner_.failed(delivery_id, webhook_id, error, retry_at_ms, max_failures);
  }

 private:
  storage::WebhookRepository& inner_;
  std::atomic<std::size_t> calls_{0};
};

class WebhooksHttpTest : public ::testing::Test {
 protected:
  WebhooksHttpTest()
      : db_(test::open_test_database(dir_, 3)),
        account_repository_(db_),
        node_repository_(db_),
        command_repository_(db_),
        access_repository_(db_),
        webhook_repository_(db_),
        signer_(*auth::TokenSigner::from_key(std::string(32, 'k'))),
        hub_(service::node_access_lookup(access_repository_), clock_, metrics_,
             service::EventHubOptions{}),
        commands_(command_repository_, node_repository_, account_repository_, messenger_, hub_,
                  clock_, metrics_, {}, audit_),
        ingest_(node_repository_, messenger_, commands_, hub_, clock_, metrics_,
                service::IngestOptions{}),
        allowing_({true, 5000ms, {}}),
        refusing_({false, 5000ms, {}}),
        pool_(2) {
    service::AccountOptions account_options;
    account_options.argon2_ops_limit = 1;
    account_options.argon2_mem_limit_bytes = 8 * 1024;
    accounts_ = std::make_unique<service::AccountService>(account_repository_, mailer_, signer_,
                                                          clock_, account_options, audit_);
    start_webhooks(allowing_);
    strict_.emplace(webhook_repository_, node_repository_, hub_, refusing_, clock_, metrics_,
                    options());
    http::Router router;
    api::add_account_routes(router, *accounts_, pool_);
    api::add_webhook_routes(router, *accounts_, *strict_, pool_);
    server_ = std::make_unique<http::Server>(http::ServerOptions{}, std::move(router), metrics_);
  }

  static service::WebhookOptions options() {
    service::WebhookOptions o;
    o.max_failures = 4;
    o.retry_min = 200ms;
    o.retry_max = 2000ms;
    return o;
  }

  void start_webhooks(service::WebhookSender& sender) {
    webhooks_.emplace(webhook_repository_, node_repository_, hub_, sender, clock_, metrics_,
                      options());
    ASSERT_TRUE(webhooks_->start());
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
    if (webhooks_)
      webhooks_->stop();
    strict_->stop();
  }

  void report(const std::string& node_id, const std::string& params) {
    ASSERT_TRUE(ingest_.submit(service::NodeEvent{node_id, unix_ms(clock_.now()),
                                                  service::ParamsReported{params, false}}));
    ASSERT_TRUE(ingest_.flush(5s));
    ASSERT_TRUE(hub_.flush(5s));
  }

  // Registers through the service that may reach the receiver (loopback allowed).
  std::string add(const std::string& url, std::vector<std::string> events) {
    auto added = webhooks_->add(service::Principal{"u-alice", "s", false, 0},
                                rest::WebhookRequest{url, std::move(events), {}, kSecret});
    EXPECT_TRUE(added) << added.error().message();
    return added ? added->webhook_id : std::string();
  }

  HttpReply call(std::string_view method, std::string_view target, std::string_view body) {
    return http_request("127.0.0.1", server_->port(), method, target, body,
                        {{"Authorization", alice_}, {"Content-Type", "application/json"}});
  }

  // Alice's webhook `webhook_id` for params events, written straight to the repository
  // (no service subscribes it; the cluster cases fill the outbox themselves).
  void store_webhook(const std::string& webhook_id,
                     const std::string& url = "http://hooks.example/in") {
    storage::WebhookRecord w;
    w.webhook_id = webhook_id;
    w.user_id = "u-alice";
    w.url = url;
    w.kinds = 1u << static_cast<unsigned>(rest::EventKind::params);
    w.secret = kSecret;
    w.created_ms = unix_ms(clock_.now());
    ASSERT_TRUE(webhook_repository_.create(w));
  }
  // `n` deliveries to `webhook_id`, due now.
  void enqueue(const std::string& webhook_id, int n) {
    std::vector<storage::WebhookDelivery> deliveries;
    for (int i = 1; i <= n; ++i) {
      deliveries.push_back(storage::WebhookDelivery{0, webhook_id, static_cast<std::uint64_t>(i),
                                                    "params", "nodeA1", R"({"type":"params"})", 0,
                                                    unix_ms(clock_.now())});
    }
    ASSERT_TRUE(webhook_repository_.enqueue(deliveries));
  }
  std::vector<storage::WebhookDelivery> due_now() {
    auto due = webhook_repository_.due(unix_ms(clock_.now()), 100);
    EXPECT_TRUE(due) << due.error().message();
    return due ? *due : std::vector<storage::WebhookDelivery>{};
  }
  storage::WebhookRecord stored(const std::string& webhook_id) {
    auto w = webhook_repository_.get(webhook_id);
    EXPECT_TRUE(w && *w) << webhook_id;
    return w && *w ? **w : storage::WebhookRecord{};
  }

  static constexpr const char* kSecret = "0123456789abcdef-secret";

  TempDir dir_;
  SystemClock clock_;
  ::stratus::test::RecordingAuditLog audit_;  // before the services that record into it
  MetricsRegistry metrics_;
  std::shared_ptr<storage::sql::Database> db_;
  storage::sql::SqlAccountRepository account_repository_;
  storage::sql::SqlNodeRepository node_repository_;
  storage::sql::SqlCommandRepository command_repository_;
  storage::sql::SqlAccessRepository access_repository_;
  storage::sql::SqlWebhookRepository webhook_repository_;
  auth::TokenSigner signer_;
  NoMail mailer_;
  NoMessenger messenger_;
  service::EventHub hub_;
  service::CommandService commands_;
  service::NodeIngest ingest_;
  server::CurlWebhookSender allowing_;
  server::CurlWebhookSender refusing_;
  std::optional<service::WebhookService> webhooks_;  // may reach loopback
  std::optional<service::WebhookService> strict_;    // the REST routes': the default policy
  std::unique_ptr<service::AccountService> accounts_;
  boost::asio::thread_pool pool_;
  std::unique_ptr<http::Server> server_;
  std::string alice_, bob_;
  Receiver receiver_;
};

TEST_F(WebhooksHttpTest, DeliveriesAreSignedAndCarryOnlyTheOwnersEvents) {
  add(receiver_.url(), {"params"});
  report("nodeB2", R"({"Light":{"Power":true}})");  // bob's: never sent to alice's URL
  report("nodeA1", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(receiver_.wait_hits(1, 10s));
  ASSERT_TRUE(webhooks_->drain(5s));
  const auto hits = receiver_.hits();
  ASSERT_EQ(hits.size(), 1u);
  const auto& hit = hits.front();
  const auto event = json::parse(hit.body).as_object();
  EXPECT_EQ(event.at("node_id"), "nodeA1");
  EXPECT_EQ(event.at("type"), "params");
  EXPECT_EQ(hit.headers.at("x-stratus-event"), "params");
  EXPECT_EQ(hit.headers.at("content-type"), "application/json");
  // What a receiver does: HMAC-SHA-256 over "<timestamp>.<body>" with the shared secret.
  const auto& timestamp = hit.headers.at("x-stratus-timestamp");
  EXPECT_EQ(hit.headers.at("x-stratus-signature"),
            "sha256=" + auth::hmac_sha256_hex(kSecret, timestamp + "." + hit.body));
  EXPECT_NE(hit.headers.at("x-stratus-signature"),
            "sha256=" + auth::hmac_sha256_hex("another-secret-16b", timestamp + "." + hit.body));
  const auto age = std::chrono::system_clock::now().time_since_epoch() -
                   std::chrono::seconds(std::stoll(timestamp));
  EXPECT_LT(age, 60s);
}

TEST_F(WebhooksHttpTest, RetriesWithGrowingWaitsAcrossARestart) {
  receiver_.answer({503, 500, 502}, 200);
  add(receiver_.url(), {"params"});
  report("nodeA1", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(receiver_.wait_hits(2, 10s));
  // The delivery service goes away with a delivery pending, and comes back.
  webhooks_.reset();
  start_webhooks(allowing_);
  ASSERT_TRUE(receiver_.wait_hits(4, 20s));
  const auto hits = receiver_.hits();
  ASSERT_GE(hits.size(), 4u);
  for (const auto& h : hits)
    EXPECT_EQ(h.body, hits.front().body);  // the same event each time
  const auto wait1 = hits[1].at - hits[0].at;
  const auto wait3 = hits[3].at - hits[2].at;
  EXPECT_GE(wait1, 150ms);
  EXPECT_GE(wait3, 2 * 150ms);  // doubled per failure
  ASSERT_TRUE(webhooks_->drain(5s));
  EXPECT_EQ(receiver_.hits().size(), 4u);  // delivered once accepted, not again
  auto list = webhook_repository_.list("u-alice");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().failures, 0);
  EXPECT_GT(list->front().last_success_ms, 0);
}

TEST_F(WebhooksHttpTest, RepeatedFailuresDisableTheWebhookWithTheReasonShown) {
  ASSERT_TRUE(server_->port() != 0);
  receiver_.answer({}, 500);
  add(receiver_.url(), {"params", "alert"});
  report("nodeA1", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(receiver_.wait_hits(4, 20s));
  const auto shown = [&] {
    const auto r = call("GET", "/v1/user/webhooks", "");
    EXPECT_EQ(r.status, 200) << r.body;
    auto list = rest::parse_webhook_list(r.body);
    EXPECT_TRUE(list && list->size() == 1) << r.body;
    return list && !list->empty() ? list->front() : rest::WebhookInfo{};
  };
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (shown().enabled && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  const auto w = shown();
  EXPECT_FALSE(w.enabled);
  EXPECT_NE(w.disabled_reason.find("4 deliveries in a row failed"), std::string::npos)
      << w.disabled_reason;
  EXPECT_NE(w.disabled_reason.find("HTTP 500"), std::string::npos) << w.disabled_reason;
  EXPECT_EQ(w.events, (std::vector<std::string>{"params", "alert"}));
  // Disabled: later events are not sent.
  report("nodeA1", R"({"Light":{"Power":false}})");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(receiver_.hits().size(), 4u);
}

// A receiver that is down for a moment while many deliveries wait is tried once per
// backoff, not once per delivery: two failures here, not one per waiting delivery in the
// first round (which could reach max_failures, disable the webhook and drop its outbox).
TEST_F(WebhooksHttpTest, AFailureHoldsBackTheWebhooksOtherDeliveriesUntilItsRetry) {
  webhooks_.reset();
  store_webhook("wh-outage", receiver_.url());
  enqueue("wh-outage", 6);
  receiver_.answer({503, 503}, 200);
  auto o = options();
  o.retry_min = 1000ms;  // wide enough that a loaded machine cannot blur the waits
  o.retry_max = 8000ms;
  service::WebhookService outage(webhook_repository_, node_repository_, hub_, allowing_, clock_,
                                 metrics_, o);
  ASSERT_TRUE(outage.start());
  ASSERT_TRUE(receiver_.wait_hits(1, 10s));
  std::this_thread::sleep_for(300ms);  // under the first retry's second
  EXPECT_EQ(receiver_.hits().size(), 1u) << "the others wait for the first one's retry";
  ASSERT_TRUE(receiver_.wait_hits(2 + 6, 20s));
  ASSERT_TRUE(wait_until([&] { return due_now().empty(); }, 10s));
  outage.stop();
  const auto hits = receiver_.hits();
  EXPECT_GE(hits[1].at - hits[0].at, 1000ms);
  EXPECT_GE(hits[2].at - hits[1].at, 2000ms) << "the waits grow per failure";
  const auto w = stored("wh-outage");
  EXPECT_TRUE(w.enabled) << w.disabled_reason;
  EXPECT_EQ(w.failures, 0);
  std::set<std::string> delivered;
  for (const auto& h : hits)
    delivered.insert(h.headers.at("x-stratus-delivery"));
  EXPECT_EQ(delivered.size(), 6u) << "every delivery arrived";
}

TEST_F(WebhooksHttpTest, LoopbackAndBadUrlsAreRefusedByDefault) {
  const auto body = [](const std::string& url, const std::string& extra = "") {
    return R"({"url":")" + url + R"(","events":["params"],"secret":")" + kSecret + "\"" + extra +
           "}";
  };
  const auto code_of = [](const HttpReply& r) {
    return json::parse(r.body).at("error_code").to_number<int>();
  };
  auto loopback = call("POST", "/v1/user/webhooks", body(receiver_.url()));
  EXPECT_EQ(loopback.status, 400) << loopback.body;
  EXPECT_EQ(code_of(loopback), rest::event_error::webhook_url_forbidden);
  for (const char* url :
       {"http://localhost:9/x", "http://[::1]:9/", "http://169.254.169.254/", "http://10.1.2.3/",
        "http://0.0.0.0/", "http://198.18.0.1/", "http://240.0.0.1/", "http://192.0.0.8/",
        // IPv6 that carries a private IPv4 host: mapped, compatible, NAT64, 6to4
        "http://[::ffff:127.0.0.1]/", "http://[::a01:203]/", "http://[64:ff9b::a01:203]/",
        "http://[2002:a01:203::1]/",
        // routed only inside a site, or a host that cannot be checked (Teredo)
        "http://[64:ff9b:1::1]/", "http://[fec0::1]/", "http://[2001:0:4136:e378::1]/"}) {
    auto r = call("POST", "/v1/user/webhooks", body(url));
    EXPECT_EQ(code_of(r), rest::event_error::webhook_url_forbidden) << url << r.body;
  }
  // The answer names the host, not the address it resolved to (that goes to the log).
  const auto named = call("POST", "/v1/user/webhooks", body("http://localhost:9/x"));
  EXPECT_EQ(named.body.find("127.0.0.1"), std::string::npos) << named.body;
  // Public addresses, IPv6 ones that carry a public IPv4 host too, are allowed.
  for (const char* url : {"http://[2606:4700::1111]/", "http://[64:ff9b::101:101]/",
                          "http://[2002:101:101::1]/", "http://1.1.1.1/"}) {
    EXPECT_TRUE(refusing_.check_url(url)) << url;
  }
  EXPECT_EQ(code_of(call("POST", "/v1/user/webhooks", body("ftp://example.com/"))),
            rest::event_error::webhook_url_invalid);
  EXPECT_EQ(code_of(call("POST", "/v1/user/webhooks", body("not a url"))),
            rest::event_error::webhook_url_invalid);
  EXPECT_EQ(code_of(call("POST", "/v1/user/webhooks",
                         R"({"url":"http://1.1.1.1/","events":["params"],"secret":"short"})")),
            rest::event_error::webhook_secret_invalid);
  EXPECT_EQ(code_of(call("POST", "/v1/user/webhooks",
                         R"({"url":"http://1.1.1.1/","events":["nope"],"secret":")" +
                             std::string(kSecret) + "\"}")),
            rest::event_error::webhook_events_invalid);
  auto others =
      call("POST", "/v1/user/webhooks", body("http://1.1.1.1/", R"(,"node_ids":["nodeB2"])"));
  EXPECT_EQ(others.status, 404) << others.body;
  EXPECT_EQ(call("POST", "/v1/user/webhooks", "{\"url\":1}").status, 400);
  EXPECT_EQ(call("DELETE", "/v1/user/webhooks?webhook_id=nope", "").status, 404);
  // Nothing was stored by any refusal.
  auto list = webhook_repository_.list("u-alice");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
}

TEST_F(WebhooksHttpTest, ADeliveryWhoseOwnerLostAccessIsDropped) {
  receiver_.answer({503}, 200);
  add(receiver_.url(), {"params"});
  report("nodeA1", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(receiver_.wait_hits(1, 10s));
  // Alice loses the node before the retry.
  ASSERT_TRUE(node_repository_.write([](storage::NodeWriter& w) -> Result<void> {
    auto r = w.remove_user("u-alice", "nodeA1", "test", 1);
    if (!r)
      return fail(r.error());
    return {};
  }));
  std::this_thread::sleep_for(800ms);
  ASSERT_TRUE(webhooks_->drain(5s));
  EXPECT_EQ(receiver_.hits().size(), 1u);
  EXPECT_NE(metrics_.render_prometheus().find(
                "stratus_webhook_deliveries_total{outcome=\"discarded\"} 1"),
            std::string::npos);
}

// A disabled owner keeps its nodes, but its webhooks deliver nothing meanwhile: a
// delivery due after the disable is dropped, not sent.
TEST_F(WebhooksHttpTest, ADeliveryWhoseOwnerWasDisabledIsDropped) {
  receiver_.answer({503}, 200);
  add(receiver_.url(), {"params"});
  report("nodeA1", R"({"Light":{"Power":true}})");
  ASSERT_TRUE(receiver_.wait_hits(1, 10s));
  ASSERT_TRUE(account_repository_.set_disabled("u-alice", true, 1));
  std::this_thread::sleep_for(800ms);
  ASSERT_TRUE(webhooks_->drain(5s));
  EXPECT_EQ(receiver_.hits().size(), 1u) << "the retry is not sent";
  EXPECT_NE(metrics_.render_prometheus().find(
                "stratus_webhook_deliveries_total{outcome=\"discarded\"} 1"),
            std::string::npos);
}

// The lease is lost while the first POST of a round of three is in flight: the other two
// stay in the outbox for the new leader, instead of reaching the receiver twice.
TEST_F(WebhooksHttpTest, ALeaderDeposedDuringARoundSendsNoMoreOfIt) {
  webhooks_.reset();  // the fixture's sole instance would deliver the outbox too
  store_webhook("wh-round");
  enqueue("wh-round", 3);
  ASSERT_EQ(due_now().size(), 3u);
  FakeLeadership leadership(true);
  CountingSender sender(&leadership);
  auto o = options();
  o.leadership = &leadership;
  service::WebhookService deposed(webhook_repository_, node_repository_, hub_, sender, clock_,
                                  metrics_, o);
  ASSERT_TRUE(deposed.start());
  ASSERT_TRUE(wait_until([&] { return sender.posts() >= 1; }, 10s));
  deposed.stop();  // joins the thread: a round begun is over
  EXPECT_EQ(sender.posts(), 1u);
  EXPECT_EQ(due_now().size(), 2u) << "the rest waits for the new leader";
}

// Another instance delivered (or dropped) the delivery before this one reports its failed
// attempt: the webhook's failures stay as they were, so it is not disabled for it.
TEST_F(WebhooksHttpTest, AFailureOfADeliveryAlreadyGoneCountsNothing) {
  webhooks_.reset();  // the fixture's sole instance would deliver the outbox too
  store_webhook("wh-gone");
  enqueue("wh-gone", 2);
  const auto due = due_now();
  ASSERT_EQ(due.size(), 2u);
  ASSERT_TRUE(webhook_repository_.delivered(due[0].delivery_id, "wh-gone", 1));
  const auto retry_at = unix_ms(clock_.now()) + 60000;
  auto disabled = webhook_repository_.failed(due[0].delivery_id, "wh-gone", "HTTP 500", retry_at,
                                             /*max_failures=*/1);
  ASSERT_TRUE(disabled) << disabled.error().message();
  EXPECT_FALSE(*disabled);
  auto w = stored("wh-gone");
  EXPECT_TRUE(w.enabled);
  EXPECT_EQ(w.failures, 0);
  EXPECT_EQ(w.last_error, "");
  ASSERT_EQ(due_now().size(), 1u) << "the other delivery is still due";
  // A delivery still waiting counts as before.
  disabled = webhook_repository_.failed(due[1].delivery_id, "wh-gone", "HTTP 500", retry_at, 5);
  ASSERT_TRUE(disabled) << disabled.error().message();
  EXPECT_FALSE(*disabled);
  w = stored("wh-gone");
  EXPECT_EQ(w.failures, 1);
  EXPECT_EQ(w.last_error, "HTTP 500");
  EXPECT_TRUE(due_now().empty()) << "it waits for its retry";
}

// A follower never empties the outbox, so a delivery stays due; it must not query the
// database every 10 ms for it (it held a pool connection ~100 times a second).
TEST_F(WebhooksHttpTest, AFollowerDoesNotPollTheOutboxWhileADeliveryIsDue) {
  webhooks_.reset();  // the fixture's sole instance would deliver the outbox too
  store_webhook("wh-due");
  enqueue("wh-due", 1);
  CountingWebhookRepository counted(webhook_repository_);
  FakeLeadership follower(false);
  CountingSender sender;
  auto o = options();
  o.leadership = &follower;
  service::WebhookService follower_webhooks(counted, node_repository_, hub_, sender, clock_,
                                            metrics_, o);
  ASSERT_TRUE(follower_webhooks.start());
  std::this_thread::sleep_for(300ms);
  follower_webhooks.stop();
  EXPECT_EQ(sender.posts(), 0u);
  EXPECT_LE(counted.calls(), 5u) << "repository calls in 300 ms";
  EXPECT_EQ(due_now().size(), 1u) << "left for the leader";
}

}  // namespace
}  // namespace stratus::test
