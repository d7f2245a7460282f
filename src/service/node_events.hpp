#pragma once
/// @file
/// What the MQTT side tells the node service, already decoded and checked
/// against the sender's identity (src/link does that).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "proto/cmd_resp.hpp"
#include "proto/payloads.hpp"

namespace stratus::service {

/// `config` (spec §1.3): the node config, verbatim.
struct ConfigReported {
  std::string config_json;
};
/// `params/local/init` (`init` = true, replaces) or `params/local` (merges).
struct ParamsReported {
  std::string params_json;  ///< a JSON object {device: {param: value}}
  bool init = false;
};
/// Presence from the broker plugin.
struct PresenceChanged {
  bool connected = false;
  std::int64_t timestamp_ms = 0;
};
/// `alert`, kept verbatim.
struct AlertRaised {
  std::string payload;
};
/// `user/mapping` (spec §1.3).
struct MappingReported {
  std::string user_id;
  std::string secret_key;
  bool reset = false;
};
/// The cmd-resp poll on `from-node` (spec §1.4 step 5, §3.4): the node has
/// (re)subscribed after connecting, so it is the moment to deliver desired params kept
/// while it was offline and to re-send its pending command requests.
struct NodeReady {};
/// The node subscribed to `params/remote` (the broker plugin's subscription event): it
/// can receive sets, so desired params kept while it was offline are delivered now. For
/// firmware that publishes nothing on reconnect (no cmd-resp poll); commands wait for
/// the poll, which follows the node's `to-node` subscription (issue 13).
struct ParamsSubscribed {};
/// A cmd-resp answer on `from-node` (spec §3.1), decoded; never the poll.
struct CommandAnswered {
  proto::CmdResponse response;
};

/// `tsdata` or `simple_tsdata` (spec §1.3), decoded: values whose JSON kind matches
/// their data type. Timestamps are the node's and are checked at ingest (docs/adr/0011).
struct TimeSeriesReported {
  std::vector<proto::TsRecord> records;
  bool simple = false;  ///< from `simple_tsdata`
};

/// One decoded node message.
struct NodeEvent {
  std::string node_id;
  std::int64_t received_ms = 0;
  std::variant<ConfigReported, ParamsReported, PresenceChanged, AlertRaised, MappingReported,
               NodeReady, ParamsSubscribed, CommandAnswered, TimeSeriesReported>
      body;
};

}  // namespace stratus::service
