#include "proto/rest/accounts.hpp"

#include <boost/json.hpp>

#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

// Sets `key` to `value`, or to null when it has none.
void put(json::object& o, std::string_view key, const std::optional<std::string>& value) {
  if (value)
    o[key] = *value;
  else
    o[key] = nullptr;
}

}  // namespace

Result<SignUpRequest> parse_sign_up_request(const json::object& body) {
  auto v = optional_string_fields<3>(body, {"user_name", "password", "verification_code"});
  if (!v)
    return fail(v.error());
  auto& [user_name, password, code] = *v;
  return SignUpRequest{std::move(user_name), std::move(password), std::move(code)};
}

json::object to_json(const SignUpRequest& r) {
  json::object o;
  o["user_name"] = r.user_name.value_or("");
  if (r.password)
    o["password"] = *r.password;
  if (r.verification_code)
    o["verification_code"] = *r.verification_code;
  return o;
}

Result<LoginRequest> parse_login_request(const json::object& body) {
  auto v = optional_string_fields<3>(body, {"user_name", "password", "refreshtoken"});
  if (!v)
    return fail(v.error());
  auto& [user_name, password, refresh] = *v;
  return LoginRequest{std::move(user_name), std::move(password), std::move(refresh)};
}

json::object to_json(const LoginRequest& r) {
  json::object o;
  if (r.refresh_token) {
    o["refreshtoken"] = *r.refresh_token;
    return o;
  }
  o["user_name"] = r.user_name.value_or("");
  o["password"] = r.password.value_or("");
  return o;
}

json::object to_json(const Tokens& t) {
  json::object o = success_body("Login successful");
  o["idtoken"] = t.id_token;
  o["accesstoken"] = t.access_token;
  if (!t.refresh_token.empty())
    o["refreshtoken"] = t.refresh_token;
  return o;
}

Result<Tokens> parse_tokens(const json::object& a, bool need_refresh_token) {
  if (!string_or(a, "session").empty()) {
    return fail(errc::invalid_argument,
                "the server asks for a one-time code (MFA), which this client does not support");
  }
  Tokens t{string_or(a, "idtoken"), string_or(a, "accesstoken"), string_or(a, "refreshtoken")};
  if (t.id_token.empty() || t.access_token.empty() ||
      (need_refresh_token && t.refresh_token.empty())) {
    return fail(errc::internal, "the login answer lacks a token");
  }
  return t;
}

Result<ForgotPasswordRequest> parse_forgot_password_request(const json::object& body) {
  auto v = optional_string_fields<3>(body, {"user_name", "password", "verification_code"});
  if (!v)
    return fail(v.error());
  auto& [user_name, password, code] = *v;
  return ForgotPasswordRequest{std::move(user_name), std::move(password), std::move(code)};
}

json::object to_json(const ForgotPasswordRequest& r) {
  json::object o;
  o["user_name"] = r.user_name.value_or("");
  put(o, "password", r.password);
  put(o, "verification_code", r.verification_code);
  return o;
}

Result<ChangePasswordRequest> parse_change_password_request(const json::object& body) {
  auto v = optional_string_fields<2>(body, {"password", "newpassword"});
  if (!v)
    return fail(v.error());
  auto& [password, new_password] = *v;
  return ChangePasswordRequest{std::move(password), std::move(new_password)};
}

json::object to_json(const ChangePasswordRequest& r) {
  json::object o;
  put(o, "password", r.password);
  put(o, "newpassword", r.new_password);
  return o;
}

json::object to_json(const UserInfo& u) {
  json::object o{{"user_id", u.user_id},
                 {"user_name", u.user_name},
                 {"super_admin", u.super_admin},
                 {"mfa", u.mfa},
                 {"alert_mail", u.alert_mail}};
  if (!u.name.empty())
    o["name"] = u.name;
  if (!u.phone_number.empty())
    o["phone_number"] = u.phone_number;
  if (!u.email.empty())
    o["email"] = u.email;
  return o;
}

Result<UserInfo> parse_user_info(const json::object& a) {
  UserInfo u{string_or(a, "user_id"), string_or(a, "user_name"),
             string_or(a, "email"),   string_or(a, "phone_number"),
             string_or(a, "name"),    bool_or(a, "super_admin"),
             bool_or(a, "mfa"),       bool_or(a, "alert_mail")};
  if (u.user_id.empty())
    return fail(errc::internal, "GET /v1/user2: the answer has no user_id");
  return u;
}

Result<UserUpdate> parse_user_update(const json::object& body) {
  constexpr std::size_t kMaxNameBytes = 256;
  auto name = optional_string(body, "name");
  if (!name)
    return fail(name.error());
  UserUpdate update{std::move(*name), std::nullopt};
  if (update.name) {
    if (update.name->size() > kMaxNameBytes)
      return fail(invalid_body("name must be at most 256 bytes"));
    for (const char c : *update.name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return fail(invalid_body("name must not contain control characters"));
    }
  }
  if (const auto* v = body.if_contains("alert_mail"); v && !v->is_null()) {
    if (!v->is_bool())
      return fail(invalid_body("alert_mail must be a boolean"));
    update.alert_mail = v->get_bool();
  }
  if (!update.name && !update.alert_mail)
    return fail(invalid_body("nothing to change: give name or alert_mail"));
  return update;
}

json::object to_json(const UserUpdate& u) {
  json::object o;
  put(o, "name", u.name);
  if (u.alert_mail)
    o["alert_mail"] = *u.alert_mail;
  return o;
}

json::object to_json(const UserSummary& u) {
  json::object o{{"user_id", u.user_id},
                 {"user_name", u.user_name},
                 {"verified", u.verified},
                 {"super_admin", u.super_admin},
                 {"created_at", u.created_at},
                 {"disabled", u.disabled},
                 {"effective_quota", u.effective_quota},
                 {"primary_nodes", u.primary_nodes}};
  if (u.node_quota)
    o["node_quota"] = *u.node_quota;
  else
    o["node_quota"] = nullptr;
  return o;
}

UserSummary parse_user_summary(const json::object& u) {
  UserSummary s{string_or(u, "user_id"), string_or(u, "user_name"), bool_or(u, "verified"),
                bool_or(u, "super_admin"), int_or(u, "created_at")};
  s.disabled = bool_or(u, "disabled");
  if (const auto* q = u.if_contains("node_quota"); q != nullptr && !q->is_null())
    s.node_quota = int_or(u, "node_quota");
  s.effective_quota = int_or(u, "effective_quota");
  s.primary_nodes = int_or(u, "primary_nodes");
  return s;
}

json::object to_json(const UserPage& page) {
  json::array users;
  for (const auto& u : page.users) {
    users.push_back(to_json(u));
  }
  json::object o{{"users", std::move(users)}};
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  return o;
}

UserPage parse_user_page(const json::object& a) {
  UserPage page;
  if (const auto* list = a.if_contains("users"); list != nullptr && list->is_array()) {
    for (const auto& item : list->as_array()) {
      if (!item.is_object())
        continue;
      const auto& u = item.as_object();
      page.users.push_back(parse_user_summary(u));
    }
  }
  page.next_id = string_or(a, "next_id");
  return page;
}

json::object to_json(const ApiVersions& v) {
  json::array list;
  for (const auto& s : v.supported_versions)
    list.emplace_back(s);
  return json::object{{"supported_versions", std::move(list)},
                      {"current_version", v.current_version}};
}

ApiVersions parse_api_versions(const json::object& a) {
  return ApiVersions{strings_or_empty(a, "supported_versions"), string_or(a, "current_version")};
}

json::object to_json(const MqttHost& e) {
  json::object o{{"mqtt_host", e.host}};
  if (e.port != 0)
    o["mqtt_port"] = e.port;
  return o;
}

Result<MqttHost> parse_mqtt_host(const json::object& a) {
  MqttHost e{string_or(a, "mqtt_host"), port_or_zero(a, "mqtt_port")};
  if (e.host.empty())
    return fail(errc::internal, "GET /mqtt_host: the answer has no mqtt_host");
  return e;
}

}  // namespace stratus::proto::rest
