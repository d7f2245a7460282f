// Proves the manufacturing REST DTOs read and write the admin CLI's shapes (spec §7):
// node_count bounds on the strict request reader, tolerant answers, and the absent
// request_id reported with the server's status. How: JSON literals and round trips.
#include "proto/rest/admin_mfg.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "proto/rest/limits.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) {
  return json::parse(text).as_object();
}

TEST(AdminMfg, NodeIdsRequestBounds) {
  EXPECT_EQ(json::serialize(to_json(NodeIdsRequest{5})), R"({"node_count":5})");
  EXPECT_EQ(parse_node_ids_request(object(R"({"node_count":1})"))->node_count, 1);
  EXPECT_EQ(parse_node_ids_request(object(R"({"node_count":50000})"))->node_count,
            limits::kMaxNodeIdsPerRequest);
  for (const auto* bad :
       {R"({})", R"({"node_count":0})", R"({"node_count":50001})", R"({"node_count":"5"})",
        R"({"node_count":1.5})", R"({"node_count":-1})"}) {
    const auto parsed = parse_node_ids_request(object(bad));
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, errc::invalid_argument);
  }
}

TEST(AdminMfg, Answers) {
  const auto host =
      parse_admin_mqtt_host(object(R"({"mqtt_host":"a-ats.iot.x","mqtt_cred_host":"c"})"));
  ASSERT_TRUE(host.has_value());
  EXPECT_EQ(host->mqtt_host, "a-ats.iot.x");
  EXPECT_EQ(host->mqtt_cred_host, "c");
  EXPECT_FALSE(parse_admin_mqtt_host(object(R"({"status":"failure"})")).has_value());
  EXPECT_EQ(json::serialize(to_json(AdminMqttHost{"h", ""})), R"({"mqtt_host":"h"})");

  EXPECT_EQ(parse_node_ids_requested(object(R"({"request_id":"r1"})"))->request_id, "r1");
  const auto refused =
      parse_node_ids_requested(object(R"({"status":"failure","description":"quota"})"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().context.find("quota"), std::string::npos);

  const auto status = parse_node_ids_status(object(R"({"status":"success","url":"http://h/ids"})"));
  EXPECT_EQ(status.status, "success");
  EXPECT_EQ(status.url, "http://h/ids");
  EXPECT_EQ(json::serialize(to_json(NodeIdsStatus{"in_progress", "", ""})),
            R"({"status":"in_progress"})");
  EXPECT_EQ(parse_node_ids_status(object("{}")).status, "");
}

}  // namespace
}  // namespace stratus::proto::rest
