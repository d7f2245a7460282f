#pragma once
/// @file
/// Decoders of the application payloads (APDUs) nodes send (spec wirepas.md §6, after
/// backend-client's `messages/decoders/*.py`), chosen by (source, destination) endpoint:
/// 251-254 → 255 diagnostics (traffic, neighbours, node, boot), 247 → 255 CBOR
/// diagnostics, 200 → 200 advertiser, 238 → 238 positioning, 11 → 11 Ruuvi; any other
/// pair is `Generic`. All multi-byte fields little-endian. Every decoder is total: any byte
/// string gives a value or an invalid_argument `Error`, never a crash (backend-client
/// crashed on short payloads, its issue #348). The four binary diagnostics also encode,
/// for the gateway simulator. Pure; thread-safe.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace stratus::wirepas::apdu {

/// Endpoints of the decoders (spec §6).
inline constexpr std::uint8_t kDiagnosticsSink = 255;
inline constexpr std::uint8_t kTrafficDiagnostics = 251;
inline constexpr std::uint8_t kNeighborDiagnostics = 252;
inline constexpr std::uint8_t kNodeDiagnostics = 253;
inline constexpr std::uint8_t kBootDiagnostics = 254;
inline constexpr std::uint8_t kCborDiagnostics = 247;
inline constexpr std::uint8_t kAdvertiser = 200;
inline constexpr std::uint8_t kPositioning = 238;
inline constexpr std::uint8_t kRuuvi = 11;

/// 251 → 255, exactly 18 bytes.
struct TrafficDiagnostics {
  /// Access cycles (firmware 4.0: low byte cluster members, high byte cluster head members).
  std::uint16_t access_cycles = 0;
  std::uint8_t cluster_channel = 0;
  std::uint8_t channel_reliability = 0;
  std::uint16_t rx_amount = 0;
  std::uint16_t tx_amount = 0;
  std::uint8_t aloha_rx_ratio = 0;
  std::uint8_t reserved_rx_success_ratio = 0;
  std::uint8_t data_rx_ratio = 0;
  std::uint8_t rx_duplicate_ratio = 0;
  std::uint8_t cca_success_ratio = 0;
  std::uint8_t broadcast_ratio = 0;
  std::uint8_t failed_unicast_ratio = 0;
  std::uint8_t max_reserved_slot_usage = 0;
  std::uint8_t average_reserved_slot_usage = 0;
  std::uint8_t max_aloha_slot_usage = 0;
  friend bool operator==(const TrafficDiagnostics&, const TrafficDiagnostics&) = default;
};

/// One 7-byte neighbour record of 252 → 255.
struct Neighbor {
  std::uint32_t address = 0;  ///< 24 bits; 0 ends the list
  std::uint8_t cluster_channel = 0;
  std::uint8_t radio_power = 0;
  std::uint8_t node_info = 0;
  std::uint8_t rssi = 0;
  friend bool operator==(const Neighbor&, const Neighbor&) = default;
};

/// 252 → 255: records until one with address 0 or the end of the payload.
struct NeighborDiagnostics {
  std::vector<Neighbor> neighbors;
  friend bool operator==(const NeighborDiagnostics&, const NeighborDiagnostics&) = default;
};

/// The next-hop part of node diagnostics (firmware 4.0 reads `cost_1`..`link_quality_1`
/// and the second next hop as `blacklistexceeded`; the bytes are the same).
struct NextHop {
  std::uint32_t address = 0;  ///< 24 bits
  std::uint8_t cost = 0;
  std::uint8_t link_quality = 0;
  friend bool operator==(const NextHop&, const NextHop&) = default;
};

/// The eight u8 pending counters firmware ≥ 4.2 appends (67-byte form).
struct PendingCounters {
  std::uint8_t ucast_cluster = 0, ucast_members = 0, bcast_le_members = 0, bcast_ll_members = 0,
               bcast_unack = 0, expire_queue = 0, bcast_next_hop = 0, reroute_packets = 0;
  friend bool operator==(const PendingCounters&, const PendingCounters&) = default;
};

/// 253 → 255: 59 bytes (firmware ≤ 4.0) or 67 (≥ 4.2).
struct NodeDiagnostics {
  std::uint16_t access_cycle = 0;
  std::uint8_t role = 0;
  std::uint8_t voltage = 0;  ///< volts = voltage / 100 + 2.0
  std::uint8_t max_buffer_usage = 0;
  std::uint8_t average_buffer_usage = 0;
  std::uint8_t mem_alloc_fails = 0;
  std::uint8_t normal_priority_buf_delay = 0;
  std::uint8_t high_priority_buf_delay = 0;
  std::uint8_t network_scans = 0;
  /// 3.x: downlink delay avg/min/max/samples for two classes; 4.0: the low-level
  /// transmit/receive counters (spec §6 lists both namings).
  std::array<std::uint16_t, 8> counters{};
  std::uint8_t dropped_packets_0 = 0;
  std::uint8_t dropped_packets_1 = 0;
  std::uint32_t route_address = 0;  ///< 24 bits
  NextHop next_hop_0;
  NextHop next_hop_1;
  std::array<std::uint8_t, 15> events{};
  std::uint16_t duty_cycle = 0;
  std::uint8_t current_antenna = 0;
  std::optional<PendingCounters> pending;  ///< the 67-byte form only
  /// The supply voltage in volts.
  [[nodiscard]] double volts() const noexcept { return voltage / 100.0 + 2.0; }
  friend bool operator==(const NodeDiagnostics&, const NodeDiagnostics&) = default;
};

/// 254 → 255, exactly 31 bytes.
struct BootDiagnostics {
  std::uint8_t boot_count = 0;
  std::uint8_t node_role = 0;
  std::uint8_t sw_dev = 0, sw_maint = 0, sw_minor = 0, sw_major = 0;
  std::uint16_t scratchpad_sequence = 0;
  std::uint16_t hw_magic = 0;
  std::uint16_t stack_profile = 0;
  std::uint8_t otap_enabled = 0;
  std::uint16_t boot_line_number = 0;
  std::uint16_t file_hash = 0;
  std::array<std::uint32_t, 3> stack_trace{};
  std::uint16_t cur_seq = 0;
  /// major·2^24 + minor·2^16 + maint·2^8 + dev.
  [[nodiscard]] std::uint32_t firmware_version() const noexcept {
    return (std::uint32_t{sw_major} << 24) | (std::uint32_t{sw_minor} << 16) |
           (std::uint32_t{sw_maint} << 8) | sw_dev;
  }
  friend bool operator==(const BootDiagnostics&, const BootDiagnostics&) = default;
};

/// One record of an advertiser report.
struct AdvertiserRecord {
  std::uint32_t address = 0;  ///< 24 or 32 bits
  std::uint8_t value = 0;     ///< raw
  friend bool operator==(const AdvertiserRecord&, const AdvertiserRecord&) = default;
};

/// 200 → 200: a 2-byte header (type in bits 0-6 of byte 0: 2 RSS, 3 OTAP, 6 sequence;
/// bit 7: 4-byte addresses; byte 1: record count), then exactly that many records.
struct AdvertiserReport {
  std::uint8_t type = 0;
  bool long_addresses = false;
  std::vector<AdvertiserRecord> records;
  /// For an RSS report (type 2): a record's value in dBm, v/2 − 127.
  [[nodiscard]] static double rss_dbm(std::uint8_t value) noexcept { return value / 2.0 - 127.0; }
  friend bool operator==(const AdvertiserReport&, const AdvertiserReport&) = default;
};

/// One RSS measurement of a positioning report.
struct PositioningMeasurement {
  std::uint8_t type = 0;      ///< 0x00 short range, 0x01 high range, 0xF0 anchor
  std::uint32_t address = 0;  ///< 24 bits
  std::uint8_t rss = 0;       ///< raw; dBm = −rss/2
  [[nodiscard]] double rss_dbm() const noexcept { return -rss / 2.0; }
  friend bool operator==(const PositioningMeasurement&, const PositioningMeasurement&) = default;
};

/// A TLV this side does not interpret, kept as sent.
struct OtherTlv {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(const OtherTlv&, const OtherTlv&) = default;
};

/// 238 → 238: sequence u16, then TLVs (type u8, length u8): RSS records (address u24 + rss
/// u8) for types 0x00, 0x01, 0xF0; voltage u16 for 0x04; others kept.
struct PositioningReport {
  std::uint16_t sequence = 0;
  std::vector<PositioningMeasurement> measurements;
  std::optional<std::uint16_t> voltage;  ///< raw u16 (millivolts in the firmware)
  std::vector<OtherTlv> other;
  friend bool operator==(const PositioningReport&, const PositioningReport&) = default;
};

/// 11 → 11: Ruuvi tag TLVs; absent values stay empty.
struct RuuviReport {
  std::optional<std::uint16_t> counter;    ///< type 1
  std::optional<double> temperature_c;     ///< type 2: i32 / 100
  std::optional<double> humidity_rh;       ///< type 3: u32 / 1024
  std::optional<double> pressure_hpa;      ///< type 4: u32 / 10000
  std::optional<double> acceleration_x_g;  ///< type 5: i32 × 1e-3
  std::optional<double> acceleration_y_g;  ///< type 6
  std::optional<double> acceleration_z_g;  ///< type 7
  std::vector<OtherTlv> other;
  friend bool operator==(const RuuviReport&, const RuuviReport&) = default;
};

/// One entry of CBOR diagnostics: the numeric id, its name (backend-client's
/// `diagnostics.json` table; `id_<n>` when unknown), the value as JSON text (byte strings
/// as lower-case hex, arrays of records with their element names).
struct DiagnosticEntry {
  std::uint64_t id = 0;
  std::string name;
  std::string value_json;
  friend bool operator==(const DiagnosticEntry&, const DiagnosticEntry&) = default;
};

/// 247 → 255: a CBOR map of diagnostic ids to values (decoded with libcbor).
struct CborDiagnostics {
  std::vector<DiagnosticEntry> entries;  ///< in the map's order
  friend bool operator==(const CborDiagnostics&, const CborDiagnostics&) = default;
};

/// Any other endpoint pair: no APDU decoding (the payload is shown as hex).
struct Generic {
  friend bool operator==(const Generic&, const Generic&) = default;
};

/// A decoded payload.
using Decoded =
    std::variant<Generic, TrafficDiagnostics, NeighborDiagnostics, NodeDiagnostics, BootDiagnostics,
                 AdvertiserReport, PositioningReport, RuuviReport, CborDiagnostics>;

/// Decodes `payload` by the decoder of (`source_endpoint`, `destination_endpoint`): an exact
/// pair of the table, else `Generic`. Errors: invalid_argument naming the decoder and what
/// is wrong (wrong length, a truncated record or TLV, a count that does not match, CBOR
/// that is not a map of unsigned ids or is over 1024 bytes / 16 levels deep).
Result<Decoded> decode(std::uint8_t source_endpoint, std::uint8_t destination_endpoint,
                       std::span<const std::uint8_t> payload);

/// The decoder's name as the console shows it ("traffic_diagnostics", "generic", …).
std::string_view decoder_name(const Decoded& decoded) noexcept;

/// The payloads of the binary diagnostics, as a node sends them (the simulator's side).
std::vector<std::uint8_t> encode(const TrafficDiagnostics& diagnostics);
/// 7-byte records, no terminator (the list ends with the payload).
std::vector<std::uint8_t> encode(const NeighborDiagnostics& diagnostics);
/// 59 bytes, or 67 with `pending`.
std::vector<std::uint8_t> encode(const NodeDiagnostics& diagnostics);
/// 31 bytes.
std::vector<std::uint8_t> encode(const BootDiagnostics& diagnostics);

}  // namespace stratus::wirepas::apdu
