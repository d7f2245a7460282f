#pragma once
/// @file
/// Alert mail (issue 15, docs/adr/0010-live-events.md): the alerts a node raises
/// (`node/<id>/alert`, rainmaker.md §1.3) mailed to the node's users who opted in with
/// `PUT /v1/user {"alert_mail":true}`. A consumer of the event hub: it sees every
/// committed alert, looks up the recipients when it mails (so a user who lost access
/// or opted out meanwhile gets nothing), and mails one user about one node at most once
/// per `min_interval`; what arrives in between is summed up in one digest mail when the
/// interval is over. Best effort: what waits in memory is lost with the process (the
/// alerts themselves are stored and listed by `GET /v1/user/nodes/alerts`).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "service/event_hub.hpp"
#include "service/mailer.hpp"
#include "storage/access_repository.hpp"

namespace stratus::service {

/// Pacing (config `events.alert_mail_interval_s`).
struct AlertMailOptions {
  /// One user is mailed about one node at most once per interval; alerts in between
  /// go into one digest at its end.
  std::chrono::seconds min_interval{300};
  std::size_t queue_limit = 10000;  ///< alerts waiting to be mailed; above: dropped, counted
  /// How often the mail thread looks for digests that fell due without a new alert.
  std::chrono::milliseconds poll{1000};
};

/// Thread-safe: the hub's sink only queues; one thread of its own looks up recipients
/// and calls the (blocking) mailer. Metrics: `stratus_alert_mails_total{outcome}` —
/// `sent`, `digest` (a digest sent), `deferred` (an alert held for a digest), `failed`
/// (the mailer failed), `dropped` (the queue was full).
class AlertMailService {
 public:
  /// Every reference must outlive the service.
  AlertMailService(EventHub& hub, storage::AccessRepository& access, Mailer& mailer,
                   const Clock& clock, MetricsRegistry& metrics, AlertMailOptions options);
  ~AlertMailService();
  AlertMailService(const AlertMailService&) = delete;
  AlertMailService& operator=(const AlertMailService&) = delete;

  /// Subscribes to the hub's alert events and starts the mail thread.
  void start();
  /// Unsubscribes, mails what is queued (digests not yet due are dropped) and joins the
  /// thread. Idempotent.
  void stop();

 private:
  struct Alert {
    std::string node_id;
    std::int64_t at_ms = 0;
    std::string text;  // the alert for people (`esp.alert.str`, else its JSON)
  };
  // One user and one node: when they were last mailed, and what waits for a digest.
  struct Pacing {
    std::chrono::steady_clock::time_point last_mailed;
    std::int64_t last_mailed_ms = 0;
    std::size_t held = 0;  // alerts since, not mailed yet
    Alert latest;
    std::string to;  // the user name the digest goes to
  };
  using Key = std::pair<std::string, std::string>;  // user id, node id

  void run();
  // The users with access to the node who opted in (one read transaction).
  Result<std::vector<storage::NodeUser>> recipients(std::string_view node_id);
  void mail_alert(const Alert& alert);
  void mail_due_digests();
  bool send(const std::string& to, std::string subject, std::string body);

  EventHub& hub_;
  storage::AccessRepository& access_;
  Mailer& mailer_;
  const Clock& clock_;
  AlertMailOptions options_;
  Counter& sent_;
  Counter& digests_;
  Counter& deferred_;
  Counter& failed_;
  Counter& dropped_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Alert> queue_;
  bool stopping_ = false;
  std::unique_ptr<EventHub::Subscription> subscription_;
  std::thread thread_;

  // Mail thread only.
  std::map<Key, Pacing> pacing_;
};

}  // namespace stratus::service
