#include "protocomm/local_ctrl.hpp"

#include "esp_local_ctrl.pb.h"
#include "protocomm/detail/codec.hpp"
#include "protocomm/detail/pb.hpp"

namespace stratus::protocomm {
namespace {

using detail::Overloaded;
constexpr std::string_view kWhat = "LocalCtrlMessage";

}  // namespace

std::string encode_local_ctrl_request(const LocalCtrlRequest& request) {
  LocalCtrlMessage p;
  std::visit(Overloaded{
                 [&](const GetPropertyCount&) {
                   p.set_msg(TypeCmdGetPropertyCount);
                   p.mutable_cmd_get_prop_count();
                 },
                 [&](const GetPropertyValues& r) {
                   p.set_msg(TypeCmdGetPropertyValues);
                   auto* m = p.mutable_cmd_get_prop_vals();
                   for (const auto i : r.indices) {
                     m->add_indices(i);
                   }
                 },
                 [&](const SetPropertyValues& r) {
                   p.set_msg(TypeCmdSetPropertyValues);
                   auto* m = p.mutable_cmd_set_prop_vals();
                   for (const auto& v : r.props) {
                     auto* e = m->add_props();
                     e->set_index(v.index);
                     e->set_value(v.value);
                   }
                 },
             },
             request);
  return detail::write_pb(p);
}

Result<LocalCtrlRequest> decode_local_ctrl_request(std::string_view bytes) {
  auto p = detail::parse_pb<LocalCtrlMessage>(bytes, kWhat);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeCmdGetPropertyCount:
      if (auto ok = detail::check_payload(c, LocalCtrlMessage::kCmdGetPropCount, true, kWhat);
          !ok) {
        return fail(std::move(ok).error());
      }
      return GetPropertyCount{};
    case TypeCmdGetPropertyValues: {
      if (auto ok = detail::check_payload(c, LocalCtrlMessage::kCmdGetPropVals, false, kWhat);
          !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->cmd_get_prop_vals();
      return GetPropertyValues{{m.indices().begin(), m.indices().end()}};
    }
    case TypeCmdSetPropertyValues: {
      if (auto ok = detail::check_payload(c, LocalCtrlMessage::kCmdSetPropVals, false, kWhat);
          !ok) {
        return fail(std::move(ok).error());
      }
      SetPropertyValues r;
      for (const auto& v : p->cmd_set_prop_vals().props()) {
        r.props.push_back(PropertyValue{v.index(), v.value()});
      }
      return r;
    }
    default:
      return detail::unexpected_msg(kWhat, p->msg());
  }
}

std::string encode_local_ctrl_response(const LocalCtrlResponse& response) {
  LocalCtrlMessage p;
  std::visit(Overloaded{
                 [&](const PropertyCount& r) {
                   p.set_msg(TypeRespGetPropertyCount);
                   auto* m = p.mutable_resp_get_prop_count();
                   m->set_status(static_cast<::Status>(r.status));
                   m->set_count(r.count);
                 },
                 [&](const PropertyValues& r) {
                   p.set_msg(TypeRespGetPropertyValues);
                   auto* m = p.mutable_resp_get_prop_vals();
                   m->set_status(static_cast<::Status>(r.status));
                   for (const auto& v : r.props) {
                     auto* e = m->add_props();
                     e->set_status(static_cast<::Status>(v.status));
                     e->set_name(v.name);
                     e->set_type(v.type);
                     e->set_flags(v.flags);
                     e->set_value(v.value);
                   }
                 },
                 [&](const SetPropertyResult& r) {
                   p.set_msg(TypeRespSetPropertyValues);
                   p.mutable_resp_set_prop_vals()->set_status(static_cast<::Status>(r.status));
                 },
             },
             response);
  return detail::write_pb(p);
}

Result<LocalCtrlResponse> decode_local_ctrl_response(std::string_view bytes) {
  auto p = detail::parse_pb<LocalCtrlMessage>(bytes, kWhat);
  if (!p) {
    return fail(std::move(p).error());
  }
  const int c = p->payload_case();
  switch (p->msg()) {
    case TypeRespGetPropertyCount: {
      if (auto ok = detail::check_payload(c, LocalCtrlMessage::kRespGetPropCount, false, kWhat);
          !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->resp_get_prop_count();
      return PropertyCount{static_cast<Status>(m.status()), m.count()};
    }
    case TypeRespGetPropertyValues: {
      if (auto ok = detail::check_payload(c, LocalCtrlMessage::kRespGetPropVals, false, kWhat);
          !ok) {
        return fail(std::move(ok).error());
      }
      const auto& m = p->resp_get_prop_vals();
      PropertyValues r{static_cast<Status>(m.status()), {}};
      for (const auto& v : m.props()) {
        r.props.push_back(PropertyInfo{static_cast<Status>(v.status()), v.name(), v.type(),
                                       v.flags(), v.value()});
      }
      return r;
    }
    case TypeRespSetPropertyValues:
      if (auto ok = detail::check_payload(c, LocalCtrlMessage::kRespSetPropVals, false, kWhat);
          !ok) {
        return fail(std::move(ok).error());
      }
      return SetPropertyResult{static_cast<Status>(p->resp_set_prop_vals().status())};
    default:
      return detail::unexpected_msg(kWhat, p->msg());
  }
}

}  // namespace stratus::protocomm
