#pragma once
/// @file
/// Node automations (spec rainmaker.md §4.3 row `automations`; rainmaker-cloud.md §3;
/// docs/adr/0012): `POST|GET|PUT|DELETE v1/user/node_automation`. What the real clients
/// send and read is in docs/research/rainmaker-automations.md: the RainMaker CLI always
/// sends `event_type` and `retrigger`; the Android and iOS apps send neither (and Android
/// sends `enabled` on POST); latitude and longitude arrive as strings; a GET by id must
/// answer both the `automation_trigger_actions` wrapper (CLI) and the automation's keys at
/// the top level (TS SDK); `next_id` is absent on the last page, never null; every value
/// of the POST answer is a string (iOS). Conventions as accounts.hpp. Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// One event as sent: `{"params":{…},"check":"=="}`. `params_json` is the `params` object's
/// text (node_params: `{"<Device>":{"<Param>":value}}`; daylight: `{"sunrise":true}`;
/// weather: `{"temperature":25}` or `{"weather_condition":"Rain"}`); `check` as sent
/// (the service checks it).
struct AutomationEvent {
  std::string params_json;
  std::string check = "==";
};

/// One action: a set of `params_json` (`{"<Device>":{"<Param>":value,…},…}`) on `node_id`.
struct AutomationAction {
  std::string node_id;
  std::string params_json;
};

/// `location`: degrees as the client wrote them (strings on the wire; a JSON number is
/// kept as its text).
struct AutomationLocation {
  std::string latitude;
  std::string longitude;
};

/// The body of `POST v1/user/node_automation` and `PUT …?automation_id=`: every member
/// optional (the service says which are required on create and checks values).
struct AutomationFields {
  std::optional<std::string> name;
  std::optional<std::string> event_type;
  std::optional<std::string> node_id;
  std::optional<AutomationLocation> location;
  std::optional<std::vector<AutomationEvent>> events;
  std::optional<std::string> event_operator;
  std::optional<std::vector<AutomationAction>> actions;
  std::optional<bool> retrigger;
  std::optional<bool> enabled;
  std::optional<std::string> metadata_json;  ///< any JSON value's text

  /// Whether the body changes nothing (PUT needs at least one member).
  [[nodiscard]] bool empty() const noexcept;
};
/// Errors: `invalid_body` for a member of a wrong type: `events`/`actions` not arrays of
/// objects, an event without a `params` object or with a non-string `check`, an action
/// without a string `node_id` and a `params` object, `location` not an object with
/// string (or number) `latitude` and `longitude`, a flag not a boolean. Null members are
/// absent.
[[nodiscard]] Result<AutomationFields> parse_automation_fields(const boost::json::object& body);
/// Writes the members that are set.
[[nodiscard]] boost::json::object to_json(const AutomationFields& fields);

/// The answer to a create: `{"status":"success","description","automation_id"}` — all
/// strings (the iOS app reads it as a string map).
[[nodiscard]] boost::json::object automation_created_json(std::string_view automation_id);
/// Errors: internal when `automation_id` is missing.
[[nodiscard]] Result<std::string> parse_automation_created(const boost::json::object& answer);

/// The last firing of an automation.
struct AutomationFiring {
  std::int64_t timestamp_ms = 0;
  std::string cause;  ///< e.g. `Switch.Power == true`, `sunset`
  /// One entry per action: `{"node_id","status":"success"|"queued"|"failure",
  /// "description"?}` as a JSON array's text.
  std::string results_json = "[]";
};

/// One automation as `GET v1/user/node_automation` shows it. `node_id` is written only
/// for node_params, `location` only for daylight and weather; `status` is written when
/// not empty (`"unsupported"` for weather: this cloud has no weather service).
struct Automation {
  std::string automation_id;
  std::string name;
  bool enabled = true;
  std::string event_type = "node_params";
  std::string node_id;
  std::optional<AutomationLocation> location;
  std::vector<AutomationEvent> events;
  std::string event_operator = "and";
  std::vector<AutomationAction> actions;
  bool retrigger = false;
  std::string metadata_json = "{}";
  std::string status;
  std::optional<AutomationFiring> last_triggered;
};

/// A page: `{"automation_trigger_actions":[…],"total":N,"next_id"?}` (`next_id` absent on
/// the last page; never null: the Android app would loop).
struct AutomationPage {
  std::vector<Automation> automations;
  std::int64_t total = 0;
  std::string next_id;  ///< empty on the last page
};
[[nodiscard]] boost::json::object to_json(const Automation& automation);
[[nodiscard]] boost::json::object to_json(const AutomationPage& page);
/// `GET …?automation_id=`: the one-entry page and, at the top level, the automation's own
/// keys (the TS SDK reads those).
[[nodiscard]] boost::json::object automation_detail_json(const Automation& automation);
/// Reads a page as a client (tolerant: entries that are not objects are skipped).
[[nodiscard]] AutomationPage parse_automation_page(const boost::json::object& answer);

}  // namespace stratus::proto::rest
