#include "protocomm/security0.hpp"

#include "protocomm/detail/pb.hpp"
#include "session.pb.h"

namespace stratus::protocomm {

Result<std::string> Sec0Device::handle(std::string_view request) {
  auto data = detail::parse_pb<SessionData>(request, "SessionData");
  if (!data) {
    return fail(std::move(data).error());
  }
  if (data->sec_ver() != SecScheme0 || data->proto_case() != SessionData::kSec0) {
    return fail(errc::invalid_argument, "not a security 0 session message");
  }
  if (data->sec0().msg() != S0_Session_Command || data->sec0().payload_case() == Sec0Payload::kSr) {
    return fail(errc::invalid_argument, "security 0: not a session command");
  }
  SessionData response;
  response.set_sec_ver(SecScheme0);
  auto* payload = response.mutable_sec0();
  payload->set_msg(S0_Session_Response);
  payload->mutable_sr()->set_status(::Success);
  established_ = true;
  return detail::write_pb(response);
}

Result<std::string> Sec0Device::encrypt(std::string_view plaintext) {
  if (!established_) {
    return fail(errc::conflict, "security 0: no session yet");
  }
  return std::string(plaintext);
}

Result<std::string> Sec0Device::decrypt(std::string_view ciphertext) {
  return encrypt(ciphertext);
}

Result<std::string> Sec0Client::start() {
  SessionData request;
  request.set_sec_ver(SecScheme0);
  auto* payload = request.mutable_sec0();
  payload->set_msg(S0_Session_Command);
  payload->mutable_sc();
  started_ = true;
  established_ = false;
  return detail::write_pb(request);
}

Result<std::optional<std::string>> Sec0Client::on_response(std::string_view response) {
  if (!started_ || established_) {
    return fail(errc::conflict, "security 0: no handshake in progress");
  }
  auto data = detail::parse_pb<SessionData>(response, "SessionData");
  if (!data) {
    return fail(std::move(data).error());
  }
  if (data->sec_ver() != SecScheme0 || data->proto_case() != SessionData::kSec0 ||
      data->sec0().msg() != S0_Session_Response) {
    return fail(errc::invalid_argument, "security 0: not a session response");
  }
  if (data->sec0().has_sr() && data->sec0().sr().status() != ::Success) {
    return fail(errc::invalid_argument, "security 0: the device answered status " +
                                            std::to_string(data->sec0().sr().status()));
  }
  established_ = true;
  return std::optional<std::string>{};
}

Result<std::string> Sec0Client::encrypt(std::string_view plaintext) {
  if (!established_) {
    return fail(errc::conflict, "security 0: no session yet");
  }
  return std::string(plaintext);
}

Result<std::string> Sec0Client::decrypt(std::string_view ciphertext) {
  return encrypt(ciphertext);
}

}  // namespace stratus::protocomm
