#pragma once
/// @file
/// The protocomm HTTP services a provisioned node runs on its network (spec
/// rainmaker-device.md §5; esp-rainmaker `esp_rmaker_local_ctrl.c`,
/// `esp_rmaker_on_network_chal_resp.c`), each a `ProtocommServer` (same wire rules as the
/// SoftAP transport) in front of an agent engine:
///
/// - local control (`agent::LocalControlEngine`): `esp_local_ctrl/version`, `/session`,
///   `/control`; the engine and the node session live on the agent's thread, so every
///   request runs there (`SessionPost`), and answers even while MQTT is down;
/// - on-network challenge-response (`agent::OnNetworkChallengeEngine`):
///   `esp_local_ctrl/version`, `/session`, `ch_resp`; stops 2 s after a client disabled it.

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "agent/local_control.hpp"
#include "agent/node_actions.hpp"
#include "agent/node_session.hpp"
#include "agent/on_network.hpp"
#include "core/error.hpp"
#include "sim/protocomm_server.hpp"

namespace stratus::sim {

/// Runs a task with the node's session on the thread that owns it (e.g. `NodeAgent::post`,
/// which also sends the MQTT actions the task appends). Must run tasks in the order given.
using SessionPost =
    std::function<void(std::function<void(agent::NodeSession&, agent::MqttActions&)> task)>;

/// Starts local control. Each request is posted with `post` and waited for at most
/// `answer_timeout`; a request not answered in time closes the connection unanswered (the
/// task still runs, later). `options.name` defaults to "local control". Errors: those of
/// `ProtocommServer::start`; invalid_argument for a null engine or `post`.
Result<std::unique_ptr<ProtocommServer>> start_local_control_server(
    std::unique_ptr<agent::LocalControlEngine> engine, SessionPost post,
    ProtocommServerOptions options,
    std::chrono::milliseconds answer_timeout = std::chrono::seconds(5));

/// Receives what the on-network service did, on the server's thread: "challenge signed",
/// "challenge-response disabled".
using OnNetworkSink = std::function<void(std::string_view what)>;

/// Starts the on-network challenge-response service. `options.finish_delay` is set to the
/// firmware's 2 s and `options.name` defaults to "on-network challenge-response". Errors:
/// those of `ProtocommServer::start`; invalid_argument for a null engine.
Result<std::unique_ptr<ProtocommServer>> start_on_network_server(
    std::unique_ptr<agent::OnNetworkChallengeEngine> engine, ProtocommServerOptions options,
    OnNetworkSink sink = {});

}  // namespace stratus::sim
