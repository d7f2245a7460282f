#include "wirepas/apdu.hpp"

#include <cbor.h>
#include <cbor/callbacks.h>
#include <cbor/streaming.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "core/hex.hpp"
#include "wirepas/detail/bytes.hpp"

namespace stratus::wirepas::apdu {
namespace {

using detail::ByteReader;
using detail::put_le;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kTrafficBytes = 18;
constexpr std::size_t kNeighborRecordBytes = 7;
constexpr std::size_t kNodeShortBytes = 59;
constexpr std::size_t kNodeLongBytes = 67;
constexpr std::size_t kBootBytes = 31;
constexpr std::size_t kMaxCborBytes = 1024;  // the API's payload bound (spec §2.7)
constexpr int kMaxCborDepth = 16;

tl::unexpected<Error> wrong(std::string_view decoder, std::string what) {
  return fail(errc::invalid_argument, std::string(decoder) + ": " + std::move(what));
}

tl::unexpected<Error> wrong_length(std::string_view decoder, std::size_t got,
                                   std::string_view want) {
  return wrong(decoder, std::to_string(got) + " bytes, not " + std::string(want));
}

Result<Decoded> traffic(std::span<const std::uint8_t> p) {
  if (p.size() != kTrafficBytes)
    return wrong_length("traffic diagnostics", p.size(), "18");
  ByteReader r(p);
  TrafficDiagnostics d;
  d.access_cycles = r.u16();
  d.cluster_channel = r.u8();
  d.channel_reliability = r.u8();
  d.rx_amount = r.u16();
  d.tx_amount = r.u16();
  d.aloha_rx_ratio = r.u8();
  d.reserved_rx_success_ratio = r.u8();
  d.data_rx_ratio = r.u8();
  d.rx_duplicate_ratio = r.u8();
  d.cca_success_ratio = r.u8();
  d.broadcast_ratio = r.u8();
  d.failed_unicast_ratio = r.u8();
  d.max_reserved_slot_usage = r.u8();
  d.average_reserved_slot_usage = r.u8();
  d.max_aloha_slot_usage = r.u8();
  return d;
}

Result<Decoded> neighbors(std::span<const std::uint8_t> p) {
  NeighborDiagnostics d;
  ByteReader r(p);
  while (r.remaining() > 0) {
    if (r.remaining() < kNeighborRecordBytes) {
      const auto rest = p.subspan(r.offset());
      if (std::all_of(rest.begin(), rest.end(), [](std::uint8_t b) { return b == 0; }))
        break;  // zero padding

      // backend-client's issue: a truncated record crashed it (spec §1.5).
      return wrong("neighbor diagnostics", "a truncated record at byte " +
                                               std::to_string(r.offset()) + " (" +
                                               std::to_string(r.remaining()) + " of 7 bytes)");
    }
    Neighbor n;
    n.address = r.u24();
    if (n.address == 0)
      break;  // the end of the list; padding may follow
    n.cluster_channel = r.u8();
    n.radio_power = r.u8();
    n.node_info = r.u8();
    n.rssi = r.u8();
    d.neighbors.push_back(n);
  }
  return d;
}

NextHop next_hop(ByteReader& r) {
  NextHop h;
  h.address = r.u24();
  h.cost = r.u8();
  h.link_quality = r.u8();
  return h;
}

Result<Decoded> node(std::span<const std::uint8_t> p) {
  if (p.size() != kNodeShortBytes && p.size() != kNodeLongBytes)
    return wrong_length("node diagnostics", p.size(), "59 or 67");
  ByteReader r(p);
  NodeDiagnostics d;
  d.access_cycle = r.u16();
  d.role = r.u8();
  d.voltage = r.u8();
  d.max_buffer_usage = r.u8();
  d.average_buffer_usage = r.u8();
  d.mem_alloc_fails = r.u8();
  d.normal_priority_buf_delay = r.u8();
  d.high_priority_buf_delay = r.u8();
  d.network_scans = r.u8();
  for (auto& c : d.counters)
    c = r.u16();
  d.dropped_packets_0 = r.u8();
  d.dropped_packets_1 = r.u8();
  d.route_address = r.u24();
  d.next_hop_0 = next_hop(r);
  d.next_hop_1 = next_hop(r);
  for (auto& e : d.events)
    e = r.u8();
  d.duty_cycle = r.u16();
  d.current_antenna = r.u8();
  if (p.size() == kNodeLongBytes) {
    PendingCounters c;
    c.ucast_cluster = r.u8();
    c.ucast_members = r.u8();
    c.bcast_le_members = r.u8();
    c.bcast_ll_members = r.u8();
    c.bcast_unack = r.u8();
    c.expire_queue = r.u8();
    c.bcast_next_hop = r.u8();
    c.reroute_packets = r.u8();
    d.pending = c;
  }
  return d;
}

Result<Decoded> boot(std::span<const std::uint8_t> p) {
  if (p.size() != kBootBytes)
    return wrong_length("boot diagnostics", p.size(), "31");
  ByteReader r(p);
  BootDiagnostics d;
  d.boot_count = r.u8();
  d.node_role = r.u8();
  d.sw_dev = r.u8();
  d.sw_maint = r.u8();
  d.sw_minor = r.u8();
  d.sw_major = r.u8();
  d.scratchpad_sequence = r.u16();
  d.hw_magic = r.u16();
  d.stack_profile = r.u16();
  d.otap_enabled = r.u8();
  d.boot_line_number = r.u16();
  d.file_hash = r.u16();
  for (auto& t : d.stack_trace)
    t = r.u32();
  d.cur_seq = r.u16();
  return d;
}

Result<Decoded> advertiser(std::span<const std::uint8_t> p) {
  if (p.size() < 2)
    return wrong_length("advertiser", p.size(), "at least 2 (the header)");
  ByteReader r(p);
  AdvertiserReport d;
  const auto b0 = r.u8();
  d.type = b0 & 0x7F;
  d.long_addresses = (b0 & 0x80) != 0;
  const std::size_t count = r.u8();
  const std::size_t record = d.long_addresses ? 5 : 4;
  if (r.remaining() != count * record) {
    return wrong("advertiser", "the header announces " + std::to_string(count) + " records of " +
                                   std::to_string(record) + " bytes; " +
                                   std::to_string(r.remaining()) + " bytes follow");
  }
  for (std::size_t i = 0; i < count; ++i) {
    AdvertiserRecord rec;
    rec.address = static_cast<std::uint32_t>(r.le(record - 1));
    rec.value = r.u8();
    d.records.push_back(rec);
  }
  return d;
}

// TLVs (type u8, length u8, value) until the end; a TLV past the end is an error.
template <typename OnTlv>
Result<void> each_tlv(std::string_view decoder, ByteReader& r, OnTlv&& on_tlv) {
  while (r.remaining() > 0) {
    if (r.remaining() < 2)
      return wrong(decoder, "a TLV header cut at byte " + std::to_string(r.offset()));
    const auto type = r.u8();
    const std::size_t length = r.u8();
    const auto value = r.take(length);
    if (r.failed()) {
      return wrong(decoder, "TLV type " + std::to_string(type) + " declares " +
                                std::to_string(length) + " bytes past the payload's end");
    }
    if (auto ok = on_tlv(type, value); !ok)
      return ok;
  }
  return {};
}

Result<Decoded> positioning(std::span<const std::uint8_t> p) {
  if (p.size() < 2)
    return wrong_length("positioning", p.size(), "at least 2 (the sequence)");
  ByteReader r(p);
  PositioningReport d;
  d.sequence = r.u16();
  auto ok = each_tlv(
      "positioning", r, [&](std::uint8_t type, std::span<const std::uint8_t> v) -> Result<void> {
        if (type == 0x00 || type == 0x01 || type == 0xF0) {
          if (v.size() % 4 != 0) {
            return wrong("positioning", "RSS TLV " + std::to_string(type) + " of " +
                                            std::to_string(v.size()) + " bytes (records are 4)");
          }
          ByteReader records(v);
          while (records.remaining() > 0) {
            PositioningMeasurement m;
            m.type = type;
            m.address = records.u24();
            m.rss = records.u8();
            d.measurements.push_back(m);
          }
        } else if (type == 0x04) {
          if (v.size() != 2)
            return wrong("positioning", "a voltage TLV of " + std::to_string(v.size()) + " bytes");
          ByteReader value(v);
          d.voltage = value.u16();
        } else {
          d.other.push_back(OtherTlv{type, Bytes(v.begin(), v.end())});
        }
        return {};
      });
  if (!ok)
    return fail(ok.error());
  return d;
}

Result<Decoded> ruuvi(std::span<const std::uint8_t> p) {
  ByteReader r(p);
  RuuviReport d;
  auto ok =
      each_tlv("ruuvi", r, [&](std::uint8_t type, std::span<const std::uint8_t> v) -> Result<void> {
        const std::size_t want = type == 1 ? 2 : 4;
        if (type >= 1 && type <= 7 && v.size() != want) {
          return wrong("ruuvi", "TLV type " + std::to_string(type) + " of " +
                                    std::to_string(v.size()) + " bytes, not " +
                                    std::to_string(want));
        }
        ByteReader value(v);
        switch (type) {
          case 1:
            d.counter = value.u16();
            break;
          case 2:
            d.temperature_c = value.i32() / 100.0;
            break;
          case 3:
            d.humidity_rh = value.u32() / 1024.0;
            break;
          case 4:
            d.pressure_hpa = value.u32() / 10000.0;
            break;
          case 5:
            d.acceleration_x_g = value.i32() * 1e-3;
            break;
          case 6:
            d.acceleration_y_g = value.i32() * 1e-3;
            break;
          case 7:
            d.acceleration_z_g = value.i32() * 1e-3;
            break;
          default:
            d.other.push_back(OtherTlv{type, Bytes(v.begin(), v.end())});
            break;
        }
        return {};
      });
  if (!ok)
    return fail(ok.error());
  return d;
}

// --- CBOR diagnostics ---

// backend-client's diagnostics.json: id → name, and the element names of the ids whose
// values are records (arrays).
struct IdName {
  std::uint64_t first, last;
  std::string_view name;
};
constexpr IdName kIdNames[] = {
    {1, 1, "sink_address"},
    {2, 2, "voltage"},
    {3, 3, "next_hop_address"},
    {4, 4, "advertised_cost"},
    {5, 5, "next_hop_quality"},
    {6, 6, "memory_allocation_failures"},
    {7, 7, "network_scans_amount"},
    {8, 8, "routers_available"},
    {9, 9, "cfmac_access_cycle_interval"},
    {10, 10, "cluster_members"},
    {11, 11, "cluster_head_members"},
    {12, 12, "cluster_channel"},
    {13, 13, "cluster_channel_reliability"},
    {14, 14, "scan_total_time"},
    {15, 15, "boot_count"},
    {16, 16, "firmware_stack"},
    {17, 17, "scratchpad_stored_sequence"},
    {18, 18, "otap_support"},
    {19, 19, "boot_line_number"},
    {20, 20, "boot_filename_hash"},
    {21, 21, "boot_address"},
    {22, 22, "scratchpad_processed_sequence"},
    {23, 23, "hardware_magic"},
    {25, 25, "stack_profile"},
    {26, 26, "cbmac_broadcast_ll_members_pending"},
    {27, 27, "cbmac_broadcast_le_members_pending"},
    {28, 28, "cbmac_broadcast_next_hop_pending"},
    {29, 29, "cbmac_broadcast_unack_pending"},
    {30, 30, "cbmac_packets_expired_pending"},
    {31, 31, "cbmac_packets_reroute_pending"},
    {32, 32, "cbmac_unicast_cluster_pending"},
    {33, 33, "cbmac_unicast_members_pending"},
    {34, 34, "packets_dropped"},
    {35, 35, "role"},
    {36, 36, "cfmac_pending_broadcast_le_member"},
    {37, 37, "cfmac_messages_ack"},
    {38, 38, "cfmac_aloha_upload_maximum"},
    {39, 39, "cfmac_reserved_upload_maximum"},
    {40, 40, "cfmac_reserved_upload_average"},
    {41, 41, "blacklisted_channel_amount"},
    {42, 42, "firmware_app"},
    {50, 50, "nexthop_details"},
    {51, 51, "buffer_usage"},
    {55, 55, "cbmac_details"},
    {58, 58, "ftdma_table"},
    {59, 59, "role_api"},
    {60, 60, "events"},
    {115, 118, "neighbor_device_info_associated"},
    {119, 134, "neighbor_device_info_neighbor"},
    {135, 148, "neighbor_device_router_member"},
    {149, 149, "trace_options"},
    {150, 188, "cbmac_cca_channels"},
    {189, 219, "scan_results"},
};

struct RecordNames {
  std::string_view name;
  std::initializer_list<std::string_view> elements;
};
const RecordNames kRecordNames[] = {
    {"buffer_usage", {"average", "maximum"}},
    {"cbmac_cca_channels", {"cbmac_cca_channel", "cbmac_cca_failed"}},
    {"cbmac_details",
     {"cbmac_load", "cbmac_rx_messages_ack", "cbmac_rx_messages_unack",
      "cbmac_rx_ack_other_reasons", "cbmac_tx_ack_cca_fail", "cbmac_tx_ack_not_received",
      "cbmac_tx_messages_ack", "cbmac_tx_messages_unack", "cbmac_tx_cca_unack_fail",
      "blacklist_channel_group_1", "blacklist_channel_group_2", "blacklist_channel_group_3",
      "blacklist_channel_group_4", "blacklist_channel_group_5"}},
    {"ftdma_table", {"ftdma_channels", "ftdma_slot_allocated"}},
    {"neighbor_device_info_associated", {"node_address", "channel", "radio_power", "rssi"}},
    {"neighbor_device_info_neighbor", {"node_address", "channel", "radio_power", "rssi"}},
    {"neighbor_device_router_member", {"node_address", "channel", "radio_power", "rssi"}},
    {"nexthop_details",
     {"advertised_cost", "sink_address", "next_hop_address", "next_hop_quality", "next_hop_rssi",
      "next_hop_power"}},
    {"role_api", {"role", "role_extension"}},
    {"scan_results", {"scan_address", "scan_channel", "scan_rssi", "scan_power"}},
    {"trace_options", {"trace_type", "sequence"}},
};

std::string id_name(std::uint64_t id) {
  for (const auto& n : kIdNames) {
    if (id >= n.first && id <= n.last)
      return std::string(n.name);
  }
  return "id_" + std::to_string(id);
}

const RecordNames* record_names(std::string_view name) {
  for (const auto& r : kRecordNames) {
    if (r.name == name)
      return &r;
  }
  return nullptr;
}

struct CborDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
using CborItem = std::unique_ptr<cbor_item_t, CborDeleter>;

void json_string(std::string& out, const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < size; ++i) {
    const unsigned char c = data[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7F) {
      out += "\\u00";
      out += kDigits[c >> 4];
      out += kDigits[c & 0x0F];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void hex_string(std::string& out, const unsigned char* data, std::size_t size) {
  out += '"';
  out += to_hex(std::span<const std::uint8_t>(data, size));
  out += '"';
}

// Renders `item` as JSON text; `names` gives an array's element names (then it becomes an
// object). Errors on indefinite strings and too deep nesting.
Result<void> render(std::string& out, cbor_item_t* item, const RecordNames* names, int depth) {
  if (depth > kMaxCborDepth)
    return wrong("cbor diagnostics", "nested deeper than 16 levels");
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
      out += std::to_string(cbor_get_int(item));
      return {};
    case CBOR_TYPE_NEGINT:
      // -1 - n, written out so that n = 2^64 - 1 stays exact.
      out += cbor_get_int(item) == UINT64_MAX ? "-18446744073709551616"
                                              : "-" + std::to_string(cbor_get_int(item) + 1);
      return {};
    case CBOR_TYPE_BYTESTRING:
      if (!cbor_bytestring_is_definite(item))
        return wrong("cbor diagnostics", "an indefinite byte string");
      hex_string(out, cbor_bytestring_handle(item), cbor_bytestring_length(item));
      return {};
    case CBOR_TYPE_STRING:
      if (!cbor_string_is_definite(item))
        return wrong("cbor diagnostics", "an indefinite text string");
      json_string(out, cbor_string_handle(item), cbor_string_length(item));
      return {};
    case CBOR_TYPE_ARRAY: {
      const std::size_t size = cbor_array_size(item);
      cbor_item_t** elements = cbor_array_handle(item);
      const bool named = names != nullptr && size <= names->elements.size();
      out += named ? '{' : '[';
      for (std::size_t i = 0; i < size; ++i) {
        if (i > 0)
          out += ',';
        if (named) {
          const auto name = *(names->elements.begin() + static_cast<std::ptrdiff_t>(i));
          json_string(out, reinterpret_cast<const unsigned char*>(name.data()), name.size());
          out += ':';
        }
        // A vector of records: each element is named the same way.
        const RecordNames* inner = named ? nullptr : names;
        if (auto r = render(out, elements[i], inner, depth + 1); !r)
          return r;
      }
      out += named ? '}' : ']';
      return {};
    }
    case CBOR_TYPE_MAP: {
      const std::size_t size = cbor_map_size(item);
      struct cbor_pair* pairs = cbor_map_handle(item);
      out += '{';
      for (std::size_t i = 0; i < size; ++i) {
        if (i > 0)
          out += ',';
        std::string key;
        if (auto r = render(key, pairs[i].key, nullptr, depth + 1); !r)
          return r;
        if (key.empty() || key.front() != '"')
          key = "\"" + key + "\"";
        out += key + ':';
        if (auto r = render(out, pairs[i].value, nullptr, depth + 1); !r)
          return r;
      }
      out += '}';
      return {};
    }
    case CBOR_TYPE_TAG: {
      CborItem inner(cbor_tag_item(item));
      return render(out, inner.get(), names, depth + 1);
    }
    case CBOR_TYPE_FLOAT_CTRL:
      if (cbor_float_ctrl_is_ctrl(item)) {
        const auto ctrl = cbor_ctrl_value(item);
        out += ctrl == CBOR_CTRL_TRUE ? "true" : ctrl == CBOR_CTRL_FALSE ? "false" : "null";
      } else {
        const double v = cbor_float_get_float(item);
        out += std::isfinite(v) ? std::to_string(v) : "null";
      }
      return {};
  }
  return wrong("cbor diagnostics", "an unknown CBOR item");
}

// libcbor's cbor_load allocates an array or map of the size its header declares before
// reading the elements, so 5 bytes could ask for gigabytes. This pass walks the item
// headers with libcbor's streaming decoder first and refuses a container that declares
// more elements than bytes remain (every element takes at least one).
Result<void> check_declared_sizes(std::span<const std::uint8_t> p) {
  struct Declared {
    std::size_t elements = 0;
  };
  struct cbor_callbacks callbacks = cbor_empty_callbacks;
  callbacks.array_start = [](void* context, std::size_t size) {
    static_cast<Declared*>(context)->elements = size;
  };
  callbacks.map_start = [](void* context, std::size_t size) {
    // Two items per entry; a size this large is refused below anyway.
    static_cast<Declared*>(context)->elements = size > SIZE_MAX / 2 ? SIZE_MAX : size * 2;
  };
  std::size_t at = 0;
  while (at < p.size()) {
    Declared declared;
    const auto result = cbor_stream_decode(p.data() + at, p.size() - at, &callbacks, &declared);
    if (result.status != CBOR_DECODER_FINISHED || result.read == 0)
      return wrong("cbor diagnostics", "not CBOR (at byte " + std::to_string(at) + ")");
    at += result.read;
    if (declared.elements > p.size() - at) {
      return wrong("cbor diagnostics", "a container declares " + std::to_string(declared.elements) +
                                           " items; " + std::to_string(p.size() - at) +
                                           " bytes remain");
    }
  }
  return {};
}

Result<Decoded> cbor_diagnostics(std::span<const std::uint8_t> p) {
  if (p.empty() || p.size() > kMaxCborBytes)
    return wrong_length("cbor diagnostics", p.size(), "1 to 1024");
  if (auto r = check_declared_sizes(p); !r)
    return fail(r.error());
  struct cbor_load_result result {};
  CborItem root(cbor_load(p.data(), p.size(), &result));
  if (!root || result.error.code != CBOR_ERR_NONE)
    return wrong("cbor diagnostics",
                 "not CBOR (error at byte " + std::to_string(result.error.position) + ")");
  if (result.read != p.size())
    return wrong("cbor diagnostics",
                 std::to_string(p.size() - result.read) + " bytes after the map");
  if (!cbor_isa_map(root.get()))
    return wrong("cbor diagnostics", "the payload is not a CBOR map");
  CborDiagnostics d;
  const std::size_t size = cbor_map_size(root.get());
  struct cbor_pair* pairs = cbor_map_handle(root.get());
  for (std::size_t i = 0; i < size; ++i) {
    if (!cbor_isa_uint(pairs[i].key))
      return wrong("cbor diagnostics", "a key that is not an unsigned integer");
    DiagnosticEntry e;
    e.id = cbor_get_int(pairs[i].key);
    e.name = id_name(e.id);
    if (auto r = render(e.value_json, pairs[i].value, record_names(e.name), 1); !r)
      return fail(r.error());
    d.entries.push_back(std::move(e));
  }
  return d;
}

}  // namespace

Result<Decoded> decode(std::uint8_t source_endpoint, std::uint8_t destination_endpoint,
                       std::span<const std::uint8_t> payload) {
  const auto pair = [&](std::uint8_t s, std::uint8_t d) {
    return source_endpoint == s && destination_endpoint == d;
  };
  if (pair(kTrafficDiagnostics, kDiagnosticsSink))
    return traffic(payload);
  if (pair(kNeighborDiagnostics, kDiagnosticsSink))
    return neighbors(payload);
  if (pair(kNodeDiagnostics, kDiagnosticsSink))
    return node(payload);
  if (pair(kBootDiagnostics, kDiagnosticsSink))
    return boot(payload);
  if (pair(kCborDiagnostics, kDiagnosticsSink))
    return cbor_diagnostics(payload);
  if (pair(kAdvertiser, kAdvertiser))
    return advertiser(payload);
  if (pair(kPositioning, kPositioning))
    return positioning(payload);
  if (pair(kRuuvi, kRuuvi))
    return ruuvi(payload);
  return Generic{};
}

std::string_view decoder_name(const Decoded& decoded) noexcept {
  constexpr std::string_view kNames[] = {
      "generic",          "traffic_diagnostics", "neighbor_diagnostics", "node_diagnostics",
      "boot_diagnostics", "advertiser",          "positioning",          "ruuvi",
      "cbor_diagnostics"};
  static_assert(std::size(kNames) == std::variant_size_v<Decoded>);
  return kNames[decoded.index()];
}

std::vector<std::uint8_t> encode(const TrafficDiagnostics& d) {
  Bytes out;
  put_le(out, d.access_cycles, 2);
  out.insert(out.end(), {d.cluster_channel, d.channel_reliability});
  put_le(out, d.rx_amount, 2);
  put_le(out, d.tx_amount, 2);
  out.insert(out.end(),
             {d.aloha_rx_ratio, d.reserved_rx_success_ratio, d.data_rx_ratio, d.rx_duplicate_ratio,
              d.cca_success_ratio, d.broadcast_ratio, d.failed_unicast_ratio,
              d.max_reserved_slot_usage, d.average_reserved_slot_usage, d.max_aloha_slot_usage});
  return out;
}

std::vector<std::uint8_t> encode(const NeighborDiagnostics& d) {
  Bytes out;
  for (const auto& n : d.neighbors) {
    put_le(out, n.address, 3);
    out.insert(out.end(), {n.cluster_channel, n.radio_power, n.node_info, n.rssi});
  }
  return out;
}

std::vector<std::uint8_t> encode(const NodeDiagnostics& d) {
  Bytes out;
  put_le(out, d.access_cycle, 2);
  out.insert(out.end(),
             {d.role, d.voltage, d.max_buffer_usage, d.average_buffer_usage, d.mem_alloc_fails,
              d.normal_priority_buf_delay, d.high_priority_buf_delay, d.network_scans});
  for (const auto c : d.counters)
    put_le(out, c, 2);
  out.insert(out.end(), {d.dropped_packets_0, d.dropped_packets_1});
  put_le(out, d.route_address, 3);
  for (const auto* h : {&d.next_hop_0, &d.next_hop_1}) {
    put_le(out, h->address, 3);
    out.insert(out.end(), {h->cost, h->link_quality});
  }
  out.insert(out.end(), d.events.begin(), d.events.end());
  put_le(out, d.duty_cycle, 2);
  out.push_back(d.current_antenna);
  if (d.pending) {
    const auto& c = *d.pending;
    out.insert(out.end(), {c.ucast_cluster, c.ucast_members, c.bcast_le_members, c.bcast_ll_members,
                           c.bcast_unack, c.expire_queue, c.bcast_next_hop, c.reroute_packets});
  }
  return out;
}

std::vector<std::uint8_t> encode(const BootDiagnostics& d) {
  Bytes out{d.boot_count, d.node_role, d.sw_dev, d.sw_maint, d.sw_minor, d.sw_major};
  put_le(out, d.scratchpad_sequence, 2);
  put_le(out, d.hw_magic, 2);
  put_le(out, d.stack_profile, 2);
  out.push_back(d.otap_enabled);
  put_le(out, d.boot_line_number, 2);
  put_le(out, d.file_hash, 2);
  for (const auto t : d.stack_trace)
    put_le(out, t, 4);
  put_le(out, d.cur_seq, 2);
  return out;
}

}  // namespace stratus::wirepas::apdu
