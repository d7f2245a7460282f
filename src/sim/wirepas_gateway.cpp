#include "sim/wirepas_gateway.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "wirepas/apdu.hpp"
#include "wirepas/messages.hpp"
#include "wirepas/msap.hpp"
#include "wirepas/provisioning.hpp"
#include "wirepas/topics.hpp"

namespace stratus::sim {
namespace {

namespace pb = wirepas::pb;
namespace msap = wirepas::msap;
namespace apdu = wirepas::apdu;
namespace prov = wirepas::provisioning;
using wirepas::Direction;
using wirepas::Operation;
using Clock = WirepasGateway::Clock;

constexpr std::uint32_t kBroadcast = 0xFFFFFFFF;
constexpr std::uint32_t kMaxHopLimit = 15;
constexpr std::uint32_t kMinChannel = 1;
constexpr std::uint32_t kMaxChannel = 40;
constexpr std::uint32_t kMinAccessCycleMs = 2000;
constexpr std::uint32_t kMaxAccessCycleMs = 8000;
constexpr std::array<std::uint32_t, 7> kDiagIntervals{0, 30, 60, 120, 300, 600, 1800};
constexpr std::uint32_t kApiVersion = 2;

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// CRC-16/CCITT-FALSE of a scratchpad: the simulator's choice (a real sink reports the CRC
// from the scratchpad's own header).
std::uint16_t crc16(std::string_view bytes) {
  std::uint16_t crc = 0xFFFF;
  for (const char ch : bytes) {
    crc = static_cast<std::uint16_t>(crc ^ (static_cast<unsigned char>(ch) << 8));
    for (int i = 0; i < 8; ++i)
      crc = static_cast<std::uint16_t>((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

struct Scratchpad {
  std::string bytes;
  std::uint16_t crc = crc16({});  // of `bytes`, computed once when they are stored
  std::uint32_t seq = 0;
  pb::ScratchpadType type = pb::BLANK;
  pb::ScratchpadStatus status = pb::NEW;
  std::optional<pb::ScratchpadInfo> processed;
  std::optional<pb::TargetScratchpadAndAction> target;
  // A chunked upload in progress (spec §1.3): sequence, total size, bytes so far.
  std::uint32_t chunk_seq = 0;
  std::uint32_t chunk_total = 0;
  std::string chunk_bytes;
};

struct Node {
  std::uint32_t address = 0;
  std::uint8_t hops = 1;
  std::uint16_t data_sequence = 0;
  std::uint8_t diag_turn = 0;
  bool booted = false;
};

// A joining node (spec §5.3), as the SDK's provisioning library behaves.
struct Joiner {
  WirepasJoiningNodeModel model;
  enum class State : std::uint8_t { idle, waiting, done, failed } state = State::idle;
  prov::FactoryKey key;
  prov::Iv iv{};  // random, kept for every START of the session
  std::uint8_t session_id = 0;
  int tries = 0;  // STARTs sent
  std::chrono::milliseconds wait{0};
  std::uint32_t generation = 0;  // bumped when a scheduled wait no longer applies
};

struct Sink {
  WirepasSinkModel model;
  std::vector<Node> nodes;
  std::vector<Joiner> joiners;
  std::map<std::uint32_t, std::string> data_items;  // configuration data items by endpoint
  bool keys_set = false;
  std::uint32_t ac_min = kMinAccessCycleMs;
  std::uint32_t ac_max = kMaxAccessCycleMs;
  std::uint32_t diag_generation = 0;  // bumped when the diag interval changes
  Scratchpad scratchpad;
};

// One scheduled uplink: a node's next data or diagnostics, or a ready publish (a reply).
struct Due {
  Clock::time_point at;
  enum class Kind : std::uint8_t { data, diag, ready, join } kind = Kind::ready;
  std::size_t sink = 0;
  std::size_t node = 0;
  std::uint32_t generation = 0;
  std::size_t ready = 0;  // index into Impl::ready_ for Kind::ready
  bool operator>(const Due& other) const { return at > other.at; }
};

}  // namespace

struct WirepasGateway::Impl {
  WirepasGatewayOptions options;
  std::vector<Sink> sinks;
  WirepasGatewayStats stats;
  std::mt19937_64 rng;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> schedule;
  std::map<std::size_t, WirepasPublish> ready;  // replies waiting for their travel time
  std::size_t next_ready = 0;
  bool scheduled = false;

  // --- building messages ---

  std::string topic(Direction direction, Operation operation, const std::string& sink_id) const {
    wirepas::Topic t{direction, operation, options.gw_id,
                     wirepas::names_sink(operation) ? sink_id : std::string()};
    return wirepas::build_topic(t).value_or(std::string());
  }

  static WirepasPublish make(std::string topic, const pb::GenericMessage& m, int qos, bool retain) {
    return WirepasPublish{std::move(topic), wirepas::encode(m).value_or(std::string()), qos,
                          retain};
  }

  pb::SinkReadConfig read_config(const Sink& s) const {
    pb::SinkReadConfig c;
    const auto& m = s.model;
    c.set_sink_id(m.sink_id);
    if (m.configured) {
      if (auto role = wirepas::role_from_int(m.role))
        *c.mutable_node_role() = *role;
      c.set_node_address(m.node_address);
      c.set_network_address(m.network_address);
      c.set_network_channel(m.network_channel);
      auto* app = c.mutable_app_config();
      app->set_diag_interval_s(m.diag_interval_s);
      app->set_app_config_data(m.app_config_data);
      app->set_seq(m.app_config_seq);
      c.set_channel_map(0);
      auto* range = c.mutable_current_ac_range();
      range->set_min_ms(s.ac_min);
      range->set_max_ms(s.ac_max);
    }
    c.set_are_keys_set(s.keys_set);
    auto* limits = c.mutable_ac_limits();
    limits->set_min_ms(kMinAccessCycleMs);
    limits->set_max_ms(kMaxAccessCycleMs);
    c.set_max_mtu(102);
    auto* channels = c.mutable_channel_limits();
    channels->set_min_channel(kMinChannel);
    channels->set_max_channel(kMaxChannel);
    c.set_hw_magic(0x12);
    c.set_stack_profile(0x0C);
    c.set_app_config_max_size(options.app_config_max_size);
    auto* fw = c.mutable_firmware_version();
    fw->set_major(5);
    fw->set_minor(4);
    fw->set_maint(0);
    fw->set_dev(12);
    c.set_sink_state(m.configured && m.started ? pb::ON : pb::OFF);
    const auto& sp = s.scratchpad;
    auto* stored = c.mutable_stored_scratchpad();
    stored->set_len(static_cast<std::uint32_t>(sp.bytes.size()));
    stored->set_crc(sp.crc);
    stored->set_seq(sp.seq);
    c.set_stored_status(sp.status);
    c.set_stored_type(sp.type);
    if (sp.processed)
      *c.mutable_processed_scratchpad() = *sp.processed;
    c.set_firmware_area_id(0x01);
    if (sp.target)
      *c.mutable_target_and_action() = *sp.target;
    for (const auto& [endpoint, payload] : s.data_items) {
      auto* item = c.add_configuration_data_content();
      item->set_endpoint(endpoint);
      item->set_payload(payload);
    }
    return c;
  }

  void fill_features(google::protobuf::RepeatedField<int>* features) const {
    features->Add(pb::SCRATCHPAD_CHUNK_V1);
    features->Add(pb::CONFIGURATION_DATA_V1);
  }

  WirepasPublish status(bool online) const {
    pb::GenericMessage m;
    auto* s = m.mutable_wirepas()->mutable_status_event();
    s->mutable_header()->set_gw_id(options.gw_id);
    s->mutable_header()->set_event_id(wirepas::new_event_id());
    s->mutable_header()->set_time_ms_epoch(wall_ms());
    s->set_version(wirepas::kStatusVersion);
    s->set_state(online ? pb::ON : pb::OFF);
    s->set_gw_model(options.gw_model);
    s->set_gw_version(options.gw_version);
    if (online) {
      for (const auto& sink : sinks)
        *s->add_configs() = read_config(sink);
      s->set_max_scratchpad_size(options.max_scratchpad_size);
      fill_features(s->mutable_gw_features());
    }
    // ONLINE at QoS 1, the OFFLINE will at QoS 2, both retained (the reference gateway).
    return make(topic(Direction::event, Operation::status, {}), m, online ? 1 : 2, true);
  }

  void header(pb::ResponseHeader* h, std::uint64_t req_id, const std::string& sink_id,
              pb::ErrorCode res) {
    h->set_req_id(req_id);
    h->set_gw_id(options.gw_id);
    if (!sink_id.empty())
      h->set_sink_id(sink_id);
    h->set_res(res);
    h->set_time_ms_epoch(wall_ms());
    ++stats.responses;
    if (res != pb::OK)
      ++stats.errors_answered;
  }

  WirepasPublish configs_response(std::uint64_t req_id) {
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_get_configs_resp();
    header(r->mutable_header(), req_id, {}, pb::OK);
    for (const auto& sink : sinks)
      *r->add_configs() = read_config(sink);
    return make(topic(Direction::response, Operation::get_configs, {}), m, 2, false);
  }

  WirepasPublish set_config_response(std::uint64_t req_id, const std::string& topic_sink,
                                     const std::string& sink_id, pb::ErrorCode res) {
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_set_config_resp();
    header(r->mutable_header(), req_id, sink_id, res);
    if (Sink* s = find(sink_id))
      *r->mutable_config() = read_config(*s);
    else
      r->mutable_config()->set_sink_id(sink_id);  // required even on error
    return make(topic(Direction::response, Operation::set_config, topic_sink), m, 2, false);
  }

  // After a configuration change of `sink` (spec §1.4): status, configs, that sink's config.
  void changed(std::vector<WirepasPublish>& out, const Sink& sink) {
    out.push_back(status(true));
    out.push_back(configs_response(0));
    out.push_back(set_config_response(0, sink.model.sink_id, sink.model.sink_id, pb::OK));
  }

  Sink* find(const std::string& sink_id) {
    for (auto& s : sinks) {
      if (s.model.sink_id == sink_id)
        return &s;
    }
    return nullptr;
  }

  // --- requests ---

  pb::ErrorCode apply_config(Sink& sink, const pb::SinkNewConfig& c) {
    auto m = sink.model;  // validate on a copy, apply at once
    if (c.has_node_role()) {
      if (c.node_role().role() != pb::NodeRole::SINK)
        return pb::INVALID_ROLE;
      m.role = wirepas::role_to_int(c.node_role());
    }
    if (c.has_node_address()) {
      if (c.node_address() == 0 || c.node_address() >= 0xFFFFFFFE)
        return pb::INVALID_PARAM;
      m.node_address = c.node_address();
    }
    if (c.has_network_address()) {
      if (c.network_address() == 0 || c.network_address() >= 0xFFFFFF)
        return pb::INVALID_NETWORK_ADDRESS;
      m.network_address = c.network_address();
    }
    if (c.has_network_channel()) {
      if (c.network_channel() < kMinChannel || c.network_channel() > kMaxChannel)
        return pb::INVALID_NETWORK_CHANNEL;
      m.network_channel = c.network_channel();
    }
    if (c.has_app_config()) {
      const auto& app = c.app_config();
      if (std::find(kDiagIntervals.begin(), kDiagIntervals.end(), app.diag_interval_s()) ==
          kDiagIntervals.end()) {
        return pb::INVALID_DIAG_INTERVAL;
      }
      if (app.app_config_data().size() > options.app_config_max_size)
        return pb::INVALID_APP_CONFIG;
      if (m.configured && app.seq() <= m.app_config_seq)
        return pb::INVALID_SEQUENCE_NUMBER;
      m.diag_interval_s = app.diag_interval_s();
      m.app_config_data = app.app_config_data();
      m.app_config_seq = app.seq();
    }
    std::uint32_t ac_min = sink.ac_min;
    std::uint32_t ac_max = sink.ac_max;
    if (c.has_current_ac_range()) {
      ac_min = c.current_ac_range().min_ms();
      ac_max = c.current_ac_range().max_ms();
      if (ac_min < kMinAccessCycleMs || ac_max > kMaxAccessCycleMs || ac_min > ac_max)
        return pb::INVALID_AC_RANGE;
    }
    if (c.has_sink_state())
      m.started = c.sink_state() == pb::ON;
    if (!m.configured && c.has_node_role() && c.has_node_address() && c.has_network_address() &&
        c.has_network_channel()) {
      m.configured = true;
    }
    const bool diag_changed = m.diag_interval_s != sink.model.diag_interval_s;
    sink.model = std::move(m);
    sink.ac_min = ac_min;
    sink.ac_max = ac_max;
    if (c.has_keys() || c.has_network_keys())
      sink.keys_set = true;
    if (diag_changed)
      ++sink.diag_generation;
    return pb::OK;
  }

  void handle_set_config(const wirepas::Topic& t, const pb::SetConfigReq& req,
                         Clock::time_point now, std::vector<WirepasPublish>& out) {
    const std::string& sink_id = req.config().sink_id();
    Sink* sink = find(sink_id);
    const auto res = sink == nullptr ? pb::INVALID_SINK_ID : apply_config(*sink, req.config());
    out.push_back(set_config_response(req.header().req_id(), t.sink_id, sink_id, res));
    if (res == pb::OK) {
      changed(out, *sink);
      schedule_diagnostics(static_cast<std::size_t>(sink - sinks.data()), now);
    }
  }

  void handle_send_data(const wirepas::Topic& t, const pb::SendPacketReq& req,
                        Clock::time_point now, std::vector<WirepasPublish>& out) {
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_send_packet_resp();
    Sink* sink = find(t.sink_id);
    pb::ErrorCode res = pb::OK;
    if (sink == nullptr)
      res = pb::INVALID_SINK_ID;
    else if (req.has_hop_limit() && req.hop_limit() > kMaxHopLimit)
      res = pb::INVALID_MAX_HOP_COUNT;
    else if (!sink->model.configured || !sink->model.started)
      res = pb::INVALID_SINK_STATE;
    else if (req.source_endpoint() > 255 || req.destination_endpoint() > 255)
      res = req.source_endpoint() > 255 ? pb::INVALID_SRC_ENDPOINT : pb::INVALID_DEST_ENDPOINT;
    else if (req.payload().size() > 102)
      res = pb::INVALID_DATA_PAYLOAD;
    header(r->mutable_header(), req.header().req_id(), t.sink_id, res);
    out.push_back(make(topic(Direction::response, Operation::send_data, t.sink_id), m, 2, false));
    if (res == pb::OK)
      deliver(static_cast<std::size_t>(sink - sinks.data()), req, now);
  }

  void handle_otap_status(const wirepas::Topic& t, std::uint64_t req_id,
                          std::vector<WirepasPublish>& out) {
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_get_scratchpad_status_resp();
    Sink* sink = find(t.sink_id);
    header(r->mutable_header(), req_id, t.sink_id, sink ? pb::OK : pb::INVALID_SINK_ID);
    if (sink != nullptr) {
      const auto c = read_config(*sink);
      *r->mutable_stored_scratchpad() = c.stored_scratchpad();
      r->set_stored_status(c.stored_status());
      r->set_stored_type(c.stored_type());
      if (c.has_processed_scratchpad())
        *r->mutable_processed_scratchpad() = c.processed_scratchpad();
      r->set_firmware_area_id(c.firmware_area_id());
      if (c.has_target_and_action())
        *r->mutable_target_and_action() = c.target_and_action();
    }
    out.push_back(make(topic(Direction::response, Operation::otap_status, t.sink_id), m, 2, false));
  }

  pb::ErrorCode load_scratchpad(Sink& sink, const pb::UploadScratchpadReq& req, bool& complete) {
    auto& sp = sink.scratchpad;
    complete = false;
    if (!req.has_scratchpad()) {  // absent bytes: clear the stored scratchpad
      sp = Scratchpad{};
      complete = true;
      return pb::OK;
    }
    if (req.seq() == 0 || req.seq() > 255)
      return pb::INVALID_SEQUENCE_NUMBER;
    if (req.scratchpad().size() > options.max_scratchpad_size)
      return pb::INVALID_SCRATCHPAD_SIZE;  // one message carries at most this much
    if (!req.has_chunk_info()) {
      if (req.scratchpad().size() > options.scratchpad_capacity)
        return pb::INVALID_SCRATCHPAD_SIZE;
      sp.bytes = req.scratchpad();
    } else {
      const auto& chunk = req.chunk_info();
      if (chunk.scratchpad_total_size() > options.scratchpad_capacity)
        return pb::INVALID_SCRATCHPAD_SIZE;
      // A new sequence, another total or offset 0 restarts the upload (spec §1.3).
      if (chunk.start_offset() == 0 || req.seq() != sp.chunk_seq ||
          chunk.scratchpad_total_size() != sp.chunk_total) {
        sp.chunk_seq = static_cast<std::uint32_t>(req.seq());
        sp.chunk_total = chunk.scratchpad_total_size();
        sp.chunk_bytes.clear();
      }
      if (chunk.start_offset() != sp.chunk_bytes.size())
        return pb::INVALID_SCRATCHPAD_CHUNK_OFFSET;
      if (sp.chunk_bytes.size() + req.scratchpad().size() > sp.chunk_total)
        return pb::INVALID_SCRATCHPAD_CHUNK_SIZE;
      sp.chunk_bytes += req.scratchpad();
      if (sp.chunk_bytes.size() < sp.chunk_total)
        return pb::OK;  // more chunks to come
      sp.bytes = std::move(sp.chunk_bytes);
      sp.chunk_bytes.clear();
      sp.chunk_total = 0;
    }
    sp.crc = crc16(sp.bytes);
    sp.seq = req.seq();
    sp.type = pb::PRESENT;
    sp.status = pb::NEW;
    complete = true;
    return pb::OK;
  }

  void handle_simple(const wirepas::Topic& t, const pb::WirepasMessage& w, Clock::time_point now,
                     std::vector<WirepasPublish>& out) {
    (void)now;
    pb::GenericMessage m;
    auto* resp = m.mutable_wirepas();
    Sink* sink = find(t.sink_id);
    pb::ErrorCode res = sink == nullptr ? pb::INVALID_SINK_ID : pb::OK;
    bool status_changed = false;
    pb::ResponseHeader* h = nullptr;
    std::uint64_t req_id = 0;
    switch (t.operation) {
      case Operation::otap_load_scratchpad: {
        req_id = w.upload_scratchpad_req().header().req_id();
        h = resp->mutable_upload_scratchpad_resp()->mutable_header();
        bool complete = false;
        if (sink != nullptr)
          res = load_scratchpad(*sink, w.upload_scratchpad_req(), complete);
        status_changed = res == pb::OK && complete;
        break;
      }
      case Operation::otap_process_scratchpad: {
        req_id = w.process_scratchpad_req().header().req_id();
        h = resp->mutable_process_scratchpad_resp()->mutable_header();
        if (sink != nullptr && sink->scratchpad.bytes.empty()) {
          res = pb::NO_SCRATCHPAD_PRESENT;
        } else if (sink != nullptr) {  // the sink reboots into it at once
          auto& sp = sink->scratchpad;
          sp.type = pb::PROCESS;
          sp.status = pb::SUCCESS;
          pb::ScratchpadInfo info;
          info.set_len(static_cast<std::uint32_t>(sp.bytes.size()));
          info.set_crc(sp.crc);
          info.set_seq(sp.seq);
          sp.processed = info;
          status_changed = true;
        }
        break;
      }
      case Operation::otap_set_target_scratchpad: {
        const auto& req = w.set_scratchpad_target_and_action_req();
        req_id = req.header().req_id();
        h = resp->mutable_set_scratchpad_target_and_action_resp()->mutable_header();
        if (sink != nullptr) {
          const auto& target = req.target_and_action();
          if (target.action() == pb::UNKNOWN_ACTION ||
              (target.has_target_sequence() &&
               (target.target_sequence() == 0 || target.target_sequence() > 254)) ||
              (target.has_target_crc() && target.target_crc() > 0xFFFF) ||
              (target.has_raw() && target.raw() > 255)) {
            res = pb::INVALID_PARAM;
          } else {
            sink->scratchpad.target = target;
            status_changed = true;
          }
        }
        break;
      }
      case Operation::set_configuration_data_item: {
        const auto& req = w.set_configuration_data_item_req();
        req_id = req.header().req_id();
        h = resp->mutable_set_configuration_data_item_resp()->mutable_header();
        if (sink != nullptr) {
          const auto& item = req.configuration_data_item();
          if (item.endpoint() > 255)
            res = pb::INVALID_DEST_ENDPOINT;
          else if (item.payload().size() > options.app_config_max_size)
            res = pb::INVALID_DATA_PAYLOAD;
          else if (item.payload().empty())
            sink->data_items.erase(item.endpoint());
          else
            sink->data_items[item.endpoint()] = item.payload();
          status_changed = res == pb::OK;
        }
        break;
      }
      case Operation::get_configuration_data_item: {
        const auto& req = w.get_configuration_data_item_req();
        req_id = req.header().req_id();
        auto* r = resp->mutable_get_configuration_data_item_resp();
        h = r->mutable_header();
        if (sink != nullptr) {
          if (req.endpoint() > 255) {
            res = pb::INVALID_DEST_ENDPOINT;
          } else if (auto it = sink->data_items.find(req.endpoint());
                     it == sink->data_items.end()) {
            res = pb::INVALID_PARAM;
          } else {
            r->mutable_configuration_data_item()->set_endpoint(it->first);
            r->mutable_configuration_data_item()->set_payload(it->second);
          }
        }
        break;
      }
      default:
        return;
    }
    header(h, req_id, t.sink_id, res);
    out.push_back(make(topic(Direction::response, t.operation, t.sink_id), m, 2, false));
    if (status_changed)
      changed(out, *sink);
  }

  void handle_gw_info(std::uint64_t req_id, std::vector<WirepasPublish>& out) {
    pb::GenericMessage m;
    auto* r = m.mutable_wirepas()->mutable_get_gateway_info_resp();
    header(r->mutable_header(), req_id, {}, pb::OK);
    auto* info = r->mutable_info();
    info->set_current_time_s_epoch(wall_ms() / 1000);
    info->set_gw_model(options.gw_model);
    info->set_gw_version(options.gw_version);
    info->set_implemented_api_version(kApiVersion);
    info->set_max_scratchpad_size(options.max_scratchpad_size);
    fill_features(info->mutable_gw_features());
    out.push_back(make(topic(Direction::response, Operation::get_gw_info, {}), m, 2, false));
  }

  // --- the mesh ---

  std::chrono::milliseconds travel(std::uint8_t hops) const { return options.per_hop * hops; }

  WirepasPublish uplink(const Sink& sink, std::uint32_t source, std::uint8_t hops,
                        std::uint8_t source_endpoint, std::uint8_t destination_endpoint,
                        std::string payload) {
    pb::GenericMessage m;
    auto* e = m.mutable_wirepas()->mutable_packet_received_event();
    e->mutable_header()->set_gw_id(options.gw_id);
    e->mutable_header()->set_sink_id(sink.model.sink_id);
    e->mutable_header()->set_event_id(wirepas::new_event_id());
    const auto now_ms = wall_ms();
    e->mutable_header()->set_time_ms_epoch(now_ms);
    e->set_source_address(source);
    e->set_destination_address(sink.model.node_address);
    e->set_source_endpoint(source_endpoint);
    e->set_destination_endpoint(destination_endpoint);
    e->set_travel_time_ms(static_cast<std::uint32_t>(travel(hops).count()));
    e->set_rx_time_ms_epoch(now_ms);
    e->set_qos(0);
    e->set_payload_size(static_cast<std::uint32_t>(payload.size()));
    e->set_payload(std::move(payload));
    e->set_hop_count(hops);
    e->set_network_address(sink.model.network_address);
    wirepas::Topic t{Direction::event,    Operation::received_data,   options.gw_id,
                     sink.model.sink_id,  sink.model.network_address, source_endpoint,
                     destination_endpoint};
    ++stats.uplinks;
    return make(wirepas::build_topic(t).value_or(std::string()), m, 1, false);
  }

  void later(Clock::time_point at, WirepasPublish publish) {
    const auto index = next_ready++;
    ready.emplace(index, std::move(publish));
    Due d;
    d.at = at;
    d.kind = Due::Kind::ready;
    d.ready = index;
    schedule.push(d);
  }

  std::string msap_answer(const Sink& sink, std::string_view packet) {
    const std::span bytes(reinterpret_cast<const std::uint8_t*>(packet.data()), packet.size());
    auto items = msap::split(bytes);
    if (!items)
      return {};
    std::vector<msap::Item> replies;
    for (const auto& item : *items) {
      auto request = msap::decode_request(item);
      if (!request) {
        replies.push_back(msap::encode(msap::Reply{msap::ErrorReply{{item.type}}}));
        continue;
      }
      std::visit(
          [&](const auto& r) {
            using T = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<T, msap::Ping>) {
              replies.push_back(msap::encode(msap::Reply{msap::PingReply{r.reference}}));
            } else if constexpr (std::is_same_v<T, msap::Update>) {
              replies.push_back(msap::encode(msap::Reply{msap::UpdateReply{r.countdown_s}}));
            } else if constexpr (std::is_same_v<T, msap::ScratchpadStatusQuery>) {
              const auto& sp = sink.scratchpad;
              msap::ScratchpadStatusReply s;
              s.stored_length = static_cast<std::uint32_t>(sp.bytes.size());
              s.stored_crc = sp.crc;
              s.stored_sequence = static_cast<std::uint8_t>(sp.seq);
              s.stored_type = static_cast<std::uint8_t>(sp.type == pb::BLANK ? 0 : sp.type - 1);
              s.stored_status = static_cast<std::uint8_t>(sp.status == pb::SUCCESS ? 0 : 0xFF);
              if (sp.processed) {
                s.processed_length = sp.processed->len();
                s.processed_crc = static_cast<std::uint16_t>(sp.processed->crc());
                s.processed_sequence = static_cast<std::uint8_t>(sp.processed->seq());
              }
              s.firmware_area_id = 1;
              s.firmware = msap::Version{5, 4, 0, 12};
              s.application = msap::ApplicationStatus{0, 0, 0, 2, msap::Version{1, 0, 0, 0}};
              replies.push_back(msap::encode(msap::Reply{s}));
            } else if constexpr (std::is_same_v<T, msap::ScratchpadUpdate>) {
              replies.push_back(msap::encode(msap::Reply{msap::ScratchpadUpdateReply{r.sequence}}));
            } else if constexpr (std::is_same_v<T, msap::DiagnosticControl>) {
              replies.push_back(msap::encode(msap::Reply{msap::DiagnosticControlReply{}}));
            } else if constexpr (std::is_same_v<T, msap::Begin>) {
              replies.push_back(msap::encode(msap::Reply{msap::Ack{msap::Type::begin}}));
            } else if constexpr (std::is_same_v<T, msap::End>) {
              replies.push_back(msap::encode(msap::Reply{msap::Ack{msap::Type::end}}));
            } else {
              replies.push_back(msap::encode(msap::Reply{msap::Ack{msap::Type::cancel}}));
            }
          },
          *request);
    }
    auto joined = msap::join(replies);
    if (!joined)
      return {};
    return std::string(joined->begin(), joined->end());
  }

  // A downlink reaches its receivers; their answers are scheduled after the round trip.
  void deliver(std::size_t sink_index, const pb::SendPacketReq& req, Clock::time_point now) {
    const Sink& sink = sinks[sink_index];
    const auto dst = req.destination_address();
    std::vector<std::pair<std::uint32_t, std::uint8_t>> receivers;  // address, hops
    if (dst == kBroadcast || dst == sink.model.node_address)
      receivers.emplace_back(sink.model.node_address, 0);
    for (const auto& n : sink.nodes) {
      if (dst == kBroadcast || dst == n.address)
        receivers.emplace_back(n.address, n.hops);
    }
    const auto src_ep = static_cast<std::uint8_t>(req.source_endpoint());
    const auto dst_ep = static_cast<std::uint8_t>(req.destination_endpoint());
    if (src_ep == prov::kServerEndpoint && dst_ep == prov::kNodeEndpoint) {
      for (std::size_t j = 0; j < sink.joiners.size(); ++j) {
        if (sink.joiners[j].model.address == dst) {  // unicast only, as the SDK filters
          ++stats.downlinks_delivered;
          on_provisioning(sink_index, j, req.payload(), now);
        }
      }
    }
    for (const auto& [address, hops] : receivers) {
      ++stats.downlinks_delivered;
      const auto round_trip = travel(hops) * 2;
      if (src_ep == msap::kRequestSourceEndpoint && dst_ep == msap::kRemoteApiEndpoint) {
        auto answer = msap_answer(sink, req.payload());
        if (!answer.empty()) {
          later(now + round_trip, uplink(sink, address, hops, msap::kRemoteApiEndpoint,
                                         msap::kRequestSourceEndpoint, std::move(answer)));
        }
      } else if (dst_ep == options.echo_endpoint) {
        later(now + round_trip, uplink(sink, address, hops, dst_ep, src_ep, req.payload()));
      }
    }
  }

  // --- joining nodes (spec §5.3) ---

  // Sends START (again) and waits for DATA; after the last try the node gives up.
  void send_start(std::size_t s, std::size_t j, Clock::time_point now) {
    Sink& sink = sinks[s];
    Joiner& joiner = sink.joiners[j];
    if (joiner.tries > joiner.model.retries) {
      joiner.state = Joiner::State::failed;
      ++stats.provisioning_failed;
      return;
    }
    joiner.wait = joiner.tries == 0 ? joiner.model.timeout : joiner.wait * 2;
    ++joiner.tries;
    joiner.state = Joiner::State::waiting;
    const prov::Start start{{joiner.model.address, joiner.session_id},
                            joiner.model.method,
                            joiner.iv,
                            joiner.model.uid};
    later(now + travel(joiner.model.hops),
          uplink(sink, joiner.model.address, joiner.model.hops, prov::kNodeEndpoint,
                 prov::kServerEndpoint, prov::encode(prov::Frame{start})));
    Due d;
    d.at = now + joiner.wait;
    d.kind = Due::Kind::join;
    d.sink = s;
    d.node = j;
    d.generation = ++joiner.generation;
    schedule.push(d);
  }

  // A frame from the server reached joining node `j`: DATA is checked and acknowledged;
  // a NACK ends the attempt; anything else counts as a failed try, as in the SDK.
  void on_provisioning(std::size_t s, std::size_t j, std::string_view payload,
                       Clock::time_point now) {
    Sink& sink = sinks[s];
    Joiner& joiner = sink.joiners[j];
    if (joiner.state != Joiner::State::waiting)
      return;
    const auto arrived = now + travel(joiner.model.hops);  // the downlink's own travel
    auto frame = prov::decode_frame(payload);
    const auto* header =
        frame ? std::visit([](const auto& f) { return &f.header; }, *frame) : nullptr;
    if (header != nullptr && header->session_id == joiner.session_id) {
      if (std::holds_alternative<prov::Nack>(*frame)) {
        joiner.state = Joiner::State::failed;
        ++joiner.generation;
        ++stats.provisioning_failed;
        return;
      }
      if (const auto* data = std::get_if<prov::Data>(&*frame)) {
        if (auto content = accept(joiner, *data)) {
          joiner.state = Joiner::State::done;
          ++joiner.generation;
          ++stats.provisioned;
          const prov::DataAck ack{{joiner.model.address, joiner.session_id}};
          later(arrived + travel(joiner.model.hops),
                uplink(sink, joiner.model.address, joiner.model.hops, prov::kNodeEndpoint,
                       prov::kServerEndpoint, prov::encode(prov::Frame{ack})));
          join_network(s, joiner, *content, arrived + travel(joiner.model.hops));
          return;
        }
      }
    }
    ++joiner.generation;  // the pending wait is over: this try failed
    send_start(s, j, arrived);
  }

  // The DATA's content when the node can use it (key index, MIC, CBOR with keys 0-3).
  static std::optional<prov::Content> accept(const Joiner& joiner, const prov::Data& data) {
    std::string cbor;
    if (joiner.model.method == 0) {
      if (data.key_index != 0)
        return std::nullopt;
      cbor = data.body;
    } else {
      auto opened = prov::open(joiner.key, joiner.iv, data);
      if (!opened)
        return std::nullopt;
      cbor = std::move(*opened);
    }
    auto content = prov::decode_content(cbor);
    if (!content || *content->network_address == 0 || *content->network_channel == 0)
      return std::nullopt;
    return std::move(*content);
  }

  // After the DATA_ACK the SDK applies the parameters and reboots: the node reappears with
  // the provisioned address in the network it was given. When that is this sink's network
  // it becomes one of its nodes; otherwise it left.
  void join_network(std::size_t s, const Joiner& joiner, const prov::Content& content,
                    Clock::time_point now) {
    Sink& sink = sinks[s];
    if (*content.network_address != sink.model.network_address ||
        *content.network_channel != sink.model.network_channel)
      return;
    const std::uint32_t address = content.node_address.value_or(joiner.model.address);
    if (address == 0 || address == kBroadcast)
      return;
    for (const auto& n : sink.nodes) {
      if (n.address == address)
        return;  // an address clash: the real node would not route either
    }
    sink.nodes.push_back(Node{address, joiner.model.hops});
    const std::size_t n = sink.nodes.size() - 1;
    schedule_data(s, n, now);
    if (sink.model.diag_interval_s > 0) {
      Due d;
      d.at = now;  // the boot diagnostics first, as after any reboot
      d.kind = Due::Kind::diag;
      d.sink = s;
      d.node = n;
      d.generation = sink.diag_generation;
      schedule.push(d);
    }
  }

  std::chrono::milliseconds spread(std::chrono::milliseconds interval) {
    if (interval.count() <= 0)
      return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(interval.count())));
  }

  // Node `n`'s first data uplink, somewhere within one interval (none when data is off).
  void schedule_data(std::size_t s, std::size_t n, Clock::time_point now) {
    if (options.data_interval.count() <= 0)
      return;
    Due d;
    d.at = now + spread(options.data_interval);
    d.kind = Due::Kind::data;
    d.sink = s;
    d.node = n;
    schedule.push(d);
  }

  void schedule_diagnostics(std::size_t s, Clock::time_point now) {
    const auto& sink = sinks[s];
    if (sink.model.diag_interval_s == 0)
      return;
    const std::chrono::milliseconds interval = std::chrono::seconds(sink.model.diag_interval_s);
    for (std::size_t n = 0; n < sink.nodes.size(); ++n) {
      Due d;
      d.at = now + spread(interval);
      d.kind = Due::Kind::diag;
      d.sink = s;
      d.node = n;
      d.generation = sink.diag_generation;
      schedule.push(d);
    }
  }

  void schedule_all(Clock::time_point now) {
    for (std::size_t s = 0; s < sinks.size(); ++s) {
      for (std::size_t n = 0; n < sinks[s].nodes.size(); ++n)
        schedule_data(s, n, now);
      schedule_diagnostics(s, now);
      for (std::size_t j = 0; j < sinks[s].joiners.size(); ++j) {
        Due d;
        d.at = now + spread(std::chrono::seconds(1));
        d.kind = Due::Kind::join;
        d.sink = s;
        d.node = j;
        d.generation = sinks[s].joiners[j].generation;
        schedule.push(d);
      }
    }
  }

  std::string data_payload(Node& node) {
    std::string p(std::max<std::size_t>(options.data_payload_bytes, 2), '\0');
    p[0] = static_cast<char>(node.data_sequence & 0xFF);
    p[1] = static_cast<char>(node.data_sequence >> 8);
    for (std::size_t i = 2; i < p.size(); ++i)
      p[i] = static_cast<char>(rng());
    ++node.data_sequence;
    return p;
  }

  // The node's next diagnostics: its source endpoint (251-254) and payload.
  std::pair<std::uint8_t, std::string> diag_payload(const Sink& sink, Node& node) {
    std::vector<std::uint8_t> bytes;
    std::uint8_t endpoint = apdu::kTrafficDiagnostics;
    if (!node.booted) {
      node.booted = true;
      apdu::BootDiagnostics b;
      b.boot_count = 1;
      b.node_role = 0x02;
      b.sw_major = 5;
      b.sw_minor = 4;
      b.sw_dev = 12;
      b.scratchpad_sequence = static_cast<std::uint16_t>(sink.scratchpad.seq);
      b.hw_magic = 0x12;
      b.stack_profile = 0x0C;
      b.otap_enabled = 1;
      bytes = apdu::encode(b);
      endpoint = apdu::kBootDiagnostics;
    } else if (node.diag_turn % 3 == 0) {
      apdu::TrafficDiagnostics t;
      t.access_cycles = static_cast<std::uint16_t>(sink.model.diag_interval_s * 1000 / sink.ac_max);
      t.cluster_channel = static_cast<std::uint8_t>(sink.model.network_channel);
      t.channel_reliability = 95;
      t.rx_amount = static_cast<std::uint16_t>(rng() % 200);
      t.tx_amount = static_cast<std::uint16_t>(rng() % 200);
      bytes = apdu::encode(t);
    } else if (node.diag_turn % 3 == 1) {
      apdu::NeighborDiagnostics nd;
      for (const auto& other : sink.nodes) {
        if (other.address != node.address && nd.neighbors.size() < 4 &&
            (other.hops + 1 == node.hops || other.hops == node.hops)) {
          nd.neighbors.push_back(apdu::Neighbor{
              other.address & 0xFFFFFF, static_cast<std::uint8_t>(sink.model.network_channel), 4,
              0x01, static_cast<std::uint8_t>(150 + rng() % 60)});
        }
      }
      bytes = apdu::encode(nd);
      endpoint = apdu::kNeighborDiagnostics;
    } else {
      apdu::NodeDiagnostics d;
      d.access_cycle = static_cast<std::uint16_t>(sink.ac_max);
      d.role = 0x02;
      d.voltage = 130;  // 3.3 V
      d.route_address = sink.model.node_address & 0xFFFFFF;
      d.next_hop_0 = apdu::NextHop{sink.model.node_address & 0xFFFFFF, node.hops, 200};
      d.duty_cycle = 100;
      bytes = apdu::encode(d);
      endpoint = apdu::kNodeDiagnostics;
    }
    ++node.diag_turn;
    return {endpoint, std::string(bytes.begin(), bytes.end())};
  }

  // The next period after `at`; a node that fell behind (ticks late or rate-bounded) skips
  // what it missed instead of sending a burst.
  static Clock::time_point next_time(Clock::time_point at, std::chrono::milliseconds interval,
                                     Clock::time_point now) {
    const auto next = at + interval;
    return next > now ? next : now + interval;
  }

  std::vector<WirepasPublish> run_due(Clock::time_point now) {
    std::vector<WirepasPublish> out;
    while (!schedule.empty() && schedule.top().at <= now &&
           out.size() < options.max_uplinks_per_tick) {
      Due d = schedule.top();
      schedule.pop();
      if (d.kind == Due::Kind::ready) {
        auto it = ready.find(d.ready);
        if (it != ready.end()) {
          out.push_back(std::move(it->second));
          ready.erase(it);
        }
        continue;
      }
      Sink& sink = sinks[d.sink];
      if (d.kind == Due::Kind::join) {
        Joiner& joiner = sink.joiners[d.node];
        const bool pending =
            joiner.state == Joiner::State::idle || joiner.state == Joiner::State::waiting;
        if (pending && d.generation == joiner.generation && sink.model.started)
          send_start(d.sink, d.node, now);  // the first START, or the wait ran out
        continue;
      }
      Node& node = sink.nodes[d.node];
      const bool live = sink.model.configured && sink.model.started;
      if (d.kind == Due::Kind::data) {
        if (live) {
          out.push_back(uplink(sink, node.address, node.hops, options.data_source_endpoint,
                               options.data_destination_endpoint, data_payload(node)));
        }
        d.at = next_time(d.at, options.data_interval, now);
        schedule.push(d);
      } else {
        if (d.generation != sink.diag_generation || sink.model.diag_interval_s == 0)
          continue;  // the interval changed: schedule_diagnostics queued the new ones
        if (live) {
          auto [endpoint, payload] = diag_payload(sink, node);
          out.push_back(uplink(sink, node.address, node.hops, endpoint, apdu::kDiagnosticsSink,
                               std::move(payload)));
        }
        d.at = next_time(d.at, std::chrono::seconds(sink.model.diag_interval_s), now);
        schedule.push(d);
      }
    }
    return out;
  }
};

WirepasGateway::WirepasGateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WirepasGateway::~WirepasGateway() = default;

Result<std::unique_ptr<WirepasGateway>> WirepasGateway::create(
    WirepasGatewayOptions options, std::vector<WirepasSinkModel> sinks) {
  if (!wirepas::valid_id(options.gw_id))
    return fail(errc::invalid_argument,
                "gateway id \"" + options.gw_id + "\" is not usable in a topic");
  if (sinks.empty() || sinks.size() > 2)
    return fail(errc::invalid_argument, "a simulated gateway has 1 or 2 sinks");
  std::set<std::string> ids;
  auto impl = std::make_unique<Impl>();
  impl->rng.seed(options.seed);
  for (auto& model : sinks) {
    if (!wirepas::valid_id(model.sink_id) || !ids.insert(model.sink_id).second)
      return fail(errc::invalid_argument,
                  "sink id \"" + model.sink_id + "\" is invalid or repeated");
    Sink sink;
    for (const auto& n : model.nodes) {
      if (n.address == 0 || n.address == kBroadcast || n.hops == 0 || n.hops > kMaxHopLimit)
        return fail(errc::invalid_argument, "node " + std::to_string(n.address) +
                                                ": addresses are 1..0xFFFFFFFE, hops 1..15");
      sink.nodes.push_back(Node{n.address, n.hops});
    }
    for (const auto& j : model.joining) {
      if (j.address == 0 || j.address == kBroadcast || j.hops == 0 || j.hops > kMaxHopLimit ||
          j.uid.empty() || j.uid.size() > prov::kMaxUidBytes || j.method > 1 ||
          j.timeout.count() <= 0 || j.retries < 0)
        return fail(errc::invalid_argument,
                    "joining node " + std::to_string(j.address) +
                        ": address 1..0xFFFFFFFE, hops 1..15, UID 1..79 bytes, method 0 or 1, "
                        "a positive wait and retries >= 0");
      Joiner joiner;
      joiner.model = j;
      if (j.method == 1) {
        auto key = prov::FactoryKey::split(j.factory_key);
        if (!key)
          return fail(errc::invalid_argument, "joining node " + std::to_string(j.address) +
                                                  ": a secured node needs a 32-byte factory key");
        joiner.key = *key;
      }
      joiner.session_id = static_cast<std::uint8_t>(impl->rng());
      for (auto& b : joiner.iv)
        b = static_cast<std::uint8_t>(impl->rng());
      sink.joiners.push_back(std::move(joiner));
    }
    sink.model = std::move(model);
    impl->sinks.push_back(std::move(sink));
  }
  impl->options = std::move(options);
  return std::unique_ptr<WirepasGateway>(new WirepasGateway(std::move(impl)));
}

const std::string& WirepasGateway::gw_id() const noexcept {
  return impl_->options.gw_id;
}

std::vector<std::string> WirepasGateway::subscriptions() const {
  const auto& gw = impl_->options.gw_id;
  std::vector<std::string> out;
  for (const auto op :
       {Operation::get_gw_info, Operation::get_configs, Operation::set_config, Operation::send_data,
        Operation::otap_status, Operation::otap_load_scratchpad, Operation::otap_process_scratchpad,
        Operation::otap_set_target_scratchpad, Operation::set_configuration_data_item,
        Operation::get_configuration_data_item}) {
    out.push_back(wirepas::operation_filter(Direction::request, op, gw));
  }
  return out;
}

WirepasPublish WirepasGateway::last_will() const {
  return impl_->status(false);
}
WirepasPublish WirepasGateway::offline_status() const {
  return impl_->status(false);
}

std::vector<WirepasPublish> WirepasGateway::on_connected(Clock::time_point now) {
  std::vector<WirepasPublish> out;
  out.push_back(impl_->status(true));
  out.push_back(impl_->configs_response(0));
  if (!impl_->scheduled) {
    impl_->scheduled = true;
    impl_->schedule_all(now);
  }
  return out;
}

std::vector<WirepasPublish> WirepasGateway::on_message(std::string_view topic,
                                                       std::string_view payload,
                                                       Clock::time_point now) {
  std::vector<WirepasPublish> out;
  auto& impl = *impl_;
  auto t = wirepas::parse_topic(topic);
  if (!t || t->direction != Direction::request || t->gw_id != impl.options.gw_id) {
    ++impl.stats.ignored;
    return out;
  }
  // Requests are read tolerantly: a client that leaves out a required field still gets an
  // answer (the Python clients tolerate the same, spec §1.5).
  auto message = wirepas::decode(payload, wirepas::Strictness::tolerant);
  if (!message) {
    ++impl.stats.ignored;
    return out;
  }
  auto kind = wirepas::kind_of(message->wirepas());
  if (!kind || kind->direction != Direction::request || kind->operation != t->operation) {
    ++impl.stats.ignored;
    return out;
  }
  ++impl.stats.requests;
  const auto& w = message->wirepas();
  switch (t->operation) {
    case Operation::get_configs:
      out.push_back(impl.configs_response(w.get_configs_req().header().req_id()));
      break;
    case Operation::get_gw_info:
      impl.handle_gw_info(w.get_gateway_info_req().header().req_id(), out);
      break;
    case Operation::set_config:
      impl.handle_set_config(*t, w.set_config_req(), now, out);
      break;
    case Operation::send_data:
      impl.handle_send_data(*t, w.send_packet_req(), now, out);
      break;
    case Operation::otap_status:
      impl.handle_otap_status(*t, w.get_scratchpad_status_req().header().req_id(), out);
      break;
    default:
      impl.handle_simple(*t, w, now, out);
      break;
  }
  return out;
}

std::vector<WirepasPublish> WirepasGateway::tick(Clock::time_point now) {
  return impl_->run_due(now);
}

std::optional<WirepasGateway::Clock::time_point> WirepasGateway::next_wakeup() const {
  if (impl_->schedule.empty())
    return std::nullopt;
  return impl_->schedule.top().at;
}

const WirepasGatewayStats& WirepasGateway::stats() const noexcept {
  return impl_->stats;
}

}  // namespace stratus::sim
