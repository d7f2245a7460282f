#include "agent/standard.hpp"

#include <utility>

namespace stratus::agent::standard {

using model::DataType;

model::ParamSpec param(std::string name, std::string type, DataType data_type, unsigned properties,
                       std::string ui_type) {
  model::ParamSpec p;
  p.name = std::move(name);
  p.type = std::move(type);
  p.ui_type = std::move(ui_type);
  p.data_type = data_type;
  p.readable = (properties & read) != 0;
  p.writable = (properties & write) != 0;
  p.time_series = (properties & time_series) != 0;
  p.simple_ts = !p.time_series && (properties & simple_ts) != 0;
  return p;
}

model::ParamSpec ranged_param(std::string name, std::string type, DataType data_type,
                              unsigned properties, double min, double max, double step,
                              std::string ui_type) {
  auto p = param(std::move(name), std::move(type), data_type, properties, std::move(ui_type));
  p.bounds.min = min;
  p.bounds.max = max;
  if (step != 0) {
    p.bounds.step = step;
  }
  return p;
}

model::ParamSpec name_param() {
  return param("Name", "esp.param.name", DataType::string, read | write);
}

model::ParamSpec power_param() {
  return param("Power", "esp.param.power", DataType::boolean, read | write, "esp.ui.toggle");
}

model::ParamSpec brightness_param() {
  return ranged_param("Brightness", "esp.param.brightness", DataType::integer, read | write, 0, 100,
                      1, "esp.ui.slider");
}

model::ParamSpec hue_param() {
  return ranged_param("Hue", "esp.param.hue", DataType::integer, read | write, 0, 360, 1,
                      "esp.ui.hue-slider");
}

model::ParamSpec saturation_param() {
  return ranged_param("Saturation", "esp.param.saturation", DataType::integer, read | write, 0, 100,
                      1, "esp.ui.slider");
}

model::ParamSpec cct_param() {
  return ranged_param("CCT", "esp.param.cct", DataType::integer, read | write, 2700, 6500, 100,
                      "esp.ui.slider");
}

model::ParamSpec speed_param() {
  return ranged_param("Speed", "esp.param.speed", DataType::integer, read | write, 0, 5, 1,
                      "esp.ui.slider");
}

model::ParamSpec temperature_param() {
  return param("Temperature", "esp.param.temperature", DataType::floating, read | time_series,
               "esp.ui.text");
}

model::DeviceSpec system_service() {
  model::DeviceSpec s;
  s.name = "System";
  s.type = "esp.service.system";
  s.params = {param("Reboot", "esp.param.reboot", DataType::boolean, read | write),
              param("Factory-Reset", "esp.param.factory-reset", DataType::boolean, read | write),
              param("Wi-Fi-Reset", "esp.param.wifi-reset", DataType::boolean, read | write)};
  return s;
}

model::DeviceSpec time_service() {
  model::DeviceSpec s;
  s.name = "Time";
  s.type = "esp.service.time";
  s.params = {param("TZ", "esp.param.tz", DataType::string, read | write),
              param("TZ-POSIX", "esp.param.tz_posix", DataType::string, read | write)};
  return s;
}

model::DeviceSpec ota_service() {
  model::DeviceSpec s;
  s.name = "OTA";
  s.type = "esp.service.ota";
  s.params = {param("Status", "esp.param.ota_status", DataType::string, read),
              param("Info", "esp.param.ota_info", DataType::string, read),
              param("URL", "esp.param.ota_url", DataType::string, write)};
  return s;
}

model::DeviceSpec local_control_service() {
  model::DeviceSpec s;
  s.name = "Local Control";
  s.type = "esp.service.local_control";
  s.params = {param("POP", "esp.param.local_control_pop", DataType::string, read),
              param("Type", "esp.param.local_control_type", DataType::integer, read)};
  return s;
}

}  // namespace stratus::agent::standard
