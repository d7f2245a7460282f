#pragma once
/// @file
/// The console's network map (issue 21 item 2; spec wirepas.md §3.6, where the original
/// builds it): gateways, their sinks, the networks they serve and the nodes heard, from
/// every status event, configuration response (`get_configs`, `set_config`, unsolicited
/// ones with `req_id` 0 included), gateway info, `send_data` response and received packet.
///
/// Unlike the original it never throws on what a gateway leaves out (a sink without
/// `network_address`, #278: the sink is kept, the network unknown), keeps a gateway's
/// online/offline state with the time it last changed, and records through which sinks a
/// node was heard. Nothing ages out: a gateway leaves the map only when its retained
/// status is cleared (an empty retained message, spec §1.4: what `clear_offline_gateways`
/// publishes) or `forget_gateway` is called. Sans-I/O: the caller passes the wall time.
/// Not thread-safe: one owner (the console's MQTT loop).

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wirepas/messages.hpp"

namespace stratus::console {

/// One sink as its gateway last reported it.
struct SinkEntry {
  std::string sink_id;
  /// The configuration as last reported; `has_*` says which fields were sent.
  wirepas::pb::SinkReadConfig config;
  std::int64_t updated_ms = 0;  ///< wall time of the last report, ms since the epoch
};

/// One gateway.
struct GatewayEntry {
  enum class State : std::uint8_t { unknown, online, offline };
  std::string gw_id;
  State state = State::unknown;     ///< unknown until a status event arrives
  std::int64_t state_since_ms = 0;  ///< when `state` last changed (0: never)
  std::int64_t last_seen_ms = 0;    ///< any message of or about it
  std::string model;                ///< from the status or gateway info, when sent
  std::string version;
  std::optional<std::uint32_t> max_scratchpad_size;  ///< bytes one upload message may carry
  /// `GatewayFeature` values the gateway advertised (e.g. `SCRATCHPAD_CHUNK_V1`).
  std::set<int> features;
  std::map<std::string, SinkEntry, std::less<>> sinks;
};

/// A node's identity: the network it was heard in and its address there.
struct NodeKey {
  std::uint64_t network_address = 0;
  std::uint32_t address = 0;
  friend auto operator<=>(const NodeKey&, const NodeKey&) = default;
};

/// A node heard in a network.
struct NodeEntry {
  std::int64_t first_seen_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::optional<std::uint32_t> hop_count;  ///< of its latest packet, when the gateway sent it
  std::uint64_t packets = 0;
  std::set<std::pair<std::string, std::string>> via;  ///< (gateway, sink) that heard it
  std::string diagnostics;          ///< decoder name of its latest diagnostics ("node_diagnostics")
  std::int64_t diagnostics_ms = 0;  ///< when they arrived (0: never)
};

/// A network: the sinks serving it and how many nodes were heard in it.
struct NetworkEntry {
  std::uint64_t network_address = 0;
  std::set<std::pair<std::string, std::string>> sinks;  ///< (gateway, sink)
  std::optional<std::uint32_t> channel;                 ///< from a sink's configuration, when known
  std::size_t nodes = 0;
};

/// See the file comment.
class NetworkMap {
 public:
  /// What a message changed.
  enum class Change : std::uint8_t { none, gateway, sink, node, removed };

  /// One MQTT message. A topic outside the API or a payload that does not decode changes
  /// nothing (`Change::none`); an empty payload on `gw-event/status/<gw>` removes `<gw>`.
  Change on_message(std::string_view topic, std::string_view payload, std::int64_t wall_ms);

  [[nodiscard]] const std::map<std::string, GatewayEntry, std::less<>>& gateways() const noexcept {
    return gateways_;
  }
  [[nodiscard]] const std::map<NodeKey, NodeEntry>& nodes() const noexcept { return nodes_; }
  /// The networks, by address: every sink configuration that names one, every packet.
  [[nodiscard]] std::vector<NetworkEntry> networks() const;
  /// Ids of the gateways whose last status was OFFLINE.
  [[nodiscard]] std::vector<std::string> offline_gateways() const;
  /// Drops a gateway (and the sinks it had); its nodes stay, heard through others or not.
  void forget_gateway(std::string_view gw_id);

 private:
  GatewayEntry& gateway(const std::string& gw_id, std::int64_t wall_ms);
  void sink_config(GatewayEntry& gw, const wirepas::pb::SinkReadConfig& config,
                   std::int64_t wall_ms);

  std::map<std::string, GatewayEntry, std::less<>> gateways_;
  std::map<NodeKey, NodeEntry> nodes_;
};

}  // namespace stratus::console
