#include "agent/challenge_response.hpp"

#include <utility>
#include <variant>

#include "protocomm/mapping.hpp"

namespace stratus::agent {

ChallengeResponder::ChallengeResponder(std::string node_id, ChallengeSigner sign)
    : node_id_(std::move(node_id)), sign_(std::move(sign)) {}

Result<ChallengeResponder::Answer> ChallengeResponder::handle(std::string_view plain) {
  auto request = protocomm::decode_ch_resp_request(plain);
  if (!request) {
    return fail(std::move(request).error());
  }
  if (std::holds_alternative<protocomm::GetNodeIdRequest>(*request)) {
    return fail(errc::invalid_argument, "ch_resp: GetNodeID is not served");
  }
  Answer answer;
  if (disabled_) {  // spec §4.2: after a disable, every request (another disable too)
    answer.response = protocomm::encode_ch_resp_response(
        protocomm::ChallengeResponse{protocomm::ChRespStatus::disabled, {}, {}});
    return answer;
  }
  if (std::holds_alternative<protocomm::DisableChallengeResponseRequest>(*request)) {
    answer.disabled_now = true;
    disabled_ = true;
    answer.response = protocomm::encode_ch_resp_response(
        protocomm::DisableChallengeResponseResult{protocomm::ChRespStatus::success});
    return answer;
  }
  const auto& challenge = std::get<protocomm::ChallengeRequest>(*request).challenge;
  if (challenge.empty()) {
    return fail(errc::invalid_argument, "ch_resp: empty challenge");
  }
  auto signature = sign_(challenge);
  if (!signature) {
    return fail(std::move(signature).error());
  }
  answer.signed_challenge = true;
  answer.response = protocomm::encode_ch_resp_response(protocomm::ChallengeResponse{
      protocomm::ChRespStatus::success, std::move(*signature), node_id_});
  return answer;
}

}  // namespace stratus::agent
