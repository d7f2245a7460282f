#pragma once
/// @file
/// The evaluator of `node_params` automations (rainmaker-cloud.md §3; docs/adr/0012),
/// without I/O: it is given automations and the committed params reports of their
/// trigger nodes, and answers which automations fire. Edge-triggered: an automation fires
/// when its condition goes from false to true; with `retrigger` also on every later
/// report that touches one of its params while the condition still holds ("can be
/// triggered more than once while the conditions are met", TS SDK `SetRetrigger`).
/// Firings per automation are limited per minute (a loop of automations that set each
/// other's triggers ends there). Not thread-safe: one owner thread.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::service {

/// A comparison of an event (`check`): `==` `!=` `<` `<=` `>` `>=`.
enum class Check { eq, ne, lt, le, gt, ge };

/// The check named `text`; `=` is read as `==` (the iOS app's screen spells it so).
/// nullopt for anything else.
[[nodiscard]] std::optional<Check> parse_check(std::string_view text) noexcept;
/// The wire spelling ("==").
[[nodiscard]] std::string_view to_string(Check check) noexcept;

/// Whether `actual check expected` holds. Numbers compare as numbers (an int param
/// against 25.5 works); strings and booleans allow only `==` and `!=`; values of other
/// types, or of different types, never satisfy anything but `!=`.
[[nodiscard]] bool check_holds(Check check, const boost::json::value& actual,
                               const boost::json::value& expected) noexcept;

/// One condition: `<device>.<param> check value`.
struct ParamCondition {
  std::string device;
  std::string param;
  Check check = Check::eq;
  boost::json::value value;
};

/// A `node_params` automation as the engine needs it.
struct ParamsTrigger {
  std::string automation_id;
  std::string node_id;  ///< the trigger node
  std::vector<ParamCondition> conditions;
  bool any = false;  ///< `event_operator` "or"; "and" otherwise
  bool retrigger = false;
  bool enabled = true;
};

/// The conditions of `events` (each `{"<Device>":{"<Param>":value}}` text with its check;
/// several params in one event are several conditions with the same check). Errors:
/// invalid_argument naming the bad event (no params, a device that is not an object, an
/// unknown check).
[[nodiscard]] Result<std::vector<ParamCondition>> parse_conditions(
    const std::vector<std::pair<std::string, std::string>>& params_and_checks);

/// A decision to fire.
struct Firing {
  std::string automation_id;
  std::string cause;      ///< the conditions that held, e.g. `Switch.Power == true`
  bool limited = false;   ///< over the per-minute limit: recorded, not acted on
  bool deferred = false;  ///< judged by an instance that does not act (`on_report`)
};

/// Engine state: the automations, and per trigger node the current values of the params
/// its automations name.
class AutomationEngine {
 public:
  /// `max_per_minute`: firings of one automation within any 60 s; more are `limited`.
  explicit AutomationEngine(std::size_t max_per_minute) : max_per_minute_(max_per_minute) {}

  /// Adds or replaces `trigger`. `node_params` is the trigger node's stored params
  /// document (values not yet known are taken from it); the condition's current value
  /// is computed from what is known and does not fire: only a later report can.
  void put(ParamsTrigger trigger, const boost::json::object& node_params);
  /// Forgets an automation (no-op when unknown).
  void remove(std::string_view automation_id);
  /// Whether any automation watches `node_id` (the caller may skip its reports).
  [[nodiscard]] bool watches(std::string_view node_id) const;
  /// The trigger node of an automation ("" when unknown).
  [[nodiscard]] std::string trigger_node(std::string_view automation_id) const;

  /// A committed params report of `node_id` (`delta`: `{"<Device>":{"<Param>":value}}`),
  /// at `now` (steady time, for the rate limit). Returns the automations that fire, in
  /// the order they were put. With `acting` false (a cluster instance that does not lead,
  /// docs/adr/0021) the values and each condition's state are taken as usual, so that the
  /// instance judges the next report right once it leads, and the firings come back
  /// `deferred`, not counted against the limit (the caller keeps them in case it leads
  /// soon).
  std::vector<Firing> on_report(std::string_view node_id, const boost::json::object& delta,
                                std::chrono::steady_clock::time_point now, bool acting = true);
  /// As `on_report`, for a stored params document read after reports were lost on the
  /// way: a param counts as reported only where its value differs from the one known, so
  /// a `retrigger` automation fires again only if a param of its conditions changed, and
  /// others only on a false → true edge, as for a report.
  std::vector<Firing> on_state(std::string_view node_id, const boost::json::object& document,
                               std::chrono::steady_clock::time_point now, bool acting = true);

  /// Counts a firing that did not come from a report (daylight) against the limit;
  /// returns false when over it.
  bool admit(std::string_view automation_id, std::chrono::steady_clock::time_point now);

 private:
  struct Entry {
    ParamsTrigger trigger;
    bool held = false;
    std::size_t order = 0;
  };
  [[nodiscard]] bool evaluate(const Entry& e, std::string* cause) const;
  // `on_report` (every watched param in `delta` is reported) or `on_state` (only the ones
  // whose value changed).
  std::vector<Firing> judge(std::string_view node_id, const boost::json::object& delta,
                            std::chrono::steady_clock::time_point now, bool acting,
                            bool changed_only);

  std::size_t max_per_minute_;
  std::size_t next_order_ = 0;
  std::map<std::string, Entry, std::less<>> entries_;         // by automation id
  std::map<std::string, std::size_t, std::less<>> watchers_;  // node id → its automations
  // node id → "<device>\x1f<param>" → the current value
  std::map<std::string, std::map<std::string, boost::json::value>, std::less<>> values_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>, std::less<>> recent_;
};

}  // namespace stratus::service
