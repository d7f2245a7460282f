// Proves the "OTA using params" codec (spec rainmaker.md §4.6): the OTA service is found
// in a node config by its type whatever the firmware named it and its params, configs
// without one give nullopt, the set that starts an update names the service and URL
// param, and progress is read from a params report tolerantly.
// How: node configs and params documents as firmware writes them, parsed and checked.
#include "proto/rest/ota_params.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

json::object object_of(std::string_view text) {
  return json::parse(text).as_object();
}

constexpr std::string_view kConfig = R"({
  "node_id": "n1",
  "info": {"name": "Light", "fw_version": "1.0", "type": "esp.device.lightbulb"},
  "devices": [{"name": "Light", "type": "esp.device.lightbulb", "params": []}],
  "services": [
    {"name": "Time", "type": "esp.service.time",
     "params": [{"name": "TZ", "type": "esp.param.tz"}]},
    {"name": "Firmware", "type": "esp.service.ota",
     "params": [{"name": "Link", "type": "esp.param.ota_url", "properties": ["write"]},
                {"name": "State", "type": "esp.param.ota_status", "properties": ["read"]},
                {"name": "Detail", "type": "esp.param.ota_info", "properties": ["read"]}]}
  ]
})";

TEST(OtaParams, FindsTheServiceByTypeWhateverItsNames) {
  auto found = find_ota_params_service(object_of(kConfig));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "Firmware");
  EXPECT_EQ(found->url_param, "Link");
  EXPECT_EQ(found->status_param, "State");
  EXPECT_EQ(found->info_param, "Detail");
}

TEST(OtaParams, ConfigsWithoutTheServiceGiveNothing) {
  EXPECT_FALSE(find_ota_params_service(object_of(R"({"node_id":"n1"})")));
  EXPECT_FALSE(find_ota_params_service(object_of(R"({"services":{}})")));
  EXPECT_FALSE(find_ota_params_service(
      object_of(R"({"services":[7,{"name":"T","type":"esp.service.time"}]})")));
  // A service without params is found, with no param names (the caller refuses it).
  auto bare = find_ota_params_service(object_of(R"({"services":[{"name":"OTA",
      "type":"esp.service.ota","params":[3,{"name":1,"type":"esp.param.ota_url"}]}]})"));
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->name, "OTA");
  EXPECT_EQ(bare->url_param, "");
}

TEST(OtaParams, TheSetNamesTheServiceAndTheUrlParam) {
  const OtaParamsService service{"OTA", "URL", "Status", "Info"};
  EXPECT_EQ(json::serialize(ota_url_set(service, "https://cloud/v1/ota/download?x=1&sig=ab")),
            R"({"OTA":{"URL":"https://cloud/v1/ota/download?x=1&sig=ab"}})");
}

TEST(OtaParams, ProgressIsReadFromTheParamsReport) {
  const OtaParamsService service{"OTA", "URL", "Status", "Info"};
  auto progress = parse_ota_params_progress(
      object_of(R"({"Light":{"Power":true},"OTA":{"Status":"in-progress","Info":"Downloading"}})"),
      service);
  EXPECT_EQ(progress.status, "in-progress");
  EXPECT_EQ(progress.info, "Downloading");
  EXPECT_FALSE(progress.finished());
  for (const auto* final_status : {"success", "failed", "rejected"})
    EXPECT_TRUE((OtaParamsProgress{final_status, ""}.finished())) << final_status;
  EXPECT_FALSE((OtaParamsProgress{"delayed", ""}.finished()));

  EXPECT_EQ(parse_ota_params_progress(object_of(R"({"Light":{}})"), service), OtaParamsProgress{});
  EXPECT_EQ(parse_ota_params_progress(object_of(R"({"OTA":{"Status":3,"Info":"x"}})"), service),
            (OtaParamsProgress{"", "x"}));
  const OtaParamsService no_info{"OTA", "URL", "Status", ""};
  EXPECT_EQ(
      parse_ota_params_progress(object_of(R"({"OTA":{"Status":"failed","Info":"x"}})"), no_info),
      (OtaParamsProgress{"failed", ""}));
}

}  // namespace
}  // namespace stratus::proto::rest
