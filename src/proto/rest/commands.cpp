#include "proto/rest/commands.hpp"

#include <boost/json.hpp>
#include <map>
#include <tuple>

#include "core/base64.hpp"
#include "proto/rest/error_codes.hpp"
#include "proto/rest/json.hpp"

namespace stratus::proto::rest {
namespace {

namespace json = boost::json;

Error bad(int reason, std::string text) {
  return Error{errc::invalid_argument, std::move(text), reason};
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

}  // namespace

Result<CommandRequest> parse_command_request(const json::object& o) {
  using namespace command_error;
  CommandRequest c;
  if (const auto* ids = o.if_contains("node_ids"); ids != nullptr && !ids->is_null()) {
    if (!ids->is_array())
      return fail(invalid_body("node_ids must be an array of strings"));
    auto list = optional_strings(o, "node_ids");
    if (!list)
      return fail(list.error());
    c.node_ids = std::move(*list);
  }
  const auto* cmd = o.if_contains("cmd");
  const auto cmd_value = cmd != nullptr ? integer(*cmd) : std::nullopt;
  if (!cmd_value)
    return fail(bad(invalid_cmd, "cmd must be an integer between 0 and 65535"));
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
        return fail(bad(invalid_data, "data must be a base64 string when is_base64 is true"));
      auto bytes = base64_decode(data->as_string());
      if (!bytes)
        return fail(bad(invalid_base64, "data is not valid base64"));
      c.data = std::move(*bytes);
    } else if (data->is_string()) {
      c.data = std::string(data->as_string());
    } else if (data->is_object() || data->is_array()) {
      c.data = json::serialize(*data);
    } else {
      return fail(bad(invalid_data, "data must be a JSON object, array or string"));
    }
  }
  if (const auto* timeout = o.if_contains("timeout"); timeout != nullptr && !timeout->is_null()) {
    const auto t = integer(*timeout);
    if (!t)
      return fail(bad(invalid_timeout, "timeout must be between 1 and 2592000 seconds, or -1"));
    c.timeout_s = *t;
  }
  return c;
}

json::object to_json(const CommandRequest& c) {
  json::object o;
  o["node_ids"] = strings_json(c.node_ids);
  o["cmd"] = c.cmd;
  if (!c.data.empty()) {
    json::value parsed = c.is_base64 ? json::value(nullptr) : document_value(c.data);
    if (parsed.is_object() || parsed.is_array())
      o["data"] = std::move(parsed);
    else
      o["data"] = c.is_base64 ? base64_encode(c.data) : c.data;
  }
  if (c.timeout_s)
    o["timeout"] = *c.timeout_s;
  if (c.is_base64)
    o["is_base64"] = true;
  if (c.override_pending)
    o["override"] = true;
  return o;
}

CommandCreated group_command_outcomes(std::string request_id,
                                      const std::vector<CommandNodeResult>& nodes) {
  CommandCreated created{std::move(request_id), {}};
  if (std::all_of(nodes.begin(), nodes.end(), [](const auto& n) { return n.sent; }))
    return created;
  using Key = std::tuple<bool, int, std::string>;
  std::map<Key, std::size_t> group_of;
  for (const auto& n : nodes) {
    const Key key{n.sent, n.sent ? 0 : n.error_code, n.description};
    auto it = group_of.find(key);
    if (it == group_of.end()) {
      it = group_of.emplace(key, created.responses.size()).first;
      created.responses.push_back(
          CommandResponseGroup{{}, n.sent, n.sent ? 0 : n.error_code, n.description});
    }
    created.responses[it->second].node_ids.push_back(n.node_id);
  }
  return created;
}

json::object to_json(const CommandCreated& c) {
  if (c.all_sent())
    return json::object{{"request_id", c.request_id}, {"status", "success"}};
  json::array responses;
  for (const auto& g : c.responses) {
    json::object response =
        g.success ? json::object{{"status", "success"}, {"description", g.description}}
                  : json::object{{"status", "failure"},
                                 {"error_code", g.error_code},
                                 {"description", g.description}};
    responses.push_back(
        json::object{{"node_ids", strings_json(g.node_ids)}, {"response", std::move(response)}});
  }
  return json::object{{"request_id", c.request_id}, {"responses", std::move(responses)}};
}

Result<CommandCreated> parse_command_created(const json::object& a) {
  CommandCreated c;
  c.request_id = string_or(a, "request_id");
  if (c.request_id.empty())
    return fail(errc::internal, "POST /v1/user/nodes/cmd: the answer has no request_id");
  if (const auto* list = a.if_contains("responses"); list != nullptr && list->is_array()) {
    for (const auto& entry : list->as_array()) {
      const auto* e = entry.if_object();
      if (e == nullptr)
        continue;
      CommandResponseGroup g;
      g.node_ids = strings_or_empty(*e, "node_ids");
      if (const auto* r = e->if_contains("response"); r != nullptr && r->is_object()) {
        const auto& ro = r->as_object();
        g.success = string_or(ro, "status") == "success";
        g.error_code = static_cast<int>(int_or(ro, "error_code"));
        g.description = string_or(ro, "description", g.success ? "success" : "failure");
      }
      c.responses.push_back(std::move(g));
    }
  }
  return c;
}

std::string command_data_json(std::string_view bytes, bool is_base64) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (!ec)
    return json::serialize(v);
  if (is_base64 || !valid_utf8(bytes))
    return json::serialize(json::string(base64_encode(bytes)));
  return json::serialize(json::string(bytes));
}

std::string command_data_text(std::string_view json_text) {
  const json::value v = document_value(json_text);
  if (v.is_string())
    return std::string(v.as_string());
  return std::string(json_text);
}

json::object to_json(const CommandRecord& r) {
  json::object o{{"request_id", r.request_id},
                 {"node_id", r.node_id},
                 {"status", r.status},
                 {"cmd", r.cmd},
                 {"user_name", r.user_name},
                 {"request_data", document_value(r.request_data_json)},
                 {"request_timestamp", r.request_timestamp_s}};
  if (r.device_status)
    o["device_status"] = *r.device_status;
  if (!r.status_description.empty())
    o["status_description"] = r.status_description;
  if (!r.response_data_json.empty())
    o["response_data"] = document_value(r.response_data_json);
  if (r.is_base64)
    o["is_base64"] = true;
  if (r.response_timestamp_s)
    o["response_timestamp"] = *r.response_timestamp_s;
  if (r.expiration_timestamp_s)
    o["expiration_timestamp"] = *r.expiration_timestamp_s;
  else
    o["indefinite_timeout"] = true;
  return o;
}

CommandRecord parse_command_record(const json::object& e) {
  CommandRecord r;
  r.request_id = string_or(e, "request_id");
  r.node_id = string_or(e, "node_id");
  r.status = string_or(e, "status");
  r.cmd = int_or(e, "cmd");
  r.user_name = string_or(e, "user_name");
  r.request_data_json = document_or_empty(e, "request_data");
  r.request_timestamp_s = int_or(e, "request_timestamp");
  if (e.contains("device_status"))
    r.device_status = int_or(e, "device_status");
  r.status_description = string_or(e, "status_description");
  r.response_data_json = document_or_empty(e, "response_data");
  r.is_base64 = bool_or(e, "is_base64");
  if (e.contains("response_timestamp"))
    r.response_timestamp_s = int_or(e, "response_timestamp");
  if (e.contains("expiration_timestamp"))
    r.expiration_timestamp_s = int_or(e, "expiration_timestamp");
  return r;
}

json::object to_json(const CommandPage& page) {
  json::array requests;
  for (const auto& r : page.requests)
    requests.push_back(to_json(r));
  json::object o{{"requests", std::move(requests)}};
  if (!page.next_id.empty())
    o["next_id"] = page.next_id;
  return o;
}

CommandPage parse_command_page(const json::object& a) {
  CommandPage page;
  if (const auto* list = a.if_contains("requests"); list != nullptr && list->is_array()) {
    for (const auto& entry : list->as_array()) {
      if (entry.is_object())
        page.requests.push_back(parse_command_record(entry.as_object()));
    }
  }
  page.next_id = string_or(a, "next_id");
  return page;
}

json::object commands_cancelled_json(std::int64_t cancelled) {
  json::object o = success_body("Command request cancelled");
  o["cancelled"] = cancelled;
  return o;
}

}  // namespace stratus::proto::rest
