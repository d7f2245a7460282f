#include "client/session.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <system_error>

#include "client/detail/transport.hpp"
#include "client/errors.hpp"
#include "client/jwt.hpp"
#include "proto/mfg_csv.hpp"
#include "proto/rest/admin.hpp"
#include "proto/rest/admin_mfg.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"
#include "proto/rest/limits.hpp"
#include "proto/rest/ota.hpp"
#include "proto/rest/ota_params.hpp"

namespace stratus::client {
namespace {

namespace json = boost::json;
namespace rest = proto::rest;

constexpr std::size_t kMaxPages = 10000;
// Page size of the OTA listings that follow `next_id`: the largest the server allows.
constexpr int kOtaPageSize = static_cast<int>(proto::rest::limits::kMaxPageSize);

std::string page_query(std::string_view start_id, int num_records) {
  std::string query;
  if (!start_id.empty())
    query += "&start_id=" + percent_encode(start_id);
  if (num_records > 0)
    query += "&num_records=" + std::to_string(num_records);
  return query;
}

Result<json::value> parse_json(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec)
    return fail(errc::invalid_argument, std::string(what) + " is not valid JSON: " + ec.message());
  return v;
}

std::string body_text(const json::value& body) {
  return json::serialize(body);
}

}  // namespace

// A 2xx answer.
struct Answer {
  int status = 0;
  std::string body;
};

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

  // One request; non-2xx answers become errors. The token is added here, so that a
  // retry after a refresh sends the new one.
  Result<Answer> perform(detail::HttpRequest request, bool with_token) {
    if (with_token)
      request.headers.push_back("Authorization: " + tokens.access_token);
    auto reply = transport.perform(request);
    if (!reply)
      return fail(reply.error());
    last_body = reply->body;
    if (reply->status < 200 || reply->status > 299)
      return fail(error_from_response(reply->status, reply->body));
    return Answer{reply->status, std::move(reply->body)};
  }

  static detail::HttpRequest request_of(std::string_view method, std::string full_url,
                                        std::optional<std::string> body, bool json_type,
                                        std::chrono::milliseconds timeout) {
    detail::HttpRequest request;
    request.method = std::string(method);
    request.url = std::move(full_url);
    request.has_body = body.has_value();
    if (body)
      request.body = std::move(*body);
    if (json_type)
      request.headers.emplace_back("Content-Type: application/json");
    request.timeout = timeout;
    return request;
  }

  Result<Answer> send(std::string_view method, std::string full_url,
                      std::optional<std::string> body, bool with_token, bool json_type,
                      std::chrono::milliseconds timeout) {
    return perform(request_of(method, std::move(full_url), std::move(body), json_type, timeout),
                   with_token);
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
    auto object = rest::parse_answer(versions->body, "GET /apiversions");
    if (!object)
      return fail(object.error());
    const auto listed = rest::parse_api_versions(*object).supported_versions;
    if (std::find(listed.begin(), listed.end(), "v1") == listed.end()) {
      return fail(errc::unavailable, url.root + " does not support RainMaker API v1");
    }
    const std::string body =
        body_text(rest::to_json(rest::LoginRequest{{}, {}, tokens.refresh_token}));
    auto answer = send("POST", url.versioned("login2"), body, false, true, options.request_timeout);
    if (!answer) {
      auto e = answer.error();
      if (e.code == errc::unauthenticated || e.code == errc::invalid_argument ||
          e.code == errc::not_found) {
        e.code = errc::unauthenticated;
      }
      return fail(std::move(e));
    }
    auto fresh = rest::parse_answer(answer->body, "POST /v1/login2");
    if (!fresh)
      return fail(fresh.error());
    auto renewed = rest::parse_tokens(*fresh, false);
    if (!renewed)
      return fail(renewed.error());
    tokens.access_token = std::move(renewed->access_token);
    tokens.id_token = std::move(renewed->id_token);
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
    return rest::parse_answer(answer->body, what);
  }

  Result<Answer> authed(std::string_view method, std::string full_url,
                        std::optional<std::string> body, std::chrono::milliseconds timeout) {
    return authed_request(request_of(method, std::move(full_url), std::move(body), true, timeout));
  }

  // `request` with the access token: refreshed first when it is about to expire, and
  // once more after a 401 that says it is no longer valid.
  Result<Answer> authed_request(const detail::HttpRequest& request) {
    if (tokens.access_token.empty() || tokens.refresh_token.empty())
      return fail(errc::unauthenticated, "not logged in");
    bool refreshed = false;
    if (needs_refresh()) {
      if (auto r = refresh(); !r)
        return fail(r.error());
      refreshed = true;
    }
    auto answer = perform(request, true);
    if (!answer && !refreshed && answer.error().code == errc::unauthenticated &&
        answer.error().reason == rest::account_error::access_token_invalid) {
      if (auto r = refresh(); !r)
        return fail(r.error());
      answer = perform(request, true);
    }
    return answer;
  }

  // `PUT|DELETE v1/user/nodes?node_id=` with `update`.
  Result<void> update_node(std::string_view method, std::string_view node_id,
                           const rest::NodeUpdate& update) {
    return authed(method, url.versioned("user/nodes?node_id=" + percent_encode(node_id)),
                  body_text(rest::to_json(update)), options.request_timeout)
        .transform([](const Answer&) {});
  }

  std::string user_id_or(std::string_view given) const {
    if (!given.empty())
      return std::string(given);
    auto claims = decode_token_claims(tokens.id_token);
    return claims ? claims->user_id : std::string();
  }
};

std::chrono::milliseconds upload_timeout(const SessionOptions& options, std::uint64_t bytes) {
  if (options.upload_bytes_per_second == 0)
    return options.long_request_timeout;
  const std::uint64_t seconds =
      (bytes + options.upload_bytes_per_second - 1) / options.upload_bytes_per_second;
  return options.long_request_timeout +
         std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::seconds(static_cast<std::chrono::seconds::rep>(seconds)));
}

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

Result<std::vector<std::string>> Session::api_versions() {
  auto& m = *impl_;
  auto answer = m.send("GET", m.url.unversioned("apiversions"), std::nullopt, false, false,
                       m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto object = rest::parse_answer(answer->body, "GET /apiversions");
  if (!object)
    return fail(object.error());
  return rest::parse_api_versions(*object).supported_versions;
}

Result<std::string> Session::metrics() {
  auto& m = *impl_;
  auto answer = m.send("GET", m.url.unversioned("metrics"), std::nullopt, false, false,
                       m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return std::move(answer->body);
}

Result<MqttHost> Session::mqtt_host() {
  auto& m = *impl_;
  auto answer = m.send("GET", m.url.unversioned("mqtt_host"), std::nullopt, false, false,
                       m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto object = rest::parse_answer(answer->body, "GET /mqtt_host");
  if (!object)
    return fail(object.error());
  return rest::parse_mqtt_host(*object);
}

Result<void> Session::sign_up(std::string_view user_name, std::string_view password) {
  auto& m = *impl_;
  const auto body = body_text(
      rest::to_json(rest::SignUpRequest{std::string(user_name), std::string(password), {}}));
  return m.send("POST", m.url.versioned("user2"), body, false, true, m.options.long_request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::confirm_sign_up(std::string_view user_name, std::string_view code) {
  auto& m = *impl_;
  const auto body =
      body_text(rest::to_json(rest::SignUpRequest{std::string(user_name), {}, std::string(code)}));
  return m.send("POST", m.url.versioned("user2"), body, false, true, m.options.long_request_timeout)
      .transform([](const Answer&) {});
}

Result<Tokens> Session::login(std::string_view user_name, std::string_view password) {
  auto& m = *impl_;
  const auto body = body_text(
      rest::to_json(rest::LoginRequest{std::string(user_name), std::string(password), {}}));
  auto answer =
      m.send("POST", m.url.versioned("login2"), body, false, true, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  auto object = rest::parse_answer(answer->body, "POST /v1/login2");
  if (!object)
    return fail(object.error());
  auto tokens = rest::parse_tokens(*object, true);
  if (!tokens)
    return fail(tokens.error());
  m.tokens = *tokens;
  if (m.on_tokens)
    m.on_tokens(m.tokens);
  return tokens;
}

Result<void> Session::refresh() {
  return impl_->refresh();
}

Result<void> Session::forgot_password(std::string_view user_name) {
  auto& m = *impl_;
  const auto body =
      body_text(rest::to_json(rest::ForgotPasswordRequest{std::string(user_name), {}, {}}));
  return m
      .send("PUT", m.url.versioned("forgotpassword2"), body, false, true,
            m.options.long_request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::reset_password(std::string_view user_name, std::string_view new_password,
                                     std::string_view code) {
  auto& m = *impl_;
  const auto body = body_text(rest::to_json(rest::ForgotPasswordRequest{
      std::string(user_name), std::string(new_password), std::string(code)}));
  return m
      .send("PUT", m.url.versioned("forgotpassword2"), body, false, true,
            m.options.long_request_timeout)
      .transform([](const Answer&) {});
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
  auto o = m.authed_object("GET", m.url.versioned("user2"), std::nullopt, m.options.request_timeout,
                           "GET /v1/user2");
  if (!o)
    return fail(o.error());
  return rest::parse_user_info(*o);
}

Result<UserInfo> Session::update_user(const UserUpdate& update) {
  auto& m = *impl_;
  auto o = m.authed_object("PUT", m.url.versioned("user2"), body_text(rest::to_json(update)),
                           m.options.request_timeout, "PUT /v1/user2");
  if (!o)
    return fail(o.error());
  return rest::parse_user_info(*o);
}

Result<NodePage> Session::list_node_ids(std::string_view start_id, int num_records) {
  auto& m = *impl_;
  std::string path = "user/nodes";
  const std::string query = page_query(start_id, num_records);
  if (!query.empty())
    path += "?" + query.substr(1);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/user/nodes");
  if (!o)
    return fail(o.error());
  return rest::parse_node_page(*o);
}

Result<std::vector<std::string>> Session::all_node_ids() {
  std::vector<std::string> ids;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    auto page = list_node_ids(start);
    if (!page)
      return fail(page.error());
    for (auto& id : page->node_ids)
      ids.push_back(std::move(id));
    if (page->next_id.empty() || page->next_id == start)
      return ids;
    start = std::move(page->next_id);
  }
  return fail(errc::internal, "GET /v1/user/nodes: too many pages");
}

Result<NodePage> Session::list_node_details(std::string_view start_id, int num_records) {
  auto& m = *impl_;
  const std::string path = "user/nodes?node_details=true" + page_query(start_id, num_records);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/user/nodes");
  if (!o)
    return fail(o.error());
  return rest::parse_node_page(*o);
}

Result<std::vector<NodeDetails>> Session::node_details(std::optional<std::string> node_id) {
  auto& m = *impl_;
  if (node_id) {
    const std::string path = "user/nodes?node_details=true&node_id=" + percent_encode(*node_id);
    auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                             "GET /v1/user/nodes");
    if (!o)
      return fail(o.error());
    auto page = rest::parse_node_page(*o);
    if (page.node_details.empty()) {
      return fail(errc::not_found, rest::node_error::node_not_found,
                  "node " + *node_id + " not found");
    }
    return std::move(page.node_details);
  }
  std::vector<NodeDetails> nodes;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    auto page = list_node_details(start);
    if (!page)
      return fail(page.error());
    for (auto& n : page->node_details)
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
  return rest::parse_node_status(*o);
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

Result<AlertPage> Session::alerts(const AlertQuery& query) {
  auto& m = *impl_;
  std::string path = "user/nodes/alerts?node_id=" + percent_encode(query.node_id);
  if (query.start_time)
    path += "&start_time=" + std::to_string(*query.start_time);
  if (query.end_time)
    path += "&end_time=" + std::to_string(*query.end_time);
  if (query.start_id)
    path += "&start_id=" + std::to_string(*query.start_id);
  path += "&num_records=" + std::to_string(query.num_records);
  auto answer = m.authed("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return rest::parse_alert_page(answer->body);
}

Result<std::string> Session::add_webhook(const WebhookRequest& request) {
  auto& m = *impl_;
  auto o =
      m.authed_object("POST", m.url.versioned("user/webhooks"), rest::webhook_request_json(request),
                      m.options.request_timeout, "POST /v1/user/webhooks");
  if (!o)
    return fail(o.error());
  auto id = rest::string_or(*o, "webhook_id");
  if (id.empty())
    return fail(errc::internal, "POST /v1/user/webhooks: the answer has no webhook_id");
  return id;
}

Result<std::vector<WebhookInfo>> Session::webhooks() {
  auto& m = *impl_;
  auto answer =
      m.authed("GET", m.url.versioned("user/webhooks"), std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return rest::parse_webhook_list(answer->body);
}

Result<void> Session::remove_webhook(std::string_view webhook_id) {
  auto& m = *impl_;
  auto answer =
      m.authed("DELETE", m.url.versioned("user/webhooks?webhook_id=" + percent_encode(webhook_id)),
               std::nullopt, m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  return {};
}

Result<std::string> Session::fresh_access_token() {
  auto& m = *impl_;
  if (m.tokens.access_token.empty() || m.tokens.refresh_token.empty())
    return fail(errc::unauthenticated, "not logged in");
  if (m.needs_refresh()) {
    if (auto r = m.refresh(); !r)
      return fail(r.error());
  }
  return m.tokens.access_token;
}

Result<CommandCreated> Session::create_command_request(const CommandRequest& request) {
  auto& m = *impl_;
  auto o =
      m.authed_object("POST", m.url.versioned("user/nodes/cmd"), body_text(rest::to_json(request)),
                      m.options.long_request_timeout, "POST /v1/user/nodes/cmd");
  if (!o)
    return fail(o.error());
  return rest::parse_command_created(*o);
}

Result<CommandPage> Session::command_requests(std::string_view request_id, std::string_view node_id,
                                              std::string_view start_id, int num_records) {
  auto& m = *impl_;
  std::string path = "user/nodes/cmd?request_id=" + percent_encode(request_id);
  if (!node_id.empty())
    path += "&node_id=" + percent_encode(node_id);
  path += page_query(start_id, num_records);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/user/nodes/cmd");
  if (!o)
    return fail(o.error());
  return rest::parse_command_page(*o);
}

Result<TsDataAnswer> Session::tsdata(const TsDataQuery& query) {
  auto& m = *impl_;
  const std::string_view resource = query.simple ? "user/nodes/simple_tsdata" : "user/nodes/tsdata";
  std::string path(resource);
  char separator = '?';
  for (const auto& [name, value] : rest::to_query(query)) {
    path += separator + name + "=" + percent_encode(value);
    separator = '&';
  }
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/" + std::string(resource));
  if (!o)
    return fail(o.error());
  return rest::parse_tsdata_answer(*o);
}

Result<std::vector<SetOutcome>> Session::set_params(const std::vector<NodeParams>& sets) {
  auto& m = *impl_;
  if (sets.empty() || sets.size() > rest::limits::kMaxSetsPerRequest) {
    return fail(errc::invalid_argument, "1 to " + std::to_string(rest::limits::kMaxSetsPerRequest) +
                                            " nodes can be set at once");
  }
  std::vector<json::object> payloads;
  payloads.reserve(sets.size());
  std::vector<rest::ParamsSet> batch;
  std::vector<std::string> node_ids;
  for (const auto& s : sets) {
    auto payload = parse_json(s.payload_json, "the params");
    if (!payload)
      return fail(payload.error());
    if (!payload->is_object()) {
      return fail(errc::invalid_argument,
                  "the params must be a JSON object {\"<Device>\":{\"<Param>\":value}}");
    }
    payloads.push_back(std::move(payload->as_object()));
    batch.push_back(rest::ParamsSet{s.node_id, &payloads.back()});
    node_ids.push_back(s.node_id);
  }
  auto answer = m.authed("PUT", m.url.versioned("user/nodes/params"),
                         body_text(rest::to_json(batch)), m.options.request_timeout);
  if (!answer)
    return fail(answer.error());
  boost::system::error_code ec;
  const auto reply = json::parse(answer->body, ec);
  return rest::parse_set_outcomes(ec ? json::value(nullptr) : reply, node_ids);
}

Result<std::string> Session::add_mapping(std::string_view node_id, std::string_view secret_key,
                                         std::string_view user_id) {
  auto& m = *impl_;
  rest::MappingRequest request{std::string(node_id), std::string(secret_key), "add", {}};
  if (auto uid = m.user_id_or(user_id); !uid.empty())
    request.user_id = std::move(uid);
  auto o = m.authed_object("PUT", m.url.versioned("user/nodes/mapping"),
                           body_text(rest::to_json(request)), m.options.request_timeout,
                           "PUT /v1/user/nodes/mapping");
  if (!o)
    return fail(o.error());
  return rest::parse_mapping_created(*o);
}

Result<void> Session::remove_mapping(std::string_view node_id, std::string_view user_id) {
  auto& m = *impl_;
  rest::MappingRequest request{std::string(node_id), "", "remove", {}};
  if (auto uid = m.user_id_or(user_id); !uid.empty())
    request.user_id = std::move(uid);
  return m
      .authed("PUT", m.url.versioned("user/nodes/mapping"), body_text(rest::to_json(request)),
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<MappingStatus> Session::mapping_status(std::string_view request_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET", m.url.versioned("user/nodes/mapping?request_id=" + percent_encode(request_id)),
      std::nullopt, m.options.request_timeout, "GET /v1/user/nodes/mapping");
  if (!o)
    return fail(o.error());
  return rest::parse_mapping_status(*o);
}

Result<MappingChallenge> Session::mapping_initiate(std::int64_t timeout_s) {
  auto& m = *impl_;
  rest::MappingChallengeRequest request{timeout_s};
  auto o = m.authed_object("POST", m.url.versioned("user/nodes/mapping/initiate"),
                           body_text(rest::to_json(request)), m.options.request_timeout,
                           "POST /v1/user/nodes/mapping/initiate");
  if (!o)
    return fail(o.error());
  return rest::parse_mapping_challenge(*o);
}

Result<void> Session::mapping_verify(std::string_view request_id, std::string_view node_id,
                                     std::string_view signature_hex) {
  auto& m = *impl_;
  rest::MappingVerifyRequest request{std::string(request_id), std::string(node_id),
                                     std::string(signature_hex)};
  return m
      .authed("POST", m.url.versioned("user/nodes/mapping/verify"),
              body_text(rest::to_json(request)), m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::add_tags(std::string_view node_id, const std::vector<std::string>& tags) {
  return impl_->update_node("PUT", node_id, rest::NodeUpdate{tags, nullptr});
}

Result<void> Session::remove_tags(std::string_view node_id, const std::vector<std::string>& tags) {
  return impl_->update_node("DELETE", node_id, rest::NodeUpdate{tags, nullptr});
}

Result<void> Session::set_metadata(std::string_view node_id, std::string_view metadata_json) {
  auto metadata = parse_json(metadata_json, "the metadata");
  if (!metadata)
    return fail(metadata.error());
  if (!metadata->is_object())
    return fail(errc::invalid_argument, "the metadata must be a JSON object");
  return impl_->update_node("PUT", node_id, rest::NodeUpdate{{}, &*metadata});
}

Result<void> Session::delete_metadata(std::string_view node_id, std::optional<std::string> key) {
  json::value metadata = nullptr;
  if (key)
    metadata = json::object{{*key, nullptr}};
  return impl_->update_node("PUT", node_id, rest::NodeUpdate{{}, &metadata});
}

Result<std::string> Session::claim_initiate(std::string_view mac_addr, std::string_view platform) {
  auto& m = *impl_;
  const auto body = body_text(
      rest::to_json(rest::ClaimInitiateRequest{std::string(mac_addr), std::string(platform)}));
  auto o = m.authed_object("POST", m.url.unversioned("claim/initiate"), body,
                           m.options.long_request_timeout, "POST /claim/initiate");
  if (!o)
    return fail(o.error());
  auto initiated = rest::parse_claim_initiated(*o);
  if (!initiated)
    return fail(initiated.error());
  if (initiated->node_id.empty())
    return fail(errc::internal, "POST /claim/initiate: the answer has no node_id");
  return std::move(initiated->node_id);
}

Result<ClaimVerified> Session::claim_verify(std::string_view csr_pem) {
  auto& m = *impl_;
  rest::ClaimVerifyRequest request;
  request.csr = std::string(csr_pem);
  auto o =
      m.authed_object("POST", m.url.unversioned("claim/verify"), body_text(rest::to_json(request)),
                      m.options.long_request_timeout, "POST /claim/verify");
  if (!o)
    return fail(o.error());
  return rest::parse_claim_verified(*o);
}

namespace {

std::string sharing_path(SharingKind kind) {
  return kind == SharingKind::node ? "user/nodes/sharing" : "user/node_group/sharing";
}

// The custom data a user typed must be a JSON object (checked before sending).
Result<void> check_custom_data(const GroupFields& fields) {
  if (!fields.custom_data_json || *fields.custom_data_json == "null")
    return {};
  auto v = parse_json(*fields.custom_data_json, "custom_data");
  if (!v)
    return fail(v.error());
  if (!v->is_object())
    return fail(errc::invalid_argument, "custom_data must be a JSON object");
  return {};
}

}  // namespace

Result<ShareCreated> Session::share(SharingKind kind, const ShareRequest& request) {
  auto& m = *impl_;
  auto o = m.authed_object("PUT", m.url.versioned(sharing_path(kind)),
                           body_text(rest::to_json(request, kind)), m.options.request_timeout,
                           "PUT /v1/" + sharing_path(kind));
  if (!o)
    return fail(o.error());
  return rest::parse_share_created(*o);
}

Result<void> Session::unshare(SharingKind kind, const std::vector<std::string>& ids,
                              std::string_view user_name) {
  auto& m = *impl_;
  std::string list;
  for (const auto& id : ids)
    list += (list.empty() ? "" : ",") + percent_encode(id);
  const std::string query = std::string(kind == SharingKind::node ? "nodes=" : "groups=") + list +
                            "&user_name=" + percent_encode(user_name);
  return m
      .authed("DELETE", m.url.versioned(sharing_path(kind) + "?" + query), std::nullopt,
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<std::vector<SharingUsers>> Session::sharing_users(SharingKind kind, std::string_view id) {
  auto& m = *impl_;
  std::string path = sharing_path(kind);
  if (!id.empty())
    path +=
        std::string(kind == SharingKind::node ? "?node_id=" : "?group_id=") + percent_encode(id);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/" + sharing_path(kind));
  if (!o)
    return fail(o.error());
  return rest::parse_sharing_users(*o, kind);
}

Result<SharingRequestPage> Session::sharing_requests(SharingKind kind, bool sent,
                                                     std::string_view request_id) {
  auto& m = *impl_;
  SharingRequestPage all;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    std::string query = std::string("primary_user=") + (sent ? "true" : "false");
    if (!request_id.empty())
      query += "&request_id=" + percent_encode(request_id);
    if (!start.empty())
      query += "&start_request_id=" + percent_encode(start);
    auto o = m.authed_object("GET", m.url.versioned(sharing_path(kind) + "/requests?" + query),
                             std::nullopt, m.options.request_timeout,
                             "GET /v1/" + sharing_path(kind) + "/requests");
    if (!o)
      return fail(o.error());
    auto page = rest::parse_sharing_request_page(*o, kind);
    for (auto& r : page.requests)
      all.requests.push_back(std::move(r));
    if (page.next_request_id.empty() || page.next_request_id == start)
      return all;
    start = std::move(page.next_request_id);
  }
  return fail(errc::internal, "GET /v1/" + sharing_path(kind) + "/requests: too many pages");
}

Result<void> Session::answer_sharing_request(SharingKind kind, std::string_view request_id,
                                             bool accept) {
  auto& m = *impl_;
  return m
      .authed("PUT", m.url.versioned(sharing_path(kind) + "/requests"),
              body_text(rest::to_json(rest::SharingAnswer{accept, std::string(request_id)})),
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::cancel_sharing_request(SharingKind kind, std::string_view request_id) {
  auto& m = *impl_;
  return m
      .authed("DELETE",
              m.url.versioned(sharing_path(kind) +
                              "/requests?request_id=" + percent_encode(request_id)),
              std::nullopt, m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<std::string> Session::create_group(const GroupFields& fields) {
  if (auto ok = check_custom_data(fields); !ok)
    return fail(ok.error());
  auto& m = *impl_;
  auto o =
      m.authed_object("POST", m.url.versioned("user/node_group"), body_text(rest::to_json(fields)),
                      m.options.request_timeout, "POST /v1/user/node_group");
  if (!o)
    return fail(o.error());
  return rest::parse_group_created(*o);
}

Result<std::string> Session::create_automation(const AutomationFields& fields) {
  auto& m = *impl_;
  auto o = m.authed_object("POST", m.url.versioned("user/node_automation"),
                           body_text(rest::to_json(fields)), m.options.request_timeout,
                           "POST /v1/user/node_automation");
  if (!o)
    return fail(o.error());
  return rest::parse_automation_created(*o);
}

Result<void> Session::update_automation(std::string_view automation_id,
                                        const AutomationFields& fields) {
  auto& m = *impl_;
  return m
      .authed(
          "PUT",
          m.url.versioned("user/node_automation?automation_id=" + percent_encode(automation_id)),
          body_text(rest::to_json(fields)), m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::remove_automation(std::string_view automation_id) {
  auto& m = *impl_;
  return m
      .authed(
          "DELETE",
          m.url.versioned("user/node_automation?automation_id=" + percent_encode(automation_id)),
          std::nullopt, m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<std::vector<Automation>> Session::automations(std::string_view node_id,
                                                     std::string_view automation_id) {
  auto& m = *impl_;
  std::vector<Automation> all;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    std::string query;
    const auto add = [&](std::string_view key, std::string_view value) {
      if (!value.empty())
        query += (query.empty() ? "?" : "&") + std::string(key) + "=" + percent_encode(value);
    };
    add("automation_id", automation_id);
    add("node_id", node_id);
    add("start_id", start);
    auto o = m.authed_object("GET", m.url.versioned("user/node_automation" + query), std::nullopt,
                             m.options.request_timeout, "GET /v1/user/node_automation");
    if (!o)
      return fail(o.error());
    auto page = rest::parse_automation_page(*o);
    for (auto& a : page.automations)
      all.push_back(std::move(a));
    if (page.next_id.empty() || page.next_id == start)
      return all;
    start = std::move(page.next_id);
  }
  return fail(errc::internal, "GET /v1/user/node_automation: too many pages");
}

Result<void> Session::update_group(std::string_view group_id, const GroupFields& fields) {
  if (auto ok = check_custom_data(fields); !ok)
    return ok;
  auto& m = *impl_;
  return m
      .authed("PUT", m.url.versioned("user/node_group?group_id=" + percent_encode(group_id)),
              body_text(rest::to_json(fields)), m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::remove_group(std::string_view group_id) {
  auto& m = *impl_;
  return m
      .authed("DELETE", m.url.versioned("user/node_group?group_id=" + percent_encode(group_id)),
              std::nullopt, m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<GroupPage> Session::list_groups(bool sub_groups) {
  auto& m = *impl_;
  GroupPage all;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    std::string query = sub_groups ? "sub_groups=true" : "";
    if (!start.empty())
      query += std::string(query.empty() ? "" : "&") + "start_id=" + percent_encode(start);
    auto o = m.authed_object(
        "GET", m.url.versioned("user/node_group" + (query.empty() ? "" : "?" + query)),
        std::nullopt, m.options.request_timeout, "GET /v1/user/node_group");
    if (!o)
      return fail(o.error());
    auto page = rest::parse_group_page(*o);
    for (auto& g : page.groups)
      all.groups.push_back(std::move(g));
    all.total = page.total;
    if (page.next_id.empty() || page.next_id == start)
      return all;
    start = std::move(page.next_id);
  }
  return fail(errc::internal, "GET /v1/user/node_group: too many pages");
}

Result<Group> Session::group(std::string_view group_id, bool sub_groups, bool node_list,
                             bool node_details) {
  auto& m = *impl_;
  std::string path = "user/node_group?group_id=" + percent_encode(group_id);
  if (sub_groups)
    path += "&sub_groups=true";
  if (node_details)
    path += "&node_details=true";
  else if (node_list)
    path += "&node_list=true";
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/user/node_group");
  if (!o)
    return fail(o.error());
  auto page = rest::parse_group_page(*o);
  if (page.groups.empty()) {
    return fail(errc::not_found, rest::group_error::group_not_found,
                "group " + std::string(group_id) + " not found");
  }
  return std::move(page.groups.front());
}

// --- OTA -----------------------------------------------------------------------------

namespace {

// "?a=1&b=2" of the pairs whose value is not empty (values percent-encoded); "" for none.
std::string query_of(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string query;
  for (const auto& [name, value] : pairs) {
    if (!value.empty())
      query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percent_encode(value);
  }
  return query;
}

// Follows `next_id` through pages read by `page(start_id)`, appending what `take` moves
// out of each page; `what` names the call in the error for too many pages.
template <typename Item, typename ReadPage, typename Take>
Result<std::vector<Item>> all_pages(ReadPage page, Take take, std::string_view what) {
  std::vector<Item> all;
  std::string start;
  for (std::size_t i = 0; i < kMaxPages; ++i) {
    auto got = page(start);
    if (!got)
      return fail(got.error());
    for (auto& item : take(*got))
      all.push_back(std::move(item));
    if (got->next_id.empty() || got->next_id == start)
      return all;
    start = std::move(got->next_id);
  }
  return fail(errc::internal, std::string(what) + ": too many pages");
}

}  // namespace

Result<OtaImage> Session::upload_ota_image(const OtaImageFile& image) {
  auto& m = *impl_;
  std::error_code ec;
  const auto size = std::filesystem::file_size(image.file, ec);
  if (ec) {
    return fail(ec == std::errc::no_such_file_or_directory ? errc::not_found : errc::unavailable,
                "cannot read " + image.file.string() + ": " + ec.message());
  }
  const std::string path =
      "admin/otaimage/upload" + query_of({{"image_name", image.image_name},
                                          {"fw_version", image.fw_version},
                                          {"model", image.model},
                                          {"type", image.type},
                                          {"project_name", image.project_name}});
  detail::HttpRequest request;
  request.method = "POST";
  request.url = m.url.versioned(path);
  request.body_file = image.file;
  request.headers.emplace_back("Content-Type: application/octet-stream");
  request.timeout = upload_timeout(m.options, size);
  auto answer = m.authed_request(request);
  if (!answer)
    return fail(answer.error());
  auto o = rest::parse_answer(answer->body, "POST /v1/admin/otaimage/upload");
  if (!o)
    return fail(o.error());
  auto stored = rest::parse_ota_image(*o);
  if (stored.ota_image_id.empty())
    return fail(errc::internal, "POST /v1/admin/otaimage/upload: the answer has no ota_image_id");
  return stored;
}

Result<OtaImagePage> Session::ota_images(bool archived, std::string_view start_id,
                                         int num_records) {
  auto& m = *impl_;
  const std::string count = num_records > 0 ? std::to_string(num_records) : std::string();
  const std::string path = "admin/otaimage" + query_of({{"start_id", start_id},
                                                        {"num_records", count},
                                                        {"archived", archived ? "true" : ""}});
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/admin/otaimage");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_image_page(*o);
}

Result<std::vector<OtaImage>> Session::all_ota_images(bool archived) {
  return all_pages<OtaImage>(
      [&](const std::string& start) { return ota_images(archived, start, kOtaPageSize); },
      [](OtaImagePage& page) -> std::vector<OtaImage>& { return page.images; },
      "GET /v1/admin/otaimage");
}

Result<OtaImage> Session::ota_image(std::string_view ota_image_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET", m.url.versioned("admin/otaimage" + query_of({{"ota_image_id", ota_image_id}})),
      std::nullopt, m.options.request_timeout, "GET /v1/admin/otaimage");
  if (!o)
    return fail(o.error());
  auto image = rest::parse_ota_image(*o);
  if (image.ota_image_id.empty()) {
    return fail(errc::not_found, rest::ota_image_error::not_found,
                "OTA image " + std::string(ota_image_id) + " not found");
  }
  return image;
}

Result<void> Session::archive_ota_image(std::string_view ota_image_id, bool archive) {
  auto& m = *impl_;
  const std::string path = "admin/otaimage" + query_of({{"ota_image_id", ota_image_id}}) +
                           (ota_image_id.empty() ? "?" : "&") +
                           "archive=" + (archive ? "true" : "false");
  return m.authed("PUT", m.url.versioned(path), std::nullopt, m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<void> Session::delete_ota_image(std::string_view ota_image_id) {
  auto& m = *impl_;
  return m
      .authed("DELETE",
              m.url.versioned("admin/otaimage" + query_of({{"ota_image_id", ota_image_id}})),
              std::nullopt, m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<std::string> Session::create_ota_job(const NewOtaJob& job) {
  auto& m = *impl_;
  auto o = m.authed_object("POST", m.url.versioned("admin/otajob"), body_text(rest::to_json(job)),
                           m.options.request_timeout, "POST /v1/admin/otajob");
  if (!o)
    return fail(o.error());
  auto id = rest::string_or(*o, "ota_job_id");
  if (id.empty())
    return fail(errc::internal, "POST /v1/admin/otajob: the answer has no ota_job_id");
  return id;
}

Result<OtaJobPage> Session::ota_jobs(std::string_view start_id, int num_records) {
  auto& m = *impl_;
  const std::string count = num_records > 0 ? std::to_string(num_records) : std::string();
  auto o = m.authed_object(
      "GET",
      m.url.versioned("admin/otajob" + query_of({{"start_id", start_id}, {"num_records", count}})),
      std::nullopt, m.options.request_timeout, "GET /v1/admin/otajob");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_job_page(*o);
}

Result<std::vector<OtaJob>> Session::all_ota_jobs() {
  return all_pages<OtaJob>([&](const std::string& start) { return ota_jobs(start, kOtaPageSize); },
                           [](OtaJobPage& page) -> std::vector<OtaJob>& { return page.jobs; },
                           "GET /v1/admin/otajob");
}

Result<OtaJob> Session::ota_job(std::string_view ota_job_id) {
  auto& m = *impl_;
  auto o = m.authed_object("GET",
                           m.url.versioned("admin/otajob" + query_of({{"ota_job_id", ota_job_id}})),
                           std::nullopt, m.options.request_timeout, "GET /v1/admin/otajob");
  if (!o)
    return fail(o.error());
  auto job = rest::parse_ota_job(*o);
  if (job.ota_job_id.empty()) {
    return fail(errc::not_found, rest::ota_job_error::not_found,
                "OTA job " + std::string(ota_job_id) + " not found");
  }
  return job;
}

Result<OtaJob> Session::cancel_ota_job(std::string_view ota_job_id) {
  auto& m = *impl_;
  json::object body{{"ota_job_id", ota_job_id}};
  auto o = m.authed_object("PUT", m.url.versioned("admin/otajob"), body_text(body),
                           m.options.request_timeout, "PUT /v1/admin/otajob");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_job(*o);
}

Result<AdminMqttHost> Session::admin_mqtt_host() {
  auto& m = *impl_;
  auto o = m.authed_object("GET", m.url.versioned("admin/mqtt_host"), std::nullopt,
                           m.options.request_timeout, "GET /v1/admin/mqtt_host");
  if (!o)
    return fail(o.error());
  return rest::parse_admin_mqtt_host(*o);
}

Result<std::string> Session::request_node_ids(std::int64_t node_count) {
  auto& m = *impl_;
  auto o = m.authed_object("POST", m.url.versioned("admin/node_ids"),
                           body_text(rest::to_json(rest::NodeIdsRequest{node_count})),
                           m.options.request_timeout, "POST /v1/admin/node_ids");
  if (!o)
    return fail(o.error());
  auto requested = rest::parse_node_ids_requested(*o);
  if (!requested)
    return fail(requested.error());
  return std::move(requested->request_id);
}

Result<NodeIdsStatus> Session::node_ids_status(std::string_view request_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET", m.url.versioned("admin/node_ids" + query_of({{"request_id", request_id}})),
      std::nullopt, m.options.request_timeout, "GET /v1/admin/node_ids");
  if (!o)
    return fail(o.error());
  return rest::parse_node_ids_status(*o);
}

Result<std::vector<std::string>> Session::download_node_ids(std::string_view url) {
  auto& m = *impl_;
  std::string full(url);
  if (full.starts_with('/'))
    full = m.url.root + full;
  auto answer =
      m.send("GET", std::move(full), std::nullopt, false, false, m.options.long_request_timeout);
  if (!answer)
    return fail(answer.error());
  auto ids = proto::parse_node_id_list(answer->body);
  if (!ids)
    return fail(errc::internal, "node id download: " + ids.error().context);
  return ids;
}

Result<void> Session::resume_ota_job(std::string_view ota_job_id) {
  auto& m = *impl_;
  json::object body{{"ota_job_id", ota_job_id}, {"resume", true}};
  return m
      .authed("PUT", m.url.versioned("admin/otajob"), body_text(body), m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<OtaNodeStatusPage> Session::ota_job_statuses(std::string_view ota_job_id,
                                                    std::string_view node_id,
                                                    std::string_view start_id, int num_records) {
  auto& m = *impl_;
  const std::string count = num_records > 0 ? std::to_string(num_records) : std::string();
  const std::string path = "admin/otajob/status" + query_of({{"ota_job_id", ota_job_id},
                                                             {"node_id", node_id},
                                                             {"start_id", start_id},
                                                             {"num_records", count}});
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/admin/otajob/status");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_node_status_page(*o);
}

Result<std::vector<OtaNodeStatus>> Session::all_ota_job_statuses(std::string_view ota_job_id,
                                                                 std::string_view node_id) {
  return all_pages<OtaNodeStatus>(
      [&](const std::string& start) {
        return ota_job_statuses(ota_job_id, node_id, start, kOtaPageSize);
      },
      [](OtaNodeStatusPage& page) -> std::vector<OtaNodeStatus>& { return page.statuses; },
      "GET /v1/admin/otajob/status");
}

Result<OtaImage> Session::upload_user_ota_image(const OtaImageUpload& upload) {
  auto& m = *impl_;
  auto o =
      m.authed_object("POST", m.url.versioned("user/otaimage"), body_text(rest::to_json(upload)),
                      m.options.long_request_timeout, "POST /v1/user/otaimage");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_image_created(*o);
}

Result<OtaNodeStatus> Session::node_ota_status(std::string_view node_id,
                                               std::string_view ota_job_id) {
  auto& m = *impl_;
  auto o =
      m.authed_object("GET",
                      m.url.versioned("user/nodes/ota_status" +
                                      query_of({{"node_id", node_id}, {"ota_job_id", ota_job_id}})),
                      std::nullopt, m.options.request_timeout, "GET /v1/user/nodes/ota_status");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_node_status(*o);
}

Result<OtaUpdateCheck> Session::ota_update_check(std::string_view node_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET", m.url.versioned("user/nodes/ota_update" + query_of({{"node_id", node_id}})),
      std::nullopt, m.options.request_timeout, "GET /v1/user/nodes/ota_update");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_update_check(*o);
}

Result<void> Session::approve_ota_update(std::string_view node_id, std::string_view ota_job_id) {
  auto& m = *impl_;
  json::object body{{"ota_job_id", ota_job_id}, {"node_id", node_id}};
  return m
      .authed("POST", m.url.versioned("user/nodes/ota_update"), body_text(body),
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<std::optional<OtaParamsService>> Session::ota_params_service(std::string_view node_id) {
  auto config = node_config(node_id);
  if (!config)
    return fail(config.error());
  auto o = rest::parse_answer(*config, "GET /v1/user/nodes/config");
  if (!o)
    return fail(o.error());
  return rest::find_ota_params_service(*o);
}

Result<OtaParamsProgress> Session::ota_params_progress(std::string_view node_id,
                                                       const OtaParamsService& service) {
  auto params = node_params(node_id);
  if (!params)
    return fail(params.error());
  auto o = rest::parse_answer(*params, "GET /v1/user/nodes/params");
  if (!o)
    return fail(o.error());
  return rest::parse_ota_params_progress(*o, service);
}

Result<void> Session::start_ota_params_update(std::string_view node_id,
                                              const OtaParamsService& service,
                                              std::string_view url) {
  if (service.url_param.empty()) {
    return fail(errc::invalid_argument, "the OTA service " + service.name + " has no " +
                                            std::string(rest::kOtaUrlParamType) + " param");
  }
  auto outcomes =
      set_params({NodeParams{std::string(node_id), body_text(rest::ota_url_set(service, url))}});
  if (!outcomes)
    return fail(outcomes.error());
  for (const auto& r : *outcomes) {
    if (!r.success) {
      return fail(errc::invalid_argument, r.error_code,
                  r.description.empty() ? "the node refused the OTA URL" : r.description);
    }
  }
  return {};
}

// --- manufacturing and revocation ------------------------------------------------

Result<rest::UploadUrlAnswer> Session::certificate_upload_url(std::string_view file_name) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET",
      m.url.versioned("admin/node_certificates/register?file_name=" + percent_encode(file_name)),
      std::nullopt, m.options.request_timeout, "GET /v1/admin/node_certificates/register");
  if (!o)
    return fail(o.error());
  return rest::parse_upload_url(*o);
}

Result<void> Session::put_to_signed_url(const std::string& url, std::string bytes) {
  auto& m = *impl_;
  const auto timeout = upload_timeout(m.options, bytes.size());
  auto request = Impl::request_of("PUT", url, std::move(bytes), false, timeout);
  request.headers.emplace_back("Content-Type: application/octet-stream");
  return m.perform(request, false).transform([](const Answer&) {});
}

Result<std::string> Session::register_certificates(
    const rest::CertificateRegistration& registration) {
  auto& m = *impl_;
  auto o = m.authed_object("POST", m.url.versioned("admin/node_certificates/register"),
                           body_text(rest::to_json(registration)), m.options.request_timeout,
                           "POST /v1/admin/node_certificates/register");
  if (!o)
    return fail(o.error());
  auto id = rest::string_or(*o, "request_id");
  if (id.empty())
    return fail(errc::internal, "POST /v1/admin/node_certificates/register: no request_id");
  return id;
}

Result<rest::RegistrationStatusAnswer> Session::certificate_registration_status(
    std::string_view request_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "GET",
      m.url.versioned("admin/node_certificates/register?request_id=" + percent_encode(request_id)),
      std::nullopt, m.options.request_timeout, "GET /v1/admin/node_certificates/register");
  if (!o)
    return fail(o.error());
  return rest::parse_registration_status(*o);
}

Result<rest::CaCertificateAnswer> Session::register_ca_certificate(std::string_view pem) {
  auto& m = *impl_;
  auto o = m.authed_object("POST", m.url.versioned("admin/cacert"),
                           body_text(json::object{{"certificate", pem}}), m.options.request_timeout,
                           "POST /v1/admin/cacert");
  if (!o)
    return fail(o.error());
  return rest::parse_ca_certificate(*o);
}

Result<std::int64_t> Session::revoke_node(std::string_view node_id, std::string_view reason) {
  auto& m = *impl_;
  auto o = m.authed_object("POST", m.url.versioned("admin/nodes/revoke"),
                           body_text(rest::to_json(rest::NodeRevocationRequest{
                               std::string(node_id), std::string(reason)})),
                           m.options.request_timeout, "POST /v1/admin/nodes/revoke");
  if (!o)
    return fail(o.error());
  return rest::int_or(*o, "revoked_certificates");
}

Result<void> Session::allow_node_reclaim(std::string_view node_id) {
  auto& m = *impl_;
  return m
      .authed("POST", m.url.versioned("admin/nodes/allow_reclaim"),
              body_text(rest::to_json(rest::NodeRevocationRequest{std::string(node_id), {}})),
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<rest::RevokedPage> Session::revoked_certificates(std::string_view node_id,
                                                        std::int64_t start, int num_records) {
  auto& m = *impl_;
  std::string path = "admin/nodes/revoked?start=" + std::to_string(start);
  if (!node_id.empty())
    path += "&node_id=" + percent_encode(node_id);
  if (num_records > 0)
    path += "&num_records=" + std::to_string(num_records);
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/admin/nodes/revoked");
  if (!o)
    return fail(o.error());
  return rest::parse_revoked_page(*o);
}

// --- fleet administration and audit ----------------------------------------------------

Result<FleetNodePage> Session::fleet_nodes(const FleetNodeQuery& q) {
  auto& m = *impl_;
  const std::string count = q.num_records > 0 ? std::to_string(q.num_records) : std::string();
  const std::string online = q.online ? (*q.online ? "true" : "false") : "";
  const std::string path = "admin/nodes" + query_of({{"model", q.model},
                                                     {"type", q.type},
                                                     {"fw_version", q.fw_version},
                                                     {"user", q.user},
                                                     {"id_prefix", q.id_prefix},
                                                     {"online", online},
                                                     {"start_id", q.start_id},
                                                     {"num_records", count}});
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/admin/nodes");
  if (!o)
    return fail(o.error());
  return rest::parse_fleet_node_page(*o);
}

Result<FleetNodeDetail> Session::fleet_node(std::string_view node_id) {
  auto& m = *impl_;
  auto o = m.authed_object("GET", m.url.versioned("admin/nodes" + query_of({{"node_id", node_id}})),
                           std::nullopt, m.options.request_timeout, "GET /v1/admin/nodes");
  if (!o)
    return fail(o.error());
  auto detail = rest::parse_fleet_node_detail(*o);
  if (detail.node.node_id.empty()) {
    return fail(errc::not_found, rest::admin_error::node_not_found,
                "node " + std::string(node_id) + " not found");
  }
  return detail;
}

Result<std::vector<WirepasCredential>> Session::wirepas_credentials() {
  auto& m = *impl_;
  auto o = m.authed_object("GET", m.url.versioned("admin/wirepas/credentials"), std::nullopt,
                           m.options.request_timeout, "GET /v1/admin/wirepas/credentials");
  if (!o)
    return fail(o.error());
  return rest::parse_wirepas_credentials(*o);
}

Result<IssuedWirepasCredential> Session::add_wirepas_credential(std::string_view role,
                                                                std::string_view name) {
  auto& m = *impl_;
  const rest::WirepasCredentialRequest body{std::string(role), std::string(name)};
  auto o = m.authed_object("POST", m.url.versioned("admin/wirepas/credentials"),
                           body_text(rest::to_json(body)), m.options.request_timeout,
                           "POST /v1/admin/wirepas/credentials");
  if (!o)
    return fail(o.error());
  auto issued = rest::parse_issued_wirepas_credential(*o);
  if (issued.password.empty())
    return fail(errc::internal, "POST /v1/admin/wirepas/credentials: no password in the answer");
  return issued;
}

Result<void> Session::remove_wirepas_credential(std::string_view name) {
  auto& m = *impl_;
  return m
      .authed("DELETE", m.url.versioned("admin/wirepas/credentials" + query_of({{"name", name}})),
              std::nullopt, m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<std::int64_t> Session::unmap_node(std::string_view node_id) {
  auto& m = *impl_;
  auto o = m.authed_object(
      "DELETE", m.url.versioned("admin/nodes/mapping" + query_of({{"node_id", node_id}})),
      std::nullopt, m.options.request_timeout, "DELETE /v1/admin/nodes/mapping");
  if (!o)
    return fail(o.error());
  return rest::int_or(*o, "users_removed");
}

Result<void> Session::set_primary_user(std::string_view node_id, std::string_view user) {
  auto& m = *impl_;
  const rest::SetPrimaryRequest body{std::string(node_id), std::string(user)};
  return m
      .authed("PUT", m.url.versioned("admin/nodes/primary"), body_text(rest::to_json(body)),
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<UserPage> Session::admin_users(std::string_view start_id, int num_records) {
  auto& m = *impl_;
  const std::string count = num_records > 0 ? std::to_string(num_records) : std::string();
  auto o = m.authed_object(
      "GET",
      m.url.versioned("admin/users" + query_of({{"start_id", start_id}, {"num_records", count}})),
      std::nullopt, m.options.request_timeout, "GET /v1/admin/users");
  if (!o)
    return fail(o.error());
  return rest::parse_user_page(*o);
}

Result<void> Session::set_user_disabled(std::string_view user, bool disabled) {
  auto& m = *impl_;
  const rest::UserStatusRequest body{std::string(user), disabled};
  return m
      .authed("PUT", m.url.versioned("admin/users/status"), body_text(rest::to_json(body)),
              m.options.request_timeout)
      .transform([](const Answer&) {});
}

Result<UserSummary> Session::set_user_quota(std::string_view user,
                                            std::optional<std::int64_t> quota) {
  auto& m = *impl_;
  const rest::UserQuotaRequest body{std::string(user), quota};
  auto o =
      m.authed_object("PUT", m.url.versioned("admin/users/quota"), body_text(rest::to_json(body)),
                      m.options.request_timeout, "PUT /v1/admin/users/quota");
  if (!o)
    return fail(o.error());
  return rest::parse_user_summary(*o);
}

Result<AuditPage> Session::audit_log(const AuditQuery& q) {
  auto& m = *impl_;
  const std::string count = q.num_records > 0 ? std::to_string(q.num_records) : std::string();
  const std::string from = q.from_s ? std::to_string(*q.from_s) : std::string();
  const std::string to = q.to_s ? std::to_string(*q.to_s) : std::string();
  const std::string path = "admin/audit" + query_of({{"actor", q.actor},
                                                     {"object", q.object},
                                                     {"action", q.action},
                                                     {"from", from},
                                                     {"to", to},
                                                     {"start_id", q.start_id},
                                                     {"num_records", count}});
  auto o = m.authed_object("GET", m.url.versioned(path), std::nullopt, m.options.request_timeout,
                           "GET /v1/admin/audit");
  if (!o)
    return fail(o.error());
  return rest::parse_audit_page(*o);
}

}  // namespace stratus::client
