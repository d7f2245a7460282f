// Request/response correlation by req_id (spec wirepas.md §1.1, §1.4).
#include "wirepas/requests.hpp"

#include <gtest/gtest.h>

namespace stratus::wirepas {
namespace {

using namespace std::chrono_literals;
using Clock = PendingRequests::Clock;

Topic response(Operation operation, std::string gw, std::string sink = "") {
  return Topic{Direction::response, operation, std::move(gw), std::move(sink)};
}

TEST(WirepasRequests, AResponseMatchesItsRequestOnce) {
  PendingRequests table;
  const auto t0 = Clock::time_point{} + 1h;
  const auto a = table.add(Operation::get_configs, "gw1", "", t0 + 5s);
  const auto b = table.add(Operation::send_data, "gw1", "sink0", t0 + 5s);
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(table.size(), 2u);
  auto matched = table.match(response(Operation::send_data, "gw1", "sink0"), b);
  ASSERT_TRUE(matched);
  EXPECT_EQ(matched->sink_id, "sink0");
  EXPECT_FALSE(table.match(response(Operation::send_data, "gw1", "sink0"), b)) << "a duplicate";
  EXPECT_EQ(table.size(), 1u);
}

TEST(WirepasRequests, UnsolicitedForeignAndMismatchedResponsesMatchNothing) {
  PendingRequests table;
  const auto id = table.add(Operation::get_configs, "gw1", "", Clock::now() + 5s);
  EXPECT_FALSE(table.match(response(Operation::get_configs, "gw1"), 0));       // unsolicited
  EXPECT_FALSE(table.match(response(Operation::get_configs, "gw1"), id + 1));  // not ours
  EXPECT_FALSE(table.match(response(Operation::get_configs, "gw2"), id));      // other gateway
  EXPECT_FALSE(table.match(response(Operation::set_config, "gw1", "s"), id));  // other operation
  Topic request = response(Operation::get_configs, "gw1");
  request.direction = Direction::request;
  EXPECT_FALSE(table.match(request, id));
  EXPECT_TRUE(table.match(response(Operation::get_configs, "gw1"), id));
}

TEST(WirepasRequests, DeadlinesExpireOldestFirst) {
  PendingRequests table;
  const auto t0 = Clock::time_point{} + 1h;
  EXPECT_FALSE(table.next_deadline());
  const auto late = table.add(Operation::otap_status, "gw1", "sink0", t0 + 10s);
  const auto early = table.add(Operation::get_gw_info, "gw2", "", t0 + 2s);
  EXPECT_EQ(*table.next_deadline(), t0 + 2s);
  EXPECT_TRUE(table.expire(t0 + 1s).empty());
  auto gone = table.expire(t0 + 2s);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].req_id, early);
  EXPECT_EQ(*table.next_deadline(), t0 + 10s);
  EXPECT_FALSE(table.match(response(Operation::get_gw_info, "gw2"), early)) << "too late";
  gone = table.expire(t0 + 60s);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].req_id, late);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace stratus::wirepas
