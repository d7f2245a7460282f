#pragma once
/// @file
/// What both libmosquitto adapters (`mosquitto_client.cpp`, `mosquitto_connection_pool.cpp`)
/// share. Internal to src/mqtt.

#include <string_view>

#include "core/error.hpp"

struct mosquitto;  // libmosquitto's client handle

namespace stratus::mqtt::detail {

/// Calls `mosquitto_lib_init()` once per process (libmosquitto requires it). Thread-safe.
void lib_init_once();

/// Options every client gets (bench/README.md has the measurements):
/// - `TCP_NODELAY`: small MQTT packets (a PUBACK, then a report) must not wait ~40 ms for
///   Nagle's algorithm; that was most of the control round trip.
/// - MQTT 5 receive maximum 65535 (libmosquitto's default is 20): with 20 in flight the
///   broker queues, then drops, messages for a busy subscriber such as stratusd's backend.
void tune_socket_options(::mosquitto* mosq);

/// A libmosquitto return code as an `Error`: no connection / lost / refused → unavailable;
/// invalid input, payload size, UTF-8, oversize packet, QoS → invalid_argument; no memory →
/// resource_exhausted; the rest internal. Context "mqtt: <what>: <mosquitto_strerror>".
Error to_error(int rc, std::string_view what);

}  // namespace stratus::mqtt::detail
