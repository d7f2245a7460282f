#include "proto/rest/ota_params.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {

namespace json = boost::json;

std::optional<OtaParamsService> find_ota_params_service(const json::object& node_config) {
  const auto* services = node_config.if_contains("services");
  if (services == nullptr || !services->is_array())
    return std::nullopt;
  for (const auto& entry : services->as_array()) {
    if (!entry.is_object() || string_or(entry.as_object(), "type") != kOtaServiceType)
      continue;
    const auto& service = entry.as_object();
    OtaParamsService found;
    found.name = string_or(service, "name");
    if (const auto* params = service.if_contains("params");
        params != nullptr && params->is_array()) {
      for (const auto& p : params->as_array()) {
        if (!p.is_object())
          continue;
        const auto type = string_or(p.as_object(), "type");
        std::string* slot = type == kOtaUrlParamType      ? &found.url_param
                            : type == kOtaStatusParamType ? &found.status_param
                            : type == kOtaInfoParamType   ? &found.info_param
                                                          : nullptr;
        if (slot != nullptr && slot->empty())
          *slot = string_or(p.as_object(), "name");
      }
    }
    return found;
  }
  return std::nullopt;
}

json::object ota_url_set(const OtaParamsService& service, std::string_view url) {
  json::object params;
  params[service.url_param] = url;
  json::object set;
  set[service.name] = std::move(params);
  return set;
}

OtaParamsProgress parse_ota_params_progress(const json::object& params,
                                            const OtaParamsService& service) {
  OtaParamsProgress progress;
  const auto* values = params.if_contains(service.name);
  if (values == nullptr || !values->is_object())
    return progress;
  if (!service.status_param.empty())
    progress.status = string_or(values->as_object(), service.status_param);
  if (!service.info_param.empty())
    progress.info = string_or(values->as_object(), service.info_param);
  return progress;
}

}  // namespace stratus::proto::rest
