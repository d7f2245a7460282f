#pragma once
/// @file
/// What both libmosquitto adapters (`mosquitto_client.cpp`, `mosquitto_connection_pool.cpp`)
/// share. Internal to src/mqtt.

#include <string_view>

#include "core/error.hpp"

namespace stratus::mqtt::detail {

/// Calls `mosquitto_lib_init()` once per process (libmosquitto requires it). Thread-safe.
void lib_init_once();

/// A libmosquitto return code as an `Error`: no connection / lost / refused → unavailable;
/// invalid input, payload size, UTF-8, oversize packet, QoS → invalid_argument; no memory →
/// resource_exhausted; the rest internal. Context "mqtt: <what>: <mosquitto_strerror>".
Error to_error(int rc, std::string_view what);

}  // namespace stratus::mqtt::detail
