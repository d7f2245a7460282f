#include "agent/local_control.hpp"

#include <array>
#include <boost/json/serialize.hpp>
#include <utility>
#include <variant>

#include "agent/device_security.hpp"
#include "core/hex.hpp"
#include "protocomm/capabilities.hpp"
#include "protocomm/local_ctrl.hpp"

namespace stratus::agent {

namespace {

using protocomm::Status;

// esp_rmaker_local_ctrl.c `enum property_types`.
constexpr std::uint32_t kTypeNodeConfig = 1;
constexpr std::uint32_t kTypeNodeParams = 2;
constexpr std::uint32_t kPropertyCount = 2;
// The firmware's `max_properties` (rainmaker-device.md §5.2): more indices in one request than the
// node may ever hold are refused, so a small request cannot ask for the config many times over.
constexpr std::size_t kMaxProperties = 10;

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace

std::string make_local_control_pop(const protocomm::RandomSource& random) {
  std::array<std::uint8_t, 4> bytes{};
  random(bytes);
  return to_hex(bytes);
}

struct LocalControlEngine::Impl {
  LocalControlOptions options;
  std::unique_ptr<protocomm::DeviceSecurity> security;

  static protocomm::PropertyInfo property(std::uint32_t index, NodeSession& session) {
    protocomm::PropertyInfo info;
    if (index == protocomm::kLocalCtrlPropConfig) {
      info.name = "config";
      info.type = kTypeNodeConfig;
      info.flags = protocomm::kLocalCtrlFlagReadOnly;
      info.value = session.model().config_json();
    } else {
      info.name = "params";
      info.type = kTypeNodeParams;
      info.flags = 0;
      info.value = boost::json::serialize(session.model().params());
    }
    return info;
  }

  static protocomm::PropertyValues get_values(const protocomm::GetPropertyValues& request,
                                              NodeSession& session) {
    protocomm::PropertyValues reply;
    if (request.indices.size() > kMaxProperties)
      return {Status::invalid_argument, {}};
    for (const auto index : request.indices) {
      if (index >= kPropertyCount) {  // esp_local_ctrl_get_prop_values: ESP_ERR_INVALID_ARG
        return {Status::invalid_argument, {}};
      }
    }
    for (const auto index : request.indices) {
      reply.props.push_back(property(index, session));
    }
    return reply;
  }

  static protocomm::SetPropertyResult set_values(const protocomm::SetPropertyValues& request,
                                                 NodeSession& session, MqttActions& out) {
    if (request.props.size() > kMaxProperties)
      return {Status::invalid_argument};
    for (const auto& prop : request.props) {
      if (prop.index >= kPropertyCount) {  // esp_local_ctrl_set_prop_values
        return {Status::invalid_argument};
      }
    }
    for (const auto& prop : request.props) {  // set_property_values: read-only aborts all
      if (prop.index == protocomm::kLocalCtrlPropConfig) {
        return {Status::invalid_argument};
      }
    }
    for (const auto& prop : request.props) {
      // esp_rmaker_handle_set_params: ESP_FAIL (InternalError) when not JSON; the rest of
      // the props are not applied.
      if (!session.apply_user_set(prop.value, out, SetOrigin::local_control)) {
        return {Status::internal_error};
      }
    }
    return {Status::success};
  }

  Result<std::string> control(std::string_view plain, NodeSession& session, MqttActions& out) {
    auto request = protocomm::decode_local_ctrl_request(plain);
    if (!request) {
      return fail(std::move(request).error());
    }
    const protocomm::LocalCtrlResponse response =
        std::visit(overloaded{
                       [&](const protocomm::GetPropertyCount&) -> protocomm::LocalCtrlResponse {
                         return protocomm::PropertyCount{Status::success, kPropertyCount};
                       },
                       [&](const protocomm::GetPropertyValues& r) -> protocomm::LocalCtrlResponse {
                         return get_values(r, session);
                       },
                       [&](const protocomm::SetPropertyValues& r) -> protocomm::LocalCtrlResponse {
                         return set_values(r, session, out);
                       },
                   },
                   *request);
    return protocomm::encode_local_ctrl_response(response);
  }
};

Result<std::unique_ptr<LocalControlEngine>> LocalControlEngine::create(
    LocalControlOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  auto security =
      make_device_security(impl->options.security, impl->options.pop, impl->options.random);
  if (!security) {
    return fail(std::move(security).error());
  }
  impl->security = std::move(*security);
  return std::unique_ptr<LocalControlEngine>(new LocalControlEngine(std::move(impl)));
}

LocalControlEngine::LocalControlEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalControlEngine::~LocalControlEngine() = default;

bool LocalControlEngine::serves(std::string_view endpoint) const noexcept {
  return endpoint == protocomm::kEndpointLocalCtrlVersion ||
         endpoint == protocomm::kEndpointLocalCtrlSession ||
         endpoint == protocomm::kEndpointLocalCtrlControl;
}

Result<std::string> LocalControlEngine::handle(std::string_view endpoint, std::string_view body,
                                               NodeSession& session, MqttActions& out) {
  auto& s = *impl_;
  if (endpoint == protocomm::kEndpointLocalCtrlVersion) {  // protocomm_version_handler
    protocomm::LocalCtrlVersion version;
    version.sec_ver = static_cast<int>(s.options.security);
    version.sec_patch_ver = s.options.security == protocomm::SecurityVersion::sec2 ? 1 : 0;
    return protocomm::to_json(version);
  }
  if (endpoint == protocomm::kEndpointLocalCtrlSession) {
    return s.security->handle(body);
  }
  if (endpoint == protocomm::kEndpointLocalCtrlControl) {
    return serve_protected(*s.security, body,
                           [&](std::string_view plain) { return s.control(plain, session, out); });
  }
  return fail(errc::not_found, "no endpoint " + std::string(endpoint));
}

void LocalControlEngine::new_session() noexcept {
  impl_->security->reset();
}

protocomm::SecurityVersion LocalControlEngine::security() const noexcept {
  return impl_->options.security;
}

}  // namespace stratus::agent
