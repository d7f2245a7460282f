// Proves the `proto-ver` and `esp_local_ctrl/version` JSON is what a RainMaker node sends
// and what the RainMaker CLI reads (spec rainmaker-device.md §1.5, §5.1): the capability
// lists per security level, the `rmaker_extra` entry with `ch_resp`, the firmware's
// formatted output and old plain version strings read back, and malformed answers refused.
// How: exact JSON, parsing real-shaped samples, round trips.
#include "protocomm/capabilities.hpp"

#include <gtest/gtest.h>

namespace stratus::protocomm {
namespace {

TEST(ProtoVersion, RainMakerNodeAdvertisesItsCapabilities) {
  EXPECT_EQ(to_json(rainmaker_proto_version(SecurityVersion::sec2, true, true)),
            R"({"rmaker_extra":{"ver":"1.0","cap":["ch_resp"]},)"
            R"("prov":{"ver":"v1.1","sec_ver":2,"sec_patch_ver":1,"cap":["wifi_scan"]}})");
  EXPECT_EQ(
      to_json(rainmaker_proto_version(SecurityVersion::sec1, false, false)),
      R"({"prov":{"ver":"v1.1","sec_ver":1,"sec_patch_ver":0,"cap":["no_pop","wifi_scan"]}})");
  const auto sec0 = rainmaker_proto_version(SecurityVersion::sec0, false, true, true);
  EXPECT_TRUE(sec0.has_prov(kCapNoSec));
  EXPECT_TRUE(sec0.app_has("rmaker_extra", kCapLocalCtrl));
  const auto sec1 = rainmaker_proto_version(SecurityVersion::sec1, true, true);
  EXPECT_FALSE(sec1.has_prov(kCapNoPop));
  EXPECT_TRUE(sec1.app_has("rmaker_extra", kCapChallengeResponse));
  EXPECT_FALSE(sec1.app_has("rmaker", kCapClaim));
}

TEST(ProtoVersion, ReadsTheFirmwaresFormattedOutput) {
  // cJSON_Print output of a claiming node (tabs and newlines).
  const auto info = parse_proto_version(
      "{\n\t\"rmaker\":\t{\n\t\t\"ver\":\t\"1.0\",\n\t\t\"cap\":\t[\"claim\"]\n\t},\n"
      "\t\"rmaker_extra\":\t{\n\t\t\"ver\":\t\"1.0\",\n\t\t\"cap\":\t[\"ch_resp\"]\n\t},\n"
      "\t\"prov\":\t{\n\t\t\"ver\":\t\"netprov-v1.2\",\n\t\t\"sec_ver\":\t2,\n"
      "\t\t\"sec_patch_ver\":\t1,\n\t\t\"cap\":\t[\"wifi_prov\", \"wifi_scan\"]\n\t}\n}");
  ASSERT_TRUE(info.has_value()) << info.error().context;
  EXPECT_EQ(info->prov_ver, "netprov-v1.2");
  EXPECT_EQ(info->sec_ver, 2);
  EXPECT_EQ(info->sec_patch_ver, 1);
  EXPECT_TRUE(info->has_prov("wifi_scan"));
  EXPECT_FALSE(info->has_prov("no_sec"));
  EXPECT_TRUE(info->app_has("rmaker", kCapClaim));
  EXPECT_TRUE(info->app_has("rmaker_extra", kCapChallengeResponse));
  ASSERT_EQ(info->apps.size(), 2U);
  EXPECT_EQ(info->apps[0].name, "rmaker");
  EXPECT_FALSE(info->plain);
}

TEST(ProtoVersion, OldFirmwareWithoutCapabilities) {
  const auto bare = parse_proto_version(R"({"prov":{"ver":"v1.0","cap":[]}})");
  ASSERT_TRUE(bare.has_value());
  EXPECT_FALSE(bare->sec_ver.has_value());
  EXPECT_FALSE(bare->sec_patch_ver.has_value());
  const auto plain = parse_proto_version("v1.0");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->plain);
  EXPECT_EQ(plain->prov_ver, "v1.0");
  EXPECT_TRUE(plain->prov_cap.empty());
  EXPECT_EQ(to_json(*plain), "v1.0");
}

TEST(ProtoVersion, RoundTrips) {
  for (const auto& info :
       {rainmaker_proto_version(SecurityVersion::sec0, false, false),
        rainmaker_proto_version(SecurityVersion::sec2, true, true, true),
        ProtoVersion{
            "v9", std::nullopt, 3, {"a", "b"}, {{"x", "2", {}}, {"y", "", {"c"}}}, false}}) {
    const auto back = parse_proto_version(to_json(info));
    ASSERT_TRUE(back.has_value()) << to_json(info);
    EXPECT_EQ(*back, info) << to_json(info);
  }
}

TEST(ProtoVersion, RefusesMalformedAnswers) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "neither JSON nor"},
      {std::string(65, 'v'), "neither JSON nor"},
      {"v1\n", "neither JSON nor"},
      {"{", "not JSON"},
      {"{}", "no \"prov\""},
      {R"({"prov":[]})", "no \"prov\""},
      {R"({"prov":{"cap":[]}})", "prov.ver"},
      {R"({"prov":{"ver":1}})", "prov.ver"},
      {R"({"prov":{"ver":"v1.1","cap":"wifi_scan"}})", "not an array"},
      {R"({"prov":{"ver":"v1.1","cap":[1]}})", "non-string"},
      {R"({"prov":{"ver":"v1.1","sec_ver":"2"}})", "sec_ver"},
      {R"({"prov":{"ver":"v1.1","sec_ver":256}})", "sec_ver"},
      {R"({"prov":{"ver":"v1.1","sec_patch_ver":-1}})", "sec_patch_ver"},
  };
  for (const auto& [text, reason] : cases) {
    const auto r = parse_proto_version(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error().code, errc::invalid_argument);
    EXPECT_NE(r.error().context.find(reason), std::string::npos)
        << text << ": " << r.error().context;
  }
  // Application entries we cannot read are skipped, not refused.
  const auto odd = parse_proto_version(R"({"x":1,"y":{"ver":"1"},"z":{"ver":"1","cap":[2]},)"
                                       R"("prov":{"ver":"v1.1","cap":[]}})");
  ASSERT_TRUE(odd.has_value());
  EXPECT_TRUE(odd->apps.empty());
}

TEST(LocalCtrlVersion, WritesAndReadsTheVersionEndpoint) {
  const LocalCtrlVersion v{"v1.0", 2, 1};
  EXPECT_EQ(to_json(v), R"({"local_ctrl":{"ver":"v1.0","sec_ver":2,"sec_patch_ver":1}})");
  EXPECT_EQ(*parse_local_ctrl_version(to_json(v)), v);
  const auto old = parse_local_ctrl_version(R"({"local_ctrl":{"ver":"v1.0","sec_ver":1}})");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->sec_patch_ver, 0);
  for (const auto* bad : {"", "[]", R"({"local_ctrl":1})", R"({"local_ctrl":{"ver":"v1.0"}})",
                          R"({"local_ctrl":{"ver":"v1.0","sec_ver":9999}})"}) {
    EXPECT_FALSE(parse_local_ctrl_version(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace stratus::protocomm
