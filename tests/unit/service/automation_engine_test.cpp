// Proves the automation evaluator (docs/adr/0012): every check on every data type, `and`
// and `or`, firing on the false → true edge only, retrigger while the condition holds,
// disabled automations, the per-minute limit (a loop ends there), and that a condition
// already true in the stored params (a restart) does not fire.
#include "service/automation_engine.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace stratus::service {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

ParamsTrigger trigger(std::string id, std::string_view events_json, bool any = false,
                      bool retrigger = false) {
  std::vector<std::pair<std::string, std::string>> events;
  const auto parsed = json::parse(events_json);
  for (const auto& e : parsed.as_array()) {
    events.emplace_back(json::serialize(e.at("params")), std::string(e.at("check").as_string()));
  }
  auto conditions = parse_conditions(events);
  EXPECT_TRUE(conditions) << conditions.error().message();
  return ParamsTrigger{
      std::move(id), "n1",      conditions ? *conditions : std::vector<ParamCondition>{},
      any,           retrigger, true};
}

std::vector<std::string> fired(const std::vector<Firing>& firings) {
  std::vector<std::string> ids;
  for (const auto& f : firings)
    ids.push_back(f.limited ? f.automation_id + "(limited)" : f.automation_id);
  return ids;
}

using Ids = std::vector<std::string>;

TEST(Checks, EveryOperatorOnNumbersBooleansAndStrings) {
  const json::value i5 = 5, i7 = 7, f55 = 5.5, t = true, f = false, s = "on", s2 = "off";
  EXPECT_TRUE(check_holds(Check::eq, i5, json::value(5.0))) << "int and float compare as numbers";
  EXPECT_TRUE(check_holds(Check::ne, i5, i7));
  EXPECT_TRUE(check_holds(Check::lt, i5, f55));
  EXPECT_TRUE(check_holds(Check::le, i5, i5));
  EXPECT_FALSE(check_holds(Check::le, i7, f55));
  EXPECT_TRUE(check_holds(Check::gt, i7, f55));
  EXPECT_TRUE(check_holds(Check::ge, f55, f55));
  EXPECT_FALSE(check_holds(Check::gt, i5, i5));
  EXPECT_TRUE(check_holds(Check::eq, t, t));
  EXPECT_TRUE(check_holds(Check::ne, t, f));
  EXPECT_FALSE(check_holds(Check::lt, f, t)) << "booleans have no order";
  EXPECT_TRUE(check_holds(Check::eq, s, json::value("on")));
  EXPECT_TRUE(check_holds(Check::ne, s, s2));
  EXPECT_FALSE(check_holds(Check::gt, s2, s)) << "strings have no order";
  EXPECT_FALSE(check_holds(Check::eq, t, json::value(1))) << "a bool is not a number";
  EXPECT_TRUE(check_holds(Check::ne, t, json::value(1)));
  EXPECT_FALSE(check_holds(Check::eq, json::value(nullptr), json::value(nullptr)))
      << "an unknown value satisfies nothing";
}

TEST(Checks, ParseTheSixSpellingsAndTheAppsEqualSign) {
  for (const char* text : {"==", "!=", "<", "<=", ">", ">="}) {
    const auto c = parse_check(text);
    ASSERT_TRUE(c) << text;
    EXPECT_EQ(to_string(*c), text);
  }
  EXPECT_EQ(parse_check("="), Check::eq);
  EXPECT_FALSE(parse_check("=>"));
  EXPECT_FALSE(parse_check(""));
  EXPECT_FALSE(parse_conditions({{R"({"Light":{"Power":true}})", "~"}}));
  EXPECT_FALSE(parse_conditions({{R"({"Light":true})", "=="}}));
  EXPECT_FALSE(parse_conditions({{R"({})", "=="}}));
  auto two = parse_conditions({{R"({"Light":{"Power":true,"Brightness":40}})", ">="}});
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size(), 2u) << "two params in one event are two conditions";
}

TEST(Engine, FiresOnTheEdgeOnlyWithoutRetrigger) {
  AutomationEngine engine(100);
  engine.put(trigger("a", R"([{"params":{"Switch":{"Power":true}},"check":"=="}])"),
             obj(R"({"Switch":{"Power":false}})"));
  const auto t = Steady::time_point{};
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{"a"});
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{})
      << "still true: no new edge";
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Name":"x"}})"), t)), Ids{});
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":false}})"), t)), Ids{});
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{"a"});
  EXPECT_EQ(fired(engine.on_report("n2", obj(R"({"Switch":{"Power":false}})"), t)), Ids{});
}

TEST(Engine, RetriggerFiresOnEveryReportOfItsParamsWhileTrue) {
  AutomationEngine engine(100);
  engine.put(trigger("a", R"([{"params":{"Sensor":{"Temp":30}},"check":">"}])", false, true),
             obj(R"({"Sensor":{"Temp":20}})"));
  const auto t = Steady::time_point{};
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Sensor":{"Temp":31}})"), t)), Ids{"a"});
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Sensor":{"Temp":32.5}})"), t)), Ids{"a"});
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Sensor":{"Name":"x"}})"), t)), Ids{})
      << "a report of other params is no new reading";
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Sensor":{"Temp":29}})"), t)), Ids{});
}

TEST(Engine, AndNeedsAllOrNeedsOne) {
  AutomationEngine engine(100);
  const auto events =
      R"([{"params":{"Sensor":{"Temp":25}},"check":">="},{"params":{"Sensor":{"Mode":"auto"}},"check":"=="}])";
  engine.put(trigger("and", events), obj(R"({"Sensor":{"Temp":20,"Mode":"manual"}})"));
  engine.put(trigger("or", events, true), obj(R"({"Sensor":{"Temp":20,"Mode":"manual"}})"));
  const auto t = Steady::time_point{};
  auto f = engine.on_report("n1", obj(R"({"Sensor":{"Temp":26}})"), t);
  EXPECT_EQ(fired(f), Ids{"or"});
  EXPECT_EQ(f[0].cause, "Sensor.Temp >= 25");
  f = engine.on_report("n1", obj(R"({"Sensor":{"Mode":"auto"}})"), t);
  EXPECT_EQ(fired(f), Ids{"and"}) << "or was already true";
  EXPECT_EQ(f[0].cause, R"(Sensor.Temp >= 25 and Sensor.Mode == "auto")");
}

TEST(Engine, DisabledAutomationsTrackButNeverFire) {
  AutomationEngine engine(100);
  auto t0 = trigger("a", R"([{"params":{"Switch":{"Power":true}},"check":"=="}])");
  t0.enabled = false;
  engine.put(t0, obj(R"({"Switch":{"Power":false}})"));
  const auto t = Steady::time_point{};
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{});
  t0.enabled = true;
  engine.put(t0, obj(R"({"Switch":{"Power":false}})"));  // enabled while true: no firing yet
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{})
      << "the engine knows the switch is on (the stored params are older)";
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":false}})"), t)), Ids{});
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{"a"});
}

TEST(Engine, ALoopIsCutAtTheLimitPerMinute) {
  AutomationEngine engine(3);
  engine.put(trigger("a", R"([{"params":{"Switch":{"Power":true}},"check":"=="}])"),
             obj(R"({"Switch":{"Power":false}})"));
  auto t = Steady::time_point{} + 1h;
  Ids all;
  for (int i = 0; i < 5; ++i) {
    for (const auto& id : fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)))
      all.push_back(id);
    (void)engine.on_report("n1", obj(R"({"Switch":{"Power":false}})"), t);
    t += 1s;
  }
  EXPECT_EQ(all, (Ids{"a", "a", "a", "a(limited)", "a(limited)"}));
  t += 60s;
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{"a"})
      << "a minute later it may fire again";
}

TEST(Engine, AConditionTrueInTheStoredParamsDoesNotFireAfterARestart) {
  // A restart is a new engine given the stored params, in which the switch is on.
  AutomationEngine engine(100);
  engine.put(trigger("a", R"([{"params":{"Switch":{"Power":true}},"check":"=="}])"),
             obj(R"({"Switch":{"Power":true}})"));
  const auto t = Steady::time_point{};
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":true}})"), t)), Ids{});
  EXPECT_TRUE(engine.watches("n1"));
  engine.remove("a");
  EXPECT_FALSE(engine.watches("n1"));
  EXPECT_EQ(fired(engine.on_report("n1", obj(R"({"Switch":{"Power":false}})"), t)), Ids{});
}

}  // namespace
}  // namespace stratus::service
