// The Wirepas topic ACL a shared broker enforces (issue 20 item 3): gateways see only
// their own topics, operators every gw-* topic and nothing else.
#include "wirepas/topic_rules.hpp"

#include <gtest/gtest.h>

#include <string>

#include "wirepas/topics.hpp"

namespace stratus::wirepas {
namespace {

static_assert(gateway_may_publish("gw-event/status/gw1", "gw1"));
static_assert(!gateway_may_publish("gw-event/status/gw12", "gw1"));

TEST(WirepasTopicRules, AGatewayPublishesOnlyItsOwnEventsAndResponses) {
  for (const char* ok : {"gw-event/status/gw1", "gw-event/received_data/gw1/sink0/12/1/1",
                         "gw-response/get_configs/gw1", "gw-response/set_config/gw1/sink0"}) {
    EXPECT_TRUE(gateway_may_publish(ok, "gw1")) << ok;
  }
  for (const char* refused : {
           "gw-event/status/gw2",
           "gw-event/status/gw10",
           "gw-event/status/gw",
           "gw-event/status",
           "gw-request/get_configs/gw1",
           "gw-response/get_configs/gw2/sink0",
           "gw-event/+/gw1",
           "gw-event/status/gw1/#",
           "node/gw1/params/local",
           "gw-eventx/status/gw1",
           "gw-event//gw1",
           "$SYS/broker",
           "",
       }) {
    EXPECT_FALSE(gateway_may_publish(refused, "gw1")) << refused;
  }
}

TEST(WirepasTopicRules, AGatewaySubscribesOnlyToItsOwnRequests) {
  EXPECT_TRUE(gateway_may_subscribe("gw-request/get_configs/gw1", "gw1"));
  EXPECT_TRUE(gateway_may_subscribe("gw-request/set_config/gw1/+", "gw1"));
  EXPECT_TRUE(gateway_may_subscribe("gw-request/send_data/gw1/sink0", "gw1"));
  for (const char* refused : {"gw-request/+/gw1", "gw-request/#", "gw-request/get_configs/+",
                              "gw-request/get_configs/gw2", "gw-event/status/gw1", "#",
                              "node/gw1/#", "gw-response/get_configs/gw1"}) {
    EXPECT_FALSE(gateway_may_subscribe(refused, "gw1")) << refused;
  }
  EXPECT_FALSE(gateway_may_subscribe("gw-request/get_configs/", ""));
}

TEST(WirepasTopicRules, EveryGatewayFilterOfTheSimulatorIsAllowed) {
  for (const auto op :
       {Operation::get_gw_info, Operation::get_configs, Operation::set_config, Operation::send_data,
        Operation::otap_status, Operation::otap_load_scratchpad, Operation::otap_process_scratchpad,
        Operation::otap_set_target_scratchpad, Operation::set_configuration_data_item,
        Operation::get_configuration_data_item}) {
    EXPECT_TRUE(gateway_may_subscribe(operation_filter(Direction::request, op, "gw-7"), "gw-7"));
  }
}

TEST(WirepasTopicRules, OperatorsUseEveryGwTopicAndNothingElse) {
  for (const char* ok :
       {"gw-event/#", "gw-event/status/+", "gw-response/#", "gw-request/send_data/gw1/sink0",
        "gw-event/received_data/+/+/12345/10/+"}) {
    EXPECT_TRUE(operator_may_use(ok)) << ok;
  }
  for (const char* refused : {"#", "+/status/gw1", "node/abc/params/local", "node/#", "$SYS/#",
                              "gw-event", "gw-events/x", "$stratus/presence/n"}) {
    EXPECT_FALSE(operator_may_use(refused)) << refused;
  }
}

TEST(WirepasTopicRules, BrokerIdentitiesAreOneSafeTopicLevel) {
  static_assert(valid_broker_identity("gw-01"));
  EXPECT_TRUE(valid_broker_identity("a"));
  EXPECT_TRUE(valid_broker_identity("GW_7.site:3"));
  EXPECT_TRUE(valid_broker_identity(std::string(kMaxBrokerIdentityBytes, 'x')));
  EXPECT_FALSE(valid_broker_identity(std::string(kMaxBrokerIdentityBytes + 1, 'x')));
  for (const char* refused : {"", "gw/1", "gw+", "gw#", "gw 1", "gw\t", "gw\n", "g\xc3\xa9"}) {
    EXPECT_FALSE(valid_broker_identity(refused)) << refused;
  }
  EXPECT_FALSE(valid_broker_identity(std::string_view("gw\0x", 4)));
}

}  // namespace
}  // namespace stratus::wirepas
