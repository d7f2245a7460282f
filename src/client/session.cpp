#include "client/session.hpp"

#include <boost/json.hpp>

#include "client/detail/json.hpp"
#include "client/detail/transport.hpp"
#include "client/errors.hpp"
#include "client/jwt.hpp"

namespace stratus::client {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxPages = 10000;
constexpr std::size_t kMaxSetsPerRequest = 25;

std::string page_query(std::string_view start_id, int num_records) {
  std::string query;
  if (!start_id.empty())
    query += "&start_id=" + percent_encode(start_id);
  if (num_records > 0)
    query += "&num_records=" + std::to_string(num_records);
  return query;
}

NodeDetails node_details_from(const json::object& o) {
  NodeDetails d;
  d.id = detail::string_or(o, "id", detail::string_or(o, "node_id"));
  d.role = detail::string_or(o, "role");
  d.primary = detail::bool_or(o, "primary");
  if (const auto* status = o.if_contains("status"); status != nullptr && status->is_object()) {
    if (const auto* c = status->as_object().if_contains("connectivity");
        c != nullptr && c->is_object()) {
      d.connectivity.connected = detail::bool_or(c->as_object(), "connected");
      d.connectivity.timestamp_ms = detail::int_or(c->as_object(), "timestamp");
    }
  }
  if (const auto* config = o.if_contains("config"); config != nullptr && config->is_object()) {
    d.config_json = json::serialize(*config);
    if (const auto* info = config->as_object().if_contains("info");
        info != nullptr && info->is_object()) {
      d.name = detail::string_or(info->as_object(), "name");
      d.type = detail::string_or(info->as_object(), "type");
      d.fw_version = detail::string_or(info->as_object(), "fw_version");
    }
  }
  d.params_json = detail::json_or_empty(o, "params");
  d.metadata_json = detail::json_or_empty(o, "metadata");
  if (const auto* tags = o.if_contains("tags"); tags != nullptr && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      if (t.is_string())
        d.tags.emplace_back(t.as_string());
    }
  }
  d.mapping_timestamp_s = detail::int_or(o, "mapping_timestamp");
  d.raw_json = json::serialize(o);
  return d;
}

Result<json::value> parse_json(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec)
    return fail(errc::invalid_argument, std::string(what) + " is not valid JSON: " + ec.message());
  return v;
}

}  // namespace

struct Session::Impl {
  Impl(SessionOptions o, ServerUrl u, const Clock& c)
      : options(std::move(o)),
        url(std::move(u)),
        clock(c),
        transport(detail::TransportOptions{url.root, options.ca_file, options.connect_timeout}) {}

  SessionOptions options;
  ServerUrl url;
  const Clock& clock;
  detail::Transport transport;
  Tokens tokens;
  std::function<void(const Tokens&)> on_tokens;
  std::string last_body;

  // One request; non-2xx answers become errors.
  Result<RawResponse> send(std::string_view method, std::string full_url,
                           std::optional<std::string> body, bool with_token, bool json_type,
                           std::chrono::milliseconds timeout) {
    detail::HttpRequest request;
    request.method = std::string(method);
    request.url = std::move(full_url);
    request.has_body = body.has_value();
    if (body)
      request.body = std::move(*body);
    if (json_type)
      request.headers.emplace_back("Content-Type: application/json");
    if (with_token)
      request.headers.push_back("Authorization: " + tokens.access_token);
    request.timeout = timeout;
    auto reply = transport.perform(request);
    if (!reply)
      return fail(reply.error());
    last_body = reply->body;
    if (reply->status < 200 || reply->status > 299)
      return fail(error_from_response(reply->status, reply->body));
    return RawResponse{reply->status, std::move(reply->body)};
  }

  bool needs_refresh() const {
    auto claims = decode_token_claims(tokens.access_token);
    if (!claims || claims->exp == 0)
      return true;
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    return claims->exp <= now + options.refresh_margin.count();
  }

  Result<void> refresh() {
    if (tokens.refresh_token.empty())
      return fail(errc::unauthenticated, "not logged in");
    auto versions = send("GET", url.unversioned("apiversions"), std::nullopt, false, false,
                         options.request_timeout);
    if (!versions)
      return fail(versions.error());
    auto object = detail::parse_object(versions->body, "GET /apiversions");
    if (!object)
      return fail(object.error());
    bool v1 = false;
    if (const auto* list = object->if_contains("supported_versions");
        list != nullptr && list->is_array()) {
      for (const auto& v : list->as_array())
        v1 = v1 || (v.is_string() && v.as_string() == "v1");
    }
    if (!v1) {
      return fail(errc::unavailable, url.root + " does not support RainMaker API v1");
    }
    const std::string body = json::serialize(json::object{{"refreshtoken", tokens.refresh_token}});
    auto answer = send("POST", url.versioned("login2"), body, false, true, options.request_timeout);
    if (!answer) {
      auto e = answer.error();
      if (e.code == errc::unauthenticated || e.code == errc::invalid_argument ||
          e.code == errc::not_found) {
        e.code = errc::unauthenticated;
      }
      return fail(std::move(e));
    }
    auto fresh = detail::parse_object(answer->body, "POST /v1/login2");
    if (!fresh)
      return fail(fresh.error());
    std::string access = detail::string_or(*fresh, "accesstoken");
    std::string id = detail::string_or(*fresh, "idtoken");
    if (access.empty() || id.empty())
      return fail(errc::internal, "the refresh answer has no accesstoken or idtoken");
    tokens.access_token = std::move(access);
    tokens.id_token = std::move(id);
    if (on_tokens)
      on_tokens(tokens);
    return {};
  }

  // `authed`, then the answer parsed as a JSON object; `what` ("GET /v1/user2") names
  // the call in errors.
  Result<json::object> authed_object(std::string_view method, std::string full_url,
                                     std::optional<std::string> body,
                                     std::chrono::milliseconds timeout, std::string_view what) {
    auto answer = authed(method, std::move(full_url), std::move(body), timeout);
    if (!answer)
      return fail(answer.error());
    return detail::parse_object(answer->body, what);
  }

  Result<RawResponse> authed(std::string_view method, std::string full_url,
                             std::optional<std::string> body, std::chrono::milliseconds timeout) {
    if (tokens.access_token.empty() || tokens.refresh_token.empty())
      return fail(errc::unauthenticated, "not logged in");
    bool refreshed = false;
    if (needs_refresh()) {
      if (auto r = refresh(); !r)
        return fail(r.error());
      refreshed = true;
    }
    auto answer = send(method, full_url, body, true, true, timeout);
    if (!answer && !refreshed && answer.error().code == errc::unauthenticated &&
        answer.error().reason == 100401) {
      if (auto r = refresh(); !r)
        return fail(r.error());
      answer = send(method, std::move(full_url), std::move(body), true, true, timeout);
    }
    return answer;
  }

  std::string user_id_or(std::string_view given) const {
    if (!given.empty())
      return std::string(given);
    auto claims = decode_token_claims(tokens.id_token);
    return claims ? claims->user_id : std::string();
  }
};

const Clock& Session::system_clock() {
  static const SystemClock clock;
  return clock;
}

Result<Session> Session::open(SessionOptions options, const Clock& clock) {
  auto url = parse_server_url(options.url);
  if (!url)
    return fail(url.error());
  return Session(std::make_unique<Impl>(std::move(options), std::move(*url), clock));
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&& other) noexcept = default;
Session& Session::operator=(Session&& other) noexcept = default;
Session::~Session() = default;

const ServerUrl& Session::server() const {
  return impl_->url;
}
const Tokens& Session::tokens() const {
  return impl_->tokens;
}
void Session::set_tokens(Tokens tokens) {
  impl_->tokens = std::move(tokens);
}
void Session::clear_tokens() {
  impl_->tokens = Tokens{};
}
bool Session::logged_in() const {
  return !impl_->tokens.access_token.empty() && !impl_->tokens.refresh_token.empty();
}
void Session::on_tokens_changed(std::function<void(const Tokens&)> callback) {
  impl_->on_tokens = std::move(callback);
}
const std::string& Session::last_body() const {
  return impl_->last_body;
}

Result<RawResponse> Session::call(std::string_view method, std::string_view path,
                                  std::optional<std::string> body, bool authenticated,
                                  bool versioned) {
  auto& m = *impl_;
  std::string url = versioned ? m.url.versioned(path) : m.url.unversioned(path);
  if (authenticated)
    return m.authed(method, std::move(url), std::move(body), m.options.request_timeout);
  return m.send(method, std::move(url), std::move(body), false, true, m.options.request_timeout);
}

Result<std::vector<std::string>> Session::api_versions() {
  auto& m = *impl_;
  auto answer = m.send("GET", m.url.unversioned("apiversions"), std::nullopt, false, false,
                       m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto object = detail::parse_object(answer->body, "GET /apiversions");
  if (!object)
    return fail(object.error());
  std::vector<std::string> versions;
  if (const auto* list = object->if_contains("supported_versions");
      list != nullptr && list->is_array()) {
    for (const auto& v : list->as_array()) {
      if (v.is_string())
        versions.emplace_back(v.as_string());
    }
  }
  return versions;
}

Result<MqttEndpoint> Session::mqtt_host() {
  auto& m = *impl_;
  auto answer = m.send("GET", m.url.unversioned("mqtt_host"), std::nullopt, false, false,
                       m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto object = detail::parse_object(answer->body, "GET /mqtt_host");
  if (!object)
    return fail(object.error());
  MqttEndpoint endpoint;
  endpoint.host = detail::string_or(*object, "mqtt_host");
  const auto port = detail::int_or(*object, "mqtt_port");
  if (port > 0 && port <= 65535)
    endpoint.port = static_cast<std::uint16_t>(port);
  endpoint.raw_json = std::move(answer->body);
  if (endpoint.host.empty())
    return fail(errc::internal, "GET /mqtt_host: the answer has no mqtt_host");
  return endpoint;
}

Result<void> Session::sign_up(std::string_view user_name, std::string_view password) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{{"user_name", user_name}, {"password", password}});
  return m.send("POST", m.url.versioned("user2"), body, false, true, m.options.long_request_timeout)
      .transform([](const RawResponse&) {});
}

Result<void> Session::confirm_sign_up(std::string_view user_name, std::string_view code) {
  auto& m = *impl_;
  const auto body =
      json::serialize(json::object{{"user_name", user_name}, {"verification_code", code}});
  return m.send("POST", m.url.versioned("user2"), body, false, true, m.options.long_request_timeout)
      .transform([](const RawResponse&) {});
}

Result<Tokens> Session::login(std::string_view user_name, std::string_view password) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{{"user_name", user_name}, {"password", password}});
  auto answer =
      m.send("POST", m.url.versioned("login2"), body, false, true, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto object = detail::parse_object(answer->body, "POST /v1/login2");
  if (!object)
    return fail(object.error());
  if (object->contains("session") && !detail::string_or(*object, "session").empty()) {
    return fail(errc::invalid_argument,
                "the server asks for a one-time code (MFA), which this "
                "client does not support");
  }
  Tokens tokens{detail::string_or(*object, "idtoken"), detail::string_or(*object, "accesstoken"),
                detail::string_or(*object, "refreshtoken")};
  if (tokens.access_token.empty() || tokens.id_token.empty() || tokens.refresh_token.empty())
    return fail(errc::internal, "POST /v1/login2: the answer lacks a token");
  m.tokens = tokens;
  if (m.on_tokens)
    m.on_tokens(m.tokens);
  return tokens;
}

Result<void> Session::refresh() {
  return impl_->refresh();
}

Result<void> Session::forgot_password(std::string_view user_name) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{
      {"user_name", user_name}, {"password", nullptr}, {"verification_code", nullptr}});
  return m
      .send("PUT", m.url.versioned("forgotpassword2"), body, false, true,
            m.options.long_request_timeout)
      .transform([](const RawResponse&) {});
}

Result<void> Session::reset_password(std::string_view user_name, std::string_view new_password,
                                     std::string_view code) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{
      {"user_name", user_name}, {"password", new_password}, {"verification_code", code}});
  return m
      .send("PUT", m.url.versioned("forgotpassword2"), body, false, true,
            m.options.long_request_timeout)
      .transform([](const RawResponse&) {});
}

Result<void> Session::logout(bool all) {
  auto& m = *impl_;
  auto answer = m.authed(
      "POST", m.url.versioned(all ? "logout2?logout_all=true" : "logout2?logout_all=false"),
      std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  m.tokens = Tokens{};
  return {};
}

Result<UserInfo> Session::user_info() {
  auto& m = *impl_;
  auto answer = m.authed("GET", m.url.versioned("user2"), std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto o = detail::parse_object(answer->body, "GET /v1/user2");
  if (!o)
    return fail(o.error());
  UserInfo info;
  info.user_id = detail::string_or(*o, "user_id");
  info.user_name = detail::string_or(*o, "user_name");
  info.email = detail::string_or(*o, "email");
  info.phone_number = detail::string_or(*o, "phone_number");
  info.name = detail::string_or(*o, "name");
  info.super_admin = detail::bool_or(*o, "super_admin");
  info.mfa = detail::bool_or(*o, "mfa");
  info.raw_json = std::move(answer->body);
  return info;
}

Result<NodeIdPage> Session::list_node_ids(std::string_view start_id, int num_records) {
  auto& m = *impl_;
  std::string path = "user/nodes";
  const std::string query = page_query(start_id, num_records);
  if (!query.empty())
    path += "?" + query.substr(1);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/user/nodes");
  if (!o)
    return fail(o.error());
  NodeIdPage page;
  if (const auto* ids = o->if_contains("nodes"); ids != nullptr && ids->is_array()) {
    for (const auto& id : ids->as_array()) {
      if (id.is_string())
        page.node_ids.emplace_back(id.as_string());
    }
  }
  page.next_id = detail::string_or(*o, "next_id");
  page.total = detail::int_or(*o, "total", static_cast<std::int64_t>(page.node_ids.size()));
  return page;
}

Result<std::vector<std::string>> Session::all_node_ids() {
  std::vector<std::string> ids;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    auto page = list_node_ids(start);
    if (!page)
      return fail(page.error());
    ids.insert(ids.end(), page->node_ids.begin(), page->node_ids.end());
    if (page->next_id.empty() || page->next_id == start)
      return ids;
    start = std::move(page->next_id);
  }
  return fail(errc::internal, "GET /v1/user/nodes: too many pages");
}

Result<NodeDetailsPage> Session::list_node_details(std::string_view start_id, int num_records) {
  auto& m = *impl_;
  const std::string path = "user/nodes?node_details=true" + page_query(start_id, num_records);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/user/nodes");
  if (!o)
    return fail(o.error());
  NodeDetailsPage page;
  if (const auto* list = o->if_contains("node_details"); list != nullptr && list->is_array()) {
    for (const auto& entry : list->as_array()) {
      if (entry.is_object())
        page.nodes.push_back(node_details_from(entry.as_object()));
    }
  }
  page.next_id = detail::string_or(*o, "next_id");
  page.total = detail::int_or(*o, "total", static_cast<std::int64_t>(page.nodes.size()));
  return page;
}

Result<std::vector<NodeDetails>> Session::node_details(std::optional<std::string> node_id) {
  auto& m = *impl_;
  if (node_id) {
    const std::string path = "user/nodes?node_details=true&node_id=" + percent_encode(*node_id);
    auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                             "GET /v1/user/nodes");
    if (!o)
      return fail(o.error());
    std::vector<NodeDetails> nodes;
    if (const auto* list = o->if_contains("node_details"); list != nullptr && list->is_array()) {
      for (const auto& entry : list->as_array()) {
        if (entry.is_object())
          nodes.push_back(node_details_from(entry.as_object()));
      }
    }
    if (nodes.empty())
      return fail(errc::not_found, 108005, "node " + *node_id + " not found");
    return nodes;
  }
  std::vector<NodeDetails> nodes;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    auto page = list_node_details(start);
    if (!page)
      return fail(page.error());
    for (auto& n : page->nodes)
      nodes.push_back(std::move(n));
    if (page->next_id.empty() || page->next_id == start)
      return nodes;
    start = std::move(page->next_id);
  }
  return fail(errc::internal, "GET /v1/user/nodes: too many pages");
}

Result<std::string> Session::node_config(std::string_view node_id) {
  auto& m = *impl_;
  auto answer =
      m.authed("GET", m.url.versioned("user/nodes/config?node_id=" + percent_encode(node_id)),
               std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return std::move(answer->body);
}

Result<Connectivity> Session::node_status(std::string_view node_id) {
  auto& m = *impl_;
  auto o = m.authed_object("GET",
                           m.url.versioned("user/nodes/status?node_id=" + percent_encode(node_id)),
                           std::nullopt, m.options.request_timeout, "GET /v1/user/nodes/status");
  if (!o)
    return fail(o.error());
  Connectivity c;
  if (const auto* v = o->if_contains("connectivity"); v != nullptr && v->is_object()) {
    c.connected = detail::bool_or(v->as_object(), "connected");
    c.timestamp_ms = detail::int_or(v->as_object(), "timestamp");
  }
  return c;
}

Result<std::string> Session::node_params(std::string_view node_id) {
  auto& m = *impl_;
  auto answer =
      m.authed("GET", m.url.versioned("user/nodes/params?node_id=" + percent_encode(node_id)),
               std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return std::move(answer->body);
}

Result<RawResponse> Session::create_command_request(const CommandRequestSpec& spec) {
  auto& m = *impl_;
  json::object body;
  json::array ids;
  for (const auto& id : spec.node_ids)
    ids.emplace_back(id);
  body["node_ids"] = std::move(ids);
  body["cmd"] = spec.cmd;
  if (!spec.data_json.empty()) {
    std::error_code ec;
    auto data = json::parse(spec.data_json, ec);
    if (ec)
      return fail(errc::invalid_argument, "the command data is not JSON: " + ec.message());
    body["data"] = std::move(data);
  }
  if (spec.timeout_s)
    body["timeout"] = *spec.timeout_s;
  if (spec.is_base64)
    body["is_base64"] = true;
  if (spec.override_pending)
    body["override"] = true;
  return m.authed("POST", m.url.versioned("user/nodes/cmd"), json::serialize(body),
                  m.options.long_request_timeout);
}

Result<std::string> Session::command_requests(std::string_view request_id, std::string_view node_id,
                                              std::string_view start_id, int num_records) {
  auto& m = *impl_;
  std::string path = "user/nodes/cmd?request_id=" + percent_encode(request_id);
  if (!node_id.empty())
    path += "&node_id=" + percent_encode(node_id);
  if (!start_id.empty())
    path += "&start_id=" + percent_encode(start_id);
  if (num_records > 0)
    path += "&num_records=" + std::to_string(num_records);
  auto answer = m.authed("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return std::move(answer->body);
}

Result<std::vector<SetParamsOutcome>> Session::set_params(const std::vector<NodeParams>& sets) {
  auto& m = *impl_;
  if (sets.empty() || sets.size() > kMaxSetsPerRequest)
    return fail(errc::invalid_argument, "1 to 25 nodes can be set at once");
  json::array body;
  for (const auto& s : sets) {
    auto payload = parse_json(s.payload_json, "the params");
    if (!payload)
      return fail(payload.error());
    if (!payload->is_object()) {
      return fail(errc::invalid_argument,
                  "the params must be a JSON object {\"<Device>\":{\"<Param>\":value}}");
    }
    body.push_back(json::object{{"node_id", s.node_id}, {"payload", std::move(*payload)}});
  }
  auto answer = m.authed("PUT", m.url.versioned("user/nodes/params"), json::serialize(body),
                         m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  std::vector<SetParamsOutcome> outcomes;
  boost::system::error_code ec;
  const auto reply = json::parse(answer->body, ec);
  if (ec || !reply.is_array()) {
    // A non-array 2xx answer means success for every node (spec §4.3, setparams).
    for (const auto& s : sets)
      outcomes.push_back(SetParamsOutcome{s.node_id, true, "success", 0, false});
    return outcomes;
  }
  for (const auto& entry : reply.as_array()) {
    if (!entry.is_object())
      continue;
    const auto& o = entry.as_object();
    SetParamsOutcome out;
    out.node_id = detail::string_or(o, "node_id");
    out.success = detail::string_or(o, "status") == "success";
    out.description = detail::string_or(o, "description");
    out.error_code = static_cast<int>(detail::int_or(o, "error_code"));
    out.queued = detail::bool_or(o, "queued");
    outcomes.push_back(std::move(out));
  }
  return outcomes;
}

Result<std::string> Session::add_mapping(std::string_view node_id, std::string_view secret_key,
                                         std::string_view user_id) {
  auto& m = *impl_;
  json::object body{{"node_id", node_id}, {"secret_key", secret_key}, {"operation", "add"}};
  if (const auto uid = m.user_id_or(user_id); !uid.empty())
    body["user_id"] = uid;
  auto answer = m.authed("PUT", m.url.versioned("user/nodes/mapping"), json::serialize(body),
                         m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto o = detail::parse_object(answer->body, "PUT /v1/user/nodes/mapping");
  if (!o)
    return fail(o.error());
  auto request_id = detail::string_or(*o, "request_id");
  if (request_id.empty())
    return fail(errc::internal, "PUT /v1/user/nodes/mapping: the answer has no request_id");
  return request_id;
}

Result<void> Session::remove_mapping(std::string_view node_id, std::string_view user_id) {
  auto& m = *impl_;
  json::object body{{"node_id", node_id}, {"secret_key", ""}, {"operation", "remove"}};
  if (const auto uid = m.user_id_or(user_id); !uid.empty())
    body["user_id"] = uid;
  return m
      .authed("PUT", m.url.versioned("user/nodes/mapping"), json::serialize(body),
              m.options.request_timeout)
      .transform([](const RawResponse&) {});
}

Result<MappingStatus> Session::mapping_status(std::string_view request_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET", m.url.versioned("user/nodes/mapping?request_id=" + percent_encode(request_id)),
      std::nullopt, m.options.request_timeout, "GET /v1/user/nodes/mapping");
  if (!o)
    return fail(o.error());
  const auto status = detail::string_or(*o, "request_status");
  if (status == "requested")
    return MappingStatus::requested;
  if (status == "confirmed")
    return MappingStatus::confirmed;
  if (status == "timedout" || status == "timeout")
    return MappingStatus::timedout;
  if (status == "discarded")
    return MappingStatus::discarded;
  return fail(errc::internal, "unknown mapping status \"" + status + "\"");
}

namespace {

json::array tags_array(const std::vector<std::string>& tags) {
  json::array list;
  for (const auto& t : tags)
    list.emplace_back(t);
  return list;
}

}  // namespace

Result<void> Session::add_tags(std::string_view node_id, const std::vector<std::string>& tags) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{{"tags", tags_array(tags)}});
  return m
      .authed("PUT", m.url.versioned("user/nodes?node_id=" + percent_encode(node_id)), body,
              m.options.request_timeout)
      .transform([](const RawResponse&) {});
}

Result<void> Session::remove_tags(std::string_view node_id, const std::vector<std::string>& tags) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{{"tags", tags_array(tags)}});
  return m
      .authed("DELETE", m.url.versioned("user/nodes?node_id=" + percent_encode(node_id)), body,
              m.options.request_timeout)
      .transform([](const RawResponse&) {});
}

Result<void> Session::set_metadata(std::string_view node_id, std::string_view metadata_json) {
  auto& m = *impl_;
  auto metadata = parse_json(metadata_json, "the metadata");
  if (!metadata)
    return fail(metadata.error());
  if (!metadata->is_object())
    return fail(errc::invalid_argument, "the metadata must be a JSON object");
  const auto body = json::serialize(json::object{{"metadata", std::move(*metadata)}});
  return m
      .authed("PUT", m.url.versioned("user/nodes?node_id=" + percent_encode(node_id)), body,
              m.options.request_timeout)
      .transform([](const RawResponse&) {});
}

Result<void> Session::delete_metadata(std::string_view node_id, std::optional<std::string> key) {
  auto& m = *impl_;
  json::object body;
  if (key) {
    body["metadata"] = json::object{{*key, nullptr}};
  } else {
    body["metadata"] = nullptr;
  }
  return m
      .authed("PUT", m.url.versioned("user/nodes?node_id=" + percent_encode(node_id)),
              json::serialize(body), m.options.request_timeout)
      .transform([](const RawResponse&) {});
}

Result<std::string> Session::claim_initiate(std::string_view mac_addr, std::string_view platform) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{{"mac_addr", mac_addr}, {"platform", platform}});
  auto answer =
      m.authed("POST", m.url.unversioned("claim/initiate"), body, m.options.long_request_timeout);
  if (!answer)
    return fail(answer.error());
  auto o = detail::parse_object(answer->body, "POST /claim/initiate");
  if (!o)
    return fail(o.error());
  auto node_id = detail::string_or(*o, "node_id");
  if (node_id.empty())
    return fail(errc::internal, "POST /claim/initiate: the answer has no node_id");
  return node_id;
}

Result<ClaimedCertificate> Session::claim_verify(std::string_view csr_pem) {
  auto& m = *impl_;
  const auto body = json::serialize(json::object{{"csr", csr_pem}});
  auto answer =
      m.authed("POST", m.url.unversioned("claim/verify"), body, m.options.long_request_timeout);
  if (!answer)
    return fail(answer.error());
  auto o = detail::parse_object(answer->body, "POST /claim/verify");
  if (!o)
    return fail(o.error());
  ClaimedCertificate issued;
  issued.certificate_pem = detail::string_or(*o, "certificate");
  issued.mqtt_host = detail::string_or(*o, "mqtt_host");
  const auto port = detail::int_or(*o, "mqtt_port");
  if (port > 0 && port <= 65535)
    issued.mqtt_port = static_cast<std::uint16_t>(port);
  issued.ca_certificate_pem = detail::string_or(*o, "ca_certificate");
  if (issued.certificate_pem.empty())
    return fail(errc::internal, "POST /claim/verify: the answer has no certificate");
  return issued;
}

}  // namespace stratus::client
