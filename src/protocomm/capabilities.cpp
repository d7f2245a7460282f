#include "protocomm/capabilities.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace stratus::protocomm {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxPlainVersion = 64;

bool contains(const std::vector<std::string>& list, std::string_view item) noexcept {
  return std::find(list.begin(), list.end(), item) != list.end();
}

json::array to_array(const std::vector<std::string>& list) {
  json::array a;
  for (const auto& s : list) {
    a.emplace_back(s);
  }
  return a;
}

Result<json::object> parse_object(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) {
    return fail(errc::invalid_argument, std::string(what) + ": not JSON (" + ec.message() + ")");
  }
  if (!value.is_object()) {
    return fail(errc::invalid_argument, std::string(what) + ": not a JSON object");
  }
  return std::move(value.as_object());
}

// `cap`: an array of strings; invalid_argument naming `where` otherwise.
Result<std::vector<std::string>> read_caps(const json::value& v, std::string_view where) {
  if (!v.is_array()) {
    return fail(errc::invalid_argument,
                "proto-ver: " + std::string(where) + ".cap is not an array");
  }
  std::vector<std::string> out;
  for (const auto& item : v.as_array()) {
    if (!item.is_string()) {
      return fail(errc::invalid_argument,
                  "proto-ver: " + std::string(where) + ".cap holds a non-string");
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

// An integer 0..255 (JSON numbers may be written as 2 or 2.0 by other writers).
Result<int> read_small_int(const json::value& v, std::string_view what) {
  if (v.is_int64() && v.as_int64() >= 0 && v.as_int64() <= 255) {
    return static_cast<int>(v.as_int64());
  }
  if (v.is_uint64() && v.as_uint64() <= 255) {
    return static_cast<int>(v.as_uint64());
  }
  if (v.is_double()) {
    const double d = v.as_double();
    if (d >= 0 && d <= 255 && d == static_cast<double>(static_cast<int>(d))) {
      return static_cast<int>(d);
    }
  }
  return fail(errc::invalid_argument, std::string(what) + " is not an integer 0..255");
}

bool printable_ascii(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

}  // namespace

bool AppInfo::has(std::string_view capability) const noexcept {
  return contains(cap, capability);
}

bool ProtoVersion::has_prov(std::string_view capability) const noexcept {
  return contains(prov_cap, capability);
}

const AppInfo* ProtoVersion::app(std::string_view name) const noexcept {
  for (const auto& a : apps) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

bool ProtoVersion::app_has(std::string_view name, std::string_view capability) const noexcept {
  const auto* a = app(name);
  return a != nullptr && a->has(capability);
}

ProtoVersion rainmaker_proto_version(SecurityVersion sec, bool pop_set, bool challenge_response,
                                     bool local_ctrl) {
  ProtoVersion info;
  info.prov_ver = "v1.1";
  info.sec_ver = static_cast<int>(sec);
  info.sec_patch_ver = sec == SecurityVersion::sec2 ? 1 : 0;
  if (sec == SecurityVersion::sec0) {
    info.prov_cap.emplace_back(kCapNoSec);
  } else if (sec == SecurityVersion::sec1 && !pop_set) {
    info.prov_cap.emplace_back(kCapNoPop);
  }
  info.prov_cap.emplace_back(kCapWifiScan);
  if (challenge_response) {
    AppInfo extra{"rmaker_extra", "1.0", {std::string(kCapChallengeResponse)}};
    if (local_ctrl) {
      extra.cap.emplace_back(kCapLocalCtrl);
    }
    info.apps.push_back(std::move(extra));
  }
  return info;
}

std::string to_json(const ProtoVersion& info) {
  if (info.plain) {
    return info.prov_ver;
  }
  json::object root;
  for (const auto& a : info.apps) {
    if (a.name == "prov") {
      continue;  // the provisioning manager's own entry is written below
    }
    json::object entry;
    entry["ver"] = a.ver;
    entry["cap"] = to_array(a.cap);
    root[a.name] = std::move(entry);
  }
  json::object prov;
  prov["ver"] = info.prov_ver;
  if (info.sec_ver) {
    prov["sec_ver"] = *info.sec_ver;
  }
  if (info.sec_patch_ver) {
    prov["sec_patch_ver"] = *info.sec_patch_ver;
  }
  prov["cap"] = to_array(info.prov_cap);
  root["prov"] = std::move(prov);
  return json::serialize(root);
}

Result<ProtoVersion> parse_proto_version(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') {
    if (text.empty() || text.size() > kMaxPlainVersion || !printable_ascii(text)) {
      return fail(errc::invalid_argument,
                  "proto-ver: neither JSON nor a plain version string of 1..64 printable "
                  "characters");
    }
    ProtoVersion info;
    info.plain = true;
    info.prov_ver = std::string(text);
    info.prov_cap.clear();
    return info;
  }
  auto root = parse_object(text, "proto-ver");
  if (!root) {
    return fail(std::move(root).error());
  }
  ProtoVersion info;
  info.prov_cap.clear();
  const auto* prov = root->if_contains("prov");
  if (prov == nullptr || !prov->is_object()) {
    return fail(errc::invalid_argument, "proto-ver: no \"prov\" object");
  }
  const auto& p = prov->as_object();
  const auto* ver = p.if_contains("ver");
  if (ver == nullptr || !ver->is_string()) {
    return fail(errc::invalid_argument, "proto-ver: prov.ver is not a string");
  }
  info.prov_ver = std::string(ver->as_string());
  if (const auto* v = p.if_contains("sec_ver")) {
    auto n = read_small_int(*v, "proto-ver: prov.sec_ver");
    if (!n) {
      return fail(std::move(n).error());
    }
    info.sec_ver = *n;
  }
  if (const auto* v = p.if_contains("sec_patch_ver")) {
    auto n = read_small_int(*v, "proto-ver: prov.sec_patch_ver");
    if (!n) {
      return fail(std::move(n).error());
    }
    info.sec_patch_ver = *n;
  }
  if (const auto* cap = p.if_contains("cap")) {
    auto caps = read_caps(*cap, "prov");
    if (!caps) {
      return fail(std::move(caps).error());
    }
    info.prov_cap = std::move(*caps);
  }
  for (const auto& [key, value] : *root) {
    if (key == "prov" || !value.is_object()) {
      continue;
    }
    const auto& o = value.as_object();
    const auto* v = o.if_contains("ver");
    const auto* c = o.if_contains("cap");
    if (v == nullptr || !v->is_string() || c == nullptr) {
      continue;
    }
    auto caps = read_caps(*c, key);
    if (!caps) {
      continue;  // an application entry we cannot read is not ours to refuse
    }
    info.apps.push_back(AppInfo{std::string(key), std::string(v->as_string()), std::move(*caps)});
  }
  return info;
}

std::string to_json(const LocalCtrlVersion& version) {
  json::object inner;
  inner["ver"] = version.ver;
  inner["sec_ver"] = version.sec_ver;
  inner["sec_patch_ver"] = version.sec_patch_ver;
  json::object root;
  root["local_ctrl"] = std::move(inner);
  return json::serialize(root);
}

Result<LocalCtrlVersion> parse_local_ctrl_version(std::string_view text) {
  auto root = parse_object(text, "esp_local_ctrl/version");
  if (!root) {
    return fail(std::move(root).error());
  }
  const auto* lc = root->if_contains("local_ctrl");
  if (lc == nullptr || !lc->is_object()) {
    return fail(errc::invalid_argument, "esp_local_ctrl/version: no \"local_ctrl\" object");
  }
  const auto& o = lc->as_object();
  const auto* ver = o.if_contains("ver");
  const auto* sec = o.if_contains("sec_ver");
  if (ver == nullptr || !ver->is_string() || sec == nullptr) {
    return fail(errc::invalid_argument,
                "esp_local_ctrl/version: needs a string \"ver\" and a \"sec_ver\"");
  }
  LocalCtrlVersion out;
  out.ver = std::string(ver->as_string());
  auto s = read_small_int(*sec, "esp_local_ctrl/version: sec_ver");
  if (!s) {
    return fail(std::move(s).error());
  }
  out.sec_ver = *s;
  if (const auto* patch = o.if_contains("sec_patch_ver")) {
    auto p = read_small_int(*patch, "esp_local_ctrl/version: sec_patch_ver");
    if (!p) {
      return fail(std::move(p).error());
    }
    out.sec_patch_ver = *p;
  }
  return out;
}

}  // namespace stratus::protocomm
