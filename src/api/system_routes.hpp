#pragma once
/// @file
/// Unversioned RainMaker routes a client calls before anything else
/// (spec rainmaker.md §4.1, §6.4): `GET /apiversions` and `GET /mqtt_host`.

#include <cstdint>
#include <string>

#include "http/router.hpp"

namespace stratus::api {

/// Adds `GET /apiversions` → `{"supported_versions":["v1"],"current_version":"v1"}`
/// (the CLI refreshes tokens only after seeing "v1" here) and `GET /mqtt_host` →
/// `{"mqtt_host":"<mqtt_host>","mqtt_port":<mqtt_port>}`. The firmware and the
/// RainMaker CLI read only `mqtt_host` (spec §6.4); `mqtt_port`, the node MQTT
/// port the broker actually bound, is a Stratus extra so that host tools
/// (`stratus claim`, `stratus-node`) connect without more configuration. It is
/// left out when 0 (external broker: the port is not known).
/// Thread-safe handlers; no state beyond the two values.
void add_system_routes(http::Router& router, std::string mqtt_host, std::uint16_t mqtt_port = 0);

}  // namespace stratus::api
