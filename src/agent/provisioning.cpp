#include "agent/provisioning.hpp"

#include <algorithm>
#include <array>
#include <utility>
#include <variant>

#include "agent/device_security.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/mapping.hpp"

namespace stratus::agent {

namespace {

using protocomm::Status;
using protocomm::WifiFailReason;

// The firmware's limits on CmdSetConfig (wifi_config.c `cmd_set_config_handler`).
constexpr std::size_t kMaxSsidBytes = 32;
constexpr std::size_t kMaxPassphraseBytes = 64;

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

// A stable locally administered BSSID for an AP configured without one.
std::string derived_bssid(std::string_view ssid) {
  std::uint32_t h = 2166136261U;  // FNV-1a
  for (const char c : ssid) {
    h = (h ^ static_cast<std::uint8_t>(c)) * 16777619U;
  }
  std::string bssid(6, '\0');
  bssid[0] = '\x02';
  bssid[1] = '\x53';
  for (int i = 0; i < 4; ++i) {
    bssid[static_cast<std::size_t>(2 + i)] = static_cast<char>((h >> (8 * (3 - i))) & 0xFFU);
  }
  return bssid;
}

}  // namespace

std::vector<WifiNetwork> default_wifi_networks() {
  auto ap = [](std::string ssid, std::string passphrase, std::int32_t rssi, std::uint32_t channel,
               protocomm::WifiAuthMode auth) {
    WifiNetwork n;
    n.ssid = std::move(ssid);
    n.passphrase = std::move(passphrase);
    n.rssi = rssi;
    n.channel = channel;
    n.auth = auth;
    return n;
  };
  return {ap("stratus-lab", "stratus-lab-pass", -42, 6, protocomm::WifiAuthMode::wpa2_psk),
          ap("neighbour-5G", "not-yours", -71, 36, protocomm::WifiAuthMode::wpa2_wpa3_psk),
          ap("cafe-guest", "", -83, 11, protocomm::WifiAuthMode::open)};
}

std::string_view to_string(ProvisioningState state) noexcept {
  switch (state) {
    case ProvisioningState::waiting:
      return "waiting";
    case ProvisioningState::connecting:
      return "connecting";
    case ProvisioningState::connected:
      return "connected";
    case ProvisioningState::failed:
      return "failed";
  }
  return "unknown";
}

struct ProvisioningEngine::Impl {
  Impl(ProvisioningOptions o, const Clock& c) : options(std::move(o)), clock(c) {}

  ProvisioningOptions options;
  const Clock& clock;
  std::unique_ptr<protocomm::DeviceSecurity> security;
  std::vector<WifiNetwork> scan_list;  // sorted by RSSI, strongest first
  bool scanned = false;

  // The credentials of the last SetConfig (handlers.c keeps them until ApplyConfig).
  std::optional<protocomm::WifiSetConfig> pending;
  ProvisioningState state = ProvisioningState::waiting;
  WifiFailReason fail_reason = WifiFailReason::auth_error;
  std::optional<WifiNetwork> joining;  // the AP being joined or joined
  std::optional<std::chrono::steady_clock::time_point> connect_at;
  bool finished = false;
  std::optional<ChallengeResponder> ch_resp;  // set when options.challenge_response
  std::vector<ProvisioningEvent> events;

  void emit(ProvisioningEvent::Kind kind, std::string ssid = {}) {
    ProvisioningEvent event;
    event.kind = kind;
    event.ssid = std::move(ssid);
    event.fail_reason = fail_reason;
    events.push_back(std::move(event));
  }

  void tick() {
    if (state == ProvisioningState::connecting && connect_at && clock.steady_now() >= *connect_at) {
      connect_at.reset();
      state = ProvisioningState::connected;
      emit(ProvisioningEvent::Kind::wifi_connected, joining->ssid);
    }
  }

  // --- prov-config (wifi_config.c, handlers.c, manager.c) ---------------------------------

  protocomm::WifiStatus get_status() {
    tick();
    protocomm::WifiStatus status;
    switch (state) {
      case ProvisioningState::waiting:     // the manager's wifi_state starts at "connecting"
      case ProvisioningState::connecting:  // (calloc'd), so both read as connecting
        status.state = protocomm::WifiStationState::connecting;
        break;
      case ProvisioningState::connected: {
        status.state = protocomm::WifiStationState::connected;
        protocomm::WifiConnected info;
        info.ip4_addr = options.ip4_addr;
        info.auth_mode = joining->auth;
        info.ssid = joining->ssid;
        info.bssid = joining->bssid;
        info.channel = static_cast<std::int32_t>(joining->channel);
        status.connected = std::move(info);
        if (!finished) {  // wifi_prov_mgr_done(): the service stops shortly
          finished = true;
          emit(ProvisioningEvent::Kind::finished, joining->ssid);
        }
        break;
      }
      case ProvisioningState::failed:
        status.state = protocomm::WifiStationState::connection_failed;
        status.fail_reason = fail_reason;
        break;
    }
    return status;
  }

  protocomm::WifiSetConfigResult set_config(protocomm::WifiSetConfig request) {
    if (request.ssid.size() > kMaxSsidBytes || request.passphrase.size() > kMaxPassphraseBytes ||
        (!request.bssid.empty() && request.bssid.size() != 6)) {
      return {Status::invalid_argument};
    }
    pending = std::move(request);
    return {Status::success};
  }

  protocomm::WifiApplyConfigResult apply_config() {
    // wifi_prov_mgr_configure_sta refuses once credentials were taken (until a reset).
    if (!pending || state != ProvisioningState::waiting) {
      pending.reset();
      return {Status::internal_error};
    }
    const auto credentials = std::move(*pending);
    pending.reset();
    const auto ap =
        std::find_if(options.networks.begin(), options.networks.end(), [&](const WifiNetwork& n) {
          return n.ssid == credentials.ssid &&
                 (credentials.bssid.empty() || credentials.bssid == n.bssid);
        });
    emit(ProvisioningEvent::Kind::credentials_applied, credentials.ssid);
    if (ap == options.networks.end()) {
      state = ProvisioningState::failed;
      fail_reason = WifiFailReason::network_not_found;
      emit(ProvisioningEvent::Kind::wifi_failed, credentials.ssid);
    } else if (ap->passphrase != credentials.passphrase) {
      state = ProvisioningState::failed;
      fail_reason = WifiFailReason::auth_error;
      emit(ProvisioningEvent::Kind::wifi_failed, credentials.ssid);
    } else {
      state = ProvisioningState::connecting;
      joining = *ap;
      connect_at = clock.steady_now() + options.connect_delay;
      tick();
    }
    return {Status::success};
  }

  Result<std::string> prov_config(std::string_view plain) {
    auto request = protocomm::decode_wifi_config_request(plain);
    if (!request) {
      return fail(std::move(request).error());
    }
    const protocomm::WifiConfigResponse response =
        std::visit(overloaded{
                       [&](const protocomm::WifiGetStatus&) -> protocomm::WifiConfigResponse {
                         return get_status();
                       },
                       [&](const protocomm::WifiSetConfig& r) -> protocomm::WifiConfigResponse {
                         return set_config(r);
                       },
                       [&](const protocomm::WifiApplyConfig&) -> protocomm::WifiConfigResponse {
                         return apply_config();
                       },
                   },
                   *request);
    return protocomm::encode_wifi_config_response(response);
  }

  // --- prov-scan (wifi_scan.c; a blocking scan that finishes at once) -----------------------

  Result<std::string> prov_scan(std::string_view plain) {
    auto request = protocomm::decode_wifi_scan_request(plain);
    if (!request) {
      return fail(std::move(request).error());
    }
    const protocomm::WifiScanResponse response = std::visit(
        overloaded{
            [&](const protocomm::WifiScanStart&) -> protocomm::WifiScanResponse {
              scanned = true;
              return protocomm::WifiScanStarted{Status::success};
            },
            [&](const protocomm::WifiScanStatus&) -> protocomm::WifiScanResponse {
              return protocomm::WifiScanProgress{
                  Status::success, scanned,
                  scanned ? static_cast<std::uint32_t>(scan_list.size()) : 0U};
            },
            [&](const protocomm::WifiScanResults& r) -> protocomm::WifiScanResponse {
              protocomm::WifiScanPage page;
              const std::size_t available = scanned ? scan_list.size() : 0;
              for (std::uint64_t i = r.start_index;
                   i < static_cast<std::uint64_t>(r.start_index) + r.count; ++i) {
                if (i >= available) {  // the handler fails on a missing record
                  page.status = Status::internal_error;
                  break;
                }
                const auto& ap = scan_list[static_cast<std::size_t>(i)];
                page.entries.push_back({ap.ssid, ap.channel, ap.rssi, ap.bssid, ap.auth});
              }
              return page;
            },
        },
        *request);
    return protocomm::encode_wifi_scan_response(response);
  }

  // --- prov-ctrl (wifi_ctrl.c, manager.c `reset_sm_state_*`) ------------------------------

  Result<std::string> prov_ctrl(std::string_view plain) {
    auto request = protocomm::decode_wifi_ctrl_request(plain);
    if (!request) {
      return fail(std::move(request).error());
    }
    protocomm::WifiCtrlResponse response{request->command, Status::internal_error};
    if (request->command == protocomm::WifiCtrlCommand::reset &&
        state == ProvisioningState::failed) {
      state = ProvisioningState::waiting;  // re-armed for new credentials
      joining.reset();
      response.status = Status::success;
    } else if (request->command == protocomm::WifiCtrlCommand::reprov &&
               state == ProvisioningState::connected) {
      state = ProvisioningState::waiting;
      response.status = Status::success;
    }
    return protocomm::encode_wifi_ctrl_response(response);
  }

  // --- RainMaker endpoints --------------------------------------------------------------

  Result<std::string> user_mapping(std::string_view plain) {
    auto request = protocomm::decode_user_mapping_request(plain);
    if (!request) {
      return fail(std::move(request).error());
    }
    if (!request->payload_matches) {  // spec §4.1: answered, the session kept
      return protocomm::encode_user_mapping_response(
          {protocomm::UserMappingStatus::invalid_param, {}});
    }
    ProvisioningEvent event;
    event.kind = ProvisioningEvent::Kind::user_mapping;
    event.user_id = request->user_id;
    event.secret_key = request->secret_key;
    events.push_back(std::move(event));
    return protocomm::encode_user_mapping_response(
        {protocomm::UserMappingStatus::success, options.node_id});
  }

  Result<std::string> challenge_response(std::string_view plain) {
    auto answer = ch_resp->handle(plain);
    if (!answer) {
      return fail(std::move(answer).error());
    }
    if (answer->signed_challenge) {
      emit(ProvisioningEvent::Kind::challenge_signed);
    }
    return std::move(answer->response);
  }
};

Result<std::unique_ptr<ProvisioningEngine>> ProvisioningEngine::create(ProvisioningOptions options,
                                                                       const Clock& clock) {
  if (options.challenge_response && !options.sign) {
    return fail(errc::invalid_argument, "challenge-response needs a signer");
  }
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  auto& o = impl->options;
  if (o.challenge_response) {
    impl->ch_resp.emplace(o.node_id, o.sign);
  }
  auto security = make_device_security(o.security, o.pop, o.random);
  if (!security) {
    return fail(std::move(security).error());
  }
  impl->security = std::move(*security);
  for (auto& ap : o.networks) {
    if (ap.bssid.empty()) {
      ap.bssid = derived_bssid(ap.ssid);
    }
  }
  impl->scan_list = o.networks;
  std::stable_sort(impl->scan_list.begin(), impl->scan_list.end(),
                   [](const WifiNetwork& a, const WifiNetwork& b) { return a.rssi > b.rssi; });
  return std::unique_ptr<ProvisioningEngine>(new ProvisioningEngine(std::move(impl)));
}

ProvisioningEngine::ProvisioningEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProvisioningEngine::~ProvisioningEngine() = default;

bool ProvisioningEngine::serves(std::string_view endpoint) const noexcept {
  return endpoint == protocomm::kEndpointProtoVer || endpoint == protocomm::kEndpointSession ||
         endpoint == protocomm::kEndpointConfig || endpoint == protocomm::kEndpointScan ||
         endpoint == protocomm::kEndpointCtrl || endpoint == protocomm::kEndpointUserMapping ||
         (endpoint == protocomm::kEndpointChallengeResponse && impl_->options.challenge_response);
}

Result<std::string> ProvisioningEngine::handle(std::string_view endpoint, std::string_view body) {
  auto& s = *impl_;
  if (!serves(endpoint)) {
    return fail(errc::not_found, "no endpoint " + std::string(endpoint));
  }
  if (endpoint == protocomm::kEndpointProtoVer) {  // protocomm_version_handler: body ignored
    return protocomm::to_json(protocomm::rainmaker_proto_version(
        s.options.security, !s.options.pop.empty(), s.options.challenge_response));
  }
  if (endpoint == protocomm::kEndpointSession) {
    return s.security->handle(body);
  }
  return serve_protected(*s.security, body, [&](std::string_view request) {
    if (endpoint == protocomm::kEndpointConfig) {
      return s.prov_config(request);
    }
    if (endpoint == protocomm::kEndpointScan) {
      return s.prov_scan(request);
    }
    if (endpoint == protocomm::kEndpointCtrl) {
      return s.prov_ctrl(request);
    }
    if (endpoint == protocomm::kEndpointUserMapping) {
      return s.user_mapping(request);
    }
    return s.challenge_response(request);
  });
}

void ProvisioningEngine::new_session() noexcept {
  impl_->security->reset();
}

void ProvisioningEngine::tick() {
  impl_->tick();
}

std::optional<std::chrono::steady_clock::time_point> ProvisioningEngine::next_deadline() const {
  return impl_->connect_at;
}

std::vector<ProvisioningEvent> ProvisioningEngine::take_events() {
  return std::exchange(impl_->events, {});
}

ProvisioningState ProvisioningEngine::state() const noexcept {
  return impl_->state;
}

bool ProvisioningEngine::finished() const noexcept {
  return impl_->finished;
}

bool ProvisioningEngine::challenge_response_disabled() const noexcept {
  return impl_->ch_resp && impl_->ch_resp->disabled();
}

// --- SessionCookies ----------------------------------------------------------------------

SessionCookies::SessionCookies(protocomm::RandomSource random) : random_(std::move(random)) {}

SessionCookies::Decision SessionCookies::on_request(std::uint64_t connection,
                                                    std::optional<std::string_view> cookie) {
  // The firmware reads the header into a 20-byte buffer: a longer value does not read
  // (truncated), and the request is then judged by its connection.
  constexpr std::size_t kCookieBuffer = 20;
  if (cookie && cookie->size() >= kCookieBuffer) {
    cookie.reset();
  }
  bool same = false;
  if (cookie) {
    if (session_id_ && *cookie == "session=" + std::to_string(*session_id_)) {
      same = true;
      connection_.reset();  // the client speaks cookies: connections no longer count
    }
  } else if (session_id_ && connection_ && *connection_ == connection) {
    same = true;
  }
  if (same) {
    return {};
  }
  std::array<std::uint8_t, 4> bytes{};
  random_(bytes);
  const std::uint32_t id = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                           (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  session_id_ = id;
  connection_ = connection;
  return {true, "session=" + std::to_string(id)};
}

void SessionCookies::on_closed(std::uint64_t connection) noexcept {
  if (connection_ && *connection_ == connection) {
    connection_.reset();
  }
}

}  // namespace stratus::agent
