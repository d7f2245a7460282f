// Proves the human output of the stratus command: durations, local times,
// "online since"/"offline for", aligned tables, indented JSON and the one-line
// error format.
// How: fixed inputs with TZ=UTC and a fixed "now"; exact expected strings.
#include "cli/format.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

namespace stratus::cli {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  // 2026-11-20 14:02:00 UTC
  const system_clock::time_point now_ = system_clock::time_point(seconds(1795183320));
};

TEST_F(FormatTest, DurationsAsPeopleSayThem) {
  EXPECT_EQ(format_duration(-5s), "0 s");
  EXPECT_EQ(format_duration(0s), "0 s");
  EXPECT_EQ(format_duration(59s), "59 s");
  EXPECT_EQ(format_duration(60s), "1 min");
  EXPECT_EQ(format_duration(3min + 59s), "3 min");
  EXPECT_EQ(format_duration(1h), "1 h");
  EXPECT_EQ(format_duration(2h + 5min + 10s), "2 h 5 min");
  EXPECT_EQ(format_duration(47h + 59min), "47 h 59 min");
  EXPECT_EQ(format_duration(48h), "2 days");
  EXPECT_EQ(format_duration(24h * 30), "30 days");
}

TEST_F(FormatTest, LocalTimesShowTheDateOnlyWhenNotToday) {
  EXPECT_EQ(format_local_time(now_, now_), "14:02");
  EXPECT_EQ(format_local_time(now_ - 14h, now_), "00:02");
  EXPECT_EQ(format_local_time(now_ - 15h, now_), "2026-11-19 23:02");
}

TEST_F(FormatTest, ConnectivityText) {
  const auto ms = [](system_clock::time_point t) {
    return duration_cast<milliseconds>(t.time_since_epoch()).count();
  };
  EXPECT_EQ(connectivity_text({true, ms(now_ - 2h)}, now_), "online since 12:02");
  EXPECT_EQ(connectivity_text({false, ms(now_ - 3min - 7s)}, now_), "offline for 3 min");
  EXPECT_EQ(connectivity_text({false, ms(now_ - 72h)}, now_), "offline for 3 days");
  EXPECT_EQ(connectivity_text({false, 0}, now_), "offline");
  EXPECT_EQ(connectivity_text({true, 0}, now_), "online");
}

TEST_F(FormatTest, TablesAlignColumnsAndCountUtf8Characters) {
  const auto table = render_table({"ID", "NAME", "STATUS"},
                                  {{"a1", "Küche", "online"}, {"b22", "-", "offline for 3 min"}});
  EXPECT_EQ(table,
            "ID   NAME   STATUS\n"
            "a1   Küche  online\n"
            "b22  -      offline for 3 min\n");
}

TEST_F(FormatTest, NodeTable) {
  EXPECT_EQ(node_table({}, now_), "no nodes\n");
  client::NodeDetails light;
  light.id = "T2uNDXPMS9nj9vpKjs2QG8";
  light.name = "Lamp";
  light.type = "Lightbulb";
  light.connectivity = {true, duration_cast<milliseconds>((now_ - 1h).time_since_epoch()).count()};
  client::NodeDetails unknown;
  unknown.id = "N2";
  EXPECT_EQ(node_table({light, unknown}, now_),
            "NODE ID                 NAME  TYPE       STATUS\n"
            "T2uNDXPMS9nj9vpKjs2QG8  Lamp  Lightbulb  online since 13:02\n"
            "N2                      -     -          offline\n");
}

TEST_F(FormatTest, PrettyJsonKeepsOrderAndIndents) {
  EXPECT_EQ(pretty_json(R"({"b":1,"a":{"x":[true,null,"s"],"e":{}},"c":[]})"),
            "{\n"
            "  \"b\": 1,\n"
            "  \"a\": {\n"
            "    \"x\": [\n"
            "      true,\n"
            "      null,\n"
            "      \"s\"\n"
            "    ],\n"
            "    \"e\": {}\n"
            "  },\n"
            "  \"c\": []\n"
            "}\n");
  EXPECT_EQ(pretty_json(R"({"Light":{"Power":true}})", "  "),
            "  {\n    \"Light\": {\n      \"Power\": true\n    }\n  }\n");
  EXPECT_EQ(pretty_json(R"({"t":21.9,"u":22.0,"v":-0.5,"w":1e300})", ""),
            "{\n  \"t\": 21.9,\n  \"u\": 22.0,\n  \"v\": -0.5,\n  \"w\": 1e+300\n}\n")
      << "floats in their shortest decimal form, not Boost's 2.19E1";
  EXPECT_EQ(pretty_json("not json"), "not json\n");
  EXPECT_EQ(pretty_json("\"q\\\"\""), "\"q\\\"\"\n");
}

TEST_F(FormatTest, ErrorLine) {
  EXPECT_EQ(error_line(Error{errc::unauthenticated, "Incorrect user name or password", 101009}),
            "error: Incorrect user name or password (code 101009)");
  EXPECT_EQ(error_line(Error{errc::unavailable,
                             "cannot reach http://127.0.0.1:8080: Connection refused", 0}),
            "error: cannot reach http://127.0.0.1:8080: Connection refused");
  EXPECT_EQ(error_line(Error{errc::internal, "two\nlines", 0}), "error: two lines");
  EXPECT_EQ(error_line(Error{errc::timeout, "", 0}), "error: timeout");
}

}  // namespace
}  // namespace stratus::cli
