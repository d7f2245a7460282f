#include "wirepas/provisioning_server.hpp"

#include <utility>

#include "wirepas/messages.hpp"

namespace stratus::wirepas::provisioning {

std::string_view to_string(FinalStatus status) noexcept {
  switch (status) {
    case FinalStatus::success:
      return "SUCCESS";
    case FinalStatus::error_sending_data:
      return "ERROR_SENDING_DATA";
    case FinalStatus::error_sending_nack:
      return "ERROR_SENDING_NACK";
    case FinalStatus::error_not_authorized:
      return "ERROR_NOT_AUTHORIZED";
    case FinalStatus::error_not_start:
      return "ERROR_NOT_START";
    case FinalStatus::error_invalid_state:
      return "ERROR_INVALID_STATE";
    case FinalStatus::error_nack_received:
      return "ERROR_NACK_RECEIVED";
    case FinalStatus::error_no_response:
      return "ERROR_NO_RESPONSE";
  }
  return "UNKNOWN";
}

ProvisioningServer::ProvisioningServer(Lookup lookup, ServerOptions options, std::uint64_t seed)
    : lookup_(std::move(lookup)), options_(options), rng_(seed) {}

void ProvisioningServer::finish(const SessionKey& key, FinalStatus status, Actions& out) {
  const auto it = sessions_.find(key);
  Outcome outcome{key, {}, status};
  if (it != sessions_.end()) {
    outcome.uid = it->second.uid;
    pending_.erase(it->second.req_id);
    sessions_.erase(it);
  }
  out.finished.push_back(std::move(outcome));
}

void ProvisioningServer::send(const SessionKey& key, Session& session, Actions& out) {
  pending_.erase(session.req_id);
  session.req_id = new_request_id();
  session.sent_via = session.origin.gw_id;
  pending_[session.req_id] = key;
  out.sends.push_back(Send{session.req_id, session.origin.gw_id, session.origin.sink_id,
                           key.source_address, session.payload});
}

Actions ProvisioningServer::start(const SessionKey& key, const PacketOrigin& origin,
                                  const Start& start, Clock::time_point now, Session* existing) {
  Actions out;
  const NodeConfig* config = lookup_ ? lookup_(start.uid) : nullptr;
  const bool authorized = config != nullptr && config->method == start.method &&
                          (config->method == 0 || config->factory_key.has_value());
  Session fresh{};
  Session& session = existing != nullptr ? *existing : fresh;
  session.uid = start.uid;
  session.origin = origin;
  session.iv = start.iv;
  session.send_failures = 0;
  session.deadline = now + options_.timeout;
  if (!authorized) {
    session.state = Session::State::sending_nack;
    session.nack =
        config == nullptr ? NackReason::not_authorized : NackReason::method_not_supported;
    session.payload = encode(Frame{Nack{start.header, static_cast<std::uint8_t>(session.nack)}});
  } else {
    session.state = Session::State::sending_data;
    const std::string cbor = encode_content(config->content);
    if (existing == nullptr)
      session.counter = static_cast<std::uint16_t>(rng_());
    if (config->method == 0) {
      session.payload = encode(Frame{Data{start.header, 0, session.counter, cbor}});
    } else {
      ++session.counter;  // before every encryption, wrapping at 16 bits
      session.payload = encode(
          Frame{seal(*config->factory_key, session.iv, start.header, session.counter, cbor)});
    }
  }
  if (existing == nullptr) {
    auto [it, inserted] = sessions_.emplace(key, std::move(fresh));
    (void)inserted;
    send(key, it->second, out);
  } else {
    send(key, *existing, out);
  }
  return out;
}

Actions ProvisioningServer::on_packet(const PacketOrigin& origin, std::string_view payload,
                                      Clock::time_point now) {
  auto frame = decode_frame(payload);
  if (!frame)
    return {};
  const FrameHeader header = std::visit([](const auto& f) { return f.header; }, *frame);
  const SessionKey key{origin.source_address, header.node_address, header.session_id};
  const auto it = sessions_.find(key);
  Session* session = it != sessions_.end() ? &it->second : nullptr;
  if (session != nullptr && origin.tx_time_ms >= session->origin.tx_time_ms)
    session->origin = origin;  // answer through whoever heard the node last

  Actions out;
  if (const auto* s = std::get_if<Start>(&*frame)) {
    if (session == nullptr)
      return start(key, origin, *s, now, nullptr);
    if (session->state == Session::State::sending_nack)
      return out;                                          // the refusal is on its way
    return start(key, session->origin, *s, now, session);  // the node did not hear DATA
  }
  if (session == nullptr) {
    finish(key, FinalStatus::error_not_start, out);
    return out;
  }
  if (std::holds_alternative<DataAck>(*frame) && session->state != Session::State::sending_nack) {
    finish(key, FinalStatus::success, out);
  } else if (std::holds_alternative<Nack>(*frame)) {
    finish(key, FinalStatus::error_nack_received, out);
  } else {
    finish(key, FinalStatus::error_invalid_state, out);
  }
  return out;
}

Actions ProvisioningServer::on_send_result(std::uint64_t req_id, bool ok, Clock::time_point now) {
  Actions out;
  const auto p = pending_.find(req_id);
  if (p == pending_.end())
    return out;
  const SessionKey key = p->second;
  pending_.erase(p);
  auto& session = sessions_.at(key);
  session.req_id = 0;
  const bool nack = session.state == Session::State::sending_nack;
  if (ok) {
    if (nack) {
      finish(key, FinalStatus::error_not_authorized, out);
    } else {
      session.state = Session::State::waiting;
      session.deadline = now + options_.timeout;
    }
    return out;
  }
  if (++session.send_failures <= options_.send_retries) {
    session.deadline = now + options_.timeout;
    send(key, session, out);
    return out;
  }
  finish(key, nack ? FinalStatus::error_sending_nack : FinalStatus::error_sending_data, out);
  return out;
}

Actions ProvisioningServer::tick(Clock::time_point now) {
  Actions out;
  std::vector<SessionKey> due;
  for (const auto& [key, session] : sessions_) {
    if (session.deadline <= now)
      due.push_back(key);
  }
  for (const auto& key : due) {
    auto& session = sessions_.at(key);
    if (session.state == Session::State::waiting) {
      finish(key, FinalStatus::error_no_response, out);
      continue;
    }
    // The gateway never answered the send_data: a failed send.
    auto more = on_send_result(session.req_id, false, now);
    out.sends.insert(out.sends.end(), more.sends.begin(), more.sends.end());
    out.finished.insert(out.finished.end(), more.finished.begin(), more.finished.end());
  }
  return out;
}

std::optional<std::string_view> ProvisioningServer::gateway_of(std::uint64_t req_id) const {
  const auto p = pending_.find(req_id);
  if (p == pending_.end())
    return std::nullopt;
  return std::string_view(sessions_.at(p->second).sent_via);
}

std::optional<ProvisioningServer::Clock::time_point> ProvisioningServer::next_wakeup() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& [key, session] : sessions_) {
    if (!earliest || session.deadline < *earliest)
      earliest = session.deadline;
  }
  return earliest;
}

}  // namespace stratus::wirepas::provisioning
