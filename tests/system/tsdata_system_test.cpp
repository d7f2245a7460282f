// Proves time series end to end (issue 15, docs/adr/0011): a node's `tsdata`,
// `simple_tsdata` and params reports of a `time_series` param, sent over real MQTT with
// mutual TLS, come back from GET /v1/user/nodes/tsdata and simple_tsdata (raw and
// aggregated); another user's request answers as for an unknown node; bad queries get
// their RainMaker codes. How: one stratusd with its embedded mosquitto on free loopback
// ports; a node identity issued by the data dir's CA; users signed up through REST; the
// `stratus` binary run with its own environment for `stratus tsdata`.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "client/session.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "system/client_test_support.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/rest_helpers.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::string_view kNode = "tsnode1";

std::string config_json() {
  return R"({"node_id":")" + std::string(kNode) +
         R"(","config_version":"2020-03-20","info":{"name":"Sensor","fw_version":"1.0",)"
         R"("type":"esp.device.sensor"},"devices":[{"name":"Sensor","type":"esp.device.sensor",)"
         R"("params":[{"name":"Temperature","type":"esp.param.temperature","data_type":"float",)"
         R"("properties":["read","time_series"]},{"name":"Mode","data_type":"string",)"
         R"("properties":["read","simple_ts"]}]}]})";
}

class TsdataSystemTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    stratusd_ = new StratusdProcess(
        dir_->path() / "data",
        {"--set", "accounts.argon2_mem_limit_kib=8", "--set", "accounts.argon2_ops_limit=1"});
    ASSERT_TRUE(stratusd_->start()) << stratusd_->output();
    alice_ = new std::string(signed_up_token(*stratusd_, "alice@example.com"));
    bob_ = new std::string(signed_up_token(*stratusd_, "bob@example.com"));
  }
  static void TearDownTestSuite() {
    delete alice_;
    delete bob_;
    delete stratusd_;
    delete dir_;
  }

  static HttpReply call(std::string_view target, const std::string& token) {
    return rest_call(*stratusd_, "GET", target, token, {});
  }

  // The node boots (config, mapping to alice) as the firmware does (spec §1.4).
  static std::unique_ptr<TestMqttClient> boot_and_map() {
    auto node = std::make_unique<TestMqttClient>(
        node_mqtt_options(*stratusd_, dir_->path(), std::string(kNode)));
    EXPECT_EQ(node->connect(), 0);
    const std::string id(kNode);
    EXPECT_TRUE(node->publish("$aws/rules/esp_node_config/node/" + id + "/config", config_json()));
    const std::string user_id = user_id_for(*stratusd_, *alice_);
    const auto mapping =
        rest_call(*stratusd_, "PUT", "/v1/user/nodes/mapping", *alice_,
                  R"({"node_id":")" + id + R"(","secret_key":"s3cr3t","operation":"add"})");
    EXPECT_EQ(mapping.status, 200) << mapping.body;
    EXPECT_TRUE(node->publish("$aws/rules/esp_user_node_mapping/node/" + id + "/user/mapping",
                              R"({"node_id":")" + id + R"(","user_id":")" + user_id +
                                  R"(","secret_key":"s3cr3t","reset":true})"));
    EXPECT_TRUE(wait_until(
        [&] { return call("/v1/user/nodes/status?node_id=" + id, *alice_).status == 200; }, 10s));
    return node;
  }

  // `stratus <args>` logged in as alice (profile "t"), with its own config dir.
  static ProcessResult stratus(std::vector<std::string> args) {
    args.insert(args.begin(), build_binary("stratus").string());
    return run_process(args, cli_env(dir_->path(), {"STRATUS_PASSWORD=secret123"}), {});
  }

  static TempDir* dir_;
  static StratusdProcess* stratusd_;
  static std::string* alice_;
  static std::string* bob_;
};

TempDir* TsdataSystemTest::dir_ = nullptr;
StratusdProcess* TsdataSystemTest::stratusd_ = nullptr;
std::string* TsdataSystemTest::alice_ = nullptr;
std::string* TsdataSystemTest::bob_ = nullptr;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `ts_data[0].params[0].values` of an answer.
json::array values_of(const HttpReply& r) {
  return json::parse(r.body).at("ts_data").at(0).at("params").at(0).at("values").as_array();
}

TEST_F(TsdataSystemTest, ReportsOverMqttComeBackOverRest) {
  auto node = boot_and_map();
  const std::string id(kNode);
  // Points an hour and two hours ago, at whole minutes, in one UTC day's reach.
  const std::int64_t t0 = now_s() / 60 * 60 - 7200, t1 = t0 + 3600;
  EXPECT_TRUE(node->publish(
      "$aws/rules/esp_ts_ingest/node/" + id + "/tsdata",
      R"({"ts_data_version":"2021-09-13","ts_data":[{"name":"Sensor.Temperature",)"
      R"("type":"esp.param.temperature","dt":"float","records":[{"t":)" +
          std::to_string(t0) + R"(,"v":20.0},{"t":)" + std::to_string(t1) + R"(,"v":22.0}]}]})"));
  EXPECT_TRUE(node->publish("node/" + id + "/simple_tsdata",
                            R"({"name":"Sensor.Mode","type":"esp.param.mode","dt":"string","t":)" +
                                std::to_string(t1) + R"(,"v":"eco"})"));
  // A params report of the time_series param is a point too (stamped on arrival).
  EXPECT_TRUE(node->publish("$aws/rules/esp_set_params/node/" + id + "/params/local",
                            R"({"Sensor":{"Temperature":24.0}})"));

  const std::string raw = "/v1/user/nodes/tsdata?node_id=" + id +
                          "&param_name=Sensor.Temperature&start_time=" + std::to_string(t0) +
                          "&end_time=" + std::to_string(now_s() + 600);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto r = call(raw, *alice_);
        return r.status == 200 && values_of(r).size() == 3;
      },
      10s))
      << call(raw, *alice_).body;
  const auto points = values_of(call(raw, *alice_));
  EXPECT_EQ(points[0].at("ts"), json::value(t0));
  EXPECT_EQ(points[0].at("val"), json::value(20.0));
  EXPECT_EQ(points[1].at("val"), json::value(22.0));
  EXPECT_EQ(points[2].at("val"), json::value(24.0));

  // The average per hour of the last three hours.
  const auto hourly = call("/v1/user/nodes/tsdata?node_id=" + id +
                               "&param_name=Sensor.Temperature&type=float&aggregate=avg"
                               "&aggregation_interval=hour&num_intervals=3&timezone=utc",
                           *alice_);
  ASSERT_EQ(hourly.status, 200) << hourly.body;
  const auto hours = values_of(hourly);
  ASSERT_EQ(hours.size(), 3u) << hourly.body;
  EXPECT_EQ(hours[0].at("ts"), json::value(t0 - t0 % 3600));
  EXPECT_EQ(json::parse(hourly.body).at("ts_data").at(0).at("timezone"), json::value("UTC"));

  // The typed client reads the same (what `stratus tsdata` uses).
  client::SessionOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(stratusd_->http_port());
  auto session = client::Session::open(options);
  ASSERT_TRUE(session) << session.error().message();
  ASSERT_TRUE(session->login("alice@example.com", "secret123"));
  client::TsDataQuery q;
  q.node_id = id;
  q.param_name = "Sensor.Temperature";
  q.aggregate = client::TsAggregate::max;
  q.interval = client::TsInterval::day;
  q.num_intervals = 2;
  auto daily = session->tsdata(q);
  ASSERT_TRUE(daily) << daily.error().message();
  ASSERT_FALSE(daily->values.empty());
  EXPECT_EQ(daily->values.back().val, json::value(24.0));
  EXPECT_EQ(daily->aggregate, "max");

  const auto simple = call(
      "/v1/user/nodes/simple_tsdata?node_id=" + id + "&param_name=Sensor.Mode&data_type=string",
      *alice_);
  ASSERT_EQ(simple.status, 200) << simple.body;
  ASSERT_EQ(values_of(simple).size(), 1u);
  EXPECT_EQ(values_of(simple)[0].at("val"), json::value("eco"));
}

TEST_F(TsdataSystemTest, StratusTsdataPrintsCsvAndATableInTheZone) {
  const std::string url = "http://127.0.0.1:" + std::to_string(stratusd_->http_port());
  ASSERT_EQ(stratus({"profile", "add", "t", "--url", url}).exit_code, 0);
  ASSERT_EQ(stratus({"profile", "switch", "t"}).exit_code, 0);
  auto r = stratus({"login", "--user_name", "alice@example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The points of the first test: 20.0 and 22.0 an hour apart, then 24.0 (params).
  const std::string id(kNode);
  r = stratus({"tsdata", id, "Sensor.Temperature", "--from", std::to_string(now_s() - 3 * 3600),
               "--to", std::to_string(now_s() + 600), "--csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ts,value\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(",20\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",22\n"), std::string::npos) << r.out;
  r = stratus({"tsdata", id, "Sensor.Temperature", "--aggregate", "count", "--interval", "day",
               "--num_intervals", "1", "--tz", "Asia/Kolkata"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("day (Asia/Kolkata)", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("count"), std::string::npos) << r.out;
  // People-first: a start without an end means "until now"; times in the zone.
  r = stratus({"tsdata", id, "Sensor.Temperature", "--from", std::to_string(now_s() - 3 * 3600),
               "--tz", "Europe/Berlin"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("time (Europe/Berlin)", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("  20\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  24\n"), std::string::npos) << r.out;
}

TEST_F(TsdataSystemTest, AnotherUsersNodeAnswersAsUnknownAndBadQueriesGetTheirCodes) {
  const std::string id(kNode);
  const auto theirs =
      call("/v1/user/nodes/tsdata?node_id=" + id + "&param_name=Sensor.Temperature", *bob_);
  const auto unknown =
      call("/v1/user/nodes/tsdata?node_id=nosuchnode&param_name=Sensor.Temperature", *bob_);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(theirs.body, unknown.body);
  const auto code = [&](const std::string& query) {
    const auto r = call(
        "/v1/user/nodes/tsdata?node_id=" + id + "&param_name=Sensor.Temperature" + query, *alice_);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    return json::parse(r.body).at("error_code");
  };
  EXPECT_EQ(code("&aggregate=avg&aggregation_interval=day"), json::value(126015));
  EXPECT_EQ(code("&aggregate=avg&aggregation_interval=day&num_intervals=2&timezone=Mars/Base"),
            json::value(126020));
  EXPECT_EQ(code("&differential=true"), json::value(126021));  // raw: nothing to sum
  EXPECT_EQ(rest_call(*stratusd_, "GET",
                      "/v1/admin/nodes/tsdata?node_id=" + id + "&param_name=Sensor.Temperature",
                      *alice_, {})
                .status,
            403);
}

}  // namespace
}  // namespace stratus::test
