#include "api/event_routes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <optional>

#include "api/account_routes.hpp"
#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/events.hpp"
#include "proto/rest/json.hpp"

namespace stratus::api {
namespace {

namespace asio = boost::asio;
namespace rest = proto::rest;
namespace close_code = rest::close_code;
using service::Principal;

struct StreamContext {
  service::AccountService& accounts;
  service::EventHub& hub;
  asio::thread_pool& pool;
  const Clock& clock;
  EventStreamOptions options;
};

// One event stream. Callbacks come on the connection's strand; authentication and
// subscribing run on the blocking pool; `mutex_` guards what both touch.
class EventStream final : public http::WebSocketApp,
                          public std::enable_shared_from_this<EventStream> {
 public:
  EventStream(const StreamContext& context, rest::EventFilter filter, std::optional<Principal> who)
      : context_(context),
        filter_(std::move(filter)),
        who_(std::move(who)),
        timer_(context.pool.get_executor()),
        session_timer_(context.pool.get_executor()) {}

  void on_open(std::shared_ptr<http::WebSocket> socket) override {
    std::lock_guard lock(mutex_);
    socket_ = std::move(socket);
    if (who_) {
      awaiting_hello_ = false;
      asio::post(context_.pool, [self = shared_from_this(), who = *who_, filter = filter_] {
        self->subscribe(who, filter);
      });
      return;
    }
    arm_timer(context_.options.hello_timeout, close_code::unauthenticated,
              "no access token: send {\"access_token\":…} first or an Authorization header");
  }

  void on_message(std::string_view text) override {
    std::unique_lock lock(mutex_);
    if (!awaiting_hello_)
      return;  // the stream takes no further requests; reconnect to change the filter
    awaiting_hello_ = false;
    timer_.cancel();
    auto hello = rest::parse_stream_hello(text);
    if (!hello) {
      lock.unlock();
      close(close_code::bad_request, hello.error().context);
      return;
    }
    auto filter = hello->filter;
    if (filter.node_ids.empty())
      filter.node_ids = filter_.node_ids;
    if (filter.kinds == rest::kAllEventKinds)
      filter.kinds = filter_.kinds;
    if (!filter.last_event_id)
      filter.last_event_id = filter_.last_event_id;
    asio::post(context_.pool, [self = shared_from_this(), token = std::move(hello->access_token),
                               filter = std::move(filter)] {
      auto who = self->context_.accounts.authenticate(token);
      if (!who) {
        self->close(close_code::unauthenticated, who.error().context);
        return;
      }
      self->subscribe(*who, filter);
    });
  }

  void on_close() override {
    std::unique_ptr<service::EventHub::Subscription> gone;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      timer_.cancel();
      session_timer_.cancel();
      gone = std::move(subscription_);
      socket_.reset();
    }
  }

 private:
  // On the pool: reads the caller's nodes and starts the flow of events.
  void subscribe(const Principal& who, const rest::EventFilter& filter) {
    std::shared_ptr<http::WebSocket> socket;
    {
      std::lock_guard lock(mutex_);
      if (closed_)
        return;
      socket = socket_;
    }
    auto sink = [socket](const service::EventPtr& e) { return socket->send(e->text); };
    auto subscription = context_.hub.subscribe(
        who.user_id, filter, std::move(sink),
        service::SubscribeOptions{.sink_capacity = context_.options.send_queue});
    if (!subscription) {
      close(1011, "the stream could not start; try again");
      return;
    }
    std::lock_guard lock(mutex_);
    if (closed_)
      return;  // the subscription ends as it goes out of scope
    subscription_ = std::move(*subscription);
    const auto left =
        std::chrono::milliseconds(who.expires_at * 1000 - unix_ms(context_.clock.now()));
    arm_timer(std::max(left, std::chrono::milliseconds(0)), close_code::token_expired,
              "the access token expired: reconnect with a fresh one");
    arm_session_check(who);
  }

  // Checks `who`'s session every `session_check` (on the pool) and closes the stream
  // with 4001 once it has ended. A failed read keeps the stream: the next check decides.
  // Caller holds `mutex_`.
  void arm_session_check(const Principal& who) {
    session_timer_.expires_after(context_.options.session_check);
    session_timer_.async_wait([weak = weak_from_this(), who](const boost::system::error_code& ec) {
      if (ec)
        return;
      auto self = weak.lock();
      if (!self)
        return;
      const auto active = self->context_.accounts.session_active(who);
      if (active && !*active) {
        self->close(close_code::unauthenticated, "the session ended: log in again");
        return;
      }
      std::lock_guard lock(self->mutex_);
      if (!self->closed_)
        self->arm_session_check(who);
    });
  }

  // Closes the stream with `code` when the timer fires. Caller holds `mutex_`.
  void arm_timer(std::chrono::milliseconds after, std::uint16_t code, std::string reason) {
    timer_.expires_after(after);
    timer_.async_wait([weak = weak_from_this(), code,
                       reason = std::move(reason)](const boost::system::error_code& ec) {
      if (ec)
        return;
      if (auto self = weak.lock())
        self->close(code, reason);
    });
  }

  void close(std::uint16_t code, std::string reason) {
    std::shared_ptr<http::WebSocket> socket;
    {
      std::lock_guard lock(mutex_);
      socket = socket_;
    }
    if (!socket)
      return;
    // A stream whose session or token ended gets nothing more, not even what is queued.
    if (code == close_code::unauthenticated || code == close_code::token_expired)
      socket->abort(code, std::move(reason));
    else
      socket->close(code, std::move(reason));
  }

  const StreamContext& context_;
  const rest::EventFilter filter_;  // from the query string
  const std::optional<Principal> who_;

  std::mutex mutex_;
  std::shared_ptr<http::WebSocket> socket_;
  std::unique_ptr<service::EventHub::Subscription> subscription_;
  asio::steady_timer timer_;
  asio::steady_timer session_timer_;
  bool awaiting_hello_ = true;
  bool closed_ = false;
};

http::Response list_alerts(service::NodeService& nodes, const http::Request& r,
                           const Principal& who) {
  auto query = rest::parse_alert_query(r.query);
  if (!query)
    return error_response(query.error());
  storage::AlertQuery q;
  q.node_id = query->node_id;
  if (query->start_time)
    q.start_ms = *query->start_time * 1000;
  if (query->end_time)
    q.end_ms = *query->end_time * 1000;
  if (query->start_id)
    q.before_id = *query->start_id + 1;
  q.limit = query->num_records + 1;  // one more says whether there is a next page
  auto alerts = nodes.alerts(who, q);
  if (!alerts)
    return error_response(alerts.error());
  rest::AlertPage page;
  for (auto& a : *alerts) {
    if (page.alerts.size() == query->num_records) {
      page.next_id = a.id;
      break;
    }
    page.alerts.push_back(
        rest::Alert{a.id, std::move(a.node_id), a.received_ms, std::move(a.payload)});
  }
  http::Response response = http::json_response(200, rest::alert_page_json(page));
  return response;
}

}  // namespace

void add_event_routes(http::Router& router, service::AccountService& accounts,
                      service::NodeService& nodes, service::EventHub& hub, asio::thread_pool& pool,
                      const Clock& clock, EventStreamOptions options) {
  // Owned by the route (the router outlives every connection that uses it).
  auto context =
      std::make_shared<StreamContext>(StreamContext{accounts, hub, pool, clock, options});
  router.add_websocket(
      "/v1/user/events", [context](http::Request& request) -> asio::awaitable<http::Upgrade> {
        auto filter = rest::parse_event_filter(request.query);
        if (!filter)
          co_return http::Upgrade{error_response(filter.error())};
        if (!bearer_token(request)) {
          co_return http::Upgrade{
              std::make_shared<EventStream>(*context, std::move(*filter), std::nullopt)};
        }
        const http::Request* req = &request;
        service::AccountService* a = &context->accounts;
        auto work = asio::co_spawn(
            context->pool,
            [a, req]() -> asio::awaitable<Result<Principal>> { co_return authenticate(*a, *req); },
            asio::use_awaitable);
        Result<Principal> who = co_await std::move(work);
        if (!who)
          co_return http::Upgrade{error_response(who.error())};
        co_return http::Upgrade{
            std::make_shared<EventStream>(*context, std::move(*filter), std::move(*who))};
      });
  router.add("GET", "/v1/user/nodes/alerts",
             detail::on_pool(pool, detail::authed(accounts, [&nodes](const http::Request& r,
                                                                     const Principal& who) {
                               return list_alerts(nodes, r, who);
                             })));
}

void add_webhook_routes(http::Router& router, service::AccountService& accounts,
                        service::WebhookService& webhooks, asio::thread_pool& pool) {
  const auto add = [&](std::string_view method, detail::AuthedHandler h) {
    router.add(method, "/v1/user/webhooks",
               detail::on_pool(pool, detail::authed(accounts, std::move(h))));
  };
  add("POST", [&webhooks](const http::Request& r, const Principal& who) {
    auto body = rest::parse_object_body(r.body);
    if (!body)
      return error_response(body.error());
    auto request = rest::parse_webhook_request(*body);
    if (!request)
      return error_response(request.error());
    auto added = webhooks.add(who, *request);
    if (!added)
      return error_response(added.error());
    auto answer = rest::success_body("webhook added");
    answer["webhook_id"] = added->webhook_id;
    return json_answer(200, answer);
  });
  add("GET", [&webhooks](const http::Request&, const Principal& who) {
    auto list = webhooks.list(who);
    if (!list)
      return error_response(list.error());
    std::vector<rest::WebhookInfo> infos;
    for (const auto& w : *list) {
      infos.push_back(rest::WebhookInfo{w.webhook_id, w.url, rest::event_kind_names(w.kinds),
                                        w.node_ids, w.enabled, w.failures, w.disabled_reason,
                                        w.last_error, w.created_ms, w.last_success_ms});
    }
    return http::json_response(200, rest::webhook_list_json(infos));
  });
  add("DELETE", [&webhooks](const http::Request& r, const Principal& who) {
    auto removed = webhooks.remove(who, r.query_param("webhook_id").value_or(""));
    if (!removed)
      return error_response(removed.error());
    return success_response(200, "webhook removed");
  });
}

}  // namespace stratus::api
