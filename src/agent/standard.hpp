#pragma once
/// @file
/// The firmware's standard params, devices and services (spec rainmaker.md §2.2;
/// `esp-rainmaker: include/esp_rmaker_standard_params.h`, `src/standard_types/*.c`), so a
/// node built with the agent looks to apps exactly like one built with the firmware's
/// `esp_rmaker_*_param_create` helpers. Pure functions returning values; thread-safe.

#include <string>
#include <string_view>

#include "model/node_config.hpp"

namespace stratus::agent::standard {

/// Properties of a param, combined with `|`.
enum Property : unsigned {
  read = 1U << 0U,
  write = 1U << 1U,
  time_series = 1U << 2U,
  simple_ts = 1U << 3U,
};

/// A param spec with no bounds, valid strings or UI type. `properties` is a `Property`
/// mask; `time_series` wins over `simple_ts` when both are given.
model::ParamSpec param(std::string name, std::string type, model::DataType data_type,
                       unsigned properties, std::string ui_type = {});

/// `param` with integer or float bounds; `step` 0 = none.
model::ParamSpec ranged_param(std::string name, std::string type, model::DataType data_type,
                              unsigned properties, double min, double max, double step,
                              std::string ui_type);

/// `Name`: string, read + write, `esp.param.name`.
model::ParamSpec name_param();
/// `Power`: bool, read + write, toggle (`esp.param.power`).
model::ParamSpec power_param();
/// `Brightness`: int 0–100 step 1, slider.
model::ParamSpec brightness_param();
/// `Hue`: int 0–360 step 1, hue slider.
model::ParamSpec hue_param();
/// `Saturation`: int 0–100 step 1, slider.
model::ParamSpec saturation_param();
/// `CCT`: int 2700–6500 step 100, slider.
model::ParamSpec cct_param();
/// `Speed`: int 0–5 step 1, slider.
model::ParamSpec speed_param();
/// `Temperature`: float, read + time_series, text (`esp.param.temperature`).
model::ParamSpec temperature_param();

/// The `System` service (`esp.service.system`): `Reboot`, `Factory-Reset`, `Wi-Fi-Reset`,
/// all bool read + write.
model::DeviceSpec system_service();
/// The `Time` service (`esp.service.time`): `TZ` and `TZ-POSIX`, strings read + write.
model::DeviceSpec time_service();
/// The `OTA` service (`esp.service.ota`) of OTA using params (spec rainmaker-device.md
/// §8.6): `Status` (`esp.param.ota_status`) and `Info` (`esp.param.ota_info`), strings
/// read; `URL` (`esp.param.ota_url`), string write. Initial values are "".
model::DeviceSpec ota_service();

/// The `Local Control` service (`esp.service.local_control`; esp-rainmaker
/// `esp_rmaker_create_local_control_service`, spec rainmaker-device.md §5.3): `POP`
/// (`esp.param.local_control_pop`, string, read) and `Type`
/// (`esp.param.local_control_type`, int, read: the security version). Clients (the
/// RainMaker CLI's `--local`, the apps) read the PoP and security from these params.
model::DeviceSpec local_control_service();

}  // namespace stratus::agent::standard
