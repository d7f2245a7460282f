// Fuzz target `params`: a user's set request validated against a fixed node config
// (model::validate_set, the light of tests/data/node_config_light.json), and a node's params
// report merged into a fixed state (model::merge_report, spec rainmaker.md §1.5).
// Input: one JSON object, used as both the set and the report.
// Invariants: a valid set names only writable params of the config; after a merge every
// device of the report is in the state, and a reported param has the reported value.
#include <boost/json/parse.hpp>
#include <string_view>

#include "fuzz_check.hpp"
#include "model/node_config.hpp"
#include "model/params.hpp"
#include "proto/payloads.hpp"

namespace {

namespace json = boost::json;
using namespace stratus;

constexpr std::string_view kConfig = R"({"node_id":"7CDFA1B2C3D4","config_version":"2020-03-20",
 "info":{"name":"Light","fw_version":"1.0","type":"Lightbulb"},
 "attributes":[{"name":"cmd-resp","value":"1"}],
 "devices":[{"name":"Light","type":"esp.device.lightbulb","primary":"Power","params":[
  {"name":"Name","type":"esp.param.name","data_type":"string","properties":["read","write"]},
  {"name":"Power","type":"esp.param.power","data_type":"bool","properties":["read","write"]},
  {"name":"Brightness","data_type":"int","properties":["read","write"],
   "bounds":{"min":0,"max":100,"step":1}},
  {"name":"Hue","data_type":"int","properties":["read","write"],"bounds":{"min":0,"max":360,"step":1}},
  {"name":"CCT","data_type":"float","properties":["read","write"],
   "bounds":{"min":2700.0,"max":6500.0,"step":0.5}},
  {"name":"Mode","data_type":"string","properties":["read","write"],"valid_strs":["warm","cold"]},
  {"name":"Firmware","data_type":"string","properties":["read"]},
  {"name":"Scene","data_type":"object","properties":["read","write"]}]}],
 "services":[{"name":"Schedule","type":"esp.service.schedule","params":[
  {"name":"Schedules","data_type":"array","properties":["read","write"],"bounds":{"min":0,"max":10}}]}]})";

constexpr std::string_view kState =
    R"({"Light":{"Name":"Light","Power":false,"Brightness":50,"Hue":0},"Schedule":{"Schedules":[]}})";

const model::NodeConfig& config() {
  static const model::NodeConfig parsed = [] {
    auto c = model::parse_node_config(kConfig);
    FUZZ_CHECK(c.has_value());
    return std::move(*c);
  }();
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = proto::parse_json_object(fuzz::as_text(data, size), 64 * 1024);
  if (!input)
    return 0;

  if (model::validate_set(config(), *input)) {
    FUZZ_CHECK(!input->empty());
    for (const auto& [device, params] : *input) {
      FUZZ_CHECK(params.is_object() && !params.as_object().empty());
      for (const auto& [param, value] : params.as_object()) {
        const auto* spec = config().find_param(device, param);
        FUZZ_CHECK(spec != nullptr && spec->writable);
        FUZZ_CHECK(model::validate_value(*spec, value).has_value());
      }
    }
  }

  json::object state = json::parse(kState).as_object();
  model::merge_report(state, *input);
  for (const auto& [device, reported] : *input) {
    const auto* stored = state.if_contains(device);
    FUZZ_CHECK(stored != nullptr);
    if (reported.is_object() && stored->is_object()) {
      for (const auto& [param, value] : reported.as_object()) {
        const auto* kept = stored->as_object().if_contains(param);
        FUZZ_CHECK(kept != nullptr && *kept == value);
      }
    }
  }
  return 0;
}
