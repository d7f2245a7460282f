#pragma once
/// @file
/// Helpers of the system tests that drive a `StratusdProcess` over raw HTTP and MQTT: one
/// call with the RainMaker headers, a signed-up, logged-in user, and a node's credentials.

#include <filesystem>
#include <string>
#include <string_view>

#include "support/http_client.hpp"
#include "system/mqtt_test_client.hpp"
#include "system/stratusd_process.hpp"

namespace stratus::test {

/// `method target` on the server's HTTP port with `Content-Type: application/json` and,
/// when `token` is non-empty, `Authorization: <token>` (the raw JWT, as the RainMaker CLI
/// sends it).
HttpReply rest_call(const StratusdProcess& server, std::string_view method, std::string_view target,
                    const std::string& token, std::string_view body = {});

/// The value of the sample `series` (name with labels, as `/metrics` prints it) on the
/// server's `GET /metrics`, or -1 when the series is missing or the page is not served.
double metric_sample(const StratusdProcess& server, const std::string& series);

/// Signs `user` up (the code read from the server's outbox), confirms and logs in; returns
/// the access token. Failures are reported as test failures (EXPECT), never thrown.
std::string signed_up_token(const StratusdProcess& server, const std::string& user,
                            const std::string& password = "secret123");

/// The `user_id` of the user `token` belongs to (GET /v1/user).
std::string user_id_for(const StratusdProcess& server, const std::string& token);

/// Connection settings of node `node_id` on the server's device listener (mutual TLS), with a
/// P-256 key and a one-day certificate issued by the server's CA into `dir`
/// (`<node_id>.key`, `<node_id>.crt`) the first time; later calls reuse them. The port is the
/// broker's current one.
TestMqttOptions node_mqtt_options(const StratusdProcess& server, const std::filesystem::path& dir,
                                  const std::string& node_id);

}  // namespace stratus::test
