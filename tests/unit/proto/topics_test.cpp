// Proves that node topics parse in both the plain and the basic-ingest form for every
// suffix of spec rainmaker.md §1.2, that malformed topics are refused, and that presence
// events parse and round-trip. How: table-driven inputs checked field by field.
#include "proto/topics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace stratus::proto {
namespace {

const std::vector<std::pair<std::string, Suffix>> kSuffixes = {
    {"config", Suffix::config},
    {"params/local/init", Suffix::params_local_init},
    {"params/local", Suffix::params_local},
    {"params/remote", Suffix::params_remote},
    {"alert", Suffix::alert},
    {"user/mapping", Suffix::user_mapping},
    {"otafetch", Suffix::otafetch},
    {"otaurl", Suffix::otaurl},
    {"otastatus", Suffix::otastatus},
    {"tsdata", Suffix::tsdata},
    {"simple_tsdata", Suffix::simple_tsdata},
    {"to-node", Suffix::to_node},
    {"from-node", Suffix::from_node},
    {"diagnostics/from-node", Suffix::diagnostics},
};

TEST(Topics, PlainFormEverySuffix) {
  for (const auto& [text, suffix] : kSuffixes) {
    const std::string topic = "node/T2uNDXPMS9nj9vpKjs2QG8/" + text;
    const auto t = parse_node_topic(topic);
    ASSERT_TRUE(t.has_value()) << topic;
    EXPECT_EQ(t->node_id, "T2uNDXPMS9nj9vpKjs2QG8") << topic;
    EXPECT_EQ(t->suffix, suffix) << topic;
    EXPECT_FALSE(t->basic_ingest) << topic;
    EXPECT_TRUE(t->rule.empty()) << topic;
    EXPECT_TRUE(t->group_id.empty()) << topic;
    EXPECT_EQ(to_string(suffix), text);
  }
}

TEST(Topics, BasicIngestFormEverySuffix) {
  for (const auto& [text, suffix] : kSuffixes) {
    const std::string topic = "$aws/rules/esp_set_params/node/7CDFA1B2C3D4/" + text;
    const auto t = parse_node_topic(topic);
    ASSERT_TRUE(t.has_value()) << topic;
    EXPECT_EQ(t->node_id, "7CDFA1B2C3D4") << topic;
    EXPECT_EQ(t->suffix, suffix) << topic;
    EXPECT_TRUE(t->basic_ingest) << topic;
    EXPECT_EQ(t->rule, "esp_set_params") << topic;
  }
}

TEST(Topics, GroupTopic) {
  const auto t = parse_node_topic("node/abc/params/local/grp-1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->suffix, Suffix::params_local_group);
  EXPECT_EQ(t->group_id, "grp-1");
  // "init" is the init suffix, never a group id.
  EXPECT_EQ(parse_node_topic("node/abc/params/local/init")->suffix, Suffix::params_local_init);
  const auto b = parse_node_topic("$aws/rules/r/node/abc/params/local/g");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->suffix, Suffix::params_local_group);
  EXPECT_EQ(b->group_id, "g");
}

TEST(Topics, NodeIdCharacters) {
  EXPECT_TRUE(parse_node_topic("node/a.b_c:d-E9/config").has_value());
  EXPECT_TRUE(parse_node_topic("node/" + std::string(128, 'x') + "/config").has_value());
}

TEST(Topics, BadTopics) {
  const std::vector<std::string> bad = {
      "",
      "node",
      "node/",
      "node//config",
      "node/abc",
      "node/abc/",
      "node/abc/unknown",
      "node/abc/config/",
      "node/abc/params",
      "node/abc/params/local/",
      "node/abc/params/local/a/b",
      "node/abc/params/remote/g",
      "node/abc/direct/params/local/g",
      "node/ab+c/config",
      "node/+/config",
      "node/#",
      "node/ab#/config",
      "node/a b/config",
      "node/" + std::string(129, 'x') + "/config",
      "nodes/abc/config",
      "Node/abc/config",
      "/node/abc/config",
      "xnode/abc/config",
      "$aws/rules//node/x/config",
      "$aws/rules/r/node//config",
      "$aws/rules/r/node/x",
      "$aws/rules/r/x/config",
      "$aws/rules/r+/node/x/config",
      "$aws/rules/r/nodes/x/config",
      "$aws/things/x/streams/1/get/cbor",
      "$stratus/presence/abc",
      std::string("node/a\0b/config", 15),
  };
  for (const auto& topic : bad) {
    EXPECT_FALSE(parse_node_topic(topic).has_value()) << topic;
  }
}

TEST(Topics, ValidNodeId) {
  EXPECT_TRUE(valid_node_id("7CDFA1B2C3D4"));
  EXPECT_TRUE(valid_node_id("a"));
  EXPECT_TRUE(valid_node_id(std::string(kMaxNodeIdBytes, 'z')));
  EXPECT_FALSE(valid_node_id(""));
  EXPECT_FALSE(valid_node_id(std::string(kMaxNodeIdBytes + 1, 'z')));
  for (const char* bad : {"a/b", "a+b", "a#b", "a b", "a$b", "ä", "a\tb"}) {
    EXPECT_FALSE(valid_node_id(bad)) << bad;
  }
}

// What a node publishes: the basic-ingest form with the firmware's rule names, which the
// cloud's parser reads back; plain form for suffixes without a rule or when not asked.
TEST(Topics, NodePublishTopic) {
  EXPECT_EQ(node_publish_topic("N1", Suffix::params_local, true),
            "$aws/rules/esp_set_params/node/N1/params/local");
  EXPECT_EQ(node_publish_topic("N1", Suffix::from_node, true),
            "$aws/rules/esp_cmd_resp/node/N1/from-node");
  EXPECT_EQ(node_publish_topic("N1", Suffix::params_local, false), "node/N1/params/local");
  EXPECT_EQ(node_publish_topic("N1", Suffix::diagnostics, true),
            "node/N1/diagnostics/from-node");
  for (const auto& [text, suffix] : kSuffixes) {
    const auto topic = node_publish_topic("N1", suffix, true);
    const auto t = parse_node_topic(topic);
    ASSERT_TRUE(t.has_value()) << topic;
    EXPECT_EQ(t->suffix, suffix);
    EXPECT_EQ(t->basic_ingest, !basic_ingest_rule(suffix).empty()) << topic;
    EXPECT_EQ(t->rule, basic_ingest_rule(suffix)) << topic;
  }
}

TEST(Topics, TopicFor) {
  EXPECT_EQ(topic_for("N1", Suffix::params_remote), "node/N1/params/remote");
  EXPECT_EQ(topic_for("N1", Suffix::otaurl), "node/N1/otaurl");
  EXPECT_EQ(topic_for("N1", Suffix::to_node), "node/N1/to-node");
  EXPECT_EQ(topic_for("N1", Suffix::params_local_group, "g1"), "node/N1/params/local/g1");
  for (const auto& [text, suffix] : kSuffixes) {
    const auto topic = topic_for("N1", suffix);
    const auto t = parse_node_topic(topic);
    ASSERT_TRUE(t.has_value()) << topic;
    EXPECT_EQ(t->suffix, suffix);
  }
}

TEST(Topics, FiltersAreTheDocumentedOnes) {
  EXPECT_EQ(kNodeTopicFilter, "node/+/#");
  EXPECT_EQ(kBasicIngestTopicFilter, "$aws/rules/+/node/+/#");
  EXPECT_EQ(kPresenceTopicFilter, "$stratus/presence/+");
}

TEST(Presence, Parses) {
  const auto e = parse_presence("$stratus/presence/N1",
                                R"({"node_id":"N1","connected":true,"timestamp":1700000000123})");
  ASSERT_TRUE(e.has_value()) << e.error().context;
  EXPECT_EQ(e->node_id, "N1");
  EXPECT_TRUE(e->connected);
  EXPECT_EQ(e->timestamp_ms, 1700000000123);

  const auto off = parse_presence(
      "$stratus/presence/N1", R"({"timestamp":5,"connected":false,"node_id":"N1","extra":[1]})");
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->connected);
  EXPECT_EQ(off->timestamp_ms, 5);
}

TEST(Subscribed, ParsesOnlyTheParamsRemoteEvent) {
  EXPECT_EQ(kSubscribedTopicFilter, "$stratus/subscribed/+");
  EXPECT_EQ(*parse_subscribed("$stratus/subscribed/N1", "params/remote"), "N1");
  for (const auto& [topic, payload] : std::vector<std::pair<std::string, std::string>>{
           {"$stratus/subscribed/N1", "to-node"},
           {"$stratus/subscribed/N1", ""},
           {"$stratus/subscribed/", "params/remote"},
           {"$stratus/subscribed/N1/x", "params/remote"},
           {"$stratus/presence/N1", "params/remote"}}) {
    EXPECT_FALSE(parse_subscribed(topic, payload)) << topic << " " << payload;
  }
  EXPECT_TRUE(is_params_remote("node/N1/params/remote", "N1"));
  EXPECT_FALSE(is_params_remote("node/N1/params/remote/x", "N1"));
  EXPECT_FALSE(is_params_remote("node/N12/params/remote", "N1"));
  EXPECT_FALSE(is_params_remote("node/N1/params/local", "N1"));
}

TEST(Presence, RoundTrips) {
  const PresenceEvent in{"node-7", false, 1234567890123};
  const auto out = parse_presence(presence_topic(in.node_id), presence_payload(in));
  ASSERT_TRUE(out.has_value()) << out.error().context;
  EXPECT_EQ(out->node_id, in.node_id);
  EXPECT_EQ(out->connected, in.connected);
  EXPECT_EQ(out->timestamp_ms, in.timestamp_ms);
}

TEST(Presence, Refused) {
  const std::string ok = R"({"node_id":"N1","connected":true,"timestamp":1})";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"$stratus/presence/N2", ok},  // id mismatch
      {"$stratus/presence/", ok},
      {"$stratus/presence/N1/x", ok},
      {"$stratus/presences/N1", ok},
      {"node/N1/config", ok},
      {"$stratus/presence/N1", ""},
      {"$stratus/presence/N1", "[]"},
      {"$stratus/presence/N1", "not json"},
      {"$stratus/presence/N1", R"({"connected":true,"timestamp":1})"},
      {"$stratus/presence/N1", R"({"node_id":1,"connected":true,"timestamp":1})"},
      {"$stratus/presence/N1", R"({"node_id":"N1","connected":"yes","timestamp":1})"},
      {"$stratus/presence/N1", R"({"node_id":"N1","timestamp":1})"},
      {"$stratus/presence/N1", R"({"node_id":"N1","connected":true})"},
      {"$stratus/presence/N1", R"({"node_id":"N1","connected":true,"timestamp":1.5})"},
      {"$stratus/presence/N1", R"({"node_id":"N1","connected":true,"timestamp":-1})"},
      {"$stratus/presence/N1", R"({"node_id":"N1","connected":true,"timestamp":"1"})"},
      {"$stratus/presence/N1",
       R"({"node_id":"N1","connected":true,"timestamp":18446744073709551615})"},
      {"$stratus/presence/N1", std::string(2000, ' ') + ok},
  };
  for (const auto& [topic, payload] : bad) {
    const auto e = parse_presence(topic, payload);
    ASSERT_FALSE(e.has_value()) << topic << " " << payload;
    EXPECT_EQ(e.error().code, errc::invalid_argument);
    EXPECT_FALSE(e.error().context.empty());
  }
  const auto mismatch = parse_presence("$stratus/presence/N2", ok);
  EXPECT_NE(mismatch.error().context.find("differs"), std::string::npos);
}

}  // namespace
}  // namespace stratus::proto
