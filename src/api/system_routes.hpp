#pragma once
/// @file
/// Unversioned RainMaker routes a client calls before anything else
/// (spec rainmaker.md §4.1, §6.4): `GET /apiversions` and `GET /mqtt_host`.

#include <string>

#include "http/router.hpp"

namespace stratus::api {

/// Adds `GET /apiversions` → `{"supported_versions":["v1"],"current_version":"v1"}`
/// (the CLI refreshes tokens only after seeing "v1" here) and `GET /mqtt_host` →
/// `{"mqtt_host":"<mqtt_host>"}` (host only: the firmware picks the port).
/// Thread-safe handlers; no state beyond `mqtt_host`.
void add_system_routes(http::Router& router, std::string mqtt_host);

}  // namespace stratus::api
