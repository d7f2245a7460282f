#include "protocomm/mapping.hpp"

#include "esp_rmaker_chal_resp.pb.h"
#include "esp_rmaker_user_mapping.pb.h"
#include "protocomm/detail/codec.hpp"
#include "protocomm/detail/pb.hpp"

namespace stratus::protocomm {
namespace {

using detail::Overloaded;
namespace um = ::rainmaker;
namespace cr = ::rmaker_ch_resp;

constexpr std::string_view kUserMapping = "RMakerConfigPayload";
constexpr std::string_view kChResp = "RMakerChRespPayload";

}  // namespace

// --- cloud_user_assoc ----------------------------------------------------------------------

std::string encode_user_mapping_request(const UserMappingRequest& request) {
  um::RMakerConfigPayload p;
  p.set_msg(um::TypeCmdSetUserMapping);
  if (request.payload_matches) {  // else the request without its payload
    auto* m = p.mutable_cmd_set_user_mapping();
    m->set_userid(request.user_id);
    m->set_secretkey(request.secret_key);
  }
  return detail::write_pb(p);
}

Result<UserMappingRequest> decode_user_mapping_request(std::string_view bytes) {
  auto p = detail::parse_pb<um::RMakerConfigPayload>(bytes, kUserMapping);
  if (!p) {
    return fail(std::move(p).error());
  }
  if (p->msg() != um::TypeCmdSetUserMapping) {
    return detail::unexpected_msg(kUserMapping, p->msg());
  }
  if (p->payload_case() != um::RMakerConfigPayload::kCmdSetUserMapping)
    return UserMappingRequest{{}, {}, false};
  const auto& m = p->cmd_set_user_mapping();
  return UserMappingRequest{m.userid(), m.secretkey(), true};
}

std::string encode_user_mapping_response(const UserMappingResponse& response) {
  um::RMakerConfigPayload p;
  p.set_msg(um::TypeRespSetUserMapping);
  auto* m = p.mutable_resp_set_user_mapping();
  m->set_status(static_cast<um::RMakerConfigStatus>(response.status));
  m->set_nodeid(response.node_id);
  return detail::write_pb(p);
}

Result<UserMappingResponse> decode_user_mapping_response(std::string_view bytes) {
  auto p = detail::parse_pb<um::RMakerConfigPayload>(bytes, kUserMapping);
  if (!p) {
    return fail(std::move(p).error());
  }
  if (p->msg() != um::TypeRespSetUserMapping) {
    return detail::unexpected_msg(kUserMapping, p->msg());
  }
  // An absent payload reads as its defaults (status success, no node id).
  if (auto ok = detail::check_payload(
          p->payload_case(), um::RMakerConfigPayload::kRespSetUserMapping, true, kUserMapping);
      !ok) {
    return fail(std::move(ok).error());
  }
  const auto& m = p->resp_set_user_mapping();
  return UserMappingResponse{static_cast<UserMappingStatus>(m.status()), m.nodeid()};
}

// --- ch_resp ---------------------------------------------------------------------------------

std::string encode_ch_resp_request(const ChRespRequest& request) {
  cr::RMakerChRespPayload p;
  std::visit(Overloaded{
                 [&](const ChallengeRequest& c) {
                   p.set_msg(cr::TypeCmdChallengeResponse);
                   p.mutable_cmdchallengeresponsepayload()->set_payload(c.challenge);
                 },
                 [&](const GetNodeIdRequest&) {
                   p.set_msg(cr::TypeCmdGetNodeID);
                   p.mutable_cmdgetnodeidpayload();
                 },
                 [&](const DisableChallengeResponseRequest&) {
                   p.set_msg(cr::TypeCmdDisableChalResp);
                   p.mutable_cmddisablechalresppayload();
                 },
             },
             request);
  return detail::write_pb(p);
}

Result<ChRespRequest> decode_ch_resp_request(std::string_view bytes) {
  auto p = detail::parse_pb<cr::RMakerChRespPayload>(bytes, kChResp);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case cr::TypeCmdChallengeResponse:
      if (auto ok = detail::check_payload(c, cr::RMakerChRespPayload::kCmdChallengeResponsePayload,
                                          false, kChResp);
          !ok) {
        return fail(std::move(ok).error());
      }
      return ChallengeRequest{p->cmdchallengeresponsepayload().payload()};
    case cr::TypeCmdGetNodeID:
      if (auto ok = detail::check_payload(c, cr::RMakerChRespPayload::kCmdGetNodeIDPayload, true,
                                          kChResp);
          !ok) {
        return fail(std::move(ok).error());
      }
      return GetNodeIdRequest{};
    case cr::TypeCmdDisableChalResp:
      if (auto ok = detail::check_payload(c, cr::RMakerChRespPayload::kCmdDisableChalRespPayload,
                                          true, kChResp);
          !ok) {
        return fail(std::move(ok).error());
      }
      return DisableChallengeResponseRequest{};
    default:
      return detail::unexpected_msg(kChResp, p->msg());
  }
}

std::string encode_ch_resp_response(const ChRespResponse& response) {
  cr::RMakerChRespPayload p;
  std::visit(Overloaded{
                 [&](const ChallengeResponse& r) {
                   p.set_msg(cr::TypeRespChallengeResponse);
                   p.set_status(static_cast<cr::RMakerChRespStatus>(r.status));
                   // A refusal (disabled, failed) carries no payload, as the firmware sends it.
                   if (!r.signature.empty() || !r.node_id.empty()) {
                     auto* m = p.mutable_respchallengeresponsepayload();
                     m->set_payload(r.signature);
                     m->set_node_id(r.node_id);
                   }
                 },
                 [&](const GetNodeIdResponse& r) {
                   p.set_msg(cr::TypeRespGetNodeID);
                   p.set_status(static_cast<cr::RMakerChRespStatus>(r.status));
                   p.mutable_respgetnodeidpayload()->set_node_id(r.node_id);
                 },
                 [&](const DisableChallengeResponseResult& r) {
                   p.set_msg(cr::TypeRespDisableChalResp);
                   p.set_status(static_cast<cr::RMakerChRespStatus>(r.status));
                   p.mutable_respdisablechalresppayload();
                 },
             },
             response);
  return detail::write_pb(p);
}

Result<ChRespResponse> decode_ch_resp_response(std::string_view bytes) {
  auto p = detail::parse_pb<cr::RMakerChRespPayload>(bytes, kChResp);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  const auto status = static_cast<ChRespStatus>(p->status());
  switch (p->msg()) {
    case cr::TypeRespChallengeResponse:
      // The firmware answers a refusal (disabled) with msg 1, a status and no payload.
      if (auto ok = detail::check_payload(c, cr::RMakerChRespPayload::kRespChallengeResponsePayload,
                                          true, kChResp);
          !ok) {
        return fail(std::move(ok).error());
      }
      return ChallengeResponse{status, p->respchallengeresponsepayload().payload(),
                               p->respchallengeresponsepayload().node_id()};
    case cr::TypeRespGetNodeID:
      if (auto ok = detail::check_payload(c, cr::RMakerChRespPayload::kRespGetNodeIDPayload, true,
                                          kChResp);
          !ok) {
        return fail(std::move(ok).error());
      }
      return GetNodeIdResponse{status, p->respgetnodeidpayload().node_id()};
    case cr::TypeRespDisableChalResp:
      if (auto ok = detail::check_payload(c, cr::RMakerChRespPayload::kRespDisableChalRespPayload,
                                          true, kChResp);
          !ok) {
        return fail(std::move(ok).error());
      }
      return DisableChallengeResponseResult{status};
    default:
      return detail::unexpected_msg(kChResp, p->msg());
  }
}

}  // namespace stratus::protocomm
