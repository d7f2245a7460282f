// The topic table of spec wirepas.md §1.2: every row built and parsed back, the README's
// two spellings of the get_gw_info response, and malformed topics as values.
#include "wirepas/topics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stratus::wirepas {
namespace {

struct Row {
  const char* text;
  Topic topic;
};

// One topic per row of the table, in its order.
std::vector<Row> table() {
  using D = Direction;
  using O = Operation;
  return {
      {"gw-event/status/gw1", {D::event, O::status, "gw1", ""}},
      {"gw-event/received_data/gw1/sink0/12345/10/11",
       {D::event, O::received_data, "gw1", "sink0", 12345, 10, 11}},
      {"gw-request/get_configs/gw1", {D::request, O::get_configs, "gw1", ""}},
      {"gw-response/get_configs/gw1", {D::response, O::get_configs, "gw1", ""}},
      {"gw-request/set_config/gw1/sink0", {D::request, O::set_config, "gw1", "sink0"}},
      {"gw-response/set_config/gw1/sink0", {D::response, O::set_config, "gw1", "sink0"}},
      {"gw-request/send_data/gw1/sink1", {D::request, O::send_data, "gw1", "sink1"}},
      {"gw-response/send_data/gw1/sink1", {D::response, O::send_data, "gw1", "sink1"}},
      {"gw-request/otap_status/gw1/sink0", {D::request, O::otap_status, "gw1", "sink0"}},
      {"gw-response/otap_status/gw1/sink0", {D::response, O::otap_status, "gw1", "sink0"}},
      {"gw-request/otap_load_scratchpad/gw1/sink0",
       {D::request, O::otap_load_scratchpad, "gw1", "sink0"}},
      {"gw-response/otap_load_scratchpad/gw1/sink0",
       {D::response, O::otap_load_scratchpad, "gw1", "sink0"}},
      {"gw-request/otap_process_scratchpad/gw1/sink0",
       {D::request, O::otap_process_scratchpad, "gw1", "sink0"}},
      {"gw-response/otap_process_scratchpad/gw1/sink0",
       {D::response, O::otap_process_scratchpad, "gw1", "sink0"}},
      {"gw-request/get_gw_info/gw1", {D::request, O::get_gw_info, "gw1", ""}},
      {"gw-response/get_gw_info/gw1", {D::response, O::get_gw_info, "gw1", ""}},
      {"gw-request/otap_set_target_scratchpad/gw1/sink0",
       {D::request, O::otap_set_target_scratchpad, "gw1", "sink0"}},
      {"gw-response/otap_set_target_scratchpad/gw1/sink0",
       {D::response, O::otap_set_target_scratchpad, "gw1", "sink0"}},
      {"gw-request/set_configuration_data_item/gw1/sink0",
       {D::request, O::set_configuration_data_item, "gw1", "sink0"}},
      {"gw-response/set_configuration_data_item/gw1/sink0",
       {D::response, O::set_configuration_data_item, "gw1", "sink0"}},
      {"gw-request/get_configuration_data_item/gw1/sink0",
       {D::request, O::get_configuration_data_item, "gw1", "sink0"}},
      {"gw-response/get_configuration_data_item/gw1/sink0",
       {D::response, O::get_configuration_data_item, "gw1", "sink0"}},
  };
}

TEST(WirepasTopics, EveryRowOfTheTableBuildsAndParses) {
  const auto rows = table();
  ASSERT_EQ(rows.size(), 22u);  // 2 events + 10 request/response pairs
  for (const auto& row : rows) {
    auto built = build_topic(row.topic);
    ASSERT_TRUE(built) << row.text << ": " << built.error().message();
    EXPECT_EQ(*built, row.text);
    auto parsed = parse_topic(row.text);
    ASSERT_TRUE(parsed) << row.text << ": " << parsed.error().message();
    EXPECT_EQ(*parsed, row.topic) << row.text;
  }
}

TEST(WirepasTopics, NumbersAreDecimalAtTheirBounds) {
  auto top = parse_topic("gw-event/received_data/g/s/18446744073709551615/255/0");
  ASSERT_TRUE(top);
  EXPECT_EQ(top->network_address, 18446744073709551615ull);
  EXPECT_EQ(top->source_endpoint, 255);
  EXPECT_EQ(top->destination_endpoint, 0);
  for (const char* bad : {
           "gw-event/received_data/g/s/18446744073709551616/1/1",  // 2^64
           "gw-event/received_data/g/s/1/256/1",                   // endpoint > 255
           "gw-event/received_data/g/s/1/1/-1", "gw-event/received_data/g/s/+1/1/1",
           "gw-event/received_data/g/s/0x10/1/1",
           "gw-event/received_data/g/s/010/1/1",  // no leading zeros
           "gw-event/received_data/g/s//1/1",
           "gw-event/received_data/g/s/abc/1/1",  // backend-client died on this (§1.5)
       }) {
    auto r = parse_topic(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::invalid_argument) << bad;
  }
}

TEST(WirepasTopics, TheGwInfoResponseIsReadInBothSpellings) {
  auto with_sink = parse_topic("gw-response/get_gw_info/gw1/sink0");
  ASSERT_TRUE(with_sink) << with_sink.error().message();
  EXPECT_EQ(with_sink->operation, Operation::get_gw_info);
  EXPECT_EQ(with_sink->gw_id, "gw1");
  EXPECT_EQ(with_sink->sink_id, "");
  EXPECT_FALSE(parse_topic("gw-request/get_gw_info/gw1/sink0"));  // only the response
  EXPECT_EQ(*build_topic(*with_sink), "gw-response/get_gw_info/gw1");
}

TEST(WirepasTopics, MalformedTopicsAreErrorsNotExceptions) {
  for (const char* bad : {
           "",
           "gw-event",
           "gw-event/status",
           "gw-event/status/",
           "gw-event/status/gw1/extra",
           "gw-events/status/gw1",
           "gw-event/unknown/gw1",
           "gw-request/status/gw1",
           "gw-event/get_configs/gw1",
           "gw-request/set_config/gw1",
           "gw-request/set_config/gw1/sink0/more",
           "gw-request/set_config/gw+/sink0",
           "gw-request/set_config/gw1/#",
           "gw-event/received_data/g/s/1/1",
           "gw-event/status/g w",
           "node/abc/params/local",
       }) {
    auto r = parse_topic(bad);
    EXPECT_FALSE(r) << "'" << bad << "'";
  }
  EXPECT_FALSE(parse_topic("gw-event/status/" + std::string(129, 'g')));
  EXPECT_TRUE(parse_topic("gw-event/status/" + std::string(128, 'g')));
}

TEST(WirepasTopics, BuildRefusesWhatCouldNotBeParsed) {
  EXPECT_FALSE(build_topic({Direction::request, Operation::status, "gw1", ""}));
  EXPECT_FALSE(build_topic({Direction::event, Operation::send_data, "gw1", "sink0"}));
  EXPECT_FALSE(build_topic({Direction::request, Operation::send_data, "gw1", ""}));
  EXPECT_FALSE(build_topic({Direction::request, Operation::get_configs, "gw1", "sink0"}));
  EXPECT_FALSE(build_topic({Direction::request, Operation::get_configs, "gw/1", ""}));
  EXPECT_FALSE(build_topic({Direction::request, Operation::get_configs, "", ""}));
}

TEST(WirepasTopics, FiltersUsePlusForEveryOpenLevel) {
  EXPECT_EQ(received_data_filter(), "gw-event/received_data/+/+/+/+/+");
  EXPECT_EQ(received_data_filter({}, {}, 12345, 10), "gw-event/received_data/+/+/12345/10/+");
  EXPECT_EQ(received_data_filter("gw1", "sink0", {}, {}, 255),
            "gw-event/received_data/gw1/sink0/+/+/255");
  EXPECT_EQ(operation_filter(Direction::event, Operation::status), "gw-event/status/+");
  EXPECT_EQ(operation_filter(Direction::response, Operation::set_config),
            "gw-response/set_config/+/+");
  EXPECT_EQ(operation_filter(Direction::request, Operation::send_data, "gw1"),
            "gw-request/send_data/gw1/+");
  EXPECT_EQ(operation_filter(Direction::request, Operation::get_gw_info, "gw1"),
            "gw-request/get_gw_info/gw1");
}

}  // namespace
}  // namespace stratus::wirepas
