#include "protocomm/wifi.hpp"

#include "protocomm/detail/codec.hpp"
#include "protocomm/detail/pb.hpp"
#include "wifi_config.pb.h"
#include "wifi_ctrl.pb.h"
#include "wifi_scan.pb.h"

namespace stratus::protocomm {
namespace {

using detail::Overloaded;

::Status to_pb(Status s) {
  return static_cast<::Status>(s);
}
Status from_pb(::Status s) {
  return static_cast<Status>(s);
}

constexpr std::string_view kConfig = "WiFiConfigPayload";
constexpr std::string_view kScan = "WiFiScanPayload";
constexpr std::string_view kCtrl = "WiFiCtrlPayload";

}  // namespace

// --- prov-config -------------------------------------------------------------------------

std::string encode_wifi_config_request(const WifiConfigRequest& request) {
  WiFiConfigPayload p;
  std::visit(Overloaded{
                 [&](const WifiGetStatus&) {
                   p.set_msg(TypeCmdGetStatus);
                   p.mutable_cmd_get_status();
                 },
                 [&](const WifiSetConfig& c) {
                   p.set_msg(TypeCmdSetConfig);
                   auto* m = p.mutable_cmd_set_config();
                   m->set_ssid(c.ssid);
                   m->set_passphrase(c.passphrase);
                   m->set_bssid(c.bssid);
                   m->set_channel(c.channel);
                 },
                 [&](const WifiApplyConfig&) {
                   p.set_msg(TypeCmdApplyConfig);
                   p.mutable_cmd_apply_config();
                 },
             },
             request);
  return detail::write_pb(p);
}

Result<WifiConfigRequest> decode_wifi_config_request(std::string_view bytes) {
  auto p = detail::parse_pb<WiFiConfigPayload>(bytes, kConfig);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeCmdGetStatus:
      if (auto ok = detail::check_payload(c, WiFiConfigPayload::kCmdGetStatus, true, kConfig);
          !ok) {
        return fail(std::move(ok).error());
      }
      return WifiGetStatus{};
    case TypeCmdSetConfig: {
      if (auto ok = detail::check_payload(c, WiFiConfigPayload::kCmdSetConfig, false, kConfig);
          !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->cmd_set_config();
      return WifiSetConfig{m.ssid(), m.passphrase(), m.bssid(), m.channel()};
    }
    case TypeCmdApplyConfig:
      if (auto ok = detail::check_payload(c, WiFiConfigPayload::kCmdApplyConfig, true, kConfig);
          !ok) {
        return fail(std::move(ok).error());
      }
      return WifiApplyConfig{};
    default:
      return detail::unexpected_msg(kConfig, p->msg());
  }
}

std::string encode_wifi_config_response(const WifiConfigResponse& response) {
  WiFiConfigPayload p;
  std::visit(Overloaded{
                 [&](const WifiStatus& s) {
                   p.set_msg(TypeRespGetStatus);
                   auto* m = p.mutable_resp_get_status();
                   m->set_status(to_pb(s.status));
                   m->set_sta_state(static_cast<::WifiStationState>(s.state));
                   if (s.fail_reason) {
                     m->set_fail_reason(static_cast<::WifiConnectFailedReason>(*s.fail_reason));
                   } else if (s.connected) {
                     auto* c = m->mutable_connected();
                     c->set_ip4_addr(s.connected->ip4_addr);
                     c->set_auth_mode(static_cast<::WifiAuthMode>(s.connected->auth_mode));
                     c->set_ssid(s.connected->ssid);
                     c->set_bssid(s.connected->bssid);
                     c->set_channel(s.connected->channel);
                   } else if (s.attempts_remaining) {
                     m->mutable_attempt_failed()->set_attempts_remaining(*s.attempts_remaining);
                   }
                 },
                 [&](const WifiSetConfigResult& r) {
                   p.set_msg(TypeRespSetConfig);
                   p.mutable_resp_set_config()->set_status(to_pb(r.status));
                 },
                 [&](const WifiApplyConfigResult& r) {
                   p.set_msg(TypeRespApplyConfig);
                   p.mutable_resp_apply_config()->set_status(to_pb(r.status));
                 },
             },
             response);
  return detail::write_pb(p);
}

Result<WifiConfigResponse> decode_wifi_config_response(std::string_view bytes) {
  auto p = detail::parse_pb<WiFiConfigPayload>(bytes, kConfig);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeRespGetStatus: {
      if (auto ok = detail::check_payload(c, WiFiConfigPayload::kRespGetStatus, false, kConfig);
          !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->resp_get_status();
      WifiStatus s;
      s.status = from_pb(m.status());
      s.state = static_cast<WifiStationState>(m.sta_state());
      switch (m.state_case()) {
        case RespGetStatus::kFailReason:
          s.fail_reason = static_cast<WifiFailReason>(m.fail_reason());
          break;
        case RespGetStatus::kConnected: {
          const auto& k = m.connected();
          s.connected = WifiConnected{k.ip4_addr(), static_cast<WifiAuthMode>(k.auth_mode()),
                                      k.ssid(), k.bssid(), k.channel()};
          break;
        }
        case RespGetStatus::kAttemptFailed:
          s.attempts_remaining = m.attempt_failed().attempts_remaining();
          break;
        case RespGetStatus::STATE_NOT_SET:
          break;
      }
      return s;
    }
    case TypeRespSetConfig:
      if (auto ok = detail::check_payload(c, WiFiConfigPayload::kRespSetConfig, false, kConfig);
          !ok) {
        return fail(std::move(ok).error());
      }
      return WifiSetConfigResult{from_pb(p->resp_set_config().status())};
    case TypeRespApplyConfig:
      if (auto ok = detail::check_payload(c, WiFiConfigPayload::kRespApplyConfig, false, kConfig);
          !ok) {
        return fail(std::move(ok).error());
      }
      return WifiApplyConfigResult{from_pb(p->resp_apply_config().status())};
    default:
      return detail::unexpected_msg(kConfig, p->msg());
  }
}

// --- prov-scan ---------------------------------------------------------------------------

std::string encode_wifi_scan_request(const WifiScanRequest& request) {
  WiFiScanPayload p;
  std::visit(Overloaded{
                 [&](const WifiScanStart& s) {
                   p.set_msg(TypeCmdScanStart);
                   auto* m = p.mutable_cmd_scan_start();
                   m->set_blocking(s.blocking);
                   m->set_passive(s.passive);
                   m->set_group_channels(s.group_channels);
                   m->set_period_ms(s.period_ms);
                 },
                 [&](const WifiScanStatus&) {
                   p.set_msg(TypeCmdScanStatus);
                   p.mutable_cmd_scan_status();
                 },
                 [&](const WifiScanResults& r) {
                   p.set_msg(TypeCmdScanResult);
                   auto* m = p.mutable_cmd_scan_result();
                   m->set_start_index(r.start_index);
                   m->set_count(r.count);
                 },
             },
             request);
  return detail::write_pb(p);
}

Result<WifiScanRequest> decode_wifi_scan_request(std::string_view bytes) {
  auto p = detail::parse_pb<WiFiScanPayload>(bytes, kScan);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeCmdScanStart: {
      if (auto ok = detail::check_payload(c, WiFiScanPayload::kCmdScanStart, false, kScan); !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->cmd_scan_start();
      return WifiScanStart{m.blocking(), m.passive(), m.group_channels(), m.period_ms()};
    }
    case TypeCmdScanStatus:
      if (auto ok = detail::check_payload(c, WiFiScanPayload::kCmdScanStatus, true, kScan); !ok) {
        return fail(std::move(ok).error());
      }
      return WifiScanStatus{};
    case TypeCmdScanResult: {
      if (auto ok = detail::check_payload(c, WiFiScanPayload::kCmdScanResult, false, kScan); !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->cmd_scan_result();
      return WifiScanResults{m.start_index(), m.count()};
    }
    default:
      return detail::unexpected_msg(kScan, p->msg());
  }
}

std::string encode_wifi_scan_response(const WifiScanResponse& response) {
  WiFiScanPayload p;
  std::visit(Overloaded{
                 [&](const WifiScanStarted& s) {
                   p.set_msg(TypeRespScanStart);
                   p.set_status(to_pb(s.status));
                   p.mutable_resp_scan_start();
                 },
                 [&](const WifiScanProgress& s) {
                   p.set_msg(TypeRespScanStatus);
                   p.set_status(to_pb(s.status));
                   auto* m = p.mutable_resp_scan_status();
                   m->set_scan_finished(s.finished);
                   m->set_result_count(s.result_count);
                 },
                 [&](const WifiScanPage& s) {
                   p.set_msg(TypeRespScanResult);
                   p.set_status(to_pb(s.status));
                   auto* m = p.mutable_resp_scan_result();
                   for (const auto& e : s.entries) {
                     auto* r = m->add_entries();
                     r->set_ssid(e.ssid);
                     r->set_channel(e.channel);
                     r->set_rssi(e.rssi);
                     r->set_bssid(e.bssid);
                     r->set_auth(static_cast<::WifiAuthMode>(e.auth));
                   }
                 },
             },
             response);
  return detail::write_pb(p);
}

Result<WifiScanResponse> decode_wifi_scan_response(std::string_view bytes) {
  auto p = detail::parse_pb<WiFiScanPayload>(bytes, kScan);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  const auto status = from_pb(p->status());
  switch (p->msg()) {
    case TypeRespScanStart:
      if (auto ok = detail::check_payload(c, WiFiScanPayload::kRespScanStart, true, kScan); !ok) {
        return fail(std::move(ok).error());
      }
      return WifiScanStarted{status};
    case TypeRespScanStatus: {
      if (auto ok = detail::check_payload(c, WiFiScanPayload::kRespScanStatus, false, kScan); !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->resp_scan_status();
      return WifiScanProgress{status, m.scan_finished(), m.result_count()};
    }
    case TypeRespScanResult: {
      if (auto ok = detail::check_payload(c, WiFiScanPayload::kRespScanResult, false, kScan); !ok) {
        return fail(std::move(ok).error());
      }
      WifiScanPage page{status, {}};
      for (const auto& r : p->resp_scan_result().entries()) {
        page.entries.push_back(WifiScanEntry{r.ssid(), r.channel(), r.rssi(), r.bssid(),
                                             static_cast<WifiAuthMode>(r.auth())});
      }
      return page;
    }
    default:
      return detail::unexpected_msg(kScan, p->msg());
  }
}

// --- prov-ctrl ---------------------------------------------------------------------------

std::string encode_wifi_ctrl_request(const WifiCtrlRequest& request) {
  WiFiCtrlPayload p;
  if (request.command == WifiCtrlCommand::reset) {
    p.set_msg(TypeCmdCtrlReset);
    p.mutable_cmd_ctrl_reset();
  } else {
    p.set_msg(TypeCmdCtrlReprov);
    p.mutable_cmd_ctrl_reprov();
  }
  return detail::write_pb(p);
}

Result<WifiCtrlRequest> decode_wifi_ctrl_request(std::string_view bytes) {
  auto p = detail::parse_pb<WiFiCtrlPayload>(bytes, kCtrl);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeCmdCtrlReset:
      if (auto ok = detail::check_payload(c, WiFiCtrlPayload::kCmdCtrlReset, true, kCtrl); !ok) {
        return fail(std::move(ok).error());
      }
      return WifiCtrlRequest{WifiCtrlCommand::reset};
    case TypeCmdCtrlReprov:
      if (auto ok = detail::check_payload(c, WiFiCtrlPayload::kCmdCtrlReprov, true, kCtrl); !ok) {
        return fail(std::move(ok).error());
      }
      return WifiCtrlRequest{WifiCtrlCommand::reprov};
    default:
      return detail::unexpected_msg(kCtrl, p->msg());
  }
}

std::string encode_wifi_ctrl_response(const WifiCtrlResponse& response) {
  WiFiCtrlPayload p;
  p.set_status(to_pb(response.status));
  if (response.command == WifiCtrlCommand::reset) {
    p.set_msg(TypeRespCtrlReset);
    p.mutable_resp_ctrl_reset();
  } else {
    p.set_msg(TypeRespCtrlReprov);
    p.mutable_resp_ctrl_reprov();
  }
  return detail::write_pb(p);
}

Result<WifiCtrlResponse> decode_wifi_ctrl_response(std::string_view bytes) {
  auto p = detail::parse_pb<WiFiCtrlPayload>(bytes, kCtrl);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeRespCtrlReset:
      if (auto ok = detail::check_payload(c, WiFiCtrlPayload::kRespCtrlReset, true, kCtrl); !ok) {
        return fail(std::move(ok).error());
      }
      return WifiCtrlResponse{WifiCtrlCommand::reset, from_pb(p->status())};
    case TypeRespCtrlReprov:
      if (auto ok = detail::check_payload(c, WiFiCtrlPayload::kRespCtrlReprov, true, kCtrl); !ok) {
        return fail(std::move(ok).error());
      }
      return WifiCtrlResponse{WifiCtrlCommand::reprov, from_pb(p->status())};
    default:
      return detail::unexpected_msg(kCtrl, p->msg());
  }
}

}  // namespace stratus::protocomm
