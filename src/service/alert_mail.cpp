#include "service/alert_mail.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <vector>

#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "proto/rest/events.hpp"
#include "proto/rest/json.hpp"

namespace stratus::service {
namespace {

constexpr std::string_view kOutcomeHelp = "Alert mails by outcome.";

std::string utc_text(std::int64_t ms) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", std::chrono::floor<std::chrono::seconds>(t));
}

std::string footer(std::string_view node_id) {
  return fmt::format(
      "\nEvery alert of the node: stratus alerts {}\n"
      "No more alert mail: stratus alert-mail off (or PUT /v1/user {{\"alert_mail\":false}})\n",
      node_id);
}

}  // namespace

AlertMailService::AlertMailService(EventHub& hub, storage::AccessRepository& access, Mailer& mailer,
                                   const Clock& clock, MetricsRegistry& metrics,
                                   AlertMailOptions options)
    : hub_(hub),
      access_(access),
      mailer_(mailer),
      clock_(clock),
      options_(options),
      sent_(metrics.counter("stratus_alert_mails_total", kOutcomeHelp, {{"outcome", "sent"}})),
      digests_(metrics.counter("stratus_alert_mails_total", kOutcomeHelp, {{"outcome", "digest"}})),
      deferred_(
          metrics.counter("stratus_alert_mails_total", kOutcomeHelp, {{"outcome", "deferred"}})),
      failed_(metrics.counter("stratus_alert_mails_total", kOutcomeHelp, {{"outcome", "failed"}})),
      dropped_(
          metrics.counter("stratus_alert_mails_total", kOutcomeHelp, {{"outcome", "dropped"}})) {}

AlertMailService::~AlertMailService() {
  stop();
}

void AlertMailService::start() {
  proto::rest::EventFilter filter;
  filter.kinds = 1u << static_cast<unsigned>(proto::rest::EventKind::alert);
  thread_ = std::thread([this] {
    core::name_this_thread("alert-mail");
    run();
  });
  // The sink runs on the hub's dispatcher: parse and queue, nothing more.
  subscription_ = hub_.subscribe_all(std::move(filter), [this](const EventPtr& event) {
    auto message = proto::rest::parse_stream_message(event->text);
    if (!message)
      return true;
    // data: {"alert_id":N,"payload":{…}}; the mail shows the payload's text.
    std::string text = message->data_json;
    if (auto data = proto::rest::parse_object_body(message->data_json)) {
      if (const auto* payload = data->if_contains("payload"))
        text = proto::rest::alert_text(boost::json::serialize(*payload));
    }
    Alert alert{event->node_id, message->timestamp_ms, std::move(text)};
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() >= options_.queue_limit) {
        dropped_.inc();
        return true;  // the hub must not end this subscription for a burst
      }
      queue_.push_back(std::move(alert));
    }
    wake_.notify_one();
    return true;
  });
}

void AlertMailService::stop() {
  subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

void AlertMailService::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_for(lock, options_.poll, [this] { return stopping_ || !queue_.empty(); });
    std::deque<Alert> batch;
    batch.swap(queue_);
    const bool last = stopping_;
    lock.unlock();
    for (const auto& alert : batch)
      mail_alert(alert);
    if (!last)
      mail_due_digests();
    lock.lock();
    if (last && queue_.empty())
      return;
  }
}

Result<std::vector<storage::NodeUser>> AlertMailService::recipients(std::string_view node_id) {
  std::vector<storage::NodeUser> users;
  auto read = access_.read([&](storage::AccessStore& s) -> Result<void> {
    auto found = s.alert_mail_recipients(node_id);
    if (!found)
      return fail(found.error());
    users = std::move(*found);
    return {};
  });
  if (!read)
    return fail(read.error());
  return users;
}

void AlertMailService::mail_alert(const Alert& alert) {
  auto read = recipients(alert.node_id);
  if (!read) {
    log::warn(log::Channel::service, "alert mail for node_id={} not sent: {}", alert.node_id,
              read.error().message());
    failed_.inc();
    return;
  }
  const auto now = clock_.steady_now();
  for (const auto& user : *read) {
    auto& pacing = pacing_[Key{user.user_id, alert.node_id}];
    pacing.to = user.user_name;
    if (pacing.last_mailed_ms != 0 && now < pacing.last_mailed + options_.min_interval) {
      ++pacing.held;
      pacing.latest = alert;
      deferred_.inc();
      continue;
    }
    auto body = fmt::format("Node {} raised an alert at {}:\n\n  {}\n{}", alert.node_id,
                            utc_text(alert.at_ms), alert.text, footer(alert.node_id));
    if (send(user.user_name, fmt::format("Stratus alert from node {}", alert.node_id),
             std::move(body))) {
      sent_.inc();
      pacing.last_mailed = now;
      pacing.last_mailed_ms = unix_ms(clock_.now());
    }
  }
}

void AlertMailService::mail_due_digests() {
  const auto now = clock_.steady_now();
  for (auto it = pacing_.begin(); it != pacing_.end();) {
    const Key& key = it->first;  // not a structured binding: lambdas below capture it
    Pacing& pacing = it->second;
    if (now < pacing.last_mailed + options_.min_interval) {
      ++it;
      continue;
    }
    if (pacing.held == 0) {
      it = pacing_.erase(it);  // nothing held, and the next alert may go at once
      continue;
    }
    // The recipient is looked up again: access or the opt-in may have gone meanwhile.
    auto read = recipients(key.second);
    if (!read) {
      ++it;  // try again at the next poll
      continue;
    }
    const bool still = std::any_of(read->begin(), read->end(), [&](const storage::NodeUser& u) {
      return u.user_id == key.first;
    });
    if (still) {
      const auto& latest = pacing.latest;
      auto body = fmt::format(
          "Node {} raised {} more alert{} since the mail of {} (one mail per node every {} s).\n"
          "The latest, at {}:\n\n  {}\n{}",
          latest.node_id, pacing.held, pacing.held == 1 ? "" : "s", utc_text(pacing.last_mailed_ms),
          options_.min_interval.count(), utc_text(latest.at_ms), latest.text,
          footer(latest.node_id));
      if (send(pacing.to,
               fmt::format("Stratus: {} more alert{} from node {}", pacing.held,
                           pacing.held == 1 ? "" : "s", latest.node_id),
               std::move(body))) {
        digests_.inc();
      }
    }
    pacing.held = 0;
    pacing.last_mailed = now;
    pacing.last_mailed_ms = unix_ms(clock_.now());
    ++it;
  }
}

bool AlertMailService::send(const std::string& to, std::string subject, std::string body) {
  auto sent = mailer_.send(MailMessage{to, std::move(subject), std::move(body)});
  if (!sent) {
    failed_.inc();
    log::warn(log::Channel::service, "alert mail to a user not sent: {}", sent.error().message());
    return false;
  }
  return true;
}

}  // namespace stratus::service
