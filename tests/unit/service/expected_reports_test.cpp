// Proves the expected-report set (docs/adr/0026): a node sent a set is expected once, for
// its window only, renewals extend it, it stays bounded, and the messenger marks sets but
// not other publishes.
// How: a ManualClock moves time; no sleeps.
#include "service/expected_reports.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stratus::service {
namespace {

using namespace std::chrono_literals;

TEST(ExpectedReports, ANodeSentASetIsExpectedOnceWithinItsWindow) {
  ManualClock clock(std::chrono::system_clock::now());
  ExpectedReports expected(clock, {.window = 2s, .limit = 10});
  EXPECT_FALSE(expected.pending());
  EXPECT_FALSE(expected.take("n1")) << "nothing expected yet";
  expected.expect("n1");
  EXPECT_TRUE(expected.pending());
  EXPECT_EQ(expected.size(), 1U);
  EXPECT_FALSE(expected.take("n2")) << "another node's report is bulk";
  clock.advance(1999ms);
  EXPECT_TRUE(expected.take("n1")) << "the first report within the window";
  EXPECT_FALSE(expected.take("n1")) << "only the first";
  EXPECT_FALSE(expected.pending());
  EXPECT_EQ(expected.size(), 0U);
}

TEST(ExpectedReports, AWindowPassesAndARenewalExtendsIt) {
  ManualClock clock(std::chrono::system_clock::now());
  ExpectedReports expected(clock, {.window = 2s, .limit = 10});
  expected.expect("late");
  clock.advance(2s);
  EXPECT_FALSE(expected.pending()) << "a node that never answered is forgotten";
  EXPECT_FALSE(expected.take("late"));

  expected.expect("renewed");
  clock.advance(1500ms);
  expected.expect("renewed");  // a second set: its window starts again
  clock.advance(1500ms);
  EXPECT_TRUE(expected.pending()) << "the first window's stale entry forgot the renewal";
  EXPECT_TRUE(expected.take("renewed"));

  // A report after the window passed but before anything walked the expiries.
  expected.expect("slow");
  clock.advance(3s);
  EXPECT_FALSE(expected.take("slow"));
  EXPECT_FALSE(expected.pending());
}

TEST(ExpectedReports, NodesBeyondTheLimitAreNotExpedited) {
  ManualClock clock(std::chrono::system_clock::now());
  ExpectedReports expected(clock, {.window = 2s, .limit = 3});
  for (const char* node : {"a", "b", "c", "d"})
    expected.expect(node);
  EXPECT_EQ(expected.size(), 3U);
  EXPECT_FALSE(expected.take("d")) << "past the limit";
  EXPECT_TRUE(expected.take("a"));
  expected.expect("d");
  EXPECT_TRUE(expected.take("d")) << "room again once one was taken";
  // Renewals are bounded too: a node set over and over fills the walk list, not memory.
  for (int i = 0; i < 100; ++i)
    expected.expect("b");
  EXPECT_LE(expected.size(), 3U);
  clock.advance(2s);
  EXPECT_FALSE(expected.pending());
  expected.expect("e");
  EXPECT_TRUE(expected.take("e")) << "the walk list drained with the windows";
}

class CountingMessenger final : public NodeMessenger {
 public:
  Result<void> publish_params_remote(std::string_view node_id, std::string_view) override {
    calls.emplace_back("params/remote " + std::string(node_id));
    return {};
  }
  Result<void> publish_to_node(std::string_view node_id, std::string_view) override {
    calls.emplace_back("to-node " + std::string(node_id));
    return {};
  }
  Result<void> publish_ota_url(std::string_view node_id, std::string_view) override {
    calls.emplace_back("otaurl " + std::string(node_id));
    return fail(errc::unavailable, "broker down");
  }
  std::vector<std::string> calls;
};

TEST(ExpectingMessenger, MarksSetsOnlyAndPassesEverythingThrough) {
  ManualClock clock(std::chrono::system_clock::now());
  ExpectedReports expected(clock, {.window = 2s, .limit = 10});
  CountingMessenger inner;
  ExpectingMessenger messenger(inner, expected);
  EXPECT_TRUE(messenger.publish_to_node("cmd", "\x01"));
  EXPECT_EQ(messenger.publish_ota_url("ota", "{}").error().code, errc::unavailable);
  EXPECT_FALSE(expected.pending()) << "a command request or an OTA URL is not a set";
  EXPECT_TRUE(messenger.publish_params_remote("set", R"({"Light":{"Power":true}})"));
  EXPECT_TRUE(expected.take("set"));
  EXPECT_EQ(inner.calls,
            (std::vector<std::string>{"to-node cmd", "otaurl ota", "params/remote set"}));
}

TEST(ExpectingMessenger, SharesASetWithTheOtherInstancesBeforeSendingIt) {
  ManualClock clock(std::chrono::system_clock::now());
  ExpectedReports expected(clock, {.window = 2s, .limit = 10});
  CountingMessenger inner;
  std::vector<std::string> shared;
  ExpectingMessenger messenger(inner, expected, [&](std::string_view node_id) {
    shared.push_back(std::string(node_id) + " after " + std::to_string(inner.calls.size()));
  });
  EXPECT_TRUE(messenger.publish_to_node("cmd", "\x01"));
  EXPECT_TRUE(messenger.publish_params_remote("set", "{}"));
  EXPECT_EQ(shared, (std::vector<std::string>{"set after 1"}))
      << "shared once, for the set, before it was published";
  EXPECT_TRUE(expected.take("set"));
}

}  // namespace
}  // namespace stratus::service
