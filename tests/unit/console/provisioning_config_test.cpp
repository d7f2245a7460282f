// `provisioning_config` (issue 22; spec wirepas.md §5.3): the original's example file, the
// later `version: 1` layout, the YAML typing of values (unquoted integers, `0x..` byte
// strings, text), and validation that reports every problem as `file:entry.key`.
#include "console/provisioning_config.hpp"

#include <gtest/gtest.h>

namespace stratus::console {
namespace {

namespace prov = wirepas::provisioning;

const char* const kAuth =
    "0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0x09 0x0A 0x0B 0x0C 0x0D 0x0E 0x0F 0x10";
const char* const kEnc =
    "0x10 0x0F 0x0E 0x0D 0x0C 0x0B 0x0A 0x09 0x08 0x07 0x06 0x05 0x04 0x03 0x02 0x01";
const char* const kFactory =
    "0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0X09 0X0A 0X0B 0X0C 0X0D 0X0E 0X0F "
    "0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07 0x08 0X09 0X0A 0X0B 0X0C 0X0D 0X0E 0X0F";

std::string seq(int first, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out.push_back(static_cast<char>(first + i));
  return out;
}

// The spec's layout, as the original's example writes it (UIDs as keys, one as hex).
std::string example() {
  return std::string("# authorized nodes\n") +
         "test_node_secure:\n"
         "    method: 1\n"
         "    factory_key: " +
         kFactory +
         "\n"
         "    network_address: 0x1012EE\n"
         "    network_channel: 2\n"
         "    node_id: 0x11\n"
         "    node_role: 0x41\n"
         "    authentication_key: " +
         kAuth +
         "\n"
         "    encryption_key: " +
         kEnc +
         "\n"
         "    user_specific:\n"
         "        128: 'some_string'\n"
         "        129: 0x34\n"
         "        130: 0xCA 0xFE\n"
         "0x41 0xb1 0x85 0x7a:\n"
         "    method: 0\n"
         "    network_address: 1053422\n"
         "    network_channel: 2\n"
         "    authentication_key: " +
         kAuth +
         "\n"
         "    encryption_key: " +
         kEnc + "\n";
}

TEST(ProvisioningConfigTest, ReadsTheOriginalsLayout) {
  auto c = parse_provisioning_config(example(), "config.yml");
  ASSERT_TRUE(c) << c.error().context;
  ASSERT_EQ(c->nodes.size(), 2u);

  const auto& secure = c->nodes.at("test_node_secure");
  EXPECT_EQ(secure.uid, "test_node_secure");
  EXPECT_EQ(secure.method, 1);
  ASSERT_TRUE(secure.factory_key);
  const auto half = seq(0, 16);
  EXPECT_EQ(std::string(secure.factory_key->authentication.begin(),
                        secure.factory_key->authentication.end()),
            half);
  EXPECT_EQ(
      std::string(secure.factory_key->encryption.begin(), secure.factory_key->encryption.end()),
      half);
  EXPECT_EQ(std::string(secure.content.authentication_key.begin(),
                        secure.content.authentication_key.end()),
            seq(1, 16));
  EXPECT_EQ(secure.content.encryption_key[0], 0x10);
  EXPECT_EQ(secure.content.network_address, 0x1012EEu);
  EXPECT_EQ(secure.content.network_channel, 2u);
  EXPECT_EQ(secure.content.node_address, 0x11u);
  EXPECT_EQ(secure.content.node_role, 0x41);
  ASSERT_EQ(secure.content.user_specific.size(), 3u);
  EXPECT_EQ(secure.content.user_specific.at(128).kind, prov::UserValue::Kind::text);
  EXPECT_EQ(secure.content.user_specific.at(128).bytes, "some_string");
  EXPECT_EQ(secure.content.user_specific.at(129).kind, prov::UserValue::Kind::integer);
  EXPECT_EQ(secure.content.user_specific.at(129).integer, 0x34);
  EXPECT_EQ(secure.content.user_specific.at(130).kind, prov::UserValue::Kind::bytes);
  EXPECT_EQ(secure.content.user_specific.at(130).bytes, "\xCA\xFE");

  const std::string hex_uid("\x41\xb1\x85\x7a", 4);
  ASSERT_TRUE(c->nodes.contains(hex_uid));
  EXPECT_EQ(c->nodes.at(hex_uid).method, 0);
  EXPECT_FALSE(c->nodes.at(hex_uid).factory_key);
  EXPECT_EQ(c->nodes.at(hex_uid).content.network_address, 0x1012EEu);
  EXPECT_FALSE(c->nodes.at(hex_uid).content.node_address);
  EXPECT_EQ(c->names.at(hex_uid), "0x41 0xb1 0x85 0x7a");
  EXPECT_EQ(printable_uid(hex_uid), "0x41b1857a");
  EXPECT_EQ(printable_uid("node-7"), "node-7");
}

TEST(ProvisioningConfigTest, AnEntrysUidWinsOverItsKey) {
  auto c = parse_provisioning_config(std::string("test_node_insecure:\n  method: 0\n") +
                                         "  uid: 0x41 0xb1\n  authentication_key: " + kAuth +
                                         "\n  encryption_key: " + kEnc + "\n",
                                     "c.yml");
  ASSERT_TRUE(c) << c.error().context;
  EXPECT_TRUE(c->nodes.contains(std::string("\x41\xb1", 2)));
  EXPECT_EQ(c->names.begin()->second, "test_node_insecure");
}

TEST(ProvisioningConfigTest, ReadsTheVersionOneLayout) {
  auto c = parse_provisioning_config(std::string("version: 1\n") +
                                         "networks:\n"
                                         "  plant:\n"
                                         "    address: 0x1012EE\n"
                                         "    channel: 7\n"
                                         "    authentication_key: " +
                                         kAuth +
                                         "\n"
                                         "    encryption_key: " +
                                         kEnc +
                                         "\n"
                                         "nodes:\n"
                                         "  meter-1:\n"
                                         "    network: plant\n"
                                         "    method: 1\n"
                                         "    uid: meter-uid-1\n"
                                         "    factory_key: " +
                                         kFactory +
                                         "\n"
                                         "    node_id: 77\n",
                                     "v1.yml");
  ASSERT_TRUE(c) << c.error().context;
  const auto& node = c->nodes.at("meter-uid-1");
  EXPECT_EQ(node.method, 1);
  EXPECT_EQ(node.content.network_address, 0x1012EEu);
  EXPECT_EQ(node.content.network_channel, 7u);
  EXPECT_EQ(node.content.node_address, 77u);
  EXPECT_EQ(c->names.at("meter-uid-1"), "nodes.meter-1");
}

TEST(ProvisioningConfigTest, ReportsEveryProblemWithFileAndKey) {
  const std::string text = std::string("a:\n  method: 1\n") +  // no factory key, no keys
                           "b:\n  method: 3\n  authentication_key: " + kAuth +
                           "\n  encryption_key: 0x01 0x02\n" +  // method 3, short key
                           "c:\n  method: 0\n  authentication_key: " + kAuth +
                           "\n  encryption_key: " + kEnc +
                           "\n  network_address: 0x1000000\n  node_role: 0x4142\n"
                           "  factroy_key: 0x00\n  user_specific:\n    12: x\n" +
                           "d:\n  method: zero\n  authentication_key: 0xZZ\n";
  auto c = parse_provisioning_config(text, "bad.yml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::invalid_argument);
  const auto& m = c.error().context;
  for (const char* line : {
           "bad.yml:a.factory_key: missing (32 bytes, required by method 1)",
           "bad.yml:a.authentication_key: missing (16 bytes)",
           "bad.yml:a.encryption_key: missing (16 bytes)",
           "bad.yml:b.method: 3 (extended UID) is not supported; use 0 or 1",
           "bad.yml:b.encryption_key: must be 16 bytes, got 2",
           "bad.yml:c.network_address: 16777216 is out of range 0-16777215",
           "bad.yml:c.node_role: must be 1 byte, got 2",
           "bad.yml:c.factroy_key: unknown key",
           "bad.yml:c.user_specific.12: keys are 128 to 255",
           "bad.yml:d.method: not an integer",
           "bad.yml:d.authentication_key: \"0xZZ\" is not hex",
       }) {
    EXPECT_NE(m.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << m;
  }
}

TEST(ProvisioningConfigTest, RefusesTheSameUidTwice) {
  const std::string entry = std::string("  method: 0\n  authentication_key: ") + kAuth +
                            "\n  encryption_key: " + kEnc + "\n";
  auto c = parse_provisioning_config("abc:\n" + entry + "0x61 0x62 0x63:\n" + entry, "dup.yml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().context.find("dup.yml:0x61 0x62 0x63: the same UID as abc"),
            std::string::npos)
      << c.error().context;
}

TEST(ProvisioningConfigTest, MalformedFilesAreClearErrors) {
  EXPECT_TRUE(parse_provisioning_config("", "empty.yml"));  // authorizes nobody
  auto not_map = parse_provisioning_config("- a\n- b\n", "list.yml");
  ASSERT_FALSE(not_map);
  EXPECT_EQ(not_map.error().context, "list.yml: not a map of node UIDs to their provisioning data");
  auto broken = parse_provisioning_config("a: [1, 2\n", "broken.yml");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().context.rfind("broken.yml: ", 0), 0u);
  auto version = parse_provisioning_config("version: 2\nnodes: {}\n", "v2.yml");
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().context, "v2.yml:version: only 1 is known");
  auto missing = load_provisioning_config("/nonexistent/config.yml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
}

TEST(ProvisioningConfigTest, ByteStringsAsTheToolsWriteThem) {
  EXPECT_EQ(*prov::parse_byte_string("0x01 0x02"), std::string("\x01\x02", 2));
  EXPECT_EQ(*prov::parse_byte_string("0x0102"), std::string("\x01\x02", 2));
  EXPECT_EQ(*prov::parse_byte_string("0X0a 0xFF"), std::string("\x0a\xff", 2));
  EXPECT_EQ(*prov::parse_byte_string("plain text"), "plain text");
  EXPECT_EQ(*prov::parse_byte_string(""), "");
  EXPECT_EQ(*prov::parse_byte_string("0x"), "");
  EXPECT_FALSE(prov::parse_byte_string("0x1"));
  EXPECT_FALSE(prov::parse_byte_string("0x0g"));
}

}  // namespace
}  // namespace stratus::console
