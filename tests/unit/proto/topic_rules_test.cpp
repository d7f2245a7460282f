// Proves that the node topic ACL the broker plugin applies (proto/topic_rules.hpp) lets a
// node use its own plain and basic-ingest topics and nothing else. How: literal topics
// checked against node ids, and static_asserts that the rule is usable at compile time.
#include "proto/topic_rules.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stratus::proto {
namespace {

static_assert(valid_node_id("node-1"));
static_assert(under_node_tree("node/n1/params/local", "n1"));
static_assert(under_basic_ingest("$aws/rules/esp_set_params/node/n1/params/local", "n1"));

TEST(TopicRules, NodeTreeIsTheNodesOwnTopicsOnly) {
  EXPECT_TRUE(under_node_tree("node/abc", "abc"));
  EXPECT_TRUE(under_node_tree("node/abc/", "abc"));
  EXPECT_TRUE(under_node_tree("node/abc/params/remote", "abc"));
  EXPECT_TRUE(under_node_tree("node/abc/#", "abc"));
  EXPECT_FALSE(under_node_tree("node/abcd/params/remote", "abc")) << "a longer id is another node";
  EXPECT_FALSE(under_node_tree("node/ab", "abc"));
  EXPECT_FALSE(under_node_tree("node/+/params/remote", "abc"));
  EXPECT_FALSE(under_node_tree("node/#", "abc"));
  EXPECT_FALSE(under_node_tree("nodes/abc/config", "abc"));
  EXPECT_FALSE(under_node_tree("/node/abc/config", "abc"));
  EXPECT_FALSE(under_node_tree("$aws/rules/r/node/abc/config", "abc"));
  EXPECT_FALSE(under_node_tree("", "abc"));
}

TEST(TopicRules, BasicIngestNeedsARuleAndSomethingAfterTheId) {
  EXPECT_TRUE(under_basic_ingest("$aws/rules/esp_node_config/node/abc/config", "abc"));
  EXPECT_TRUE(under_basic_ingest("$aws/rules/any_rule/node/abc/x/y", "abc"));
  EXPECT_TRUE(under_basic_ingest("$aws/rules/r/node/abc/", "abc"));
  EXPECT_FALSE(under_basic_ingest("$aws/rules/r/node/abc", "abc")) << "the bare node level";
  EXPECT_FALSE(under_basic_ingest("$aws/rules//node/abc/config", "abc")) << "empty rule";
  EXPECT_FALSE(under_basic_ingest("$aws/rules/+/node/abc/config", "abc"));
  EXPECT_FALSE(under_basic_ingest("$aws/rules/a#/node/abc/config", "abc"));
  EXPECT_FALSE(under_basic_ingest("$aws/rules/r/node/other/config", "abc"));
  EXPECT_FALSE(under_basic_ingest("$aws/rules/r/x/node/abc/config", "abc"));
  EXPECT_FALSE(under_basic_ingest("$aws/rules/r", "abc"));
  EXPECT_FALSE(under_basic_ingest("node/abc/config", "abc"));
}

TEST(TopicRules, NodeIdsAreSingleLiteralTopicLevels) {
  EXPECT_TRUE(valid_node_id("7CDFA1B2C3D4"));
  EXPECT_TRUE(valid_node_id("a.b_c:d-e"));
  EXPECT_TRUE(valid_node_id(std::string(kMaxNodeIdBytes, 'z')));
  EXPECT_FALSE(valid_node_id(std::string(kMaxNodeIdBytes + 1, 'z')));
  const std::string bad_ids[] = {"", "a/b", "a+", "#", "a b", std::string("a\0b", 3), "é"};
  for (const auto& bad : bad_ids) {
    EXPECT_FALSE(valid_node_id(bad)) << bad;
  }
}

TEST(TopicRules, PresencePrefixIsADollarTopic) {
  EXPECT_EQ(kPresenceTopicPrefix, "$stratus/presence/");
}

// docs/adr/0021: the plugin's copies of `$` topics and the filter the instances share.
TEST(TopicRules, ClusterMirrorTopicsReadBackAsTheOriginal) {
  const std::string basic = "$aws/rules/esp_node/node/n1/params/local";
  EXPECT_EQ(cluster_mirror_topic(basic), "stratus-mirror/aws/rules/esp_node/node/n1/params/local");
  EXPECT_EQ(topic_from_cluster_mirror(cluster_mirror_topic(basic)), basic);
  EXPECT_EQ(topic_from_cluster_mirror("stratus-mirror/" + basic), basic) << "a copy keeping $";
  EXPECT_EQ(cluster_mirror_filter("$aws/rules/+/node/+/#"), "stratus-mirror/+/rules/+/node/+/#");
  EXPECT_EQ(cluster_mirror_filter("$stratus/subscribed/+"), "stratus-mirror/+/subscribed/+");
  EXPECT_EQ(topic_from_cluster_mirror(cluster_mirror_topic("$stratus/subscribed/n1")),
            "$stratus/subscribed/n1");
}

}  // namespace
}  // namespace stratus::proto
