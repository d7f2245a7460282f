#include "api/command_routes.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <tuple>

#include "api/detail/handlers.hpp"
#include "api/errors.hpp"
#include "api/json_body.hpp"
#include "core/base64.hpp"

namespace stratus::api {
namespace {

namespace json = boost::json;
namespace code = service::command_error;
using detail::authed;
using detail::on_pool;
using service::Principal;

Error bad(int reason, std::string text) {
  return Error{errc::invalid_argument, std::move(text), reason};
}

// A JSON integer (int64, or uint64 that fits); nullopt for anything else.
std::optional<std::int64_t> integer(const json::value& v) {
  if (v.is_int64())
    return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.as_uint64());
  return std::nullopt;
}

Result<bool> optional_bool(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null())
    return false;
  if (!v->is_bool())
    return fail(bad(100006, "invalid request body: " + std::string(key) + " must be a boolean"));
  return v->as_bool();
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    if (c < 0x80)
      n = 0;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
      n = 1;
    else if ((c & 0xF0) == 0xE0)
      n = 2;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
      n = 3;
    else
      return false;
    if (i + n >= s.size() && n > 0)
      return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    }
    i += n + 1;
  }
  return true;
}

json::value data_json(const std::string& bytes, bool is_base64) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (!ec)
    return v;
  if (is_base64 || !valid_utf8(bytes))
    return json::string(base64_encode(bytes));
  return json::string(bytes);
}

}  // namespace

Result<service::NewCommand> parse_new_command(std::string_view text) {
  auto body = parse_object(text);
  if (!body)
    return fail(body.error());
  const auto& o = *body;
  service::NewCommand c;
  if (const auto* ids = o.if_contains("node_ids"); ids != nullptr && !ids->is_null()) {
    if (!ids->is_array())
      return fail(bad(100006, "invalid request body: node_ids must be an array of strings"));
    for (const auto& id : ids->as_array()) {
      if (!id.is_string())
        return fail(bad(100006, "invalid request body: node_ids must be an array of strings"));
      c.node_ids.emplace_back(id.as_string());
    }
  }
  const auto* cmd = o.if_contains("cmd");
  const auto cmd_value = cmd != nullptr ? integer(*cmd) : std::nullopt;
  if (!cmd_value)
    return fail(bad(code::invalid_cmd, "cmd must be an integer between 0 and 65535"));
  c.cmd = *cmd_value;
  auto is_base64 = optional_bool(o, "is_base64");
  if (!is_base64)
    return fail(is_base64.error());
  c.is_base64 = *is_base64;
  auto override_pending = optional_bool(o, "override");
  if (!override_pending)
    return fail(override_pending.error());
  c.override_pending = *override_pending;
  if (const auto* data = o.if_contains("data"); data != nullptr && !data->is_null()) {
    if (c.is_base64) {
      if (!data->is_string())
        return fail(bad(code::invalid_data, "data must be a base64 string when is_base64 is true"));
      auto bytes = base64_decode(data->as_string());
      if (!bytes)
        return fail(bad(code::invalid_base64, "data is not valid base64"));
      c.data = std::move(*bytes);
    } else if (data->is_string()) {
      c.data = std::string(data->as_string());
    } else if (data->is_object() || data->is_array()) {
      c.data = json::serialize(*data);
    } else {
      return fail(bad(code::invalid_data, "data must be a JSON object, array or string"));
    }
  }
  if (const auto* timeout = o.if_contains("timeout"); timeout != nullptr && !timeout->is_null()) {
    const auto t = integer(*timeout);
    if (!t)
      return fail(
          bad(code::invalid_timeout, "timeout must be between 1 and 2592000 seconds, or -1"));
    c.timeout_s = *t;
  }
  return c;
}

namespace {

json::object outcome_response(const service::CommandNodeOutcome& o) {
  if (o.sent)
    return json::object{{"status", "success"}, {"description", o.description}};
  return json::object{
      {"status", "failure"}, {"error_code", o.error_code}, {"description", o.description}};
}

http::Response create(service::CommandService& commands, const http::Request& r,
                      const Principal& who) {
  auto command = parse_new_command(r.body);
  if (!command)
    return error_response(command.error());
  auto created = commands.create(who, *command);
  if (!created)
    return error_response(created.error());
  if (created->all_sent()) {
    return http::json_response(
        200,
        json::serialize(json::object{{"request_id", created->request_id}, {"status", "success"}}));
  }
  // Nodes with identical outcomes share one entry, in the order they first appear.
  using Key = std::tuple<bool, int, std::string>;
  std::map<Key, std::size_t> group_of;
  json::array responses;
  for (const auto& o : created->outcomes) {
    const Key key{o.sent, o.error_code, o.description};
    auto it = group_of.find(key);
    if (it == group_of.end()) {
      it = group_of.emplace(key, responses.size()).first;
      responses.push_back(
          json::object{{"node_ids", json::array{}}, {"response", outcome_response(o)}});
    }
    responses[it->second].as_object()["node_ids"].as_array().push_back(json::string(o.node_id));
  }
  return http::json_response(207,
                             json::serialize(json::object{{"request_id", created->request_id},
                                                          {"responses", std::move(responses)}}));
}

Result<std::optional<std::int64_t>> query_int(const http::Request& r, std::string_view name) {
  const auto v = r.query_param(name);
  if (!v || v->empty())
    return std::optional<std::int64_t>();
  std::int64_t n = 0;
  const auto* end = v->data() + v->size();
  const auto [ptr, ec] = std::from_chars(v->data(), end, n);
  if (ec != std::errc() || ptr != end)
    return fail(bad(100006, std::string(name) + " must be an integer"));
  return std::optional<std::int64_t>(n);
}

http::Response list(service::CommandService& commands, const http::Request& r,
                    const Principal& who) {
  service::CommandQuery q;
  q.request_id = std::string(r.query_param("request_id").value_or(""));
  q.node_id = std::string(r.query_param("node_id").value_or(r.query_param("nodeid").value_or("")));
  q.status = std::string(r.query_param("status").value_or(""));
  auto start_time = query_int(r, "start_time");
  auto end_time = query_int(r, "end_time");
  auto start_id = query_int(r, "start_id");
  auto num_records = query_int(r, "num_records");
  for (const auto* v : {&start_time, &end_time, &start_id, &num_records}) {
    if (!*v)
      return error_response(v->error());
  }
  q.start_time_s = *start_time;
  q.end_time_s = *end_time;
  q.start_id = start_id->value_or(0);
  const auto limit = num_records->value_or(10);
  if (limit < 1 || limit > 100)
    return error_response(bad(100006, "num_records must be between 1 and 100"));
  q.limit = static_cast<std::size_t>(limit);
  auto page = commands.list(who, q);
  if (!page)
    return error_response(page.error());
  json::array requests;
  for (const auto& record : page->requests)
    requests.push_back(command_record_json(record));
  json::object body{{"requests", std::move(requests)}};
  if (page->next_id > 0)
    body["next_id"] = std::to_string(page->next_id);
  return http::json_response(200, json::serialize(body));
}

http::Response cancel(service::CommandService& commands, const http::Request& r,
                      const Principal& who) {
  const auto request_id = r.query_param("request_id");
  if (!request_id || request_id->empty())
    return error_response(bad(100006, "request_id is missing"));
  auto n = commands.cancel(who, *request_id, r.query_param("node_id").value_or(""));
  if (!n)
    return error_response(n.error());
  return http::json_response(
      200,
      json::serialize(json::object{
          {"status", "success"}, {"description", "Command request cancelled"}, {"cancelled", *n}}));
}

}  // namespace

json::object command_record_json(const storage::CommandRecord& r) {
  json::object o{{"request_id", r.request_id},
                 {"node_id", r.node_id},
                 {"status", r.status},
                 {"cmd", r.cmd},
                 {"user_name", r.user_name},
                 {"request_data", data_json(r.request_data, r.is_base64)},
                 {"request_timestamp", r.request_ms / 1000}};
  if (r.device_status)
    o["device_status"] = *r.device_status;
  if (!r.status_description.empty())
    o["status_description"] = r.status_description;
  if (r.response_data)
    o["response_data"] = data_json(*r.response_data, r.is_base64);
  if (r.is_base64)
    o["is_base64"] = true;
  if (r.response_ms)
    o["response_timestamp"] = *r.response_ms / 1000;
  if (r.expiration_ms)
    o["expiration_timestamp"] = *r.expiration_ms / 1000;
  else
    o["indefinite_timeout"] = true;
  return o;
}

void add_command_routes(http::Router& router, service::AccountService& accounts,
                        service::CommandService& commands, boost::asio::thread_pool& pool) {
  const auto add = [&](std::string_view method, detail::AuthedHandler h) {
    router.add(method, "/v1/user/nodes/cmd", on_pool(pool, authed(accounts, std::move(h))));
  };
  auto& c = commands;
  add("POST", [&c](const http::Request& r, const Principal& p) { return create(c, r, p); });
  add("GET", [&c](const http::Request& r, const Principal& p) { return list(c, r, p); });
  add("DELETE", [&c](const http::Request& r, const Principal& p) { return cancel(c, r, p); });
}

}  // namespace stratus::api
