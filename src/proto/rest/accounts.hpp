#pragma once
/// @file
/// The account resources of the RainMaker REST API (spec rainmaker.md §4.2–4.3):
/// sign-up, login and refresh, password reset and change, the user, the admin's user
/// list, and `/apiversions` and `/mqtt_host`. One DTO per body; `parse_*` reads what
/// the other side sent, `to_json` writes it. Server side (`api`) parses requests and
/// writes answers; client side (`client`) writes requests and parses answers.
///
/// Request parsers are strict (errors: invalid_argument `invalid_request_body`
/// naming the field); answer parsers are tolerant (absent members read as empty) and
/// fail only when a member the caller cannot do without is missing (internal).
/// Pure; thread-safe.

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace stratus::proto::rest {

/// `POST v1/user2` (also `v1/user`): step 1 `{user_name, password}`, step 2
/// `{user_name, verification_code}`. Members absent or null are nullopt.
struct SignUpRequest {
  std::optional<std::string> user_name;
  std::optional<std::string> password;
  std::optional<std::string> verification_code;
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<SignUpRequest> parse_sign_up_request(const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const SignUpRequest& request);

/// `POST v1/login2` (also `v1/login`): `{user_name, password}`, or
/// `{refreshtoken}` to refresh (then the others are ignored).
struct LoginRequest {
  std::optional<std::string> user_name;
  std::optional<std::string> password;
  std::optional<std::string> refresh_token;  ///< JSON `refreshtoken`
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<LoginRequest> parse_login_request(const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const LoginRequest& request);

/// The three tokens of a login (spec §4.2). `access_token` and `id_token` are JWTs;
/// `refresh_token` is opaque (a refresh answer may leave it empty).
struct Tokens {
  std::string id_token;       ///< JSON `idtoken`
  std::string access_token;   ///< JSON `accesstoken`
  std::string refresh_token;  ///< JSON `refreshtoken`
};
/// The login answer: `{"status":"success","description":"Login successful","idtoken",
/// "accesstoken"[,"refreshtoken"]}`. Never a `session` member: the RainMaker CLI
/// would switch to its one-time-code login.
[[nodiscard]] boost::json::object to_json(const Tokens& tokens);
/// Reads a login or refresh answer. Errors: invalid_argument when the server asks
/// for a one-time code (a non-empty `session`, MFA, which Stratus's client does not
/// do); internal when `idtoken` or `accesstoken` is missing, or `refreshtoken` is
/// missing and `need_refresh_token`.
[[nodiscard]] Result<Tokens> parse_tokens(const boost::json::object& answer,
                                          bool need_refresh_token);

/// `PUT v1/forgotpassword2` (also `v1/forgotpassword`): step 1 `{user_name}`
/// (the CLI adds `password` and `verification_code` as null), step 2 `{user_name,
/// password, verification_code}`.
struct ForgotPasswordRequest {
  std::optional<std::string> user_name;
  std::optional<std::string> password;
  std::optional<std::string> verification_code;
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<ForgotPasswordRequest> parse_forgot_password_request(
    const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ForgotPasswordRequest& request);

/// `PUT v1/password2` (also `v1/password`): `{password, newpassword}`.
struct ChangePasswordRequest {
  std::optional<std::string> password;
  std::optional<std::string> new_password;  ///< JSON `newpassword`
};
/// Reads a request body (strict; errors as the file comment says). Pure; thread-safe.
[[nodiscard]] Result<ChangePasswordRequest> parse_change_password_request(
    const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ChangePasswordRequest& request);

/// `GET v1/user2`: the logged-in user.
struct UserInfo {
  std::string user_id;
  std::string user_name;
  std::string email;         ///< empty for phone-number accounts (member absent)
  std::string phone_number;  ///< empty for e-mail accounts (member absent)
  std::string name;          ///< optional display name (member absent when empty)
  bool super_admin = false;
  bool mfa = false;
  bool alert_mail = false;  ///< Stratus: the user is mailed its nodes' alerts
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const UserInfo& user);
/// Errors: internal when `user_id` is missing.
[[nodiscard]] Result<UserInfo> parse_user_info(const boost::json::object& answer);

/// `PUT v1/user` (also `v1/user2`): `{"name"?: string, "alert_mail"?: bool}` — the
/// display name, and whether the user is mailed the alerts of the nodes it may see
/// (a Stratus member; RainMaker has only push notifications, rainmaker-cloud.md §5).
/// Other members are ignored.
struct UserUpdate {
  std::optional<std::string> name;
  std::optional<bool> alert_mail;
};
/// Reads a request body. Errors: `invalid_body` for a member of the wrong type, a name
/// over 256 bytes or with control characters, or a body with neither member. Pure;
/// thread-safe.
[[nodiscard]] Result<UserUpdate> parse_user_update(const boost::json::object& body);
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const UserUpdate& update);

/// One entry of `GET v1/admin/users` (super-admins only).
struct UserSummary {
  std::string user_id;
  std::string user_name;
  bool verified = false;
  bool super_admin = false;
  std::int64_t created_at = 0;  ///< seconds since the Unix epoch
  bool disabled = false;        ///< disabled by an admin (issue 18)
  /// The user's own node quota; nullopt (JSON null) = the operator's default applies.
  std::optional<std::int64_t> node_quota{};
  std::int64_t effective_quota = 0;  ///< the quota that applies; 0 = unlimited
  std::int64_t primary_nodes = 0;    ///< nodes the user holds as primary user
};
/// One user as `{"user_id","user_name","verified","super_admin","created_at","disabled",
/// "node_quota"(null = default),"effective_quota","primary_nodes"}`. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const UserSummary& user);
/// Reads one (tolerant). Pure; thread-safe.
[[nodiscard]] UserSummary parse_user_summary(const boost::json::object& answer);
/// `{"users":[…],"next_id"?}`; `next_id` (a user name) is empty on the last page.
struct UserPage {
  std::vector<UserSummary> users;
  std::string next_id;
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const UserPage& page);
/// Reads an answer (tolerant: absent members read as empty). Pure; thread-safe.
[[nodiscard]] UserPage parse_user_page(const boost::json::object& answer);

/// `GET /apiversions`: `{"supported_versions":["v1"],"current_version":"v1"}`.
struct ApiVersions {
  std::vector<std::string> supported_versions;
  std::string current_version;
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const ApiVersions& versions);
/// Reads an answer (tolerant: absent members read as empty). Pure; thread-safe.
[[nodiscard]] ApiVersions parse_api_versions(const boost::json::object& answer);

/// `GET /mqtt_host`: `{"mqtt_host"[,"mqtt_port"]}`. `port` is 0 when not sent (the
/// RainMaker cloud never sends it; Stratus sends the port it bound).
struct MqttHost {
  std::string host;
  std::uint16_t port = 0;
};
/// Writes it in the wire shape described above. Pure; thread-safe.
[[nodiscard]] boost::json::object to_json(const MqttHost& endpoint);
/// Errors: internal when `mqtt_host` is missing or empty.
[[nodiscard]] Result<MqttHost> parse_mqtt_host(const boost::json::object& answer);

}  // namespace stratus::proto::rest
