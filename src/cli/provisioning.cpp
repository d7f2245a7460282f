#include "cli/provisioning.hpp"

#include <thread>

#include "core/hex.hpp"
#include "protocomm/local_ctrl.hpp"
#include "protocomm/mapping.hpp"
#include "protocomm/security0.hpp"
#include "protocomm/security1.hpp"
#include "protocomm/security2.hpp"
#include "protocomm/status.hpp"

namespace stratus::cli {
namespace {

using protocomm::SecurityVersion;

std::string sec_name(int v) {
  return std::to_string(v);
}

Error with_step(const Error& e, std::string_view step) {
  Error out = e;
  out.context = std::string(step) + ": " + e.context;
  return out;
}

void say(const ProvisionHooks& hooks, std::string_view line) {
  if (hooks.progress)
    hooks.progress(line);
}

void wait(const ProvisionHooks& hooks, std::chrono::milliseconds d) {
  if (hooks.sleep)
    hooks.sleep(d);
  else
    std::this_thread::sleep_for(d);
}

int poll_steps(std::chrono::milliseconds timeout, std::chrono::milliseconds interval) {
  const auto i = std::max<std::int64_t>(1, interval.count());
  return static_cast<int>(std::max<std::int64_t>(1, (timeout.count() + i - 1) / i));
}

std::string in_quotes(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// The `cloud_user_assoc` exchange (legacy mapping): the node id.
Result<std::string> send_user_mapping(ProtocommClient& session, const ProvisionRequest& r) {
  auto answer = session.call(protocomm::kEndpointUserMapping,
                             protocomm::encode_user_mapping_request({r.user_id, r.secret_key}));
  if (!answer)
    return fail(with_step(answer.error(), "sending the user to the node"));
  auto resp = protocomm::decode_user_mapping_response(*answer);
  if (!resp)
    return fail(with_step(resp.error(), "the node's cloud_user_assoc answer"));
  if (resp->status != protocomm::UserMappingStatus::success) {
    return fail(errc::invalid_argument, "the node refused the user mapping (status " +
                                            std::to_string(static_cast<int>(resp->status)) + ")");
  }
  if (resp->node_id.empty())
    return fail(errc::invalid_argument, "the node's cloud_user_assoc answer has no node id");
  return resp->node_id;
}

// Cloud initiate → device ch_resp → cloud verify: the node id.
Result<std::string> challenge_response(ProtocommClient& session, MappingCloud& cloud,
                                       const ProvisionHooks& hooks) {
  auto challenge = cloud.initiate();
  if (!challenge)
    return fail(with_step(challenge.error(), "initiating the mapping with the cloud"));
  say(hooks, "Sending the cloud's challenge to the node");
  auto answer = session.call(
      protocomm::kEndpointChallengeResponse,
      protocomm::encode_ch_resp_request(protocomm::ChallengeRequest{challenge->challenge}));
  if (!answer)
    return fail(with_step(answer.error(), "sending the challenge to the node"));
  auto resp = protocomm::decode_ch_resp_response(*answer);
  if (!resp)
    return fail(with_step(resp.error(), "the node's ch_resp answer"));
  const auto* signed_ = std::get_if<protocomm::ChallengeResponse>(&*resp);
  if (signed_ == nullptr)
    return fail(errc::invalid_argument, "the node answered the challenge with another message");
  if (signed_->status == protocomm::ChRespStatus::disabled) {
    return fail(errc::conflict,
                "the node has challenge-response disabled (it was mapped before); reset it to "
                "factory defaults");
  }
  if (signed_->status != protocomm::ChRespStatus::success || signed_->node_id.empty() ||
      signed_->signature.empty()) {
    return fail(errc::invalid_argument, "the node could not sign the challenge (status " +
                                            std::to_string(static_cast<int>(signed_->status)) +
                                            ")");
  }
  say(hooks, "Verifying the node's signature with the cloud");
  if (auto v = cloud.verify(challenge->request_id, signed_->node_id, to_hex(signed_->signature));
      !v) {
    return fail(with_step(v.error(), "verifying the node's answer with the cloud"));
  }
  return signed_->node_id;
}

Result<std::vector<protocomm::WifiScanEntry>> scan(ProtocommClient& session,
                                                   const ProvisionRequest& r,
                                                   const ProvisionHooks& hooks) {
  using namespace protocomm;
  auto call = [&](const WifiScanRequest& q) -> Result<WifiScanResponse> {
    auto a = session.call(kEndpointScan, encode_wifi_scan_request(q));
    if (!a)
      return fail(with_step(a.error(), "scanning for Wi-Fi networks"));
    auto d = decode_wifi_scan_response(*a);
    if (!d)
      return fail(with_step(d.error(), "the node's prov-scan answer"));
    return d;
  };
  // What the CLI sends over SoftAP: blocking, active, 5 channels per group, 120 ms.
  auto started = call(WifiScanStart{true, false, 5, 120});
  if (!started)
    return fail(started.error());
  std::uint32_t count = 0;
  for (int i = 0, n = poll_steps(r.timeout, r.poll_interval);; ++i) {
    auto st = call(WifiScanStatus{});
    if (!st)
      return fail(st.error());
    const auto* p = std::get_if<WifiScanProgress>(&*st);
    if (p == nullptr || p->status != Status::success)
      return fail(errc::invalid_argument, "the node's scan status answer is not a success");
    if (p->finished) {
      count = p->result_count;
      break;
    }
    if (i + 1 >= n)
      return fail(errc::timeout, "the node's Wi-Fi scan did not finish in time");
    wait(hooks, r.poll_interval);
  }
  std::vector<WifiScanEntry> entries;
  for (std::uint32_t start = 0; start < count && start < 256;) {
    const std::uint32_t page = std::min<std::uint32_t>(4, count - start);  // the CLI's page
    auto res = call(WifiScanResults{start, page});
    if (!res)
      return fail(res.error());
    const auto* pg = std::get_if<WifiScanPage>(&*res);
    if (pg == nullptr || pg->status != Status::success || pg->entries.empty())
      return fail(errc::invalid_argument, "the node's scan results answer is not a success");
    for (const auto& e : pg->entries)
      entries.push_back(e);
    start += static_cast<std::uint32_t>(pg->entries.size());
  }
  return entries;
}

Result<protocomm::WifiConfigResponse> config_call(ProtocommClient& session,
                                                  const protocomm::WifiConfigRequest& q,
                                                  std::string_view step) {
  auto a = session.call(protocomm::kEndpointConfig, protocomm::encode_wifi_config_request(q));
  if (!a)
    return fail(with_step(a.error(), step));
  auto d = protocomm::decode_wifi_config_response(*a);
  if (!d)
    return fail(with_step(d.error(), std::string(step) + " (answer)"));
  return d;
}

// Set + apply + GetStatus until connected: the station's address.
Result<std::string> join_wifi(ProtocommClient& session, const std::string& ssid,
                              const std::string& passphrase, const ProvisionRequest& r,
                              const ProvisionHooks& hooks) {
  using namespace protocomm;
  auto set =
      config_call(session, WifiSetConfig{ssid, passphrase, {}, 0}, "sending the Wi-Fi credentials");
  if (!set)
    return fail(set.error());
  const auto* sr = std::get_if<WifiSetConfigResult>(&*set);
  if (sr == nullptr || sr->status != Status::success) {
    return fail(errc::invalid_argument,
                "the node refused the Wi-Fi credentials (" +
                    std::string(sr == nullptr ? "another message" : to_string(sr->status)) + ")");
  }
  say(hooks, "Sending Wi-Fi credentials to node - Successful");
  auto apply = config_call(session, WifiApplyConfig{}, "applying the Wi-Fi config");
  if (!apply)
    return fail(apply.error());
  const auto* ar = std::get_if<WifiApplyConfigResult>(&*apply);
  if (ar == nullptr || ar->status != Status::success) {
    return fail(errc::invalid_argument,
                "the node could not apply the Wi-Fi config (" +
                    std::string(ar == nullptr ? "another message" : to_string(ar->status)) + ")");
  }
  say(hooks, "Applying Wi-Fi config to node - Successful");
  for (int i = 0, n = poll_steps(r.timeout, r.poll_interval);; ++i) {
    wait(hooks, r.poll_interval);
    auto st = config_call(session, WifiGetStatus{}, "reading the Wi-Fi status");
    if (!st)
      return fail(st.error());
    const auto* s = std::get_if<WifiStatus>(&*st);
    if (s == nullptr || s->status != Status::success)
      return fail(errc::invalid_argument, "the node's Wi-Fi status answer is not a success");
    if (s->state == WifiStationState::connected)
      return s->connected ? s->connected->ip4_addr : std::string();
    if (s->state == WifiStationState::connection_failed ||
        s->state == WifiStationState::disconnected) {
      const auto reason = s->fail_reason.value_or(WifiFailReason::auth_error);
      if (reason == WifiFailReason::network_not_found) {
        return fail(errc::not_found, "Wi-Fi connection failed: network " + in_quotes(ssid) +
                                         " not found; reset the node to provision again");
      }
      return fail(errc::unauthenticated, "Wi-Fi connection failed: wrong passphrase for " +
                                             in_quotes(ssid) +
                                             " (auth error); reset the node to provision again");
    }
    if (i + 1 >= n) {
      return fail(errc::timeout, "the node did not join " + in_quotes(ssid) + " within " +
                                     std::to_string(r.timeout.count() / 1000) + " s");
    }
  }
}

Result<void> poll_mapping(MappingCloud& cloud, const std::string& request_id,
                          const ProvisionRequest& r, const ProvisionHooks& hooks, bool online) {
  for (int i = 0, n = poll_steps(r.timeout, r.poll_interval);; ++i) {
    auto st = cloud.mapping_status(request_id);
    if (!st)
      return fail(with_step(st.error(), "reading the mapping status"));
    switch (*st) {
      case client::MappingStatus::confirmed:
        return {};
      case client::MappingStatus::timedout:
        return fail(errc::timeout, "the mapping request " + request_id +
                                       " timed out: the node did not confirm it");
      case client::MappingStatus::discarded:
        return fail(errc::conflict, "the mapping request " + request_id + " was discarded");
      case client::MappingStatus::requested:
        break;
    }
    if (i + 1 >= n) {
      return fail(errc::timeout, "the node did not confirm the mapping within " +
                                     std::to_string(r.timeout.count() / 1000) + " s" +
                                     (online ? std::string() : " (it confirms once it is online)"));
    }
    wait(hooks, r.poll_interval);
  }
}

}  // namespace

Result<SecurityVersion> choose_security(const protocomm::ProtoVersion& info,
                                        std::optional<int> requested) {
  if (requested && (*requested < 0 || *requested > 2))
    return fail(errc::invalid_argument,
                "security version " + sec_name(*requested) + " is unknown (0, 1, 2)");
  int offered = 0;
  if (info.sec_ver) {
    offered = *info.sec_ver;
    if (requested && *requested != offered) {
      return fail(errc::invalid_argument, "the device offers security " + sec_name(offered) +
                                              ", not " + sec_name(*requested));
    }
  } else {
    const bool no_sec = info.has_prov(protocomm::kCapNoSec);
    if (requested) {
      if ((*requested == 0) != no_sec) {
        return fail(errc::invalid_argument, std::string("the device offers ") +
                                                (no_sec ? "security 0" : "security 1 or 2") +
                                                ", not " + sec_name(*requested));
      }
      offered = *requested;
    } else {
      offered = no_sec ? 0 : 1;
    }
  }
  if (offered < 0 || offered > 2) {
    return fail(errc::invalid_argument,
                "the device offers security " + sec_name(offered) + ", which is unknown (0, 1, 2)");
  }
  return static_cast<SecurityVersion>(offered);
}

Result<std::unique_ptr<protocomm::ClientSecurity>> make_client_security(
    SecurityVersion version, int patch_version, const SessionCredentials& credentials,
    protocomm::RandomSource random) {
  switch (version) {
    case SecurityVersion::sec0:
      return std::unique_ptr<protocomm::ClientSecurity>(std::make_unique<protocomm::Sec0Client>());
    case SecurityVersion::sec1:
      return std::unique_ptr<protocomm::ClientSecurity>(
          std::make_unique<protocomm::Sec1Client>(credentials.pop, std::move(random)));
    case SecurityVersion::sec2: {
      std::string user = credentials.sec2_username.empty() ? std::string(protocomm::kSec2Username)
                                                           : credentials.sec2_username;
      std::string password =
          credentials.sec2_password.empty() ? credentials.pop : credentials.sec2_password;
      if (password.empty()) {
        return fail(errc::invalid_argument,
                    "security 2 needs a password: give the PoP (or --sec2_password)");
      }
      return std::unique_ptr<protocomm::ClientSecurity>(std::make_unique<protocomm::Sec2Client>(
          std::move(user), std::move(password), std::move(random), patch_version));
    }
  }
  return fail(errc::invalid_argument, "unknown security version");
}

ProtocommClient::ProtocommClient(ProtocommChannel& channel,
                                 std::unique_ptr<protocomm::ClientSecurity> security)
    : channel_(&channel), security_(std::move(security)) {}

SecurityVersion ProtocommClient::version() const noexcept {
  return security_->version();
}

Result<void> ProtocommClient::establish(std::string_view session_endpoint) {
  auto request = security_->start();
  if (!request)
    return fail(request.error());
  std::optional<std::string> next = std::move(*request);
  for (int step = 0; next && step < 8; ++step) {
    auto answer = channel_->send(session_endpoint, *next);
    if (!answer) {
      const Error& e = answer.error();
      const bool hung_up = e.context.find("closed the connection") != std::string::npos;
      if (e.code == errc::unauthenticated || (e.code != errc::timeout && step > 0) || hung_up) {
        return fail(errc::unauthenticated,
                    "the device refused the session (wrong proof of possession or security "
                    "version?): " +
                        e.context);
      }
      return fail(e);
    }
    auto more = security_->on_response(*answer);
    if (!more) {
      if (more.error().code == errc::unauthenticated) {
        return fail(errc::unauthenticated,
                    "the device's proof does not verify (wrong proof of possession?): " +
                        more.error().context);
      }
      return fail(with_step(more.error(), "the device's handshake answer"));
    }
    next = std::move(*more);
  }
  if (!security_->established())
    return fail(errc::invalid_argument, "the handshake did not complete");
  return {};
}

Result<std::string> ProtocommClient::call(std::string_view endpoint, std::string_view plaintext) {
  auto sealed = security_->encrypt(plaintext);
  if (!sealed)
    return fail(sealed.error());
  auto answer = channel_->send(endpoint, *sealed);
  if (!answer)
    return fail(answer.error());
  return security_->decrypt(*answer);
}

Result<ProvisionResult> provision(ProtocommChannel& channel, MappingCloud& cloud,
                                  const ProvisionRequest& r, const ProvisionHooks& hooks) {
  ProvisionResult result;
  auto text = channel.send(protocomm::kEndpointProtoVer, "---");
  if (!text)
    return fail(with_step(text.error(), "reading the device's capabilities"));
  auto info = protocomm::parse_proto_version(*text);
  if (!info) {
    return fail(
        errc::invalid_argument,
        "the device's capabilities (proto-ver) are not understood: " + info.error().context);
  }
  say(hooks, "Device capabilities: " + *text);
  if (const auto* rm = info->app("rmaker");
      rm != nullptr && (rm->has(protocomm::kCapClaim) || rm->has(protocomm::kCapCameraClaim))) {
    return fail(errc::conflict, "the node waits for assisted claiming: claim the node first");
  }
  auto sec = choose_security(*info, r.sec_ver);
  if (!sec)
    return fail(sec.error());
  result.security = *sec;
  SessionCredentials creds = r.credentials;
  if (*sec == SecurityVersion::sec1) {
    if (info->has_prov(protocomm::kCapNoPop)) {
      if (!creds.pop.empty())
        say(hooks, "Proof of Possession will be ignored (the device has no_pop)");
      creds.pop.clear();
    } else if (creds.pop.empty()) {
      return fail(
          errc::invalid_argument,
          "the device needs a proof of possession for security 1 (stratus provision <pop>)");
    }
  }
  say(hooks, "Security scheme: " + sec_name(static_cast<int>(*sec)));
  auto engine = make_client_security(*sec, info->sec_patch_ver.value_or(0), creds, r.random);
  if (!engine)
    return fail(engine.error());
  ProtocommClient session(channel, std::move(*engine));
  if (auto e = session.establish(protocomm::kEndpointSession); !e)
    return fail(e.error());
  say(hooks, "Establishing session - Successful");

  if (info->app_has("rmaker_extra", protocomm::kCapChallengeResponse)) {
    say(hooks, "Device supports challenge-response, initiating user-node association");
    auto node = challenge_response(session, cloud, hooks);
    if (!node)
      return fail(node.error());
    result.node_id = std::move(*node);
    result.challenge_response = true;
    result.mapping_confirmed = true;
    say(hooks, "Challenge-response user-node association successful");
  }

  std::string ssid;
  std::string passphrase = r.passphrase;
  if (!r.no_wifi) {
    if (r.ssid) {
      ssid = *r.ssid;
    } else {
      if (!info->has_prov(protocomm::kCapWifiScan)) {
        return fail(errc::invalid_argument,
                    "the device cannot scan for Wi-Fi networks (no wifi_scan capability): give "
                    "--ssid and --passphrase");
      }
      say(hooks, "Scanning Wi-Fi APs...");
      auto list = scan(session, r, hooks);
      if (!list)
        return fail(list.error());
      if (list->empty())
        return fail(errc::not_found, "the device found no Wi-Fi networks");
      if (!hooks.choose_network)
        return fail(errc::invalid_argument, "no network chosen: give --ssid and --passphrase");
      auto chosen = hooks.choose_network(*list);
      if (!chosen)
        return fail(chosen.error());
      ssid = std::move(chosen->first);
      passphrase = std::move(chosen->second);
    }
  }

  if (!result.challenge_response) {
    say(hooks, "Device does not support challenge-response, using the secret-key mapping");
    if (r.user_id.empty() || r.secret_key.empty())
      return fail(errc::invalid_argument, "the legacy mapping needs a user id and a secret key");
    auto node = send_user_mapping(session, r);
    if (!node)
      return fail(node.error());
    result.node_id = std::move(*node);
    say(hooks, "Sending user information to node - Successful");
  }

  if (!r.no_wifi) {
    auto ip = join_wifi(session, ssid, passphrase, r, hooks);
    if (!ip)
      return fail(ip.error());
    result.ssid = ssid;
    result.ip4_addr = std::move(*ip);
    say(hooks, "Wi-Fi Provisioning Successful.");
  }

  if (!result.challenge_response) {
    auto request_id = cloud.add_mapping(result.node_id, r.secret_key);
    if (!request_id)
      return fail(with_step(request_id.error(), "requesting the mapping from the cloud"));
    say(hooks, "Waiting for node mapping confirmation (request " + *request_id + ")");
    if (auto p = poll_mapping(cloud, *request_id, r, hooks, !r.no_wifi); !p)
      return fail(p.error());
    result.mapping_confirmed = true;
  }
  return result;
}

Result<std::string> on_network_map(ProtocommChannel& channel, MappingCloud& cloud,
                                   const OnNetworkRequest& r, const ProvisionHooks& hooks) {
  int sec = 1;
  int patch = 0;
  if (auto text = channel.send(protocomm::kEndpointLocalCtrlVersion, "---"); text) {
    if (auto v = protocomm::parse_local_ctrl_version(*text); v) {
      sec = v->sec_ver;
      patch = v->sec_patch_ver;
    }
  } else if (text.error().code != errc::not_found) {
    return fail(with_step(text.error(), "reading the node's local-control version"));
  }
  if (r.sec_ver) {
    if (*r.sec_ver < 0 || *r.sec_ver > 2)
      return fail(errc::invalid_argument,
                  "security version " + sec_name(*r.sec_ver) + " is unknown (0, 1, 2)");
    sec = *r.sec_ver;
  }
  if (sec < 0 || sec > 2)
    return fail(errc::invalid_argument,
                "the node offers security " + sec_name(sec) + ", which is unknown");
  auto engine =
      make_client_security(static_cast<SecurityVersion>(sec), patch, r.credentials, r.random);
  if (!engine)
    return fail(engine.error());
  ProtocommClient session(channel, std::move(*engine));
  if (auto e = session.establish(protocomm::kEndpointLocalCtrlSession); !e)
    return fail(e.error());
  say(hooks, "Security session established");
  auto node = challenge_response(session, cloud, hooks);
  if (!node)
    return fail(node.error());
  if (r.disable_after) {
    auto a = session.call(
        protocomm::kEndpointChallengeResponse,
        protocomm::encode_ch_resp_request(protocomm::DisableChallengeResponseRequest{}));
    Result<protocomm::ChRespResponse> d = a ? protocomm::decode_ch_resp_response(*a)
                                            : Result<protocomm::ChRespResponse>(fail(a.error()));
    const auto* done = d ? std::get_if<protocomm::DisableChallengeResponseResult>(&*d) : nullptr;
    if (done == nullptr || done->status != protocomm::ChRespStatus::success)
      say(hooks, "Warning: could not disable challenge-response on the node (the mapping stands)");
    else
      say(hooks, "Challenge-response disabled on the node");
  }
  return node;
}

Result<LocalControl> LocalControl::connect(ProtocommChannel& channel, std::optional<int> sec_ver,
                                           const SessionCredentials& credentials,
                                           protocomm::RandomSource random) {
  int sec = 1;
  int patch = 0;
  auto text = channel.send(protocomm::kEndpointLocalCtrlVersion, "---");
  if (text) {
    auto v = protocomm::parse_local_ctrl_version(*text);
    if (!v) {
      return fail(errc::invalid_argument,
                  "the node's local-control version is not understood: " + v.error().context);
    }
    sec = v->sec_ver;
    patch = v->sec_patch_ver;
    if (sec_ver && *sec_ver != sec) {
      return fail(errc::invalid_argument,
                  "the device offers security " + sec_name(sec) + ", not " + sec_name(*sec_ver));
    }
  } else if (text.error().code == errc::not_found) {
    sec = sec_ver.value_or(1);
  } else {
    return fail(with_step(text.error(), "reading the node's local-control version"));
  }
  if (sec < 0 || sec > 2)
    return fail(errc::invalid_argument,
                "security version " + sec_name(sec) + " is unknown (0, 1, 2)");
  auto engine = make_client_security(static_cast<SecurityVersion>(sec), patch, credentials,
                                     std::move(random));
  if (!engine)
    return fail(engine.error());
  ProtocommClient session(channel, std::move(*engine));
  if (auto e = session.establish(protocomm::kEndpointLocalCtrlSession); !e)
    return fail(e.error());
  LocalControl lc(std::move(session));
  using namespace protocomm;
  auto count_answer =
      lc.client_.call(kEndpointLocalCtrlControl, encode_local_ctrl_request(GetPropertyCount{}));
  if (!count_answer)
    return fail(with_step(count_answer.error(), "reading the property count"));
  auto count = decode_local_ctrl_response(*count_answer);
  if (!count)
    return fail(with_step(count.error(), "the node's property count answer"));
  const auto* pc = std::get_if<PropertyCount>(&*count);
  if (pc == nullptr || pc->status != Status::success)
    return fail(errc::invalid_argument, "the node did not give its property count");
  if (pc->count > 64)
    return fail(errc::invalid_argument,
                "the node claims " + std::to_string(pc->count) + " properties");
  GetPropertyValues all;
  for (std::uint32_t i = 0; i < pc->count; ++i)
    all.indices.push_back(i);
  auto values_answer = lc.client_.call(kEndpointLocalCtrlControl, encode_local_ctrl_request(all));
  if (!values_answer)
    return fail(with_step(values_answer.error(), "reading the property list"));
  auto values = decode_local_ctrl_response(*values_answer);
  if (!values)
    return fail(with_step(values.error(), "the node's property list"));
  const auto* pv = std::get_if<PropertyValues>(&*values);
  if (pv == nullptr || pv->status != Status::success || pv->props.size() != pc->count)
    return fail(errc::invalid_argument, "the node did not list its properties");
  for (std::uint32_t i = 0; i < pc->count; ++i)
    lc.properties_.push_back(Property{pv->props[i].name, i, pv->props[i].flags});
  return lc;
}

Result<const LocalControl::Property*> LocalControl::find(std::string_view name) const {
  for (const auto& p : properties_) {
    if (p.name == name)
      return &p;
  }
  return fail(errc::not_found, "the node has no local-control property " + in_quotes(name));
}

Result<std::string> LocalControl::get(std::string_view name) {
  using namespace protocomm;
  auto prop = find(name);
  if (!prop)
    return fail(prop.error());
  auto answer = client_.call(kEndpointLocalCtrlControl,
                             encode_local_ctrl_request(GetPropertyValues{{(*prop)->index}}));
  if (!answer)
    return fail(with_step(answer.error(), "reading " + in_quotes(name)));
  auto values = decode_local_ctrl_response(*answer);
  if (!values)
    return fail(with_step(values.error(), "the node's answer for " + in_quotes(name)));
  const auto* pv = std::get_if<PropertyValues>(&*values);
  if (pv == nullptr || pv->status != Status::success || pv->props.size() != 1 ||
      pv->props[0].status != Status::success) {
    return fail(errc::invalid_argument, "the node could not read " + in_quotes(name));
  }
  return pv->props[0].value;
}

Result<void> LocalControl::set(std::string_view name, std::string_view value) {
  using namespace protocomm;
  auto prop = find(name);
  if (!prop)
    return fail(prop.error());
  if (((*prop)->flags & kLocalCtrlFlagReadOnly) != 0)
    return fail(errc::forbidden, "the node's property " + in_quotes(name) + " is read-only");
  auto answer = client_.call(kEndpointLocalCtrlControl,
                             encode_local_ctrl_request(SetPropertyValues{
                                 {PropertyValue{(*prop)->index, std::string(value)}}}));
  if (!answer)
    return fail(with_step(answer.error(), "writing " + in_quotes(name)));
  auto result = decode_local_ctrl_response(*answer);
  if (!result)
    return fail(with_step(result.error(), "the node's answer for " + in_quotes(name)));
  const auto* sr = std::get_if<SetPropertyResult>(&*result);
  if (sr == nullptr || sr->status != Status::success) {
    return fail(errc::invalid_argument,
                "the node refused the value of " + in_quotes(name) + " (" +
                    std::string(sr == nullptr ? "another message" : to_string(sr->status)) + ")");
  }
  return {};
}

}  // namespace stratus::cli
