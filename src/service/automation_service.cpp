#include "service/automation_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "core/random.hpp"
#include "core/thread_name.hpp"
#include "log/log.hpp"
#include "model/node_config.hpp"
#include "model/params.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/events.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"
#include "service/daylight.hpp"

namespace stratus::service {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;
namespace code = proto::rest::automation_error;
using log::Channel;

// How often an edit is merged again into an automation another edit changed meanwhile
// before the client is told to retry (conflict).
constexpr int kUpdateAttempts = 3;
// A daylight automation that could not be read when due (storage unavailable, e.g. a
// PostgreSQL restart) is tried again this much later, for as long as storage fails, and
// is still fired if storage is back within kDaylightGrace of its sunrise or sunset; later
// than that it waits for its next one (lights meant for dusk are not wanted at midnight).
// Only such a delayed firing is judged late: otherwise the runner looks every `poll`.
constexpr std::chrono::seconds kDaylightRetry{15};
constexpr std::chrono::minutes kDaylightGrace{30};
// An edge judged while no instance acted on it (a failover: the old leader gone, the new
// one not yet holding the lease) is fired by the instance that takes the lease this soon
// after; later it is stale (lights meant for a door opening are not wanted a minute on).
constexpr std::chrono::seconds kEdgeGrace{15};
// How long after a `resync` a node's events no newer than the state it read are skipped:
// past the relay's reach (ADR 0021's minute of clock skew), so an older relayed report
// that arrives after a newer local one is still recognised.
constexpr std::chrono::seconds kReadThroughKept{60};
constexpr std::size_t kMaxNameBytes = 256;
constexpr std::size_t kMaxEvents = 5;
constexpr std::size_t kMaxActions = 10;
constexpr std::string_view kFiringsHelp = "Automation firings by outcome.";
constexpr std::string_view kActionsHelp = "Automation actions by status.";
constexpr std::string_view kWeatherParams[] = {"temperature", "pressure", "humidity", "wind_speed"};

Error bad(int reason, std::string text, errc kind = errc::invalid_argument) {
  return Error{kind, std::move(text), reason};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

json::object object_of(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object())
    return {};
  return std::move(v.as_object());
}

json::array array_of(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array())
    return {};
  return std::move(v.as_array());
}

// The record's events as (params text, check) pairs.
std::vector<std::pair<std::string, std::string>> event_pairs(const storage::AutomationRecord& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : array_of(r.events_json)) {
    if (const auto* o = e.if_object()) {
      const auto* params = o->if_contains("params");
      out.emplace_back(params != nullptr ? json::serialize(*params) : std::string("{}"),
                       rest::string_or(*o, "check", "=="));
    }
  }
  return out;
}

rest::Automation to_automation(const storage::AutomationRecord& r) {
  rest::Automation a;
  a.automation_id = r.automation_id;
  a.name = r.name;
  a.enabled = r.enabled;
  a.event_type = r.event_type;
  a.node_id = r.node_id;
  if (r.event_type != "node_params")
    a.location = rest::AutomationLocation{r.latitude, r.longitude};
  for (auto& [params, check] : event_pairs(r))
    a.events.push_back({std::move(params), std::move(check)});
  a.event_operator = r.event_operator;
  for (const auto& item : array_of(r.actions_json)) {
    if (const auto* o = item.if_object())
      a.actions.push_back({rest::string_or(*o, "node_id"), rest::document_or_empty(*o, "params")});
  }
  a.retrigger = r.retrigger;
  a.metadata_json = r.metadata_json;
  if (r.event_type == "weather")
    a.status = "unsupported";
  if (r.last_fired_ms)
    a.last_triggered = rest::AutomationFiring{*r.last_fired_ms, r.last_cause, r.last_results_json};
  return a;
}

// Applies the members of `f` to `r` (create and update).
void apply(const rest::AutomationFields& f, storage::AutomationRecord& r) {
  if (f.name)
    r.name = *f.name;
  if (f.node_id)
    r.node_id = *f.node_id;
  if (f.location) {
    r.latitude = f.location->latitude;
    r.longitude = f.location->longitude;
  }
  const auto wire = rest::to_json(f);
  if (f.events)
    r.events_json = json::serialize(wire.at("events"));
  if (f.actions)
    r.actions_json = json::serialize(wire.at("actions"));
  if (f.event_operator)
    r.event_operator = lower(*f.event_operator);
  if (f.retrigger)
    r.retrigger = *f.retrigger;
  if (f.enabled)
    r.enabled = *f.enabled;
  if (f.metadata_json)
    r.metadata_json = *f.metadata_json;
}

std::optional<SunEvent> sun_event(std::string_view params_text) {
  const auto params = object_of(params_text);
  if (params.size() != 1)
    return std::nullopt;
  const auto& [key, value] = *params.begin();
  if (!value.is_bool() || !value.get_bool())
    return std::nullopt;
  if (key == "sunrise")
    return SunEvent::sunrise;
  if (key == "sunset")
    return SunEvent::sunset;
  return std::nullopt;
}

}  // namespace

AutomationService::AutomationService(storage::AutomationRepository& automations,
                                     storage::NodeRepository& nodes,
                                     storage::AccessRepository& access, NodeService& node_service,
                                     EventHub& hub, const Clock& clock, MetricsRegistry& metrics,
                                     AutomationOptions options)
    : automations_(automations),
      nodes_(nodes),
      access_(access),
      node_service_(node_service),
      hub_(hub),
      clock_(clock),
      options_(options),
      fired_(metrics.counter("stratus_automation_firings_total", kFiringsHelp,
                             {{"outcome", "fired"}})),
      limited_(metrics.counter("stratus_automation_firings_total", kFiringsHelp,
                               {{"outcome", "limited"}})),
      no_access_(metrics.counter("stratus_automation_firings_total", kFiringsHelp,
                                 {{"outcome", "no_access"}})),
      action_success_(metrics.counter("stratus_automation_actions_total", kActionsHelp,
                                      {{"status", "success"}})),
      action_queued_(metrics.counter("stratus_automation_actions_total", kActionsHelp,
                                     {{"status", "queued"}})),
      action_failure_(metrics.counter("stratus_automation_actions_total", kActionsHelp,
                                      {{"status", "failure"}})),
      dropped_(metrics.counter("stratus_automation_events_dropped_total",
                               "Params events the automation runner had no room for.")),
      resyncs_(metrics.counter("stratus_automation_resyncs_total",
                               "Times the automation runner read its trigger nodes' state again "
                               "because events were lost before it.")),
      engine_(options.max_firings_per_minute) {}

AutomationService::~AutomationService() {
  stop();
}

Result<void> AutomationService::start() {
  auto all = automations_.all();
  if (!all)
    return fail(all.error());
  for (const auto& r : *all)
    load(r);
  thread_ = std::thread([this] {
    core::name_this_thread("automations");
    run();
  });
  rest::EventFilter filter;
  filter.kinds = 1u << static_cast<unsigned>(rest::EventKind::params);
  // On the hub's dispatcher: a set lookup, then queue and return; parsing waits for the
  // runner.
  // In a cluster every instance's reports, relayed ones too (see `leadership`).
  const bool with_relayed = options_.leadership != nullptr;
  subscription_ = hub_.subscribe_all(
      std::move(filter),
      [this](const EventPtr& event) {
        {
          std::lock_guard lock(mutex_);
          if (event->id == 0) {
            queue_resync_locked();  // the hub lost events
          } else if (!watched_nodes_.contains(event->node_id)) {
            return true;
          } else if (queue_.size() >= options_.queue_limit) {
            dropped_.inc();
            queue_resync_locked();
          } else {
            queue_.push_back(Work{event, {}, std::nullopt});
            ++enqueued_;
          }
        }
        wake_.notify_one();
        return true;
      },
      ConsumerOptions{with_relayed, true});
  return {};
}

void AutomationService::stop() {
  subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (wants_relayed_) {
      wants_relayed_ = false;
      hub_.want_relayed(false);
    }
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

bool AutomationService::flush(std::chrono::milliseconds timeout) {
  if (!hub_.flush(timeout))
    return false;
  std::unique_lock lock(mutex_);
  const auto target = enqueued_;
  return drained_.wait_for(lock, timeout, [&] { return handled_ >= target || stopping_; });
}

void AutomationService::queue_resync_locked() {
  if (resync_queued_)
    return;
  Work work{nullptr, {}, std::nullopt};
  work.resync = true;
  queue_.push_back(std::move(work));
  ++enqueued_;
  resync_queued_ = true;
}

void AutomationService::enqueue(Work work) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
    ++enqueued_;
  }
  wake_.notify_one();
}

void AutomationService::accepted(const storage::AutomationRecord& record) {
  Work work{nullptr, record.automation_id, std::nullopt};
  const bool params_trigger = record.event_type == "node_params";
  if (params_trigger) {
    if (auto node = nodes_.get_node(record.node_id); node)
      work.node_params = node->params.value_or("{}");
  }
  {
    std::lock_guard lock(mutex_);
    if (params_trigger) {
      watched_nodes_.insert(record.node_id);  // the runner's load settles it
      want_relayed_locked();
    }
    queue_.push_back(std::move(work));
    ++enqueued_;
  }
  wake_.notify_one();
}

void AutomationService::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_)
      break;
    std::deque<Work> batch;
    batch.swap(queue_);
    resync_queued_ = false;  // a waiting one is in this batch
    lock.unlock();
    for (const auto& w : batch) {
      if (w.resync) {
        resync();
      } else if (!w.reload_id.empty()) {
        auto r = automations_.get(w.reload_id);
        if (!r) {
          log::warn(Channel::service, "automation {} not reloaded: {}", w.reload_id,
                    r.error().message());
        } else if (!*r) {
          unload(w.reload_id);  // removed
          edge_counts_.erase(w.reload_id);
        } else {
          load(**r, w.node_params);
        }
      } else if (w.event && engine_.watches(w.event->node_id)) {
        handle_report(w);
      }
    }
    run_deferred();
    run_due_daylight();
    lock.lock();
    handled_ += batch.size();
    drained_.notify_all();
  }
}

void AutomationService::update_watched(const std::string& node_id) {
  if (node_id.empty())
    return;
  const bool watched = engine_.watches(node_id);
  std::lock_guard lock(mutex_);
  if (watched)
    watched_nodes_.insert(node_id);
  else
    watched_nodes_.erase(node_id);
  want_relayed_locked();
}

// Lock order: this service's mutex_, then the hub's publishing lock (the hub never calls
// a sink with that lock held).
void AutomationService::want_relayed_locked() {
  if (options_.leadership == nullptr || stopping_)
    return;
  const bool wanted = !watched_nodes_.empty();
  if (wanted != wants_relayed_) {
    wants_relayed_ = wanted;
    hub_.want_relayed(wanted);
  }
}

void AutomationService::unload(const std::string& automation_id) {
  std::string node_id = engine_.trigger_node(automation_id);
  engine_.remove(automation_id);
  loaded_updated_ms_.erase(automation_id);
  daylight_.erase(automation_id);
  update_watched(node_id);
}

void AutomationService::load(const storage::AutomationRecord& r,
                             const std::optional<std::string>& node_params) {
  unload(r.automation_id);
  if (r.event_type == "node_params") {
    auto conditions = parse_conditions(event_pairs(r));
    if (!conditions) {
      log::warn(Channel::service, "automation {} not loaded: {}", r.automation_id,
                conditions.error().message());
      return;
    }
    json::object params;
    if (node_params) {
      params = object_of(*node_params);
    } else if (auto node = nodes_.get_node(r.node_id); node && node->params) {
      params = object_of(*node->params);
    }
    engine_.put(ParamsTrigger{r.automation_id, r.node_id, std::move(*conditions),
                              r.event_operator == "or", r.retrigger, r.enabled},
                params);
    loaded_updated_ms_.insert_or_assign(r.automation_id, r.updated_ms);
    update_watched(r.node_id);
    return;
  }
  if (r.event_type != "daylight" || !r.enabled)
    return;
  auto where = parse_location(r.latitude, r.longitude);
  if (!where)
    return;
  const auto now = clock_.now();
  std::optional<Daylight> next;
  for (const auto& [params, check] : event_pairs(r)) {
    const auto which = sun_event(params);
    if (!which)
      continue;
    const auto at = next_sun_event(*which, *where, now);
    if (at && (!next || *at < next->at)) {
      next = Daylight{r.automation_id,
                      r.user_id,
                      *at,
                      *at,
                      *which == SunEvent::sunrise ? "sunrise" : "sunset",
                      false};
    }
  }
  if (next)
    daylight_.insert_or_assign(r.automation_id, std::move(*next));
}

void AutomationService::handle_report(const Work& work) {
  auto message = rest::parse_stream_message(work.event->text);
  if (!message)
    return;
  const auto data = object_of(message->data_json);
  const auto* payload = data.if_contains("payload");
  if (payload == nullptr || !payload->is_object())
    return;
  if (auto read = read_through_.find(work.event->node_id); read != read_through_.end()) {
    if (clock_.steady_now() - read->second.read_at > kReadThroughKept) {
      read_through_.erase(read);
    } else if (message->timestamp_ms <= read->second.params_ms) {
      return;  // in the state `resync` read
    }
  }
  judge(work.event->node_id, payload->as_object(), message->timestamp_ms, false);
}

void AutomationService::resync() {
  std::vector<std::string> nodes;
  {
    std::lock_guard lock(mutex_);
    nodes.assign(watched_nodes_.begin(), watched_nodes_.end());
  }
  std::erase_if(nodes, [&](const std::string& n) { return !engine_.watches(n); });
  read_through_.clear();
  if (nodes.empty())
    return;  // nothing to judge (and nothing to say)
  resyncs_.inc();
  log::warn(Channel::service,
            "automations: events were lost; reading the state of {} trigger nodes again",
            nodes.size());
  for (const auto& node_id : nodes) {
    auto node = nodes_.get_node(node_id);
    if (!node) {
      // The state stays as the events left it; the next report corrects what it names.
      log::warn(Channel::service, "automations: node_id={} not read again: {}", node_id,
                node.error().message());
      continue;
    }
    read_through_.insert_or_assign(node_id, ReadThrough{node->params_ms, clock_.steady_now()});
    if (node->params)
      judge(node_id, object_of(*node->params), node->params_ms, true);
  }
}

void AutomationService::judge(const std::string& node_id, const json::object& payload,
                              std::int64_t report_ms, bool state) {
  // Every instance takes the report into its state; the leader alone acts on it.
  const bool acting = options_.leadership == nullptr || options_.leadership->is_leader();
  const auto now = clock_.steady_now();
  for (const auto& f : state ? engine_.on_state(node_id, payload, now, acting)
                             : engine_.on_report(node_id, payload, now, acting)) {
    const auto ordinal = edge_ordinal(f.automation_id, report_ms);
    if (f.deferred) {
      deferred_.insert_or_assign(f.automation_id,
                                 Deferred{f.cause, report_ms, ordinal, clock_.steady_now()});
      continue;
    }
    if (f.limited) {
      limited_.inc();
      log::warn(Channel::service, "automation {} not run: over {} firings a minute",
                f.automation_id, options_.max_firings_per_minute);
      continue;
    }
    auto r = automations_.get(f.automation_id);
    if (!r || !*r)
      continue;
    // The engine judged the report by the definition it loaded. One disabled or changed
    // since (by another instance whose change notice was lost: they travel over the
    // broker) is reloaded instead of run on stale conditions; the report is then the
    // state the reloaded automation starts from, as after any notice.
    const auto loaded = loaded_updated_ms_.find(f.automation_id);
    if (!(*r)->enabled || loaded == loaded_updated_ms_.end() ||
        loaded->second != (*r)->updated_ms) {
      log::info(Channel::service, "automation {} not run: changed since it was loaded; reloaded",
                f.automation_id);
      load(**r);
      continue;
    }
    if (options_.leadership == nullptr) {
      (void)fire(**r, f.cause);  // no claim: no error
    } else if (auto fired = fire(**r, f.cause, Claim{Claim::Kind::edge, report_ms, ordinal});
               !fired) {
      log::warn(Channel::service, "automation {} not run ({}): {}", f.automation_id, f.cause,
                fired.error().message());
    }
  }
}

std::int64_t AutomationService::edge_ordinal(const std::string& automation_id,
                                             std::int64_t report_ms) {
  auto [it, added] = edge_counts_.try_emplace(automation_id, report_ms, 0);
  if (!added) {
    if (it->second.first == report_ms) {
      ++it->second.second;
    } else {
      it->second = {report_ms, 0};
    }
  }
  return it->second.second;
}

void AutomationService::run_deferred() {
  if (options_.leadership == nullptr)
    return;
  const bool leader = options_.leadership->is_leader();
  const bool took_lease = leader && !was_leader_;
  was_leader_ = leader;
  const auto now = clock_.steady_now();
  if (took_lease) {
    for (const auto& [id, d] : deferred_) {
      if (now - d.judged > kEdgeGrace)
        continue;
      auto r = automations_.get(id);
      if (!r || !*r || !(*r)->enabled)
        continue;
      const auto loaded = loaded_updated_ms_.find(id);
      if (loaded == loaded_updated_ms_.end() || loaded->second != (*r)->updated_ms)
        continue;  // changed since it was judged
      // The old leader fired it (its firing is stored after the report): not again.
      if ((*r)->last_fired_ms.value_or(0) >= d.report_ms)
        continue;
      if (!engine_.admit(id, now)) {
        limited_.inc();
        continue;
      }
      log::info(Channel::service, "automation {}: firing an edge judged before this instance led",
                id);
      // Claimed as the old leader claimed what it fired: once, whoever gets there first.
      if (auto fired = fire(**r, d.cause, Claim{Claim::Kind::edge, d.report_ms, d.ordinal});
          !fired) {
        log::warn(Channel::service, "automation {} not run ({}): {}", id, d.cause,
                  fired.error().message());
      }
    }
    deferred_.clear();
    return;
  }
  std::erase_if(deferred_, [&](const auto& e) { return now - e.second.judged > kEdgeGrace; });
}

void AutomationService::run_due_daylight() {
  const auto now = clock_.now();
  std::vector<Daylight> due;
  for (const auto& [id, d] : daylight_) {
    if (d.next <= now)
      due.push_back(d);
  }
  // A storage error is not a removal: keep the schedule and look again shortly.
  const auto retry = [&](const Daylight& d, const Error& why) {
    auto it = daylight_.find(d.automation_id);
    if (it == daylight_.end())
      return;
    if (!it->second.retrying) {
      log::warn(Channel::service, "automation {} ({} at_ms={}) not run yet, retrying: {}",
                d.automation_id, d.cause, unix_ms(d.at), why.message());
    }
    it->second.retrying = true;
    it->second.next = now + kDaylightRetry;
  };
  for (const auto& d : due) {
    auto r = automations_.get(d.automation_id);
    if (!r) {
      retry(d, r.error());
      continue;
    }
    if (!*r) {
      daylight_.erase(d.automation_id);  // removed
      continue;
    }
    if (!(*r)->enabled) {
      daylight_.erase(d.automation_id);  // disabled since it was scheduled
      continue;
    }
    if (options_.leadership != nullptr && !options_.leadership->is_leader()) {
      // Another instance fires it; this one only keeps its schedule current.
    } else if (d.retrying && now - d.at > kDaylightGrace) {
      log::warn(Channel::service,
                "automation {} not run: storage failed from its {} until {} min later; waiting "
                "for the next one",
                d.automation_id, d.cause,
                std::chrono::duration_cast<std::chrono::minutes>(now - d.at).count());
    } else if (!engine_.admit(d.automation_id, clock_.steady_now())) {
      limited_.inc();
    } else if (auto fired = fire(**r, d.cause, Claim{Claim::Kind::scheduled, unix_ms(d.at)});
               !fired) {
      retry(d, fired.error());
      continue;
    }
    load(**r);  // the next sunrise or sunset
  }
}

Result<void> AutomationService::fire(const storage::AutomationRecord& r, const std::string& cause,
                                     std::optional<Claim> claim) {
  const Principal owner{r.user_id, {}, false, 0};
  // The owner must not be disabled and must still have access to the trigger node, if
  // any (authorization at use); the action nodes are checked by set_params itself.
  const auto allowed = may_control(
      r.user_id, r.node_id.empty() ? std::nullopt : std::optional<std::string_view>(r.node_id));
  if (!allowed && claim)
    return fail(allowed.error());  // not "no access": the caller says why it did not run
  if (!allowed || !*allowed) {
    no_access_.inc();
    log::info(Channel::service,
              "automation {} not run: its owner is disabled or lost access to node_id={}",
              r.automation_id, r.node_id);
    return {};
  }
  if (claim) {
    // After the access check, so that only a firing that acts is claimed (the claim
    // stores its time). Two instances that both believe they lead (for up to a lease
    // after a leadership change, docs/adr/0021) fire it once between them.
    const auto now_ms = unix_ms(clock_.now());
    auto claimed =
        claim->kind == Claim::Kind::edge
            ? automations_.claim_edge(r.automation_id, claim->ms, claim->ordinal, now_ms)
            : automations_.claim_firing(r.automation_id, claim->ms, std::max(now_ms, claim->ms));
    if (!claimed)
      return fail(claimed.error());
    if (!*claimed) {
      log::debug(Channel::service, "automation {} ({}) fired by another instance", r.automation_id,
                 cause);
      return {};
    }
  }
  std::vector<std::pair<std::string, json::object>> sets;
  for (const auto& item : array_of(r.actions_json)) {
    if (const auto* o = item.if_object()) {
      const auto* params = o->if_contains("params");
      sets.emplace_back(rest::string_or(*o, "node_id"), params != nullptr && params->is_object()
                                                            ? params->as_object()
                                                            : json::object());
    }
  }
  const auto outcomes = node_service_.set_params(owner, sets);
  json::array results;
  for (const auto& o : outcomes) {
    json::object entry{{"node_id", o.node_id}};
    if (o.error) {
      entry["status"] = "failure";
      entry["description"] = o.error->context;
      action_failure_.inc();
    } else {
      entry["status"] = o.queued ? "queued" : "success";
      if (!o.description.empty())
        entry["description"] = o.description;
      (o.queued ? action_queued_ : action_success_).inc();
    }
    results.push_back(std::move(entry));
  }
  fired_.inc();
  const auto at = unix_ms(clock_.now());
  const auto results_text = json::serialize(results);
  if (auto stored = automations_.record_firing(r.automation_id, at, cause, results_text); !stored) {
    log::warn(Channel::service, "automation {} firing not stored: {}", r.automation_id,
              stored.error().message());
  }
  log::info(Channel::service, "automation {} fired ({}): {} actions", r.automation_id, cause,
            outcomes.size());
  json::object data{{"automation_id", r.automation_id},
                    {"name", r.name},
                    {"cause", cause},
                    {"results", std::move(results)}};
  hub_.publish(
      {EventDraft{rest::EventKind::automation, r.node_id, {r.user_id}, at, json::serialize(data)}});
  return {};
}

Result<bool> AutomationService::may_control(std::string_view user_id,
                                            std::optional<std::string_view> node_id) {
  bool ok = false;
  auto read = access_.read([&](storage::AccessStore& s) -> Result<void> {
    // A disabled user keeps its nodes, but its automations do not run meanwhile.
    auto active = s.user_active(user_id);
    if (!active)
      return fail(active.error());
    if (!*active)
      return {};
    if (!node_id) {
      ok = true;
      return {};
    }
    auto rel = s.relation(user_id, *node_id);
    if (!rel)
      return fail(rel.error());
    ok = rel->has_value();
    return {};
  });
  if (!read)
    return fail(read.error());
  return ok;
}

Result<void> AutomationService::validate(const Principal& who, storage::AutomationRecord& r) {
  if (r.name.empty())
    return fail(bad(code::name_missing, "name is missing"));
  if (r.name.size() > kMaxNameBytes)
    return fail(bad(code::name_length, "name must be at most 256 bytes"));
  if (r.metadata_json.size() > rest::limits::kMaxMetadataBytes) {
    return fail(Error{errc::invalid_argument, "metadata is limited to 16 KiB (serialized)",
                      rest::request_error::invalid_request_body});
  }
  if (r.event_type != "node_params" && r.event_type != "daylight" && r.event_type != "weather") {
    return fail(
        bad(code::event_type_invalid,
            "event_type must be node_params, daylight or weather, not \"" + r.event_type + "\""));
  }
  if (r.event_operator != "and" && r.event_operator != "or")
    return fail(bad(code::operator_unsupported, "event_operator must be and or or"));
  const auto events = event_pairs(r);
  if (events.empty())
    return fail(bad(code::event_missing, "events must name at least one event"));
  if (events.size() > kMaxEvents)
    return fail(bad(code::too_many_events, "at most 5 events"));
  for (const auto& [params, check] : events) {
    if (!parse_check(check)) {
      return fail(
          bad(code::check_invalid, "check \"" + check + "\" is not one of == != < <= > >="));
    }
  }
  const auto actions = array_of(r.actions_json);
  if (actions.empty())
    return fail(bad(code::action_missing, "actions must name at least one action"));
  if (actions.size() > kMaxActions)
    return fail(bad(code::too_many_actions, "at most 10 actions"));

  const auto config_of = [&](const std::string& node_id) -> Result<model::NodeConfig> {
    auto node = nodes_.get_node(node_id);
    if (!node || !node->config)
      return fail(errc::invalid_argument, "node " + node_id + " has not reported its config");
    return model::parse_node_config(*node->config);
  };

  if (r.event_type == "node_params") {
    if (r.node_id.empty())
      return fail(bad(code::node_id_on_location, "node_id is missing (node_params)"));
    r.latitude.clear();
    r.longitude.clear();
    auto allowed = may_control(who.user_id, r.node_id);
    if (!allowed)
      return fail(allowed.error());
    if (!*allowed) {
      return fail(
          bad(code::node_forbidden, "node " + r.node_id + " is not one of yours", errc::forbidden));
    }
    auto conditions = parse_conditions(events);
    if (!conditions)
      return fail(bad(code::event_params_invalid, conditions.error().context));
    auto config = config_of(r.node_id);
    if (!config)
      return fail(bad(code::event_params_invalid, config.error().context));
    for (const auto& c : *conditions) {
      const auto* spec = config->find_param(c.device, c.param);
      const auto name = c.device + "." + c.param;
      if (spec == nullptr)
        return fail(bad(code::event_params_invalid, name + ": no such param on the node"));
      if (auto ok = model::validate_value(*spec, c.value); !ok)
        return fail(bad(code::event_params_invalid, name + ": " + ok.error().context));
    }
  } else {
    if (!r.node_id.empty()) {
      return fail(bad(code::node_id_on_location,
                      "node_id is not allowed for a " + r.event_type + " automation"));
    }
    if (r.latitude.empty() && r.longitude.empty())
      return fail(bad(code::location_missing, "location is missing"));
    if (auto where = parse_location(r.latitude, r.longitude); !where)
      return fail(bad(code::location_invalid, where.error().context));
    std::size_t conditions = 0;
    for (const auto& [params, check] : events) {
      if (r.event_type == "daylight") {
        if (!sun_event(params) || parse_check(check) != Check::eq) {
          return fail(
              bad(code::event_params_invalid,
                  R"(a daylight event is {"params":{"sunrise"|"sunset":true},"check":"=="})"));
        }
        continue;
      }
      const auto p = object_of(params);
      if (p.size() != 1)
        return fail(bad(code::event_params_invalid, "a weather event names one parameter"));
      const auto& [key, value] = *p.begin();
      if (key == "weather_condition") {
        if (!value.is_string() || parse_check(check) != Check::eq) {
          return fail(
              bad(code::event_params_invalid, "weather_condition takes a string and the check =="));
        }
        if (++conditions > 1)
          return fail(bad(code::one_weather_condition, "at most one weather_condition event"));
      } else if (std::find(std::begin(kWeatherParams), std::end(kWeatherParams), key) ==
                     std::end(kWeatherParams) ||
                 !value.is_number()) {
        return fail(bad(code::event_params_invalid,
                        "a weather event is temperature, pressure, humidity or wind_speed with a "
                        "number, or weather_condition"));
      }
    }
  }
  for (const auto& item : actions) {
    const auto* o = item.if_object();
    const auto node_id = o != nullptr ? rest::string_or(*o, "node_id") : std::string();
    auto allowed = may_control(who.user_id, node_id);
    if (!allowed)
      return fail(allowed.error());
    if (!*allowed) {
      return fail(
          bad(code::node_forbidden, "node " + node_id + " is not one of yours", errc::forbidden));
    }
    auto config = config_of(node_id);
    if (!config)
      return fail(bad(code::action_params_invalid, config.error().context));
    const auto* params = o->if_contains("params");
    if (params == nullptr || !params->is_object())
      return fail(bad(code::action_params_invalid, "an action needs params"));
    if (auto ok = model::validate_set(*config, params->as_object()); !ok)
      return fail(bad(code::action_params_invalid, node_id + ": " + ok.error().context));
  }
  return {};
}

Result<std::string> AutomationService::create(const Principal& who,
                                              const rest::AutomationFields& fields) {
  storage::AutomationRecord r;
  r.automation_id = uuid_v4();
  r.user_id = who.user_id;
  r.event_type = fields.event_type.value_or("node_params");
  // The apps send one event and no operator; the CLI sends "AND"/"OR" lower-cased.
  apply(fields, r);
  if (!fields.name)
    return fail(bad(code::name_missing, "name is missing"));
  if (fields.events && fields.events->size() > 1 && !fields.event_operator)
    return fail(
        bad(code::operator_needed, "event_operator (and, or) is needed with several events"));
  if (auto ok = validate(who, r); !ok)
    return fail(ok.error());
  auto count = automations_.count(who.user_id, {});
  if (!count)
    return fail(count.error());
  if (static_cast<std::size_t>(*count) >= options_.max_per_user) {
    return fail(bad(code::too_many_automations,
                    "you have " + std::to_string(*count) + " automations, the most allowed"));
  }
  r.created_ms = r.updated_ms = unix_ms(clock_.now());
  if (auto stored = automations_.create(r); !stored) {
    if (stored.error().code == errc::already_exists) {
      return fail(bad(code::name_exists,
                      "you have an automation named \"" + r.name + "\" for this node already",
                      errc::already_exists));
    }
    return fail(stored.error());
  }
  accepted(r);
  if (options_.notices != nullptr)
    options_.notices->changed(Cached::automation, r.automation_id);
  return r.automation_id;
}

Result<rest::AutomationPage> AutomationService::list(const Principal& who, std::string_view node_id,
                                                     std::string_view start_id, std::size_t limit) {
  auto rows = automations_.list(who.user_id, node_id, start_id, limit + 1);
  if (!rows)
    return fail(rows.error());
  auto total = automations_.count(who.user_id, node_id);
  if (!total)
    return fail(total.error());
  rest::AutomationPage page;
  page.total = *total;
  for (std::size_t i = 0; i < rows->size() && i < limit; ++i)
    page.automations.push_back(to_automation((*rows)[i]));
  if (rows->size() > limit)
    page.next_id = (*rows)[limit].automation_id;
  return page;
}

Result<rest::Automation> AutomationService::get(const Principal& who,
                                                std::string_view automation_id) {
  auto r = automations_.get(automation_id);
  if (!r)
    return fail(r.error());
  if (!*r || (*r)->user_id != who.user_id)
    return fail(bad(code::not_found, "no such automation", errc::not_found));
  return to_automation(**r);
}

Result<void> AutomationService::update(const Principal& who, std::string_view automation_id,
                                       const rest::AutomationFields& fields) {
  if (fields.empty())
    return fail(bad(code::nothing_to_update, "nothing to update"));
  // Read, merge the fields sent, write if nobody wrote in between; else merge them into
  // what the other edit stored (two clients' edits of different fields both stand).
  for (int attempt = 0;; ++attempt) {
    auto r = automations_.get(automation_id);
    if (!r)
      return fail(r.error());
    if (!*r || (*r)->user_id != who.user_id)
      return fail(bad(code::not_found, "no such automation", errc::not_found));
    auto record = std::move(**r);
    if (fields.event_type && *fields.event_type != record.event_type)
      return fail(bad(code::event_type_invalid, "event_type cannot change"));
    apply(fields, record);
    if (auto ok = validate(who, record); !ok)
      return fail(ok.error());
    const std::int64_t read_updated_ms = record.updated_ms;
    // Strictly later than what was read, so that the next edit's compare-and-set sees
    // this one even within the same millisecond.
    record.updated_ms = std::max(unix_ms(clock_.now()), read_updated_ms + 1);
    auto stored = automations_.update(record, read_updated_ms);
    if (!stored && stored.error().code == errc::conflict && attempt < kUpdateAttempts - 1)
      continue;
    if (!stored) {
      if (stored.error().code == errc::already_exists) {
        return fail(
            bad(code::name_exists,
                "you have an automation named \"" + record.name + "\" for this node already",
                errc::already_exists));
      }
      return fail(stored.error());
    }
    accepted(record);
    break;
  }
  if (options_.notices != nullptr)
    options_.notices->changed(Cached::automation, automation_id);
  return {};
}

Result<void> AutomationService::remove(const Principal& who, std::string_view automation_id) {
  auto removed = automations_.remove(who.user_id, automation_id);
  if (!removed)
    return fail(removed.error());
  if (!*removed)
    return fail(bad(code::not_found, "no such automation", errc::not_found));
  enqueue(Work{nullptr, std::string(automation_id), std::nullopt});
  if (options_.notices != nullptr)
    options_.notices->changed(Cached::automation, automation_id);
  return {};
}

void AutomationService::reload(std::string_view automation_id) {
  enqueue(Work{nullptr, std::string(automation_id), std::nullopt});
}

}  // namespace stratus::service
